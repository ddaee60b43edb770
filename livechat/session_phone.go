package livechat

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/doithoai/doithoai/internal/apperr"
	"github.com/doithoai/doithoai/moderation"
	"github.com/jackc/pgx/v5"
)

// phoneIntake lets the hotline put a caller's recorded question to the
// live dialogue on the air, through moderation (the hotline does not know
// livechat). The question is an ordinary pending question: moderators
// approve it in the queue or on the desk, and the desk plays its recording.
type phoneIntake struct{ s *Service }

// PhoneIntake is livechat's moderation.LiveIntake; New registers it on the queue.
func (s *Service) PhoneIntake() moderation.LiveIntake { return phoneIntake{s} }

// LiveSessionNow returns the session on the air now (started, not ended),
// the latest started when several overlap.
func (p phoneIntake) LiveSessionNow(ctx context.Context) (moderation.LiveSessionNow, bool, error) {
	var ls moderation.LiveSessionNow
	err := p.s.store.pool.QueryRow(ctx, `
		SELECT id, title FROM live_sessions
		WHERE starts_at <= now() AND coalesce(ended_at, ends_at) > now()
		ORDER BY starts_at DESC, id DESC LIMIT 1`).Scan(&ls.ID, &ls.Title)
	if errors.Is(err, pgx.ErrNoRows) {
		return ls, false, nil
	}
	if err != nil {
		return ls, false, fmt.Errorf("livechat.LiveSessionNow: %w", err)
	}
	return ls, true, nil
}

// AcceptPhoneQuestion stores the phone question and enqueues its item
// inside the hotline's transaction tx. A session that is not on the air
// (ended while the caller spoke, or not started) refuses it: the hotline
// then keeps the question as an ordinary ticket.
func (p phoneIntake) AcceptPhoneQuestion(ctx context.Context, tx pgx.Tx, sessionID int64, q moderation.PhoneQuestion) (moderation.Item, error) {
	ss, err := findSession(ctx, tx, sessionID)
	if err != nil {
		return moderation.Item{}, fmt.Errorf("livechat.AcceptPhoneQuestion: %w", err)
	}
	if ss.Status != SessionLive {
		return moderation.Item{}, apperr.Conflictf("session_not_live", "this live dialogue is not on the air")
	}
	if q.Text == "" || q.RecordingURL == "" {
		return moderation.Item{}, apperr.Invalidf("bad_phone_question", "a phone question needs its text and recording")
	}
	// A numeric code: a caller can type it on the hotline to hear the status.
	code := moderation.NewNumericCode()
	var qid int64
	if err := tx.QueryRow(ctx, `
		INSERT INTO live_questions (session_id, body, tracking_code, consent_at, recording_url)
		VALUES ($1, $2, $3, now(), $4) RETURNING id`, sessionID, q.Text, code, q.RecordingURL).Scan(&qid); err != nil {
		return moderation.Item{}, fmt.Errorf("livechat.AcceptPhoneQuestion: %w", err)
	}
	meta := map[string]any{"session_id": sessionID, "recording_url": q.RecordingURL, "caller": q.Caller, "via": "hotline"}
	for k, v := range q.Meta {
		meta[k] = v
	}
	it, err := p.s.queue.Enqueue(ctx, tx, moderation.NewItem{
		Source: moderation.SourceLiveQuestion, Ref: strconv.FormatInt(qid, 10), TrackingCode: code,
		Title: ss.Title, Content: q.Text, Contact: q.Caller, Phone: q.Caller, Language: q.Language,
		Meta: meta, URL: ss.URL,
	})
	if err != nil {
		return moderation.Item{}, fmt.Errorf("livechat.AcceptPhoneQuestion: %w", err)
	}
	if _, err := tx.Exec(ctx, `UPDATE live_questions SET item_id = $2, tracking_code = $3 WHERE id = $1`, qid, it.ID, it.TrackingCode); err != nil {
		return moderation.Item{}, fmt.Errorf("livechat.AcceptPhoneQuestion: %w", err)
	}
	return it, nil
}
