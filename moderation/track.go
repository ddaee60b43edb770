package moderation

import (
	"context"
	"time"

	"github.com/doithoai/doithoai/internal/apperr"
)

// Look-ups by tracking code are limited per client address, so that codes
// cannot be enumerated: a burst budget for every look-up, and a tighter one
// for misses (a citizen checking their own codes rarely misses; a sweep
// almost always does). A sweep gets at most ~1,000 guesses a day from one
// address, against 9·10^10 hotline and 10^12 web codes. Codes refused by
// CheckCode (a mistyped check digit) cost no look-up and no miss.
const (
	trackLimit  = 20
	trackWindow = time.Minute
	missLimit   = 10
	missWindow  = 15 * time.Minute
)

func errTooManyLookups(retry time.Duration) error {
	return &apperr.Error{Kind: apperr.TooMany, Code: "too_many_lookups", Message: "too many look-ups from your address; try again later", RetryAfter: retry}
}

// LookupByCode runs lookup with the normalized code on behalf of the client
// at address ip, once the code is well formed and ip is within its
// budgets; a NotFound from lookup counts as a miss. Every door that answers
// differently for a code that exists (tracking, reopening) goes through it.
// An unavailable limiter does not stop citizens: it is logged and let pass.
func (s *Service) LookupByCode(ctx context.Context, ip, code string, lookup func(code string) error) (err error) {
	defer apperr.Wrap(&err, "moderation.Service.LookupByCode")
	code = NormalizeCode(code)
	if err := CheckCode(code); err != nil {
		return err
	}
	missKey := "track:miss:" + ip
	if ok, retry, err := s.Limiter.Allow(ctx, "track:ip:"+ip, trackLimit, trackWindow); err != nil {
		s.Log.WarnContext(ctx, "rate limiter unavailable", "err", err)
	} else if !ok {
		return errTooManyLookups(retry)
	}
	if ok, retry, err := s.Limiter.Peek(ctx, missKey, missLimit); err != nil {
		s.Log.WarnContext(ctx, "rate limiter unavailable", "err", err)
	} else if !ok {
		return errTooManyLookups(retry)
	}
	err = lookup(code)
	if apperr.KindOf(err) == apperr.NotFound {
		if _, _, lerr := s.Limiter.Allow(ctx, missKey, missLimit, missWindow); lerr != nil {
			s.Log.WarnContext(ctx, "rate limiter unavailable", "err", lerr)
		}
	}
	return err
}

// Track returns the item of code for the client at address ip, within the
// look-up budgets of LookupByCode.
func (s *Service) Track(ctx context.Context, ip, code string) (_ Item, err error) {
	defer apperr.Wrap(&err, "moderation.Service.Track")
	var it Item
	err = s.LookupByCode(ctx, ip, code, func(code string) (err error) {
		it, err = s.Store.FindItemByTrackingCode(ctx, code)
		return err
	})
	return it, err
}
