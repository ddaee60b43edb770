// Command devsmtp is a small SMTP server for tests and development: it
// accepts every message on a loopback address and writes each to a file
// of its own in -dir (NNNNNN.eml, with the envelope in X-Envelope-*
// headers), so a test reads what a real SMTP client delivered. It prints
// "listening ADDR" once it accepts connections. Never expose it.
package main

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address")
	dir := flag.String("dir", "", "directory the messages are written to")
	user := flag.String("user", "", "require AUTH PLAIN with this user (and -pass)")
	pass := flag.String("pass", "", "password of -user")
	certOut := flag.String("starttls-cert", "", "offer STARTTLS with a fresh self-signed certificate for 127.0.0.1, written (PEM) to this file")
	flag.Parse()
	if *dir == "" {
		log.Fatal("devsmtp: -dir is required")
	}
	if err := os.MkdirAll(*dir, 0o755); err != nil {
		log.Fatal(err)
	}
	be := &backend{dir: *dir, user: *user, pass: *pass}
	s := smtp.NewServer(be)
	s.Domain = "devsmtp.local"
	s.AllowInsecureAuth = true // loopback only
	s.ReadTimeout, s.WriteTimeout = time.Minute, time.Minute
	s.MaxMessageBytes = 10 << 20
	if *certOut != "" {
		cfg, err := selfSigned(*certOut)
		if err != nil {
			log.Fatal(err)
		}
		s.TLSConfig = cfg
	}
	l, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("listening", l.Addr())
	log.Fatal(s.Serve(l))
}

type backend struct {
	dir, user, pass string
	seq             atomic.Int64
}

func (b *backend) NewSession(c *smtp.Conn) (smtp.Session, error) {
	_, tls := c.TLSConnectionState()
	return &session{b: b, tls: tls}, nil
}

type session struct {
	b      *backend
	authed bool
	tls    bool // the session runs over TLS (after STARTTLS)
	from   string
	to     []string
}

func (s *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if s.b.user == "" || (user == s.b.user && pass == s.b.pass) {
			s.authed = true
			return nil
		}
		return errors.New("invalid credentials")
	}), nil
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	if s.b.user != "" && !s.authed {
		return smtp.ErrAuthRequired
	}
	s.from = from
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = append(s.to, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "X-Envelope-From: %s\r\nX-Envelope-To: %s\r\nX-Envelope-TLS: %t\r\n", s.from, strings.Join(s.to, ", "), s.tls)
	if _, err := io.Copy(&buf, r); err != nil {
		return err
	}
	// Written aside, then renamed: a reader never sees half a message.
	name := fmt.Sprintf("%06d.eml", s.b.seq.Add(1))
	tmp := filepath.Join(s.b.dir, "."+name)
	if err := os.WriteFile(tmp, buf.Bytes(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(s.b.dir, name))
}

func (s *session) Reset()        { s.from, s.to = "", nil }
func (s *session) Logout() error { return nil }

// selfSigned makes a certificate for 127.0.0.1 and localhost and writes it
// to path, for the client to trust.
func selfSigned(path string) (*tls.Config, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: "devsmtp"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:     []string{"localhost"},
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA:         true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		return nil, err
	}
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}, nil
}
