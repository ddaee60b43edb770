// Package config reads the process configuration once, from the environment
// (flags may override), into a typed struct that is validated before anything
// starts. Nothing else in the program reads environment variables.
package config

import (
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Config is the whole configuration of a doithoai node. Field comments name
// the environment variable that sets each one.
type Config struct {
	DatabaseURL    string        // DATABASE_URL
	RedisURL       string        // REDIS_URL; empty means a single node with in-process fan-out
	HTTPAddr       string        // HTTP_ADDR
	SIPAddr        string        // SIP_ADDR
	HotlineNumbers []string      // HOTLINE_NUMBERS, comma separated
	DataDir        string        // DATA_DIR
	BaseURL        string        // BASE_URL, used in feeds and absolute links; empty: the request's host, or ListenURL where there is no request
	ListenURL      string        // set by serve when BASE_URL is empty: http:// and the address the node listens on
	SecureCookies  bool          // SECURE_COOKIES; set when served over HTTPS
	SessionTTL     time.Duration // SESSION_TTL
	LogLevel       string        // LOG_LEVEL: debug, info, warn, error
	LogFormat      string        // LOG_FORMAT: text or json
	ShutdownGrace  time.Duration // SHUTDOWN_GRACE
	ClaimLease     time.Duration // CLAIM_LEASE: how long a moderator holds a claimed item
	RetentionDays  int           // RETENTION_DAYS: personal data (recordings, phone numbers) kept this long
	DisableSIP     bool          // DISABLE_SIP: serve HTTP only (tests, HTTP-only nodes)
	TrustProxy     bool          // TRUST_PROXY: take the client address from X-Forwarded-For (only behind a proxy you run)
	MetricsAddr    string        // METRICS_ADDR: listen address of /metrics, kept off the public one; "off" (stored as "") disables it
	HTTPMaxConns   int           // HTTP_MAX_CONNS: open HTTP connections (WebSockets included); 0 derives it from the descriptor limit
	// SigningKey (SIGNING_KEY, at least 32 characters) signs what the server
	// hands out and must recognise (anonymous voters' cookies, login device
	// cookies; each use derives its own key). Empty: a random key is
	// generated once and kept in PostgreSQL for every node.
	SigningKey string
	// SLA settings; empty means the defaults of moderation/feedback. They
	// are parsed (and bad values reported) when the node is built.
	SLARules       string        // SLA_RULES, e.g. "hotline_ticket=3d, report=1d, *@2=4h"
	SLAHolidays    string        // SLA_HOLIDAYS: dates and ranges that are not working days
	SLAWorkdays    string        // SLA_WORKDAYS: weekend dates that are working days (làm bù)
	SLAOfficeHours string        // SLA_OFFICE_HOURS, e.g. "07:30-11:30,13:00-17:00"
	EscalateEvery  time.Duration // ESCALATE_EVERY: how often each node looks for overdue items
	// Notifications (moderation/notify). With neither gateway set they are
	// kept in the outbox and shown on the tracking page only.
	SMSGatewayURL string // SMS_GATEWAY_URL: Kannel's sendsms URL with its credentials
	SMSSender     string // SMS_SENDER: sender name or number of SMS
	SMTPURL       string // SMTP_URL: smtp://user:pass@host:port (STARTTLS when offered) or smtps://
	MailFrom      string // MAIL_FROM: sender address of e-mail (required with SMTP_URL)
	// SMSInboundToken (SMS_INBOUND_TOKEN): the secret Kannel's sms-service
	// get-url carries to /api/v1/sms/inbound; empty: SMS replies are off.
	SMSInboundToken string
	// ChatAcceptWait (CHAT_ACCEPT_WAIT): a support chat no operator takes
	// this long is offered the offline question form.
	ChatAcceptWait time.Duration

	// Blobs: where recordings and spoken answers are kept for every node.
	BlobStore string   // BLOB_STORE: postgres (default) or s3
	S3        S3Config // S3_* settings, used when BlobStore is s3

	// Getenv is the environment Load read, kept for domains that parse
	// their own settings (the hotline's HOTLINE_* and RTP_* variables).
	Getenv func(string) string
}

// Default returns the configuration used when nothing is set.
func Default() Config {
	return Config{
		HTTPAddr:       ":8080",
		SIPAddr:        ":5060",
		HotlineNumbers: []string{"1022"},
		DataDir:        "./data",
		SessionTTL:     7 * 24 * time.Hour,
		LogLevel:       "info",
		LogFormat:      "text",
		ShutdownGrace:  15 * time.Second,
		ClaimLease:     15 * time.Minute,
		RetentionDays:  730,
		EscalateEvery:  time.Minute,
		ChatAcceptWait: 3 * time.Minute,
		MetricsAddr:    "127.0.0.1:9090",
		BlobStore:      "postgres",
		S3:             S3Config{UseTLS: true},
	}
}

// S3Config is an S3-compatible object store (AWS, MinIO, SeaweedFS, Ceph…).
type S3Config struct {
	Endpoint  string // S3_ENDPOINT: host:port, no scheme
	Bucket    string // S3_BUCKET: created at start if missing
	AccessKey string // S3_ACCESS_KEY
	SecretKey string // S3_SECRET_KEY
	Region    string // S3_REGION; empty: the server's default
	UseTLS    bool   // S3_USE_TLS: https (default true)
}

// Load reads the configuration from getenv over the defaults and validates it.
// getenv is passed in so tests never touch the process environment.
func Load(getenv func(string) string) (Config, error) {
	c := Default()
	c.Getenv = getenv
	var errs []error
	str := func(key string, dst *string) {
		if v := strings.TrimSpace(getenv(key)); v != "" {
			*dst = v
		}
	}
	dur := func(key string, dst *time.Duration) {
		if v := strings.TrimSpace(getenv(key)); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 {
				errs = append(errs, fmt.Errorf("%s=%q: want a positive duration such as 15m or 2h", key, v))
				return
			}
			*dst = d
		}
	}
	boolean := func(key string, dst *bool) {
		if v := strings.TrimSpace(getenv(key)); v != "" {
			b, err := strconv.ParseBool(v)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s=%q: want true or false", key, v))
				return
			}
			*dst = b
		}
	}
	str("DATABASE_URL", &c.DatabaseURL)
	str("REDIS_URL", &c.RedisURL)
	str("HTTP_ADDR", &c.HTTPAddr)
	str("SIP_ADDR", &c.SIPAddr)
	str("DATA_DIR", &c.DataDir)
	str("BASE_URL", &c.BaseURL)
	str("LOG_LEVEL", &c.LogLevel)
	str("LOG_FORMAT", &c.LogFormat)
	str("SLA_RULES", &c.SLARules)
	str("SLA_HOLIDAYS", &c.SLAHolidays)
	str("SLA_WORKDAYS", &c.SLAWorkdays)
	str("SLA_OFFICE_HOURS", &c.SLAOfficeHours)
	str("SIGNING_KEY", &c.SigningKey)
	str("SMS_GATEWAY_URL", &c.SMSGatewayURL)
	str("SMS_SENDER", &c.SMSSender)
	str("SMTP_URL", &c.SMTPURL)
	str("MAIL_FROM", &c.MailFrom)
	str("SMS_INBOUND_TOKEN", &c.SMSInboundToken)
	str("BLOB_STORE", &c.BlobStore)
	c.BlobStore = strings.ToLower(c.BlobStore)
	str("S3_ENDPOINT", &c.S3.Endpoint)
	str("S3_BUCKET", &c.S3.Bucket)
	str("S3_ACCESS_KEY", &c.S3.AccessKey)
	str("S3_SECRET_KEY", &c.S3.SecretKey)
	str("S3_REGION", &c.S3.Region)
	boolean("S3_USE_TLS", &c.S3.UseTLS)
	dur("ESCALATE_EVERY", &c.EscalateEvery)
	dur("CHAT_ACCEPT_WAIT", &c.ChatAcceptWait)
	boolean("SECURE_COOKIES", &c.SecureCookies)
	boolean("DISABLE_SIP", &c.DisableSIP)
	boolean("TRUST_PROXY", &c.TrustProxy)
	dur("SESSION_TTL", &c.SessionTTL)
	dur("SHUTDOWN_GRACE", &c.ShutdownGrace)
	dur("CLAIM_LEASE", &c.ClaimLease)
	if v := strings.TrimSpace(getenv("HOTLINE_NUMBERS")); v != "" {
		c.HotlineNumbers = splitList(v)
	}
	str("METRICS_ADDR", &c.MetricsAddr)
	if strings.EqualFold(c.MetricsAddr, "off") {
		c.MetricsAddr = ""
	}
	if v := strings.TrimSpace(getenv("HTTP_MAX_CONNS")); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			errs = append(errs, fmt.Errorf("HTTP_MAX_CONNS=%q: want a whole number ≥ 1 (or nothing, to derive it from the descriptor limit)", v))
		} else {
			c.HTTPMaxConns = n
		}
	}
	if v := strings.TrimSpace(getenv("RETENTION_DAYS")); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			errs = append(errs, fmt.Errorf("RETENTION_DAYS=%q: want a whole number of days ≥ 1", v))
		} else {
			c.RetentionDays = n
		}
	}
	if err := c.Validate(); err != nil {
		errs = append(errs, err)
	}
	return c, errors.Join(errs...)
}

