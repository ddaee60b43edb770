package config

import (
	"strings"
	"testing"
)

func load(env map[string]string) (Config, error) {
	if _, ok := env["DATABASE_URL"]; !ok {
		env["DATABASE_URL"] = "postgres://u@localhost/db"
	}
	return Load(func(k string) string { return env[k] })
}

func TestMetricsAddr(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ set, want string }{
		{"", "127.0.0.1:9090"}, // loopback unless the operator says otherwise
		{"off", ""},
		{"OFF", ""},
		{"10.0.0.5:9100", "10.0.0.5:9100"},
	} {
		c, err := load(map[string]string{"METRICS_ADDR": tc.set})
		if err != nil || c.MetricsAddr != tc.want {
			t.Errorf("METRICS_ADDR=%q: %q %v, want %q", tc.set, c.MetricsAddr, err, tc.want)
		}
	}
	if _, err := load(map[string]string{"METRICS_ADDR": "9090"}); err == nil || !strings.Contains(err.Error(), "METRICS_ADDR") {
		t.Errorf("METRICS_ADDR=9090 accepted: %v", err)
	}
}

func TestHTTPMaxConns(t *testing.T) {
	t.Parallel()
	if c, err := load(map[string]string{}); err != nil || c.HTTPMaxConns != 0 {
		t.Errorf("default: %d %v, want 0 (derived at start)", c.HTTPMaxConns, err)
	}
	if c, err := load(map[string]string{"HTTP_MAX_CONNS": "5000"}); err != nil || c.HTTPMaxConns != 5000 {
		t.Errorf("5000: %d %v", c.HTTPMaxConns, err)
	}
	for _, bad := range []string{"0", "-3", "lots"} {
		if _, err := load(map[string]string{"HTTP_MAX_CONNS": bad}); err == nil || !strings.Contains(err.Error(), "HTTP_MAX_CONNS") {
			t.Errorf("HTTP_MAX_CONNS=%q accepted: %v", bad, err)
		}
	}
}

func TestPageCacheMB(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		set  string
		want int64
	}{
		{"", 64 << 20},
		{"256", 256 << 20},
		{"0", -1}, // off: forum.Options reads 0 as its default
	} {
		c, err := load(map[string]string{"PAGE_CACHE_MB": tc.set})
		if err != nil || c.PageCacheBytes() != tc.want {
			t.Errorf("PAGE_CACHE_MB=%q: %d %v, want %d", tc.set, c.PageCacheBytes(), err, tc.want)
		}
	}
	for _, bad := range []string{"-1", "64MB", "1.5"} {
		if _, err := load(map[string]string{"PAGE_CACHE_MB": bad}); err == nil || !strings.Contains(err.Error(), "PAGE_CACHE_MB") {
			t.Errorf("PAGE_CACHE_MB=%q accepted: %v", bad, err)
		}
	}
}

func TestNotificationSettings(t *testing.T) {
	t.Parallel()
	c, err := load(map[string]string{
		"SMS_GATEWAY_URL": "http://127.0.0.1:13013/cgi-bin/sendsms?username=u&password=p", "SMS_SENDER": "1022",
		"SMTP_URL": "smtp://u:p@mail.example.vn:587", "MAIL_FROM": "thongbao@example.vn",
	})
	if err != nil || c.SMSGatewayURL == "" || c.SMSSender != "1022" || c.SMTPURL == "" || c.MailFrom != "thongbao@example.vn" {
		t.Fatalf("good settings: %+v %v", c, err)
	}
	if c, err := load(map[string]string{}); err != nil || c.SMSGatewayURL != "" || c.SMTPURL != "" {
		t.Errorf("default: %q %q %v, want both empty (notifications kept in the outbox)", c.SMSGatewayURL, c.SMTPURL, err)
	}
	for key, env := range map[string]map[string]string{
		"SMS_GATEWAY_URL": {"SMS_GATEWAY_URL": "smpp://127.0.0.1:2775"},
		"SMTP_URL":        {"SMTP_URL": "mail.example.vn:25", "MAIL_FROM": "a@b.vn"},
		"MAIL_FROM":       {"SMTP_URL": "smtp://mail.example.vn:25", "MAIL_FROM": "not an address"},
	} {
		if _, err := load(env); err == nil || !strings.Contains(err.Error(), key) {
			t.Errorf("%v accepted: %v", env, err)
		}
	}
}

