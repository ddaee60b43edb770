package forum

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/doithoai/doithoai/internal/apperr"
	"github.com/doithoai/doithoai/internal/db"
	"github.com/doithoai/doithoai/internal/identity"
	"github.com/doithoai/doithoai/internal/testenv"
	"github.com/doithoai/doithoai/moderation"
	"github.com/jackc/pgx/v5"
)

// fixture is a forum service and its moderation queue on a database of its
// own, with the demo categories ("dat-dai" pre-moderated,
// "giao-thong-ha-tang" post-moderated), departments and one moderator.
type fixture struct {
	t     *testing.T
	svc   *Service
	queue *moderation.Service
	mod   *identity.User
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	pool := testenv.NewDB(t)
	ctx := context.Background()
	if err := db.InTx(ctx, pool, func(tx pgx.Tx) error {
		if err := Seed(ctx, tx); err != nil {
			return err
		}
		return moderation.Seed(ctx, tx)
	}); err != nil {
		t.Fatal(err)
	}
	queue := moderation.NewService(pool, 15*time.Minute, testenv.Logger(t))
	f := &fixture{t: t, svc: NewService(pool, queue, testenv.Logger(t)), queue: queue,
		mod: &identity.User{Login: "kiemduyet", Role: identity.RoleModerator}}
	if err := pool.QueryRow(ctx, `INSERT INTO users (login, role, password_hash) VALUES ('kiemduyet', 'moderator', 'x') RETURNING id`).Scan(&f.mod.ID); err != nil {
		t.Fatal(err)
	}
	return f
}

// item is the queue item of a forum row.
func (f *fixture) item(src moderation.Source, ref int64) moderation.Item {
	f.t.Helper()
	var id int64
	if err := f.svc.pool.QueryRow(context.Background(), `SELECT id FROM moderation_items WHERE source = $1 AND ref = $2`, string(src), strconv.FormatInt(ref, 10)).Scan(&id); err != nil {
		f.t.Fatalf("the %s item of %d: %v", src, ref, err)
	}
	it, err := f.queue.Store.FindItemByID(context.Background(), id)
	if err != nil {
		f.t.Fatal(err)
	}
	return it
}

// decide claims item id and acts on it as the moderator.
func (f *fixture) decide(id int64, action string, in moderation.ActionInput) {
	f.t.Helper()
	for _, a := range []string{moderation.ActionClaim, action} {
		if _, err := f.queue.Act(context.Background(), f.mod, id, a, in); err != nil {
			f.t.Fatalf("%s #%d: %v", a, id, err)
		}
	}
}

// count runs a count(*) query.
func (f *fixture) count(q string, args ...any) int {
	f.t.Helper()
	var n int
	if err := f.svc.pool.QueryRow(context.Background(), q, args...).Scan(&n); err != nil {
		f.t.Fatal(err)
	}
	return n
}

// rows is how many questions, replies, reports, votes and queue items exist:
// what a refused call must leave as it was.
func (f *fixture) rows() [5]int {
	f.t.Helper()
	var r [5]int
	for i, table := range []string{"forum_questions", "forum_replies", "forum_reports", "forum_votes", "moderation_items"} {
		r[i] = f.count(`SELECT count(*) FROM ` + table)
	}
	return r
}

func (f *fixture) mustAsk(n NewQuestion) Question {
	f.t.Helper()
	q, err := f.svc.Ask(context.Background(), n)
	if err != nil {
		f.t.Fatalf("ask %q: %v", n.Title, err)
	}
	return q
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if err == nil || apperr.As(err).Code != code {
		t.Fatalf("error %v, want %s", err, code)
	}
}

