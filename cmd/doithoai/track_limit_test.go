package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/doithoai/doithoai/callcenter"
	"github.com/doithoai/doithoai/internal/db"
	"github.com/doithoai/doithoai/internal/testenv"
	"github.com/doithoai/doithoai/moderation"
	"github.com/jackc/pgx/v5"
)

// newClientBoundTo is a client whose connections leave from ip (an address
// in 127.0.0.0/8), so the node sees it as a client of its own address.
func newClientBoundTo(t *testing.T, n *node, ip string) *client {
	c := newClient(t, n)
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 10 * time.Second}
	c.http.Transport = &http.Transport{DialContext: d.DialContext, MaxIdleConnsPerHost: 4}
	return c
}

// randomLegacyCode is a 9-digit hotline code of digits 2–9, the old format
// whose 8^9 values a sweep could cover.
func randomLegacyCode() string {
	b := make([]byte, 9)
	for i := range b {
		b[i] = byte('2' + rand.IntN(8))
	}
	return string(b)
}

// execSQL runs one statement on the node's database.
func execSQL(t *testing.T, n *node, sql string, args ...any) {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), n.DBURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(context.Background(), sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// insertHotlineItem stores a hotline item with a given code, as an old
// release (9 digits) or a forged row would have.
func insertHotlineItem(t *testing.T, n *node, code string) {
	t.Helper()
	execSQL(t, n, `INSERT INTO moderation_items (source, ref, tracking_code, content, due_at)
		VALUES ('hotline_ticket', $1, $1, 'Hỏi về sổ đỏ', now() + interval '3 days')`, code)
}

// TestTrackLookupsLimitedPerAddress: a sweep of random hotline codes from
// one address is cut off with 429 (JSON with Retry-After on the API, a
// readable page on the web), even for a code that exists; another address
// still gets its answer.
func TestTrackLookupsLimitedPerAddress(t *testing.T) {
	t.Parallel()
	n := MustSeededNode(t)
	real := newClient(t, n)
	q := mustAsk(t, real, "Cấp lại căn cước bị mất", "Tôi bị mất căn cước, xin hỏi thủ tục cấp lại ở xã.", "giao-thong-ha-tang")
	legacy := randomLegacyCode()
	insertHotlineItem(t, n, legacy)

	sweeper := newClientBoundTo(t, n, "127.0.0.7")
	first429, misses := -1, 0
	for i := 0; i < 200; i++ {
		r := sweeper.Do("GET", "/api/v1/track/"+randomLegacyCode(), nil, nil)
		switch r.StatusCode {
		case http.StatusNotFound:
			misses++
			if first429 >= 0 {
				t.Fatalf("lookup %d answered 404 after a 429 at %d: the limit let the sweep go on", i, first429)
			}
		case http.StatusTooManyRequests:
			if first429 < 0 {
				first429 = i
				wantError(t, r, 429, "too_many_lookups")
				if ra := r.Header.Get("Retry-After"); ra == "" || ra == "0" {
					t.Fatalf("429 without Retry-After (%q)", ra)
				}
			}
		default:
			body, _ := io.ReadAll(r.Body)
			t.Fatalf("lookup %d: status %d: %s", i, r.StatusCode, body)
		}
	}
	if first429 < 0 || first429 > 30 {
		t.Fatalf("first 429 at lookup %d of 200 (%d misses answered): want the sweep stopped within 30 lookups", first429, misses)
	}
	// Blocked means blocked: a code that exists gets no answer either.
	wantError(t, sweeper.Do("GET", "/api/v1/track/"+q.TrackingCode, nil, nil), 429, "too_many_lookups")
	// The page says so in words, with the status.
	page := sweeper.Do("GET", "/tra-cuu?code="+legacy, nil, nil)
	body, _ := io.ReadAll(page.Body)
	if page.StatusCode != 429 || !strings.Contains(page.Header.Get("Content-Type"), "text/html") || !strings.Contains(string(body), "tra cứu quá nhiều") || strings.Contains(string(body), "Hỏi về sổ đỏ") {
		t.Fatalf("page from a blocked address: %d %q\n%s", page.StatusCode, page.Header.Get("Content-Type"), body)
	}

	// Another address is not affected: API and page both answer.
	other := newClientBoundTo(t, n, "127.0.0.8")
	var tr struct{ Status, Source string }
	if r := other.Do("GET", "/api/v1/track/"+q.TrackingCode, nil, &tr); r.StatusCode != 200 || tr.Status != "published" {
		t.Fatalf("other address: %d %+v", r.StatusCode, tr)
	}
	if r := other.Do("GET", "/api/v1/track/"+legacy, nil, &tr); r.StatusCode != 200 || tr.Source != "hotline_ticket" {
		t.Fatalf("old 9-digit code from another address: %d %+v", r.StatusCode, tr)
	}
	if r := other.Do("GET", "/tra-cuu?code="+q.TrackingCode, nil, nil); r.StatusCode != 200 {
		t.Fatalf("page from another address: %d", r.StatusCode)
	}
}

// TestTrackMissesHaveTheirOwnBudget: misses are limited more tightly
// than look-ups: ten misses block an address even well under the
// per-minute limit, while a citizen's hits do not use up that budget.
func TestTrackMissesHaveTheirOwnBudget(t *testing.T) {
	t.Parallel()
	n := MustSeededNode(t)
	q := mustAsk(t, newClient(t, n), "Lịch tiêm chủng cho trẻ", "Xin hỏi lịch tiêm chủng mở rộng tháng này ở trạm y tế xã.", "giao-thong-ha-tang")
	guesser := newClientBoundTo(t, n, "127.0.0.9")
	for i := 0; i < 10; i++ {
		if r := guesser.Do("GET", "/api/v1/track/"+randomLegacyCode(), nil, nil); r.StatusCode != 404 {
			t.Fatalf("miss %d: status %d", i, r.StatusCode)
		}
	}
	// Eleven look-ups in all, far under 20 a minute: the misses alone block.
	wantError(t, guesser.Do("GET", "/api/v1/track/"+q.TrackingCode, nil, nil), 429, "too_many_lookups")

	// Twelve hits then five misses from another address: all answered.
	citizen := newClientBoundTo(t, n, "127.0.0.10")
	for i := 0; i < 12; i++ {
		if r := citizen.Do("GET", "/api/v1/track/"+q.TrackingCode, nil, nil); r.StatusCode != 200 {
			t.Fatalf("hit %d: status %d", i, r.StatusCode)
		}
	}
	for i := 0; i < 5; i++ {
		if r := citizen.Do("GET", "/api/v1/track/"+randomLegacyCode(), nil, nil); r.StatusCode != 404 {
			t.Fatalf("miss %d after hits: status %d (hits must not use the miss budget)", i, r.StatusCode)
		}
	}
}

// TestTrackCheckDigit: a 12-digit code whose check digit is wrong is
// refused before any database look-up: even a row stored with that very
// code is not found by it. A good code resolves.
func TestTrackCheckDigit(t *testing.T) {
	t.Parallel()
	n := MustSeededNode(t)
	c := newClient(t, n)
	// The Damm check digit of 12345678901 is 8, so ...9013 is a mistyped
	// or guessed code.
	const good, bad = "123456789018", "123456789013"
	insertHotlineItem(t, n, good)
	insertHotlineItem(t, n, bad)
	wantError(t, c.Do("GET", "/api/v1/track/"+bad, nil, nil), 400, "bad_check_digit")
	var tr struct{ Source string }
	if r := c.Do("GET", "/api/v1/track/"+good, nil, &tr); r.StatusCode != 200 || tr.Source != "hotline_ticket" {
		t.Fatalf("good code: %d %+v", r.StatusCode, tr)
	}
	// Grouped as it is read out on the phone, the code still resolves.
	if r := c.Do("GET", "/tra-cuu?code="+"1234+5678+9018", nil, nil); r.StatusCode != 200 {
		t.Fatalf("grouped code on the page: %d", r.StatusCode)
	}
	page := c.Do("GET", "/tra-cuu?code="+bad, nil, nil)
	body, _ := io.ReadAll(page.Body)
	if page.StatusCode != 400 || !strings.Contains(string(body), "chữ số kiểm tra") {
		t.Fatalf("bad check digit on the page: %d\n%s", page.StatusCode, body)
	}
}

// TestHotlineTicketNumberResolves: a ticket stored by the hotline's real
// store gets a 12-digit number with a valid check digit, which tracks as
// read out (in groups) and is refused with one digit changed.
func TestHotlineTicketNumberResolves(t *testing.T) {
	t.Parallel()
	n := MustSeededNode(t)
	ctx := context.Background()
	pool, err := db.Open(ctx, n.DBURL)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	store := callcenter.NewStore(pool, moderation.NewService(pool, time.Minute, testenv.Logger(t)))
	ticket, err := store.CreateTicket(ctx, callcenter.NewTicket{CallID: "track-1", Caller: "0988777666", Hotline: "1022", Language: "vi",
		Topic: "land", RecordingPath: "recordings/x.wav", Duration: 4 * time.Second, Consent: "dtmf:1", ConsentAt: time.Now(), IVRPath: []string{"greeting"}, ReceivedAt: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	num := ticket.Number
	if len(num) != 12 || strings.Trim(num, "0123456789") != "" || moderation.CheckCode(num) != nil {
		t.Fatalf("ticket number %q: want 12 digits with a valid check digit", num)
	}
	c := newClient(t, n)
	var tr struct {
		Source string
		Code   string `json:"tracking_code"`
	}
	grouped := strings.Join(moderation.CodeGroups(num), "-")
	if r := c.Do("GET", "/api/v1/track/"+grouped, nil, &tr); r.StatusCode != 200 || tr.Source != "hotline_ticket" || tr.Code != num {
		t.Fatalf("track %s: %d %+v", grouped, r.StatusCode, tr)
	}
	typo := []byte(num)
	typo[5] = '0' + (typo[5]-'0'+1)%10
	wantError(t, c.Do("GET", fmt.Sprintf("/api/v1/track/%s", typo), nil, nil), 400, "bad_check_digit")
}
