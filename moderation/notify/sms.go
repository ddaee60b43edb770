package notify

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Message is one row of the outbox as a sender sees it.
type Message struct {
	ID        int64
	Channel   string
	Recipient string
	Subject   string
	Body      string
	HTML      string
	Language  string
}

// Sender hands a message to a gateway. A nil error means the gateway took
// it: the row is marked sent and never handed again.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// Kannel sends SMS through Kannel's sendsms HTTP interface. URL is the
// whole sendsms URL with its credentials (SMS_GATEWAY_URL); Send adds to,
// text, charset and coding (UCS-2 unless the text is plain GSM), and from
// when From (SMS_SENDER) is set. Kannel concatenates long texts.
type Kannel struct {
	URL    *url.URL
	From   string
	Client *http.Client
}

// NewKannel parses the sendsms URL.
func NewKannel(rawURL, from string) (*Kannel, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errors.New("SMS_GATEWAY_URL: want Kannel's http(s) sendsms URL")
	}
	return &Kannel{URL: u, From: from, Client: &http.Client{Timeout: 20 * time.Second}}, nil
}

// Send implements Sender. Kannel answers 202 ("0: Accepted for delivery"
// or "3: Queued for later delivery") when it took the message; from then
// on, delivery to the SMSC is Kannel's (its store survives restarts).
func (k *Kannel) Send(ctx context.Context, m Message) error {
	u := *k.URL
	q := u.Query()
	q.Set("to", m.Recipient)
	q.Set("text", m.Body)
	q.Set("charset", "UTF-8")
	if IsGSM(m.Body) {
		q.Set("coding", "0")
	} else {
		q.Set("coding", "2")
	}
	if k.From != "" {
		q.Set("from", k.From)
	}
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return err
	}
	resp, err := k.Client.Do(req)
	if err != nil {
		// A url.Error repeats the URL, credentials and recipient included:
		// keep only the cause, which lands in last_error for admins.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("kannel: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("kannel: HTTP %d: %s", resp.StatusCode, strings.TrimSpace(string(body)))
	}
	return nil
}