// TestAsk: a question and its queue item are made together, with the
// category's moderation deciding both states; a refused question leaves
// no row anywhere.
func TestAsk(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for _, c := range []struct {
		name               string
		n                  NewQuestion
		status, itemStatus string
		visibility, dept   string
		priority           int
	}{
		{"OKPreModerated", NewQuestion{Title: "Cấp giấy chứng nhận đất", Body: "Thủ tục cấp sổ đỏ lần đầu cần những gì?", Category: "dat-dai"},
			StatusPending, moderation.StatusPending, "public", "", 0},
		{"OKPostModerated", NewQuestion{Title: "Đường vào bản bị sạt lở", Body: "Đường vào bản Nậm Cang sạt lở sau mưa lớn.", Category: "giao-thong-ha-tang"},
			StatusPublished, moderation.StatusApproved, "public", "", 0},
		{"OKPrivateWaits", NewQuestion{Title: "Hỏi riêng về bảo hiểm", Body: "Tôi muốn hỏi riêng về thẻ bảo hiểm y tế.", Category: "giao-thong-ha-tang", Visibility: "private"},
			StatusPending, moderation.StatusPending, "private", "", 0},
		{"OKComplaintRouted", NewQuestion{Title: "Khiếu nại việc thu hồi đất", Body: "Gia đình tôi khiếu nại quyết định thu hồi đất.", Category: "giao-thong-ha-tang", Kind: "complaint"},
			StatusPending, moderation.StatusPending, "private", "tiep-cong-dan", 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			f.t = t
			q := f.mustAsk(c.n)
			if q.Status != c.status || q.Visibility != c.visibility || q.TrackingCode == "" {
				t.Fatalf("question %+v: want status %s, visibility %s, a tracking code", q, c.status, c.visibility)
			}
			it := f.item(moderation.SourceForumQuestion, q.ID)
			if it.Status != c.itemStatus || it.TrackingCode != q.TrackingCode || it.Content != c.n.Body ||
				it.Department != c.dept || it.Priority != c.priority || it.Category != c.n.Category {
				t.Fatalf("item %+v: want status %s, code %s, department %q, priority %d", it, c.itemStatus, q.TrackingCode, c.dept, c.priority)
			}
		})
	}
	f.t = t
	before := f.rows()
	for _, c := range []struct {
		name string
		n    NewQuestion
		code string
	}{
		{"ErrTitleRequired", NewQuestion{Body: "Nội dung đủ dài để hỏi.", Category: "dat-dai"}, "title_required"},
		{"ErrBodyRequired", NewQuestion{Title: "Một câu hỏi", Category: "dat-dai"}, "body_required"},
		{"ErrUnknownCategory", NewQuestion{Title: "Một câu hỏi", Body: "Nội dung đủ dài để hỏi.", Category: "khong-co"}, "unknown_category"},
		{"ErrConsentRequired", NewQuestion{Title: "Một câu hỏi", Body: "Nội dung đủ dài để hỏi.", Category: "dat-dai", Name: "Lò Văn Pằng"}, "consent_required"},
		{"ErrBadKind", NewQuestion{Title: "Một câu hỏi", Body: "Nội dung đủ dài để hỏi.", Category: "dat-dai", Kind: "spam"}, "bad_kind"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := f.svc.Ask(context.Background(), c.n)
			wantCode(t, err, c.code)
		})
	}
	if after := f.rows(); after != before {
		t.Fatalf("refused questions left rows: %v → %v", before, after)
	}
}

// TestReply: a reply is queued, published at once only in a
// post-moderated category, and approved into view; replies to a question
// nobody can see, or that break the rules, store nothing.
func TestReply(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	post := f.mustAsk(NewQuestion{Title: "Đường vào bản bị sạt lở", Body: "Đường vào bản Nậm Cang sạt lở sau mưa lớn.", Category: "giao-thong-ha-tang"})
	pre := f.mustAsk(NewQuestion{Title: "Cấp giấy chứng nhận đất", Body: "Thủ tục cấp sổ đỏ lần đầu cần những gì?", Category: "dat-dai"})

	r, err := f.svc.Reply(ctx, post.ID, NewReply{Body: "Bản tôi cũng bị như vậy."})
	if err != nil || r.Status != "published" {
		t.Fatalf("reply in a post-moderated category: %+v %v", r, err)
	}
	if it := f.item(moderation.SourceForumReply, r.ID); it.Status != moderation.StatusApproved || it.Content != "Bản tôi cũng bị như vậy." {
		t.Fatalf("its item %+v", it)
	}

	before := f.rows()
	for _, c := range []struct {
		name string
		q    int64
		n    NewReply
		code string
	}{
		{"ErrQuestionNotPublic", pre.ID, NewReply{Body: "Xin trả lời giúp."}, "closed"},
		{"ErrBodyRequired", post.ID, NewReply{Body: "  "}, "body_required"},
		{"ErrConsentRequired", post.ID, NewReply{Body: "Xin trả lời giúp.", Name: "Lò Thị Mai"}, "consent_required"},
		{"ErrNoSuchQuestion", 1 << 40, NewReply{Body: "Xin trả lời giúp."}, "not_found"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := f.svc.Reply(ctx, c.q, c.n)
			wantCode(t, err, c.code)
		})
	}
	if after := f.rows(); after != before {
		t.Fatalf("refused replies left rows: %v → %v", before, after)
	}

	// In a pre-moderated category the reply waits until approved.
	f.decide(f.item(moderation.SourceForumQuestion, pre.ID).ID, moderation.ActionApprove, moderation.ActionInput{})
	r, err = f.svc.Reply(ctx, pre.ID, NewReply{Body: "Cần bản đồ địa chính.", Name: "Lò Thị Mai", Consent: true})
	if err != nil || r.Status != "pending" {
		t.Fatalf("reply in a pre-moderated category: %+v %v", r, err)
	}
	visible := func() int {
		return f.count(`SELECT count(*) FROM forum_replies WHERE question_id = $1 AND status = 'published'`, pre.ID)
	}
	if n := visible(); n != 0 {
		t.Fatalf("%d replies shown before approval, want 0", n)
	}
	f.decide(f.item(moderation.SourceForumReply, r.ID).ID, moderation.ActionApprove, moderation.ActionInput{})
	if n := visible(); n != 1 {
		t.Fatalf("%d replies shown after approval, want 1", n)
	}
}

