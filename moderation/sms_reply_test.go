package moderation

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/doithoai/doithoai/internal/web"
)

// An SMS from a number is the reply of that number's one item waiting for
// information, or of the item whose code it starts with when that item is
// the number's; another's code, a number with nothing waiting, and two
// waiting items with no code change nothing; texts are limited per number.
func TestSMSReplyRouting(t *testing.T) {
	t.Parallel()
	f := newCaseFixture(t)
	ctx := context.Background()
	waiting := func(phone string) Item {
		it := f.enqueue(NewItem{Source: SourceForumQuestion, Status: StatusApproved, Phone: phone})
		f.act(it.ID, ActionClaim, ActionInput{})
		return f.act(it.ID, ActionRequestInfo, ActionInput{Message: "Xin cho biết địa chỉ."})
	}
	lan, minh := waiting("0912 345 678"), waiting("0987 654 321")
	status := func(it Item) string {
		got, err := f.svc.Store.FindItemByID(ctx, it.ID)
		if err != nil {
			t.Fatal(err)
		}
		return got.Status
	}
	sms := func(from, text, want string) Item {
		t.Helper()
		outcome, it, err := f.svc.SMSReply(ctx, from, text)
		if err != nil || outcome != want {
			t.Fatalf("SMS %q from %s: %s %v, want %s", text, from, outcome, err, want)
		}
		return it
	}
	sms("+84911000111", "Thôn Nà Ca", SMSIgnored)                 // nothing of this number
	sms("không phải số", "Thôn Nà Ca", SMSInvalid)                // no number
	sms("+84912345678", minh.TrackingCode+" của tôi", SMSReplied) // another's code: just words, to Lan's own item
	if status(minh) != StatusInfoRequested {
		t.Fatalf("Minh's item answered by Lan's SMS naming its code")
	}
	got, err := f.svc.Store.FindItemByID(ctx, lan.ID)
	if err != nil || got.Status != StatusApproved || got.AssigneeID == nil || *got.AssigneeID != f.mod.ID ||
		!strings.HasSuffix(got.Content, minh.TrackingCode+" của tôi") {
		t.Fatalf("Lan's item after her SMS: %+v %v", got, err)
	}
	sms("+84912345678", "lần nữa", SMSIgnored) // nothing waits any more

	// Two waiting items of one number: only a code says which.
	a, b := waiting("0913 000 111"), waiting("+84 913 000 111")
	sms("0913000111", "Thôn Khuổi My", SMSAmbiguous)
	if status(a) != StatusInfoRequested || status(b) != StatusInfoRequested {
		t.Fatal("an ambiguous SMS changed an item")
	}
	code := strings.ToLower(b.TrackingCode[:4]) + "-" + b.TrackingCode[4:]
	if it := sms("84913000111", code+"  Thôn Khuổi My", SMSReplied); it.ID != b.ID || !strings.HasSuffix(it.Content, "\nThôn Khuổi My") {
		t.Fatalf("coded SMS went to #%d (content %q), want #%d", it.ID, it.Content, b.ID)
	}
	sms("0913000111", a.TrackingCode, SMSInvalid) // a code and nothing else
	if status(a) != StatusInfoRequested {
		t.Fatal("an empty coded SMS changed the item")
	}

	// The per-number budget: texts beyond it are dropped unread.
	for i := 0; i < smsReplyLimit-3; i++ {
		sms("0913000111", "x", SMSReplied)
		f.act(a.ID, ActionClaim, ActionInput{})
		f.act(a.ID, ActionRequestInfo, ActionInput{Message: "Thêm nữa?"})
	}
	sms("0913000111", "y", SMSRateLimited)
	if status(a) != StatusInfoRequested {
		t.Fatal("a rate-limited SMS changed the item")
	}
	sms("0987654321", "Bản Pả Vi", SMSReplied) // another number has its own budget
}

// Kannel may pass a UCS-2 text's bytes undecoded (coding=2): they are read
// as UTF-16BE; text it already converted to UTF-8 is kept as it is.
func TestDecodeUCS2(t *testing.T) {
	want := "Thôn Nà Ca, xã Tùng Bá"
	var raw []byte
	for _, r := range want {
		raw = append(raw, byte(r>>8), byte(r))
	}
	if got := decodeUCS2(string(raw)); got != want {
		t.Fatalf("UCS-2 bytes read as %q, want %q", got, want)
	}
	if got := decodeUCS2(want); got != want {
		t.Fatalf("UTF-8 text changed to %q", got)
	}
}

// The inbound endpoint is off without SMS_INBOUND_TOKEN (404), refuses a
// wrong token (403, the text unread) and answers an empty 200 otherwise,
// whatever became of the text.
func TestSMSInboundToken(t *testing.T) {
	t.Parallel()
	f := newCaseFixture(t)
	it := f.enqueue(NewItem{Source: SourceForumQuestion, Status: StatusApproved, Phone: "0912 345 678"})
	f.act(it.ID, ActionClaim, ActionInput{})
	f.act(it.ID, ActionRequestInfo, ActionInput{Message: "Xin cho biết địa chỉ."})
	h := &Handlers{svc: f.svc}
	call := func(q string) *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		web.Handler(h.handleSMSInbound).ServeHTTP(w, httptest.NewRequest("GET", "/api/v1/sms/inbound?"+q, nil))
		return w
	}
	reply := "from=%2B84912345678&text=Th%C3%B4n+N%C3%A0+Ca"
	if w := call("token=&" + reply); w.Code != 404 {
		t.Fatalf("disabled: %d", w.Code)
	}
	f.svc.SMSInboundToken = "sms-inbound-test-token"
	for _, tok := range []string{"", "sms-inbound-test-toke", "sms-inbound-test-tokenX"} {
		if w := call("token=" + tok + "&" + reply); w.Code != 403 || !strings.Contains(w.Body.String(), `"error"`) {
			t.Fatalf("token %q: %d %s", tok, w.Code, w.Body)
		}
	}
	if got, _ := f.svc.Store.FindItemByID(context.Background(), it.ID); got.Status != StatusInfoRequested {
		t.Fatalf("a refused request changed the item: %s", got.Status)
	}
	if w := call("token=sms-inbound-test-token&" + reply); w.Code != 200 || w.Body.Len() != 0 {
		t.Fatalf("right token: %d %q", w.Code, w.Body)
	}
	if got, _ := f.svc.Store.FindItemByID(context.Background(), it.ID); got.Status != StatusApproved || !strings.HasSuffix(got.Content, "Thôn Nà Ca") {
		t.Fatalf("after the SMS: %s %q", got.Status, got.Content)
	}
}
