package moderation

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/doithoai/doithoai/internal/apperr"
	"github.com/doithoai/doithoai/internal/db"
	"github.com/doithoai/doithoai/internal/identity"
	"github.com/doithoai/doithoai/internal/testenv"
	"github.com/jackc/pgx/v5"
)

type caseFixture struct {
	t   *testing.T
	svc *Service
	mod *identity.User
	n   int
}

func newCaseFixture(t *testing.T) *caseFixture {
	pool := testenv.NewDB(t)
	f := &caseFixture{t: t, svc: NewService(pool, 15*time.Minute, testenv.Logger(t)), mod: &identity.User{Login: "kiemduyet", Role: identity.RoleModerator}}
	if err := pool.QueryRow(context.Background(), `INSERT INTO users (login, role, password_hash) VALUES ('kiemduyet', 'moderator', 'x') RETURNING id`).Scan(&f.mod.ID); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *caseFixture) enqueue(n NewItem) Item {
	f.t.Helper()
	f.n++
	n.Ref = fmt.Sprint(f.n)
	if n.Content == "" {
		n.Content = "Nội dung"
	}
	if n.TrackingCode == "" {
		n.TrackingCode = NewTrackingCode()
	}
	var it Item
	err := db.InTx(context.Background(), f.svc.pool, func(tx pgx.Tx) (err error) {
		it, err = f.svc.Enqueue(context.Background(), tx, n)
		return err
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return it
}

func (f *caseFixture) act(id int64, action string, in ActionInput) Item {
	f.t.Helper()
	it, err := f.svc.Act(context.Background(), f.mod, id, action, in)
	if err != nil {
		f.t.Fatalf("%s #%d: %v", action, id, err)
	}
	return it
}

func ids(items []Item) map[int64]bool {
	m := map[int64]bool{}
	for _, it := range items {
		m[it.ID] = true
	}
	return m
}

// A person is a normalised phone or e-mail, whatever the channel wrote;
// the same display name is nobody.
func TestPersonHistoryByContactKeys(t *testing.T) {
	t.Parallel()
	f := newCaseFixture(t)
	forum := f.enqueue(NewItem{Source: SourceForumQuestion, Contact: "0912 345 678"})
	hotline := f.enqueue(NewItem{Source: SourceHotlineTicket, Contact: "84912345678"})
	live := f.enqueue(NewItem{Source: SourceLiveQuestion, Phone: "(+84) 912-345-678", Meta: map[string]any{"name": "Lò Văn Pằng"}})
	mail := f.enqueue(NewItem{Source: SourceForumQuestion, Contact: " Pang.Lo@Example.VN "})
	mail2 := f.enqueue(NewItem{Source: SourceChatConversation, Email: "pang.lo@example.vn"})
	sameName := f.enqueue(NewItem{Source: SourceLiveQuestion, Contact: "Lò Văn Pằng"})
	f.enqueue(NewItem{Source: SourceForumQuestion, Contact: "0987654321"}) // someone else
	if forum.CitizenPhone != "+84912345678" || hotline.CitizenPhone != "+84912345678" || live.CitizenPhone != "+84912345678" {
		t.Fatalf("phone keys: %q %q %q", forum.CitizenPhone, hotline.CitizenPhone, live.CitizenPhone)
	}
	if mail.CitizenEmail != "pang.lo@example.vn" || sameName.CitizenPhone != "" || sameName.CitizenEmail != "" {
		t.Fatalf("keys: mail %q, name-only %q/%q", mail.CitizenEmail, sameName.CitizenPhone, sameName.CitizenEmail)
	}
	h, err := f.svc.Store.FindPersonHistory(context.Background(), forum, 50)
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(h); len(got) != 2 || !got[hotline.ID] || !got[live.ID] {
		t.Fatalf("history of the phone: %v", got)
	}
	if h, _ = f.svc.Store.FindPersonHistory(context.Background(), mail, 50); len(h) != 1 || h[0].ID != mail2.ID {
		t.Fatalf("history of the e-mail: %v", ids(h))
	}
	if h, err = f.svc.Store.FindPersonHistory(context.Background(), sameName, 50); err != nil || len(h) != 0 {
		t.Fatalf("an item with only a name has a history: %v (%v)", ids(h), err)
	}
}

func TestCaseCodeLinksToTheFirstItem(t *testing.T) {
	t.Parallel()
	f := newCaseFixture(t)
	first := f.enqueue(NewItem{Source: SourceForumQuestion})
	second := f.enqueue(NewItem{Source: SourceForumQuestion, CaseCode: strings.ToLower(first.TrackingCode)})
	third := f.enqueue(NewItem{Source: SourceForumQuestion, CaseCode: second.TrackingCode}) // a code of the case, not its first
	if second.CaseID == nil || *second.CaseID != first.ID || third.CaseID == nil || *third.CaseID != first.ID {
		t.Fatalf("case ids: %v %v, want %d", second.CaseID, third.CaseID, first.ID)
	}
	err := db.InTx(context.Background(), f.svc.pool, func(tx pgx.Tx) error {
		_, err := f.svc.Enqueue(context.Background(), tx, NewItem{Source: SourceForumQuestion, Ref: "x", Content: "x", CaseCode: "ZZZZ2222"})
		return err
	})
	if e := apperr.As(err); err == nil || e.Code != "unknown_case_code" {
		t.Fatalf("unknown case code: %v", err)
	}
	f.act(first.ID, ActionClaim, ActionInput{})
	f.act(first.ID, ActionAnswer, ActionInput{Body: "Đã xử lý phần đầu."})
	tr, err := f.svc.TrackingView(context.Background(), third)
	if err != nil || len(tr.Case) != 3 || tr.Case[0].Answer != "Đã xử lý phần đầu." || !tr.Case[2].Current || tr.Case[0].Code != "" {
		t.Fatalf("case view: %+v %v", tr, err)
	}
}

func TestMergedItemShowsTargetAnswerAndIsFound(t *testing.T) {
	t.Parallel()
	f := newCaseFixture(t)
	target := f.enqueue(NewItem{Source: SourceForumQuestion})
	dup := f.enqueue(NewItem{Source: SourceForumQuestion})
	f.act(dup.ID, ActionClaim, ActionInput{})
	dup = f.act(dup.ID, ActionMerge, ActionInput{Into: target.ID})
	f.act(target.ID, ActionClaim, ActionInput{})
	f.act(target.ID, ActionAnswer, ActionInput{Body: "Câu trả lời chung."})
	tr, err := f.svc.TrackingView(context.Background(), dup)
	if err != nil || tr.Answer != "Câu trả lời chung." || tr.MergedInto == nil || tr.MergedInto.Code != "" {
		t.Fatalf("merged view: %+v %v", tr, err)
	}
	err = db.InTx(context.Background(), f.svc.pool, func(tx pgx.Tx) error {
		m, err := f.svc.Store.FindMergedInto(context.Background(), tx, target.ID)
		if err == nil && (len(m) != 1 || m[0].ID != dup.ID) {
			err = fmt.Errorf("merged into %d: %v", target.ID, ids(m))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestCitizenReplyReturnsToQueueWithAssignee(t *testing.T) {
	t.Parallel()
	f := newCaseFixture(t)
	it := f.enqueue(NewItem{Source: SourceForumQuestion, Status: StatusApproved})
	f.act(it.ID, ActionClaim, ActionInput{})
	f.act(it.ID, ActionRequestInfo, ActionInput{Message: "Xin cho biết địa chỉ."})
	ctx := context.Background()
	if _, err := f.svc.CitizenReply(ctx, "127.0.0.9", it.TrackingCode, ""); apperr.As(err).Code != "body_required" {
		t.Fatalf("empty reply: %v", err)
	}
	out, err := f.svc.CitizenReply(ctx, "127.0.0.9", it.TrackingCode, "Thôn Nà Ca, xã Tùng Bá.")
	if err != nil {
		t.Fatal(err)
	}
	if out.Status != StatusApproved || out.AssigneeID == nil || *out.AssigneeID != f.mod.ID || !strings.HasSuffix(out.Content, "Thôn Nà Ca, xã Tùng Bá.") {
		t.Fatalf("after reply: status %s assignee %v content %q", out.Status, out.AssigneeID, out.Content)
	}
	h, err := f.svc.Store.FindHistory(ctx, it.ID)
	if err != nil || h[len(h)-1].Action != "citizen_reply" || h[len(h)-1].Note != "Thôn Nà Ca, xã Tùng Bá." {
		t.Fatalf("history: %+v %v", h, err)
	}
	if _, err := f.svc.CitizenReply(ctx, "127.0.0.9", it.TrackingCode, "lần nữa"); apperr.As(err).Code != "no_info_requested" {
		t.Fatalf("second reply: %v", err)
	}
	// The per-address budget: the sixth reply from one address is refused.
	for i := 0; i < 3; i++ {
		_, _ = f.svc.CitizenReply(ctx, "127.0.0.9", it.TrackingCode, "x")
	}
	if _, err := f.svc.CitizenReply(ctx, "127.0.0.9", it.TrackingCode, "x"); apperr.As(err).Code != "too_many_replies" {
		t.Fatalf("reply flood: %v", err)
	}
}