// Without BASE_URL, links that leave the site point where the node
// listens; an unspecified host is this machine.
func TestLinkBaseWithoutBaseURL(t *testing.T) {
	t.Parallel()
	c, err := load(map[string]string{})
	if err != nil || c.BaseURL != "" {
		t.Fatalf("default BASE_URL %q %v, want empty (the request's host)", c.BaseURL, err)
	}
	for _, tc := range []struct{ addr, want string }{
		{":8080", "http://localhost:8080"},
		{"0.0.0.0:8081", "http://localhost:8081"},
		{"[::]:8082", "http://localhost:8082"},
		{"127.0.0.1:43117", "http://127.0.0.1:43117"},
		{"192.168.1.5:80", "http://192.168.1.5:80"},
	} {
		if got := ListenURL(tc.addr); got != tc.want {
			t.Errorf("ListenURL(%q) = %q, want %q", tc.addr, got, tc.want)
		}
	}
	if got := c.LinkBase(); got != "http://localhost:8080" {
		t.Errorf("LinkBase before listening: %q", got)
	}
	c.ListenURL = "http://127.0.0.1:43117"
	if got := c.LinkBase(); got != c.ListenURL {
		t.Errorf("LinkBase after listening: %q", got)
	}
	if c, err := load(map[string]string{"BASE_URL": "https://hoidap.example.vn"}); err != nil || c.LinkBase() != "https://hoidap.example.vn" {
		t.Errorf("BASE_URL set: %q %v", c.LinkBase(), err)
	}
	if _, err := load(map[string]string{"BASE_URL": "hoidap.example.vn"}); err == nil {
		t.Error("a BASE_URL without scheme accepted")
	}
}

func TestBlobStoreSettings(t *testing.T) {
	t.Parallel()
	if c, err := load(map[string]string{}); err != nil || c.BlobStore != "postgres" || !c.S3.UseTLS {
		t.Errorf("default: %q tls %t %v, want postgres", c.BlobStore, c.S3.UseTLS, err)
	}
	s3 := map[string]string{"BLOB_STORE": "S3", "S3_ENDPOINT": "s3.local:9000", "S3_BUCKET": "rec", "S3_ACCESS_KEY": "k",
		"S3_SECRET_KEY": "s", "S3_REGION": "vn-1", "S3_USE_TLS": "false"}
	c, err := load(s3)
	if err != nil || c.BlobStore != "s3" || c.S3 != (S3Config{Endpoint: "s3.local:9000", Bucket: "rec", AccessKey: "k", SecretKey: "s", Region: "vn-1"}) {
		t.Errorf("s3: %+v %v", c.S3, err)
	}
	for name, env := range map[string]map[string]string{
		"unknown store":     {"BLOB_STORE": "disk"},
		"s3 without bucket": {"BLOB_STORE": "s3", "S3_ENDPOINT": "h:1", "S3_ACCESS_KEY": "k", "S3_SECRET_KEY": "s"},
		"endpoint as a URL": {"BLOB_STORE": "s3", "S3_ENDPOINT": "https://h:1", "S3_BUCKET": "b", "S3_ACCESS_KEY": "k", "S3_SECRET_KEY": "s"},
		"tls not a boolean": {"S3_USE_TLS": "maybe"},
	} {
		if _, err := load(env); err == nil || !strings.Contains(err.Error(), "S3") && !strings.Contains(err.Error(), "BLOB_STORE") {
			t.Errorf("%s accepted: %v", name, err)
		}
	}
}
