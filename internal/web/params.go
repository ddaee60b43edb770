package web

import (
	"net/http"
	"strconv"

	"github.com/doithoai/doithoai/internal/apperr"
	"github.com/go-chi/chi/v5"
)

// PathID reads a positive integer id from the route parameter name; an
// absent or malformed one is a NotFound ("no such <what>"), since no such
// resource can exist.
func PathID(r *http.Request, name, what string) (int64, error) {
	id, err := strconv.ParseInt(chi.URLParam(r, name), 10, 64)
	if err != nil || id <= 0 {
		return 0, apperr.NotFoundf("no such %s", what)
	}
	return id, nil
}
