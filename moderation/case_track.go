package moderation

import (
	"context"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/doithoai/doithoai/internal/apperr"
	"github.com/doithoai/doithoai/internal/db"
	"github.com/jackc/pgx/v5"
)

// MaxCitizenReply bounds a citizen's reply to a request for information.
const MaxCitizenReply = 5000

// Replies to a request for information are limited per client address on
// top of the look-up budgets: a citizen answers once or twice, a script
// flooding the queue through a code it holds gets no further than this.
const (
	replyLimit  = 5
	replyWindow = 15 * time.Minute
)

// TrackingView is the citizen's view of it with what belongs to its code:
// for a merged duplicate, the item it was merged into (so its asker reads
// that answer, also when it comes later); for a case, every item under it.
// Other items' tracking codes are never shown: each is its asker's secret.
// It also lists what the citizen was told (the notifications outbox).
func (s *Service) TrackingView(ctx context.Context, it Item) (_ Tracking, err error) {
	defer apperr.Wrap(&err, "moderation.Service.TrackingView(%d)", it.ID)
	t := TrackingOf(it)
	if t.Notifications, err = s.Notices(ctx, it); err != nil {
		return t, err
	}
	target := it
	for hops := 0; target.Status == StatusMerged && target.MergedInto != nil && hops < 5; hops++ {
		next, err := s.Store.FindItemByID(ctx, *target.MergedInto)
		if err != nil {
			return t, err
		}
		target = next
	}
	if target.ID != it.ID {
		m := TrackingOf(target)
		m.Code = ""
		t.MergedInto = &m
		t.Answer = m.Answer
	}
	items, err := s.Store.FindCase(ctx, it)
	if err != nil {
		return t, err
	}
	if len(items) > 1 {
		for _, c := range items {
			ct := TrackingOf(c)
			ct.Current = c.ID == it.ID
			if !ct.Current {
				ct.Code = ""
			}
			t.Case = append(t.Case, ct)
		}
	}
	return t, nil
}

// TrackCase is Track followed by TrackingView.
func (s *Service) TrackCase(ctx context.Context, ip, code string) (_ Item, _ Tracking, err error) {
	defer apperr.Wrap(&err, "moderation.Service.TrackCase")
	it, err := s.Track(ctx, ip, code)
	if err != nil {
		return it, Tracking{}, err
	}
	t, err := s.TrackingView(ctx, it)
	return it, t, err
}

// CitizenReply records the citizen's answer to a moderator's request for
// more information, on behalf of whoever holds the code (the case's
// secret) from address ip: the reply is appended to the item's content and
// to its audit log, and the item goes back to the status it had when the
// information was asked for, its assignee kept, so the same moderator
// takes it up again.
func (s *Service) CitizenReply(ctx context.Context, ip, code, body string) (_ Item, err error) {
	defer apperr.Wrap(&err, "moderation.Service.CitizenReply")
	body, err = checkReply(body)
	if err != nil {
		return Item{}, err
	}
	if ok, retry, err := s.Limiter.Allow(ctx, "track:reply:"+ip, replyLimit, replyWindow); err != nil {
		s.Log.WarnContext(ctx, "rate limiter unavailable", "err", err)
	} else if !ok {
		return Item{}, &apperr.Error{Kind: apperr.TooMany, Code: "too_many_replies", Message: "too many replies from your address; try again later", RetryAfter: retry}
	}
	var out Item
	err = s.LookupByCode(ctx, ip, code, func(code string) error {
		return db.InTx(ctx, s.pool, func(tx pgx.Tx) (err error) {
			it, err := findItem(ctx, tx, `i.tracking_code = $1 FOR UPDATE OF i`, code)
			if err != nil {
				return err
			}
			out, err = citizenReplied(ctx, tx, it, body)
			return err
		})
	})
	return out, err
}

// checkReply trims a citizen's reply and checks it.
func checkReply(body string) (string, error) {
	body = strings.TrimSpace(body)
	switch {
	case !utf8.ValidString(body) || strings.ContainsRune(body, 0):
		return "", apperr.Invalidf("invalid_utf8", "text is not valid UTF-8")
	case body == "":
		return "", apperr.Invalidf("body_required", "write your reply")
	case utf8.RuneCountInString(body) > MaxCitizenReply:
		return "", apperr.Invalidf("too_long", "the reply is longer than %d characters", MaxCitizenReply)
	}
	return body, nil
}

// citizenReplied records body as the citizen's reply to the request for
// information on it (locked FOR UPDATE by the caller, inside tx): the
// item goes back to the status it had when the information was asked for,
// its assignee kept. The tracking page and an SMS reply both come here.
func citizenReplied(ctx context.Context, tx pgx.Tx, it Item, body string) (Item, error) {
	if it.Status != StatusInfoRequested {
		return Item{}, apperr.Conflictf("no_info_requested", "no information was asked for on this submission")
	}
	// Back to where it was when the moderator asked (pending or
	// approved): the state machine's open states.
	back := StatusPending
	var was *string
	if err := tx.QueryRow(ctx, `SELECT before->>'status' FROM moderation_audit
		WHERE item_id = $1 AND action = $2 ORDER BY id DESC LIMIT 1`, it.ID, ActionRequestInfo).Scan(&was); err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return Item{}, err
	}
	if was != nil && *was == StatusApproved {
		back = StatusApproved
	}
	before := snapshot(it)
	if _, err := tx.Exec(ctx, `
		UPDATE moderation_items SET status = $2, content = content || E'\n\n— ' || $3 || E'\n' || $4, updated_at = now()
		WHERE id = $1`, it.ID, back, "Trả lời của công dân / Citizen's reply:", body); err != nil {
		return Item{}, err
	}
	out, err := findItem(ctx, tx, `i.id = $1`, it.ID)
	if err != nil {
		return Item{}, err
	}
	if err := appendAudit(ctx, tx, it.ID, it.CitizenID, "citizen_reply", body, before, snapshot(out)); err != nil {
		return Item{}, err
	}
	return out, notify(ctx, tx, out, "citizen_replied")
}