// TestVote: each voter counts once, a voter's other keys are remembered so
// that coming back under one of them adds nothing, and a question nobody
// can see takes no votes.
func TestVote(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	q := f.mustAsk(NewQuestion{Title: "Đường vào bản bị sạt lở", Body: "Đường vào bản Nậm Cang sạt lở sau mưa lớn.", Category: "giao-thong-ha-tang"})
	for i, c := range []struct {
		voter  string
		alsoAs []string
		votes  int
		added  bool
	}{
		{"ip:10.0.0.1", nil, 1, true},
		{"ip:10.0.0.1", nil, 1, false},
		{"cookie:a", []string{"ip:10.0.0.2"}, 2, true},
		{"ip:10.0.0.2", nil, 2, false}, // the same voter under its other key
		{"user:7", nil, 3, true},
	} {
		votes, added, err := f.svc.Vote(ctx, q.ID, c.voter, c.alsoAs...)
		if err != nil || votes != c.votes || added != c.added {
			t.Fatalf("vote %d by %s: %d added=%v (%v), want %d added=%v", i, c.voter, votes, added, err, c.votes, c.added)
		}
	}
	if n := f.count(`SELECT votes FROM forum_questions WHERE id = $1`, q.ID); n != 3 {
		t.Fatalf("stored count %d, want 3", n)
	}
	pre := f.mustAsk(NewQuestion{Title: "Cấp giấy chứng nhận đất", Body: "Thủ tục cấp sổ đỏ lần đầu cần những gì?", Category: "dat-dai"})
	before := f.rows()
	for name, id := range map[string]int64{"ErrPending": pre.ID, "ErrNoSuchQuestion": 1 << 40} {
		t.Run(name, func(t *testing.T) {
			_, _, err := f.svc.Vote(ctx, id, "ip:10.0.0.9")
			if apperr.KindOf(err) != apperr.NotFound {
				t.Fatalf("error %v, want NotFound", err)
			}
		})
	}
	if after := f.rows(); after != before {
		t.Fatalf("refused votes left rows: %v → %v", before, after)
	}
}

