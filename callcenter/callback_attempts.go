package callcenter

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/doithoai/doithoai/internal/apperr"
	"github.com/doithoai/doithoai/internal/db"
	"github.com/doithoai/doithoai/internal/web"
	"github.com/jackc/pgx/v5"
)

// Defaults of the callback settings (README: HOTLINE_CALLBACK_*).
const (
	defaultCallbackAttempts = 3
	defaultCallbackGrace    = 4 * time.Hour
)

// Outcomes of a callback attempt.
const (
	AttemptNoAnswer = "no_answer"
	AttemptBusy     = "busy"
	AttemptDone     = "done"
)

func validOutcome(o string) bool { return o == AttemptNoAnswer || o == AttemptBusy || o == AttemptDone }

// CallbackAttempt is one try at phoning the citizen back: who, when, how
// it went.
type CallbackAttempt struct {
	ID         int64     `json:"id"`
	CallbackID int64     `json:"callback_id"`
	Outcome    string    `json:"outcome"`
	Note       string    `json:"note"`
	By         *string   `json:"by"`
	At         time.Time `json:"at"`
}

const maxAttemptNote = 2000

// RecordCallbackAttempt records an attempt on the open task id by actorID.
// "done" closes the task; the maxAttempts-th attempt that did not reach
// the citizen gives it up ("unreached"): the item's citizen gets the
// answer by SMS if they chose notifications, otherwise the moderators get
// a note on the item. A task that is not open is a Conflict, and nothing
// is recorded.
func (s *Store) RecordCallbackAttempt(ctx context.Context, id, actorID int64, outcome, note string, maxAttempts int) (_ Callback, err error) {
	defer apperr.Wrap(&err, "callcenter.Store.RecordCallbackAttempt(%d, %q)", id, outcome)
	note = strings.TrimSpace(note)
	switch {
	case !validOutcome(outcome):
		return Callback{}, apperr.Invalidf("bad_outcome", "outcome is no_answer, busy or done")
	case !utf8.ValidString(note):
		return Callback{}, apperr.Invalidf("invalid_utf8", "text is not valid UTF-8")
	case utf8.RuneCountInString(note) > maxAttemptNote:
		return Callback{}, apperr.Invalidf("note_too_long", "the note is longer than %d characters", maxAttemptNote)
	}
	err = db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		var status, answer string
		var attempts int
		var itemID *int64
		err := tx.QueryRow(ctx, `
			SELECT c.status, c.answer, c.attempts, coalesce(c.item_id, t.item_id)
			FROM hotline_callbacks c LEFT JOIN hotline_tickets t ON t.id = c.ticket_id
			WHERE c.id = $1 FOR UPDATE OF c`, id).Scan(&status, &answer, &attempts, &itemID)
		if errors.Is(err, pgx.ErrNoRows) {
			return apperr.NotFoundf("no such callback")
		}
		if err != nil {
			return err
		}
		if status != CallbackOpen {
			return apperr.Conflictf("already_done", "this callback is already %s", status)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO hotline_callback_attempts (callback_id, outcome, note, by_id) VALUES ($1, $2, $3, $4)`,
			id, outcome, note, nullID(actorID)); err != nil {
			return err
		}
		attempts++
		switch {
		case outcome == AttemptDone:
			_, err = tx.Exec(ctx, `UPDATE hotline_callbacks SET status = 'done', attempts = $2, done_by = $3, done_at = now(), note = $4 WHERE id = $1`,
				id, attempts, nullID(actorID), note)
			return err
		case attempts < maxAttempts:
			_, err = tx.Exec(ctx, `UPDATE hotline_callbacks SET attempts = $2 WHERE id = $1`, id, attempts)
			return err
		}
		// Given up: the answer goes another way.
		how := ""
		if itemID != nil {
			rows, err := tx.Query(ctx, `SELECT outcome FROM hotline_callback_attempts WHERE callback_id = $1 ORDER BY id`, id)
			if err != nil {
				return err
			}
			outcomes, err := pgx.CollectRows(rows, pgx.RowTo[string])
			if err != nil {
				return err
			}
			if how, err = s.mod.CallbackUnreached(ctx, tx, *itemID, answer, outcomes); err != nil {
				return err
			}
		}
		_, err = tx.Exec(ctx, `UPDATE hotline_callbacks SET status = 'unreached', attempts = $2, done_at = now(), note = $3 WHERE id = $1`,
			id, attempts, how)
		return err
	})
	if err != nil {
		return Callback{}, fmt.Errorf("callcenter.RecordCallbackAttempt: %w", err)
	}
	return s.FindCallback(ctx, id)
}

// FindCallback returns one task with its attempts.
func (s *Store) FindCallback(ctx context.Context, id int64) (_ Callback, err error) {
	defer apperr.Wrap(&err, "callcenter.Store.FindCallback(%d)", id)
	rows, err := s.pool.Query(ctx, `SELECT `+callbackColumns+callbackFrom+`WHERE c.id = $1`, id)
	if err != nil {
		return Callback{}, err
	}
	cb, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByPos[Callback])
	if errors.Is(err, pgx.ErrNoRows) {
		return cb, apperr.NotFoundf("no such callback")
	}
	if err != nil {
		return cb, err
	}
	list := []Callback{cb}
	err = s.fillAttempts(ctx, list)
	return list[0], err
}

// fillAttempts sets the attempt log of every task in cbs (one query).
func (s *Store) fillAttempts(ctx context.Context, cbs []Callback) error {
	if len(cbs) == 0 {
		return nil
	}
	ids := make([]int64, len(cbs))
	for i, cb := range cbs {
		ids[i] = cb.ID
	}
	rows, err := s.pool.Query(ctx, `
		SELECT a.id, a.callback_id, a.outcome, a.note, u.login, a.at
		FROM hotline_callback_attempts a LEFT JOIN users u ON u.id = a.by_id
		WHERE a.callback_id = ANY($1) ORDER BY a.id`, ids)
	if err != nil {
		return err
	}
	all, err := pgx.CollectRows(rows, pgx.RowToStructByPos[CallbackAttempt])
	if err != nil {
		return err
	}
	by := map[int64][]CallbackAttempt{}
	for _, a := range all {
		by[a.CallbackID] = append(by[a.CallbackID], a)
	}
	for i := range cbs {
		cbs[i].AttemptLog = by[cbs[i].ID]
	}
	return nil
}

// attemptInput reads {outcome, note} from JSON or the desk's form.
type attemptInput struct {
	Outcome string `json:"outcome"`
	Note    string `json:"note"`
}

// handleCallbackAttempt serves POST /api/v1/hotline/callbacks/{id}/attempts
// {outcome: no_answer|busy|done, note?} (moderators and admins): 200 with
// the task and its attempts.
func (c *Center) handleCallbackAttempt(w http.ResponseWriter, r *http.Request) error {
	u := actor(r)
	if !seesPersonalData(u) {
		return apperr.Forbiddenf("only moderators record callback attempts")
	}
	id, err := web.PathID(r, "id", "callback")
	if err != nil {
		return err
	}
	var in attemptInput
	if err := web.DecodeJSON(w, r, &in); err != nil {
		return err
	}
	cb, err := c.store.RecordCallbackAttempt(r.Context(), id, u.ID, in.Outcome, in.Note, c.cfg.CallbackAttempts)
	if err != nil {
		return err
	}
	web.JSON(w, http.StatusOK, cb)
	return nil
}

// handleCallbackAttemptIndex serves GET /api/v1/hotline/callbacks/{id}/attempts.
func (c *Center) handleCallbackAttemptIndex(w http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id", "callback")
	if err != nil {
		return err
	}
	cb, err := c.store.FindCallback(r.Context(), id)
	if err != nil {
		return err
	}
	if cb.AttemptLog == nil {
		cb.AttemptLog = []CallbackAttempt{}
	}
	web.JSON(w, http.StatusOK, map[string]any{"attempts": cb.AttemptLog, "max_attempts": c.cfg.CallbackAttempts})
	return nil
}

// handleDeskCallbackAttempt serves POST /hotline/callbacks/{id}/attempts,
// the desk's form (outcome buttons, optional note).
func (c *Center) handleDeskCallbackAttempt(w http.ResponseWriter, r *http.Request) error {
	u := actor(r)
	if !seesPersonalData(u) {
		return apperr.Forbiddenf("only moderators record callback attempts")
	}
	id, err := web.PathID(r, "id", "callback")
	if err != nil {
		return err
	}
	if _, err := c.store.RecordCallbackAttempt(r.Context(), id, u.ID, r.PostFormValue("outcome"), r.PostFormValue("note"), c.cfg.CallbackAttempts); err != nil {
		return err
	}
	http.Redirect(w, r, "/hotline?attempt=1#callback-"+strconv.FormatInt(id, 10), http.StatusSeeOther)
	return nil
}
