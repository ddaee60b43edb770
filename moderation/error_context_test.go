package moderation

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/doithoai/doithoai/internal/identity"
	"github.com/doithoai/doithoai/internal/testenv"
	"github.com/go-chi/chi/v5"
)

// An internal error in a store method is logged with the method that
// failed (not only the route), and the API still answers with the generic
// JSON error: no statement, column or method name reaches the client.
// Not parallel: it swaps the default logger, which web.Error writes to.
func TestInternalErrorLogsOperation(t *testing.T) {
	pool := testenv.NewDB(t)
	svc := NewService(pool, 15*time.Minute, testenv.Logger(t))
	h, err := NewHandlers(svc, nil)
	if err != nil {
		t.Fatal(err)
	}
	// A real failure of the real statement: the column it reads is gone.
	if _, err := pool.Exec(context.Background(), `ALTER TABLE canned_answers RENAME COLUMN body TO body_gone`); err != nil {
		t.Fatal(err)
	}
	r := chi.NewRouter()
	r.Use(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			u := &identity.User{ID: 1, Login: "kiemduyet", Role: identity.RoleModerator}
			next.ServeHTTP(w, r.WithContext(identity.With(r.Context(), u)))
		})
	})
	h.Routes(r)

	var log bytes.Buffer
	old := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&log, nil)))
	t.Cleanup(func() { slog.SetDefault(old) })

	w := httptest.NewRecorder()
	r.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/api/v1/moderation/canned-answers", nil))
	const generic = `{"error":{"code":"internal","message":"Something went wrong on our side; please try again."}}` + "\n"
	if w.Code != http.StatusInternalServerError || w.Body.String() != generic {
		t.Fatalf("answer %d %s, want 500 %s", w.Code, w.Body.String(), generic)
	}
	line := log.String()
	if !strings.Contains(line, "request failed") || !strings.Contains(line, "path=/api/v1/moderation/canned-answers") {
		t.Fatalf("no request-failed line for the route in the log: %q", line)
	}
	if want := `moderation.Store.FindCannedAnswers: ERROR: column \"body\" does not exist`; !strings.Contains(line, want) {
		t.Fatalf("log %q does not name the operation that failed (%s)", line, want)
	}
}
