package forum

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"
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
// an HMAC of it under a key derived from the node's signing key. The key
// is asked for on first use (it may live in the database, which a node may
// be started before migrating) and kept once known.
type voterTokens struct {
	source func(context.Context) ([]byte, error)
	secure bool
	mu     sync.Mutex
	key    []byte // derived from source's key; nil until first known
}

func (v *voterTokens) derivedKey(ctx context.Context) ([]byte, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.key != nil {
		return v.key, nil
	}
	k, err := v.source(ctx)
	if err != nil {
		return nil, err
	}
	if len(k) < 32 {
		return nil, errors.New("forum: the signing key must have at least 32 bytes")
	}
	m := hmac.New(sha256.New, k)
	m.Write([]byte("forum voter token v1"))
	v.key = m.Sum(nil)
	return v.key, nil
}

func mac(key []byte, id string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:16])
}

// issue returns a new voter id and sets its signed cookie on w.
func (v *voterTokens) issue(ctx context.Context, w http.ResponseWriter) (string, error) {
	key, err := v.derivedKey(ctx)
	if err != nil {
		return "", err
	}
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	id := base64.RawURLEncoding.EncodeToString(b)
	http.SetCookie(w, &http.Cookie{Name: voterCookie, Value: id + "." + mac(key, id), Path: "/",
		MaxAge: int(voterMaxAge.Seconds()), HttpOnly: true, Secure: v.secure, SameSite: http.SameSiteLaxMode})
	return id, nil
}

// verified returns the voter id of r's cookie if the server signed it.
func (v *voterTokens) verified(r *http.Request) (string, bool, error) {
	c, err := r.Cookie(voterCookie)
	if err != nil {
		return "", false, nil
	}
	id, sig, ok := strings.Cut(c.Value, ".")
	if !ok || id == "" {
		return "", false, nil
	}
	key, err := v.derivedKey(r.Context())
	if err != nil {
		return "", false, err
	}
	return id, hmac.Equal([]byte(sig), []byte(mac(key, id))), nil
}

// ensureVoter gives a browser its signed voter cookie before it votes (the
// question page calls it), so that its vote counts as its own. Without the
// key (database not ready) the page is served all the same.
func (h *Handlers) ensureVoter(w http.ResponseWriter, r *http.Request) {
	if _, ok := identity.From(r.Context()); ok {
		return
	}
	_, ok, err := h.voters.verified(r)
	if err == nil && !ok {
		_, err = h.voters.issue(r.Context(), w)
	}
	if err != nil {
		h.svc.log.WarnContext(r.Context(), "no voter cookie issued", "err", err)
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
	voter, ok, err := h.voters.verified(r)
	if err != nil {
		return 0, false, err
	}
	if ok {
		return h.svc.Vote(r.Context(), id, "t:"+voter)
	}
	if voter, err = h.voters.issue(r.Context(), w); err != nil {
		return 0, false, err
	}
	return h.svc.Vote(r.Context(), id, "ip:"+ip, "t:"+voter)
}
