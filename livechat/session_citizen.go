package livechat

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/doithoai/doithoai/internal/apperr"
	"github.com/doithoai/doithoai/internal/identity"
	"github.com/doithoai/doithoai/moderation"
	"github.com/jackc/pgx/v5"
)

// A citizen who asked in a session sees their own question listed as
// pending until a moderator decides (others see only approved ones). The
// browser keeps the codes it was given in a cookie scoped to the session's
// page: the page shows only questions whose code this browser holds, so it
// is no oracle for guessed codes.
const (
	askedCookie = "lc_asked"
	maxAsked    = 5
)

func askedPath(sessionID int64) string { return "/giao-luu/" + strconv.FormatInt(sessionID, 10) }

// askedCodes are the well-formed codes the request's browser holds.
func askedCodes(r *http.Request) []string {
	c, err := r.Cookie(askedCookie)
	if err != nil {
		return nil
	}
	var out []string
	for _, code := range strings.Split(c.Value, ".") {
		if code = moderation.NormalizeCode(code); moderation.CheckCode(code) == nil && len(out) < maxAsked {
			out = append(out, code)
		}
	}
	return out
}

// rememberAsked adds code to the browser's list for the session (newest first).
func (s *Service) rememberAsked(w http.ResponseWriter, r *http.Request, sessionID int64, code string) {
	codes := []string{code}
	for _, c := range askedCodes(r) {
		if c != code && len(codes) < maxAsked {
			codes = append(codes, c)
		}
	}
	http.SetCookie(w, &http.Cookie{Name: askedCookie, Value: strings.Join(codes, "."), Path: askedPath(sessionID),
		MaxAge: 30 * 24 * 3600, HttpOnly: true, Secure: s.opts.SecureCookies, SameSite: http.SameSiteLaxMode})
}

// FindOwnPending is the session's questions still waiting for moderation
// among codes (the asker's own).
func (s *Store) FindOwnPending(ctx context.Context, sessionID int64, codes []string) (_ []Question, err error) {
	defer apperr.Wrap(&err, "livechat.Store.FindOwnPending(%d)", sessionID)
	if len(codes) == 0 {
		return nil, nil
	}
	rows, err := s.pool.Query(ctx, `SELECT `+questionColumns+` FROM live_questions q
		WHERE q.session_id = $1 AND q.tracking_code = ANY($2) AND q.status = 'pending' ORDER BY q.id`, sessionID, codes)
	if err != nil {
		return nil, fmt.Errorf("livechat.FindOwnPending: %w", err)
	}
	qs, err := pgx.CollectRows(rows, scanQuestion)
	if err != nil {
		return nil, fmt.Errorf("livechat.FindOwnPending: %w", err)
	}
	return qs, nil
}

// citizenDefaults are a signed-in citizen's name and login (a phone
// number or e-mail address), filled into the question and chat forms.
func citizenDefaults(r *http.Request) (name, login string) {
	u, ok := identity.From(r.Context())
	if !ok || u.Role != identity.RoleCitizen {
		return "", ""
	}
	return u.DisplayName, u.Login
}
