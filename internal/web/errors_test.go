package web

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/doithoai/doithoai/internal/apperr"
)

// answer runs err through Error for an API request and returns what the
// client got.
func answer(t *testing.T, err error) (int, string, string) {
	t.Helper()
	w := httptest.NewRecorder()
	Error(w, httptest.NewRequest("GET", "/api/v1/x", nil), err)
	return w.Code, w.Body.String(), w.Header().Get("Retry-After")
}

func wrapped(err error) error {
	apperr.Wrap(&err, "moderation.Store.FindItemByID(%d)", 7)
	apperr.Wrap(&err, "moderation.Service.Act(%d, %q)", 7, "approve")
	return err
}

// Operation context added by apperr.Wrap changes no response: the status,
// the JSON code and message, Retry-After are those of the error it wraps.
func TestErrorWrappedSameResponse(t *testing.T) {
	for _, err := range []error{
		apperr.Invalidf("title_required", "write a title"),
		apperr.New(apperr.Unauthorized, "login_required", "log in first"),
		apperr.Forbiddenf("your role may not do this"),
		apperr.NotFoundf("no such item"),
		apperr.Conflictf("held", "another moderator holds this item"),
		&apperr.Error{Kind: apperr.TooMany, Code: "too_many", Message: "slow down", RetryAfter: 3 * time.Second},
		&apperr.Error{Kind: apperr.Unavailable, Code: "unavailable", Message: "try later"},
		fmt.Errorf("parse: %w", errors.New("boom")),
	} {
		st, body, ra := answer(t, err)
		wst, wbody, wra := answer(t, wrapped(err))
		if st != wst || body != wbody || ra != wra {
			t.Errorf("%v: wrapped answer %d %s %q, unwrapped %d %s %q", err, wst, wbody, wra, st, body, ra)
		}
		if strings.Contains(wbody, "moderation.") {
			t.Errorf("%v: the operation reached the client: %s", err, wbody)
		}
	}
}

// An internal error is logged with its operation and answered with the
// generic message only. Not parallel: it swaps the default logger.
func TestErrorInternalLogsOperation(t *testing.T) {
	var log bytes.Buffer
	old := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&log, nil)))
	t.Cleanup(func() { slog.SetDefault(old) })

	st, body, _ := answer(t, wrapped(errors.New(`relation "directives" does not exist`)))
	if st != 500 || body != `{"error":{"code":"internal","message":"Something went wrong on our side; please try again."}}`+"\n" {
		t.Fatalf("answer %d %s, want the generic internal error", st, body)
	}
	want := `moderation.Service.Act(7, \"approve\"): moderation.Store.FindItemByID(7): relation \"directives\" does not exist`
	if !strings.Contains(log.String(), want) {
		t.Fatalf("log %q does not carry the operation %q", log.String(), want)
	}
}
