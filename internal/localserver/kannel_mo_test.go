package localserver

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// The fake SMSC delivers an injected mobile-originated SMS through
// bearerbox and smsbox to the sms-service get-url, with the sender and
// the text; smsbox sends no reply to the sender (max-messages = 0), and
// sendsms still reaches the fake SMSC.
func TestKannelDeliversMOToGetURL(t *testing.T) {
	got := make(chan url.Values, 4)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- r.URL.Query()
	}))
	defer srv.Close()
	var k *Kannel
	var err error
	for attempt := 0; attempt < 3; attempt++ { // ports picked free may be taken before they bind
		if k, err = StartKannelInbound(context.Background(), filepath.Join(t.TempDir(), "kannel"), srv.URL+"/in?from=%p&text=%a"); err == nil || errors.Is(err, ErrNoKannel) {
			break
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	defer k.Stop()
	if err := k.InjectMO("+84912345678", "1022", "ABCD2345 thon Na Ca"); err != nil {
		t.Fatal(err)
	}
	select {
	case q := <-got:
		if q.Get("from") != "+84912345678" || q.Get("text") != "ABCD2345 thon Na Ca" {
			t.Fatalf("get-url called with %v", q)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("smsbox never called the get-url")
	}
	resp, err := http.Get(k.SendURL() + "&from=1022&to=%2B84912345678&text=xin+chao")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	t.Logf("sendsms: %d %s", resp.StatusCode, b)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	msgs, err := k.WaitMessages(ctx, 1)
	if err != nil {
		for _, f := range []string{"bearerbox.log", "smsbox.log"} {
			b, _ := os.ReadFile(filepath.Join(k.Dir, f))
			t.Logf("%s:\n%s", f, b)
		}
		t.Fatal(err)
	}
	if len(msgs) != 1 || msgs[0].Text != "xin chao" {
		t.Fatalf("fake SMSC received %+v: want only the sendsms message, no reply to the MO", msgs)
	}
}