// TestReport: a report is a queue item carrying the reason and the content;
// upheld, it takes the question (or only the reply) down; dismissed, it
// leaves it up. Bad reports store nothing.
func TestReport(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	ask := func(title string) Question {
		return f.mustAsk(NewQuestion{Title: title, Body: "Đường vào bản Nậm Cang sạt lở sau mưa lớn.", Category: "giao-thong-ha-tang"})
	}
	status := func(q Question) string {
		got, err := f.svc.Store.FindQuestionByID(ctx, q.ID)
		if err != nil {
			t.Fatal(err)
		}
		return got.Status
	}

	upheld := ask("Câu hỏi sai sự thật")
	id, err := f.svc.Report(ctx, upheld.ID, nil, "Nội dung sai sự thật", nil)
	if err != nil {
		t.Fatal(err)
	}
	it := f.item(moderation.SourceReport, id)
	if it.Kind != moderation.KindReport || it.Status != moderation.StatusPending ||
		it.Content != "Báo cáo / Report: Nội dung sai sự thật\n\n---\n"+upheld.Body {
		t.Fatalf("report item %+v", it)
	}
	f.decide(it.ID, moderation.ActionApprove, moderation.ActionInput{})
	if s := status(upheld); s != StatusRejected {
		t.Fatalf("after an upheld report the question is %s, want rejected", s)
	}
	if n := f.count(`SELECT count(*) FROM forum_reports WHERE id = $1 AND status = 'upheld'`, id); n != 1 {
		t.Fatal("the report is not marked upheld")
	}

	dismissed := ask("Câu hỏi đúng sự thật")
	id, err = f.svc.Report(ctx, dismissed.ID, nil, "Không thích", nil)
	if err != nil {
		t.Fatal(err)
	}
	f.decide(f.item(moderation.SourceReport, id).ID, moderation.ActionReject, moderation.ActionInput{Reason: "Không vi phạm"})
	if s := status(dismissed); s != StatusPublished {
		t.Fatalf("after a dismissed report the question is %s, want published", s)
	}
	if n := f.count(`SELECT count(*) FROM forum_reports WHERE id = $1 AND status = 'dismissed'`, id); n != 1 {
		t.Fatal("the report is not marked dismissed")
	}

	withReply := ask("Câu hỏi có trả lời xấu")
	r, err := f.svc.Reply(ctx, withReply.ID, NewReply{Body: "Lời lẽ xúc phạm."})
	if err != nil {
		t.Fatal(err)
	}
	if id, err = f.svc.Report(ctx, withReply.ID, &r.ID, "Xúc phạm", nil); err != nil {
		t.Fatal(err)
	}
	if it := f.item(moderation.SourceReport, id); it.Content != "Báo cáo / Report: Xúc phạm\n\n---\nLời lẽ xúc phạm." {
		t.Fatalf("a reply's report carries %q", it.Content)
	}
	f.decide(f.item(moderation.SourceReport, id).ID, moderation.ActionApprove, moderation.ActionInput{})
	if s := status(withReply); s != StatusPublished {
		t.Fatalf("an upheld report of a reply took the question down (%s)", s)
	}
	if n := f.count(`SELECT count(*) FROM forum_replies WHERE id = $1 AND status = 'rejected'`, r.ID); n != 1 {
		t.Fatal("the reported reply is still up")
	}

	pending := f.mustAsk(NewQuestion{Title: "Cấp giấy chứng nhận đất", Body: "Thủ tục cấp sổ đỏ lần đầu cần những gì?", Category: "dat-dai"})
	other := ask("Một câu hỏi khác")
	before := f.rows()
	for _, c := range []struct {
		name   string
		q      int64
		reply  *int64
		reason string
		code   string
	}{
		{"ErrReasonRequired", dismissed.ID, nil, " ", "reason_required"},
		{"ErrNotPublic", pending.ID, nil, "Sai", "not_found"},
		{"ErrReplyOfAnotherQuestion", other.ID, &r.ID, "Sai", "not_found"},
		{"ErrNoSuchQuestion", 1 << 40, nil, "Sai", "not_found"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := f.svc.Report(ctx, c.q, c.reply, c.reason, nil)
			wantCode(t, err, c.code)
		})
	}
	if after := f.rows(); after != before {
		t.Fatalf("refused reports left rows: %v → %v", before, after)
	}
}

// TestAnswerAndReopen: the moderator's answer reaches the question as its
// official answer; the asker reopens it once, which puts the item back in
// the queue unassigned; a second reopen is refused.
func TestAnswerAndReopen(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	q := f.mustAsk(NewQuestion{Title: "Cấp giấy chứng nhận đất", Body: "Thủ tục cấp sổ đỏ lần đầu cần những gì?", Category: "dat-dai"})
	it := f.item(moderation.SourceForumQuestion, q.ID)
	_, err := f.svc.Reopen(ctx, q.TrackingCode, "Chưa rõ", nil)
	wantCode(t, err, "not_answered")

	f.decide(it.ID, moderation.ActionAnswer, moderation.ActionInput{Body: "Cần đơn đề nghị và bản đồ địa chính."})
	got, err := f.svc.Store.FindQuestionByID(ctx, q.ID)
	if err != nil || got.Status != StatusAnswered || got.AnsweredAt == nil {
		t.Fatalf("after the answer: %+v %v", got, err)
	}
	ans, err := f.svc.Store.FindOfficialAnswer(ctx, q.ID)
	if err != nil || ans == nil || ans.Body != "Cần đơn đề nghị và bản đồ địa chính." {
		t.Fatalf("official answer %+v %v", ans, err)
	}

	wantCode(t, func() error { _, err := f.svc.Reopen(ctx, q.TrackingCode, " ", nil); return err }(), "reason_required")
	got, err = f.svc.Reopen(ctx, q.TrackingCode, "Xã chưa nhận đơn", nil)
	if err != nil || got.Status != StatusPublished || got.ReopenCount != 1 {
		t.Fatalf("reopen: %+v %v", got, err)
	}
	it = f.item(moderation.SourceForumQuestion, q.ID)
	if it.Status != moderation.StatusApproved || it.AssigneeID != nil {
		t.Fatalf("reopened item %+v: want approved and unassigned", it)
	}
	f.decide(it.ID, moderation.ActionAnswer, moderation.ActionInput{Body: "Xã đã nhận đơn."})
	_, err = f.svc.Reopen(ctx, q.TrackingCode, "Lần nữa", nil)
	wantCode(t, err, "reopened_once")
}
