package notify

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"net/url"
	"strings"
	"time"
)

// SMTP sends e-mail with net/smtp: STARTTLS whenever the server offers it
// (smtp://), TLS from the first byte for smtps://, and PLAIN auth when the
// URL has a user (net/smtp refuses to send a password in clear except to
// localhost). A dependency such as go-mail would add little to this.
type SMTP struct {
	Addr     string // host:port
	Host     string
	Implicit bool // smtps://
	Auth     smtp.Auth
	From     *mail.Address
	// TLSConfig is used for STARTTLS and smtps (tests trust their own CA).
	TLSConfig *tls.Config
}

// NewSMTP parses SMTP_URL (smtp://user:pass@host:port or smtps://…) and
// MAIL_FROM.
func NewSMTP(rawURL, from string) (*SMTP, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "smtp" && u.Scheme != "smtps") || u.Hostname() == "" {
		return nil, errors.New("SMTP_URL: want smtp://user:pass@host:port or smtps://…")
	}
	fromAddr, err := mail.ParseAddress(from)
	if err != nil {
		return nil, fmt.Errorf("MAIL_FROM=%q: want an e-mail address", from)
	}
	s := &SMTP{Host: u.Hostname(), Implicit: u.Scheme == "smtps", From: fromAddr}
	port := u.Port()
	if port == "" {
		port = map[bool]string{true: "465", false: "587"}[s.Implicit]
	}
	s.Addr = net.JoinHostPort(s.Host, port)
	if u.User != nil {
		pass, _ := u.User.Password()
		s.Auth = smtp.PlainAuth("", u.User.Username(), pass, s.Host)
	}
	s.TLSConfig = &tls.Config{ServerName: s.Host, MinVersion: tls.VersionTLS12}
	return s, nil
}

// Send implements Sender.
func (s *SMTP) Send(ctx context.Context, m Message) error {
	to, err := mail.ParseAddress(m.Recipient)
	if err != nil {
		return fmt.Errorf("smtp: bad recipient: %w", err)
	}
	msg, err := s.build(m, to)
	if err != nil {
		return err
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", s.Addr)
	if err != nil {
		return fmt.Errorf("smtp: %w", err)
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	} else {
		_ = conn.SetDeadline(time.Now().Add(time.Minute))
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Now()) })
	defer stop()
	if s.Implicit {
		conn = tls.Client(conn, s.TLSConfig)
	}
	c, err := smtp.NewClient(conn, s.Host)
	if err != nil {
		return fmt.Errorf("smtp: %w", err)
	}
	defer c.Close()
	if ok, _ := c.Extension("STARTTLS"); ok && !s.Implicit {
		if err := c.StartTLS(s.TLSConfig); err != nil {
			return fmt.Errorf("smtp: starttls: %w", err)
		}
	}
	if s.Auth != nil {
		if err := c.Auth(s.Auth); err != nil {
			return fmt.Errorf("smtp: auth: %w", err)
		}
	}
	if err := c.Mail(s.From.Address); err != nil {
		return fmt.Errorf("smtp: %w", err)
	}
	if err := c.Rcpt(to.Address); err != nil {
		return fmt.Errorf("smtp: %w", err)
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("smtp: %w", err)
	}
	if _, err := w.Write(msg); err != nil {
		return fmt.Errorf("smtp: %w", err)
	}
	// The server has taken the message once it answers the final dot.
	if err := w.Close(); err != nil {
		return fmt.Errorf("smtp: %w", err)
	}
	_ = c.Quit()
	return nil
}

// build writes a multipart/alternative message: plain text, then HTML,
// both UTF-8 and quoted-printable.
func (s *SMTP) build(m Message, to *mail.Address) ([]byte, error) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	var id [12]byte
	_, _ = rand.Read(id[:])
	h := []string{
		"From: " + s.From.String(),
		"To: " + to.String(),
		"Subject: " + mime.QEncoding.Encode("utf-8", m.Subject),
		"Date: " + time.Now().Format(time.RFC1123Z),
		fmt.Sprintf("Message-ID: <notify-%d-%s@%s>", m.ID, hex.EncodeToString(id[:]), s.From.Address[strings.LastIndexByte(s.From.Address, '@')+1:]),
		"Content-Language: " + m.Language,
		"Auto-Submitted: auto-generated",
		"MIME-Version: 1.0",
		"Content-Type: multipart/alternative; boundary=" + mw.Boundary(),
	}
	var out bytes.Buffer
	out.WriteString(strings.Join(h, "\r\n") + "\r\n\r\n")
	for _, part := range []struct{ ctype, body string }{{"text/plain", m.Body}, {"text/html", m.HTML}} {
		if part.body == "" {
			continue
		}
		pw, err := mw.CreatePart(textproto.MIMEHeader{
			"Content-Type":              {part.ctype + "; charset=utf-8"},
			"Content-Transfer-Encoding": {"quoted-printable"},
		})
		if err != nil {
			return nil, err
		}
		qp := quotedprintable.NewWriter(pw)
		if _, err := qp.Write([]byte(strings.ReplaceAll(strings.ReplaceAll(part.body, "\r\n", "\n"), "\n", "\r\n"))); err != nil {
			return nil, err
		}
		if err := qp.Close(); err != nil {
			return nil, err
		}
	}
	if err := mw.Close(); err != nil {
		return nil, err
	}
	out.Write(buf.Bytes())
	return out.Bytes(), nil
}
