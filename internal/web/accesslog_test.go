package web

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5/middleware"
)

// A client chooses the path and X-Request-Id; neither may put more than a
// bounded line into the log however long it makes them.
func TestAccessLogLinesAreBounded(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	var seenID string
	h := RequestID(AccessLog(log)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seenID = middleware.GetReqID(r.Context())
	})))

	req := httptest.NewRequest(http.MethodGet, "/"+strings.Repeat("a", 60<<10), nil)
	req.Header.Set("X-Request-Id", strings.Repeat("x", 200)+"\n injected=1")
	h.ServeHTTP(httptest.NewRecorder(), req)
	if n := buf.Len(); n > 1024 {
		t.Fatalf("log line of %d bytes for a 60 KB path", n)
	}
	if strings.Contains(buf.String(), "injected") || strings.Contains(seenID, "xxxx") {
		t.Fatalf("the client's request ID was kept: %q", seenID)
	}
	if seenID == "" {
		t.Fatal("no request ID was assigned")
	}

	buf.Reset()
	req = httptest.NewRequest(http.MethodGet, "/tra-cuu", nil)
	req.Header.Set("X-Request-Id", "lb-7f3a.42:1")
	h.ServeHTTP(httptest.NewRecorder(), req)
	if seenID != "lb-7f3a.42:1" || !strings.Contains(buf.String(), "request_id=lb-7f3a.42:1") {
		t.Fatalf("a plausible request ID from the balancer was not kept: %q in %q", seenID, buf.String())
	}
}
