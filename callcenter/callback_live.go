package callcenter

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/doithoai/doithoai/internal/apperr"
	"github.com/doithoai/doithoai/internal/db"
	"github.com/doithoai/doithoai/internal/web"
	"github.com/doithoai/doithoai/moderation"
	"github.com/jackc/pgx/v5"
)

// CallbackLive is the kind of a callback task with a leader's answer to a
// question asked by phone during a live dialogue.
const CallbackLive = "live"

// CallbackUnreached is the status of a task given up after every attempt.
const CallbackUnreached = "unreached"

func liveRecordingURL(id int64) string {
	return "/api/v1/hotline/live-questions/" + strconv.FormatInt(id, 10) + "/recording"
}

// LiveSessionNow is the live dialogue on the air, through moderation.
func (s *Store) LiveSessionNow(ctx context.Context) (_ moderation.LiveSessionNow, _ bool, err error) {
	defer apperr.Wrap(&err, "callcenter.Store.LiveSessionNow")
	return s.mod.LiveSessionNow(ctx)
}

// CreateLiveQuestion stores the caller's question and, in the same
// transaction, hands it to the live session through moderation; it returns
// the item's tracking code. errSessionOff: the session left the air
// (nothing was stored).
func (s *Store) CreateLiveQuestion(ctx context.Context, q NewLiveQuestion) (_ string, err error) {
	defer apperr.Wrap(&err, "callcenter.Store.CreateLiveQuestion")
	var code string
	err = db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		var id int64
		if err := tx.QueryRow(ctx, `
			INSERT INTO hotline_live_questions (call_id, caller, hotline, language, session_id, recording_path,
				duration_ms, consent, consent_at, notify)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
			q.CallID, q.Caller, q.Hotline, q.Language, q.SessionID, q.RecordingPath,
			q.Duration.Milliseconds(), q.Consent, q.ConsentAt, q.Notify).Scan(&id); err != nil {
			return err
		}
		secs := int(q.Duration.Round(time.Second).Seconds())
		it, err := s.mod.AcceptPhoneQuestion(ctx, tx, q.SessionID, moderation.PhoneQuestion{
			// The snapshot moderators and viewers read; the recording is the question.
			Text:         fmt.Sprintf("Câu hỏi gọi qua đường dây nóng %s (ghi âm %d giây, ngôn ngữ %s).", q.Hotline, secs, q.Language),
			Caller:       q.Caller,
			Language:     q.Language,
			RecordingURL: liveRecordingURL(id),
			Notify:       q.Notify,
			Meta: map[string]any{"hotline": q.Hotline, "call_id": q.CallID, "consent": q.Consent, "consent_at": q.ConsentAt,
				"duration_seconds": q.Duration.Seconds(), "recording_path": q.RecordingPath, "ivr_path": q.IVRPath},
		})
		if isConflict(err) {
			return errSessionOff
		}
		if err != nil {
			return err
		}
		code = it.TrackingCode
		_, err = tx.Exec(ctx, `UPDATE hotline_live_questions SET item_id = $2 WHERE id = $1`, id, it.ID)
		return err
	})
	if err != nil && !errors.Is(err, errSessionOff) {
		return "", fmt.Errorf("callcenter.CreateLiveQuestion: %w", err)
	}
	return code, err
}

// liveAnswerHandler turns the answer to a phone question (given on the air
// or in the queue) into a callback task, inside the answer's transaction.
type liveAnswerHandler struct {
	hours *liveHours
	now   func() time.Time
}

func (h liveAnswerHandler) PhoneAnswered(ctx context.Context, tx pgx.Tx, it moderation.Item, answer string, actorID int64) error {
	var caller, lang, callID string
	err := tx.QueryRow(ctx, `SELECT caller, language, call_id FROM hotline_live_questions WHERE item_id = $1`, it.ID).Scan(&caller, &lang, &callID)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil // not a hotline question
	}
	if err != nil {
		return fmt.Errorf("callcenter.PhoneAnswered: %w", err)
	}
	if caller == "" {
		return nil // no number to call
	}
	due := h.now()
	if hours := h.hours.get(); !hours.Open(due) {
		due = hours.NextOpening(due)
	}
	_, err = tx.Exec(ctx, `
		INSERT INTO hotline_callbacks (kind, item_id, caller, language, call_id, answer, due_at, created_by)
		VALUES ('live', $1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (item_id) WHERE status = 'open' AND kind = 'live' DO UPDATE SET answer = excluded.answer`,
		it.ID, caller, lang, callID, answer, due, nullID(actorID))
	if err != nil {
		return fmt.Errorf("callcenter.PhoneAnswered: %w", err)
	}
	return nil
}

// handleLiveRecording serves GET /api/v1/hotline/live-questions/{id}/recording
// (moderators and admins): the question a caller recorded for a live dialogue.
func (c *Center) handleLiveRecording(w http.ResponseWriter, r *http.Request) error {
	if !seesPersonalData(actor(r)) {
		return apperr.Forbiddenf("recordings are for moderators and admins")
	}
	id, err := web.PathID(r, "id", "live question")
	if err != nil {
		return err
	}
	var rel string
	err = c.store.pool.QueryRow(r.Context(), `SELECT recording_path FROM hotline_live_questions WHERE id = $1`, id).Scan(&rel)
	if errors.Is(err, pgx.ErrNoRows) {
		return apperr.NotFoundf("no such live question")
	}
	if err != nil {
		return fmt.Errorf("callcenter.handleLiveRecording: %w", err)
	}
	if rel == "" {
		return apperr.NotFoundf("the recording is no longer kept")
	}
	return c.serveAudio(w, r, rel, "live-question-"+strconv.FormatInt(id, 10)+".wav", "the recording is no longer kept")
}

// purgeLiveQuestions is PurgePersonalData for questions asked by phone in
// a live dialogue: once older than before and without an open callback,
// the recording goes (from the blob store), then the caller's number (on the question and
// on its closed callback tasks).
func (c *Center) purgeLiveQuestions(ctx context.Context, before time.Time) (int, error) {
	rows, err := c.store.pool.Query(ctx, `
		SELECT q.id, q.recording_path FROM hotline_live_questions q
		WHERE q.created_at < $1 AND (q.recording_path <> '' OR q.caller <> '')
		  AND NOT EXISTS (SELECT 1 FROM hotline_callbacks cb WHERE cb.item_id = q.item_id AND cb.status = 'open')
		LIMIT 1000`, before)
	if err != nil {
		return 0, fmt.Errorf("callcenter.purgeLiveQuestions: %w", err)
	}
	type old struct {
		ID   int64
		Path string
	}
	olds, err := pgx.CollectRows(rows, pgx.RowToStructByPos[old])
	if err != nil {
		return 0, fmt.Errorf("callcenter.purgeLiveQuestions: %w", err)
	}
	for _, o := range olds {
		// the recording first, as for tickets
		if err := deleteRecording(ctx, c.cfg, o.Path); err != nil {
			return 0, fmt.Errorf("callcenter.purgeLiveQuestions: %w", err)
		}
		if _, err := c.store.pool.Exec(ctx, `UPDATE hotline_live_questions SET recording_path = '', caller = '' WHERE id = $1`, o.ID); err != nil {
			return 0, fmt.Errorf("callcenter.purgeLiveQuestions: %w", err)
		}
	}
	if _, err := c.store.pool.Exec(ctx, `UPDATE hotline_callbacks SET caller = '' WHERE kind = 'live' AND status <> 'open' AND created_at < $1 AND caller <> ''`, before); err != nil {
		return 0, fmt.Errorf("callcenter.purgeLiveQuestions: %w", err)
	}
	return len(olds), nil
}
