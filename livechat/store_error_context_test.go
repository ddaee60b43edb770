package livechat

import (
	"context"
	"strings"
	"testing"

	"github.com/doithoai/doithoai/internal/apperr"
	"github.com/doithoai/doithoai/internal/testenv"
)

// The chat's store names the operation in an internal error, and a wrapped
// NotFound keeps its kind, code and message (so the API answers as before).
func TestStoreErrorContext(t *testing.T) {
	ctx := context.Background()
	pool := testenv.NewDB(t)
	s := NewStore(pool)

	_, err := s.FindConversationByID(ctx, 424242)
	if e := apperr.As(err); e.Kind != apperr.NotFound || e.Code != "not_found" || e.Message != "no such conversation" {
		t.Fatalf("FindConversationByID of no conversation: %+v, want the NotFound itself", e)
	}
	if _, err := pool.Exec(ctx, `ALTER TABLE chat_conversations RENAME COLUMN topic TO topic_gone`); err != nil {
		t.Fatal(err)
	}
	_, err = s.FindConversationByID(ctx, 424242)
	if want := "livechat.Store.FindConversationByID(424242): "; apperr.KindOf(err) != apperr.Internal || !strings.HasPrefix(err.Error(), want) {
		t.Fatalf("FindConversationByID with a broken table: %v, want an internal error starting with %q", err, want)
	}
}
