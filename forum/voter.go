package forum

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/doithoai/doithoai/internal/apperr"
	"github.com/doithoai/doithoai/internal/identity"
	"github.com/doithoai/doithoai/internal/web"
)

// Anonymous voters are known by a cookie the server signed, so a client
// cannot mint voters by inventing cookie values; each address has a vote
// budget besides, since anyone can fetch fresh signed cookies.
const (
	voterCookie = "voter"
	voterMaxAge = 365 * 24 * time.Hour
	// Anonymous votes allowed per address per window: generous for a
	// commune behind one carrier address, small for a script.
	voteLimit  = 30
	voteWindow = time.Hour
)

// voterTokens issues and checks the signed voter cookie: a random id and
// an HMAC of it under a key derived from the node's signing key.
type voterTokens struct {
	key    []byte
	secure bool
}

func newVoterTokens(signingKey []byte, secure bool) voterTokens {
	m := hmac.New(sha256.New, signingKey)
	m.Write([]byte("forum voter token v1"))
	return voterTokens{key: m.Sum(nil), secure: secure}
}

func (v voterTokens) mac(id string) string {
	m := hmac.New(sha256.New, v.key)
	m.Write([]byte(id))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:16])
}

// issue returns a new voter id and sets its signed cookie on w.
func (v voterTokens) issue(w http.ResponseWriter) string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	id := base64.RawURLEncoding.EncodeToString(b)
	http.SetCookie(w, &http.Cookie{Name: voterCookie, Value: id + "." + v.mac(id), Path: "/",
		MaxAge: int(voterMaxAge.Seconds()), HttpOnly: true, Secure: v.secure, SameSite: http.SameSiteLaxMode})
	return id
}

// verified returns the voter id of r's cookie if the server signed it.
func (v voterTokens) verified(r *http.Request) (string, bool) {
	c, err := r.Cookie(voterCookie)
	if err != nil {
		return "", false
	}
	id, sig, ok := strings.Cut(c.Value, ".")
	if !ok || id == "" || !hmac.Equal([]byte(sig), []byte(v.mac(id))) {
		return "", false
	}
	return id, true
}

// ensureVoter gives a browser its signed voter cookie before it votes (the
// question page calls it), so that its vote counts as its own.
func (h *Handlers) ensureVoter(w http.ResponseWriter, r *http.Request) {
	if _, ok := identity.From(r.Context()); ok {
		return
	}
	if _, ok := h.voters.verified(r); !ok {
		h.voters.issue(w)
	}
}

// vote records r's vote on question id and returns the count and whether
// it was new. Accounts vote as themselves. An anonymous browser with a
// signed cookie votes as that cookie; one without (cookies off, a script,
// or a cookie the server never signed) votes as its address, so such
// votes count once per address, and is given a signed cookie tied to the
// same vote, so that voting again from it adds nothing. Anonymous votes
// are limited per address.
func (h *Handlers) vote(w http.ResponseWriter, r *http.Request, id int64) (int, bool, error) {
	if u, ok := identity.From(r.Context()); ok {
		return h.svc.Vote(r.Context(), id, "u:"+strconv.FormatInt(u.ID, 10))
	}
	ip := web.ClientIP(r)
	if ok, retry, err := h.limiter.Allow(r.Context(), "vote:ip:"+ip, voteLimit, voteWindow); err == nil && !ok {
		return 0, false, &apperr.Error{Kind: apperr.TooMany, Code: "too_many_votes", Message: "too many votes from your address; try again later", RetryAfter: retry}
	} // an unavailable limiter must not stop citizens from voting
	if voter, ok := h.voters.verified(r); ok {
		return h.svc.Vote(r.Context(), id, "t:"+voter)
	}
	return h.svc.Vote(r.Context(), id, "ip:"+ip, "t:"+h.voters.issue(w))
}