// Validate reports every problem at once so an operator fixes them in one go.
func (c Config) Validate() error {
	var errs []error
	if c.DatabaseURL == "" {
		errs = append(errs, errors.New("DATABASE_URL is required (for example postgres://user:pass@localhost:5432/doithoai)"))
	} else if u, err := url.Parse(c.DatabaseURL); err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		errs = append(errs, fmt.Errorf("DATABASE_URL: want a postgres:// URL"))
	}
	if c.RedisURL != "" {
		if u, err := url.Parse(c.RedisURL); err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") {
			errs = append(errs, fmt.Errorf("REDIS_URL: want a redis:// URL or nothing"))
		}
	}
	addrs := map[string]string{"HTTP_ADDR": c.HTTPAddr, "SIP_ADDR": c.SIPAddr}
	if c.MetricsAddr != "" {
		addrs["METRICS_ADDR"] = c.MetricsAddr
	}
	for key, addr := range addrs {
		if _, _, err := net.SplitHostPort(addr); err != nil {
			errs = append(errs, fmt.Errorf("%s=%q: want host:port, e.g. :8080", key, addr))
		}
	}
	switch c.BlobStore {
	case "postgres":
	case "s3":
		if c.S3.Endpoint == "" || c.S3.Bucket == "" || c.S3.AccessKey == "" || c.S3.SecretKey == "" {
			errs = append(errs, errors.New("BLOB_STORE=s3 needs S3_ENDPOINT, S3_BUCKET, S3_ACCESS_KEY and S3_SECRET_KEY"))
		} else if strings.Contains(c.S3.Endpoint, "://") || strings.Contains(c.S3.Endpoint, "/") {
			errs = append(errs, fmt.Errorf("S3_ENDPOINT=%q: want host:port without a scheme (S3_USE_TLS picks https)", c.S3.Endpoint))
		}
	default:
		errs = append(errs, fmt.Errorf("BLOB_STORE=%q: want postgres or s3", c.BlobStore))
	}
	if len(c.HotlineNumbers) == 0 {
		errs = append(errs, errors.New("HOTLINE_NUMBERS: at least one number"))
	}
	for _, n := range c.HotlineNumbers {
		if strings.ContainsAny(n, " @:;") {
			errs = append(errs, fmt.Errorf("HOTLINE_NUMBERS: %q is not a SIP user part", n))
		}
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("LOG_LEVEL=%q: want debug, info, warn or error", c.LogLevel))
	}
	switch c.LogFormat {
	case "text", "json":
	default:
		errs = append(errs, fmt.Errorf("LOG_FORMAT=%q: want text or json", c.LogFormat))
	}
	if c.SigningKey != "" && len(c.SigningKey) < 32 {
		errs = append(errs, errors.New("SIGNING_KEY: want at least 32 characters (e.g. openssl rand -base64 32), or nothing for a generated key"))
	}
	if c.SMSGatewayURL != "" {
		if u, err := url.Parse(c.SMSGatewayURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, errors.New("SMS_GATEWAY_URL: want Kannel's sendsms URL, e.g. http://127.0.0.1:13013/cgi-bin/sendsms?username=U&password=P"))
		}
	}
	if c.SMSInboundToken != "" && len(c.SMSInboundToken) < 16 {
		errs = append(errs, errors.New("SMS_INBOUND_TOKEN: want at least 16 characters (e.g. openssl rand -hex 16), or nothing to turn SMS replies off"))
	}
	if c.SMTPURL != "" {
		if u, err := url.Parse(c.SMTPURL); err != nil || (u.Scheme != "smtp" && u.Scheme != "smtps") || u.Hostname() == "" {
			errs = append(errs, errors.New("SMTP_URL: want smtp://user:pass@host:port or smtps://user:pass@host:port"))
		}
		if _, err := mail.ParseAddress(c.MailFrom); err != nil {
			errs = append(errs, fmt.Errorf("MAIL_FROM=%q: want the sender's e-mail address when SMTP_URL is set", c.MailFrom))
		}
	}
	if u, err := url.Parse(c.BaseURL); c.BaseURL != "" && (err != nil || u.Host == "") {
		errs = append(errs, fmt.Errorf("BASE_URL=%q: want an absolute URL", c.BaseURL))
	}
	return errors.Join(errs...)
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// LinkBase is the absolute base of links sent where no request tells the
// host (SMS, e-mail): BASE_URL when set, otherwise the address the node
// listens on, otherwise one derived from HTTP_ADDR.
func (c Config) LinkBase() string {
	switch {
	case c.BaseURL != "":
		return c.BaseURL
	case c.ListenURL != "":
		return c.ListenURL
	}
	return ListenURL(c.HTTPAddr)
}

// ListenURL turns a listen address into the URL a browser on this machine
// reaches it at: an unspecified host (":8080", "0.0.0.0:8080", "[::]:8080")
// becomes localhost.
func ListenURL(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://localhost"
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}
