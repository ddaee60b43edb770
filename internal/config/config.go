// Package config reads the process configuration once, from the environment
// (flags may override), into one typed struct that is validated before
// anything starts; the domains get their typed section (Hotline, Feedback)
// from it. Nothing else in the node reads environment variables: only
// `doithoai backup`, which needs no database, reads its PGBACKREST_* pair
// itself (cmd/doithoai/backup.go).
package config

import (
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/url"
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
	PageCacheMB    int           // PAGE_CACHE_MB: compressed anonymous question pages one node keeps in memory; 0 turns the cache off
	// SigningKey (SIGNING_KEY, at least 32 characters) signs what the server
	// hands out and must recognise (anonymous voters' cookies, login device
	// cookies; each use derives its own key). Empty: a random key is
	// generated once and kept in PostgreSQL for every node.
	SigningKey string
	// Feedback is the SLA's calendar and the escalation job (SLA_*,
	// ESCALATE_EVERY); Hotline the SIP hotline's settings (HOTLINE_*,
	// RTP_*, SIP_PUBLIC_IP, SIP_TCP_*).
	Feedback Feedback
	Hotline  Hotline
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
		Feedback:       Feedback{EscalateEvery: time.Minute},
		Hotline:        defaultHotline(),
		ChatAcceptWait: 3 * time.Minute,
		MetricsAddr:    "127.0.0.1:9090",
		PageCacheMB:    64,
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
	e := &env{getenv: getenv}
	e.str("DATABASE_URL", &c.DatabaseURL)
	e.str("REDIS_URL", &c.RedisURL)
	e.str("HTTP_ADDR", &c.HTTPAddr)
	e.str("SIP_ADDR", &c.SIPAddr)
	e.str("DATA_DIR", &c.DataDir)
	e.str("BASE_URL", &c.BaseURL)
	e.str("LOG_LEVEL", &c.LogLevel)
	e.str("LOG_FORMAT", &c.LogFormat)
	e.str("SIGNING_KEY", &c.SigningKey)
	e.str("SMS_GATEWAY_URL", &c.SMSGatewayURL)
	e.str("SMS_SENDER", &c.SMSSender)
	e.str("SMTP_URL", &c.SMTPURL)
	e.str("MAIL_FROM", &c.MailFrom)
	e.str("SMS_INBOUND_TOKEN", &c.SMSInboundToken)
	e.str("BLOB_STORE", &c.BlobStore)
	c.BlobStore = strings.ToLower(c.BlobStore)
	e.str("S3_ENDPOINT", &c.S3.Endpoint)
	e.str("S3_BUCKET", &c.S3.Bucket)
	e.str("S3_ACCESS_KEY", &c.S3.AccessKey)
	e.str("S3_SECRET_KEY", &c.S3.SecretKey)
	e.str("S3_REGION", &c.S3.Region)
	e.boolean("S3_USE_TLS", &c.S3.UseTLS)
	e.dur("CHAT_ACCEPT_WAIT", &c.ChatAcceptWait)
	e.boolean("SECURE_COOKIES", &c.SecureCookies)
	e.boolean("DISABLE_SIP", &c.DisableSIP)
	e.boolean("TRUST_PROXY", &c.TrustProxy)
	e.dur("SESSION_TTL", &c.SessionTTL)
	e.dur("SHUTDOWN_GRACE", &c.ShutdownGrace)
	e.dur("CLAIM_LEASE", &c.ClaimLease)
	e.list("HOTLINE_NUMBERS", &c.HotlineNumbers)
	e.str("METRICS_ADDR", &c.MetricsAddr)
	if strings.EqualFold(c.MetricsAddr, "off") {
		c.MetricsAddr = ""
	}
	e.count("HTTP_MAX_CONNS", &c.HTTPMaxConns, 1, "a whole number ≥ 1 (or nothing, to derive it from the descriptor limit)")
	e.count("PAGE_CACHE_MB", &c.PageCacheMB, 0, "a whole number of megabytes (0 turns the page cache off)")
	e.count("RETENTION_DAYS", &c.RetentionDays, 1, "a whole number of days ≥ 1")
	e.readFeedback(&c.Feedback)
	e.readHotline(&c.Hotline)
	errs := e.errs
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
	if err := c.Hotline.validate(c.HotlineNumbers); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// PageCacheBytes is PageCacheMB as forum.Options wants it: below 0 for no
// cache, since 0 there means the default.
func (c Config) PageCacheBytes() int64 {
	if c.PageCacheMB == 0 {
		return -1
	}
	return int64(c.PageCacheMB) << 20
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
