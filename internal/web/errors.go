package web

import (
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/doithoai/doithoai/internal/apperr"
	"github.com/go-chi/chi/v5/middleware"
)

// Status maps an error kind to its HTTP status.
func Status(k apperr.Kind) int {
	switch k {
	case apperr.Invalid:
		return http.StatusBadRequest
	case apperr.Unauthorized:
		return http.StatusUnauthorized
	case apperr.Forbidden:
		return http.StatusForbidden
	case apperr.NotFound:
		return http.StatusNotFound
	case apperr.Conflict:
		return http.StatusConflict
	case apperr.TooMany:
		return http.StatusTooManyRequests
	case apperr.Unavailable:
		return http.StatusServiceUnavailable
	default:
		return http.StatusInternalServerError
	}
}

// WantsJSON reports whether the client should get a JSON error rather than a
// page: every /api/ path, and any request that asks for JSON.
func WantsJSON(r *http.Request) bool {
	return strings.HasPrefix(r.URL.Path, "/api/") || strings.Contains(r.Header.Get("Accept"), "application/json")
}

// Error answers r with err: a JSON error body on the API, a readable page
// elsewhere. Internal errors are logged with the request ID and shown only as
// a generic message, never a stack trace.
func Error(w http.ResponseWriter, r *http.Request, err error) {
	e := apperr.As(err)
	status := Status(e.Kind)
	if e.Kind == apperr.Internal {
		slog.ErrorContext(r.Context(), "request failed", "err", err, "path", r.URL.Path, "request_id", middleware.GetReqID(r.Context()))
	}
	if e.Kind == apperr.TooMany && e.RetryAfter > 0 {
		secs := int(e.RetryAfter.Seconds() + 0.999)
		w.Header().Set("Retry-After", strconv.Itoa(secs))
	}
	if WantsJSON(r) {
		JSON(w, status, map[string]any{"error": map[string]string{"code": e.Code, "message": e.Message}})
		return
	}
	renderErrorPage(w, r, status, e)
}

// Handler is an http.HandlerFunc that returns its error instead of writing
// it, so every failure goes through Error.
type Handler func(w http.ResponseWriter, r *http.Request) error

func (h Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := h(w, r); err != nil {
		Error(w, r, err)
	}
}

// NotFound is the router's 404 for unknown paths.
func NotFound(w http.ResponseWriter, r *http.Request) {
	Error(w, r, &apperr.Error{Kind: apperr.NotFound, Code: "not_found", Message: "no such page or API path"})
}

// MethodNotAllowed is the router's 405.
func MethodNotAllowed(w http.ResponseWriter, r *http.Request) {
	if WantsJSON(r) {
		JSON(w, http.StatusMethodNotAllowed, map[string]any{"error": map[string]string{"code": "method_not_allowed", "message": r.Method + " is not allowed here"}})
		return
	}
	renderErrorPage(w, r, http.StatusMethodNotAllowed, &apperr.Error{Code: "method_not_allowed", Message: r.Method + " is not allowed here"})
}
