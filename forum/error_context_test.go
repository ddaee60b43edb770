package forum

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/doithoai/doithoai/internal/apperr"
)

// An internal error carries the operations it went through, across the
// forum and the queue, and a refused request keeps its kind, code and
// message however many methods wrapped it.
func TestErrorContext(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("AskThroughEnqueue", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		if _, err := f.svc.pool.Exec(ctx, `ALTER TABLE moderation_items RENAME COLUMN meta TO meta_gone`); err != nil {
			t.Fatal(err)
		}
		before := f.rows()
		_, err := f.svc.Ask(ctx, NewQuestion{Title: "Đường vào bản bị sạt lở", Body: "Đường vào bản Nậm Cang sạt lở sau mưa lớn.", Category: "giao-thong-ha-tang"})
		if apperr.KindOf(err) != apperr.Internal {
			t.Fatalf("Ask with a broken queue table: %v, want an internal error", err)
		}
		msg := err.Error()
		for _, want := range []string{`forum.Service.Ask("giao-thong-ha-tang"): moderation.Service.Enqueue(forum_question, "`, `column "meta" of relation "moderation_items" does not exist`} {
			if !strings.Contains(msg, want) {
				t.Errorf("error %q does not carry %q", msg, want)
			}
		}
		if after := f.rows(); after != before {
			t.Fatalf("rows %v after a failed Ask, want %v (nothing stored)", after, before)
		}
	})
	t.Run("VoteNotFoundKeepsCode", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		_, _, err := f.svc.Vote(ctx, 987654, "ip:10.0.0.1")
		e := apperr.As(err)
		if e.Kind != apperr.NotFound || e.Code != "not_found" || e.Message != "no such question" {
			t.Fatalf("Vote on no question: %+v, want the NotFound itself", e)
		}
		if want := "forum.Service.Vote(987654): "; !strings.HasPrefix(err.Error(), want) {
			t.Fatalf("error %q, want it to start with %q", err.Error(), want)
		}
	})
	t.Run("StoreFindQuestionByID", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		q := f.mustAsk(NewQuestion{Title: "Cấp giấy chứng nhận đất", Body: "Thủ tục cấp sổ đỏ lần đầu cần những gì?", Category: "dat-dai"})
		if _, err := f.svc.pool.Exec(ctx, `ALTER TABLE forum_questions RENAME COLUMN body_html TO body_html_gone`); err != nil {
			t.Fatal(err)
		}
		_, err := f.svc.Store.FindQuestionByID(ctx, q.ID)
		if want := fmt.Sprintf("forum.Store.FindQuestionByID(%d): ", q.ID); apperr.KindOf(err) != apperr.Internal || !strings.HasPrefix(fmt.Sprint(err), want) {
			t.Fatalf("FindQuestionByID with a broken table: %v, want an internal error starting with %q", err, want)
		}
	})
}
