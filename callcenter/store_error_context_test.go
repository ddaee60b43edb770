package callcenter

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/doithoai/doithoai/internal/apperr"
	"github.com/doithoai/doithoai/internal/testenv"
	"github.com/doithoai/doithoai/moderation"
)

// The hotline's store names the operation in an internal error, and a
// wrapped NotFound keeps its kind, code and message.
func TestStoreErrorContext(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := testenv.NewDB(t)
	s := NewStore(pool, moderation.NewService(pool, 15*time.Minute, testenv.Logger(t)))

	_, err := s.FindTicketByID(ctx, 424242)
	if e := apperr.As(err); e.Kind != apperr.NotFound || e.Code != "not_found" || e.Message != "no such hotline ticket" {
		t.Fatalf("FindTicketByID of no ticket: %+v, want the NotFound itself", e)
	}
	if _, err := pool.Exec(ctx, `ALTER TABLE hotline_tickets RENAME COLUMN caller TO caller_gone`); err != nil {
		t.Fatal(err)
	}
	_, err = s.FindTicketByID(ctx, 424242)
	if want := "callcenter.Store.FindTicketByID(424242): "; apperr.KindOf(err) != apperr.Internal || !strings.HasPrefix(err.Error(), want) {
		t.Fatalf("FindTicketByID with a broken table: %v, want an internal error starting with %q", err, want)
	}
}
