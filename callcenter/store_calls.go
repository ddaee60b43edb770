package callcenter

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/doithoai/doithoai/internal/apperr"
	"github.com/doithoai/doithoai/internal/db"
	"github.com/doithoai/doithoai/internal/i18n"
	"github.com/doithoai/doithoai/internal/identity"
	"github.com/doithoai/doithoai/moderation"
	"github.com/jackc/pgx/v5"
)

// callNote is what an operator wrote on the desk about one call.
type callNote struct {
	Summary  string
	Answer   string
	AuthorID *int64
}

// lockCall serialises the end of a bridged call (ticket creation) with a
// note saved on the desk at the same moment, so the note lands either in
// the notes table before the ticket reads it or on the ticket itself.
func lockCall(ctx context.Context, tx pgx.Tx, callID string) error {
	_, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('hotline_call:' || $1, 0))`, callID)
	return err
}

// createCallTicket is CreateTicket for a call an operator answered: the
// notes written on the desk during the call become the ticket's summary
// and, when the operator settled the question on the phone, its answer.
func (s *Store) createCallTicket(ctx context.Context, t NewTicket) (Ticket, error) {
	var out Ticket
	var note callNote
	var itemID int64
	err := db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		if err := lockCall(ctx, tx, t.CallID); err != nil {
			return err
		}
		err := tx.QueryRow(ctx, `DELETE FROM hotline_call_notes WHERE call_id = $1 RETURNING summary, answer, author_id`, t.CallID).
			Scan(&note.Summary, &note.Answer, &note.AuthorID)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		consentAt := t.ConsentAt
		if consentAt.IsZero() {
			consentAt = t.ReceivedAt
		}
		err = tx.QueryRow(ctx, `
			INSERT INTO hotline_tickets (call_id, caller, hotline, language, topic, category, recording_path,
				duration_ms, consent, consent_at, ivr_path, out_of_hours, created_at, agent, summary, phone_answer, notify)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, false, $12, $13, $14, $15, $16)
			RETURNING id`,
			t.CallID, t.Caller, t.Hotline, t.Language, t.Topic, t.Category, t.RecordingPath,
			t.Duration.Milliseconds(), t.Consent, consentAt, t.IVRPath, t.ReceivedAt, t.Agent, note.Summary, note.Answer, t.Notify,
		).Scan(&out.ID)
		if err != nil {
			return err
		}
		it, err := s.mod.Enqueue(ctx, tx, callTicketItem(out.ID, t, note))
		if err != nil {
			return err
		}
		out.Number, itemID = it.TrackingCode, it.ID
		_, err = tx.Exec(ctx, `UPDATE hotline_tickets SET number = $2, item_id = $3 WHERE id = $1`, out.ID, it.TrackingCode, it.ID)
		return err
	})
	if err != nil {
		return Ticket{}, err
	}
	s.replyByPhone(ctx, t, out.Number)
	if note.Answer == "" {
		return out, nil
	}
	// The answer goes through the moderation service, so the item is
	// answered by the operator in the audit log like any other answer.
	// It is kept on the ticket (phone_answer) whatever happens here.
	return out, s.answerAsOperator(ctx, itemID, note.AuthorID, t.Agent, note.Answer)
}

// answerAsOperator claims and answers item itemID as the desk user who
// wrote the answer (or, if that account is gone, the agent's).
func (s *Store) answerAsOperator(ctx context.Context, itemID int64, authorID *int64, agentLogin, answer string) error {
	u, err := s.operator(ctx, authorID, agentLogin)
	if err != nil {
		return err
	}
	it, err := s.mod.Store.FindItemByID(ctx, itemID)
	if err != nil {
		return err
	}
	if !it.Open() {
		return nil
	}
	if !it.HeldBy(u.ID, time.Now()) {
		if _, err := s.mod.Act(ctx, u, itemID, moderation.ActionClaim, moderation.ActionInput{}); err != nil {
			return err
		}
	}
	_, err = s.mod.Act(ctx, u, itemID, moderation.ActionAnswer, moderation.ActionInput{Body: answer})
	return err
}

func (s *Store) operator(ctx context.Context, id *int64, login string) (*identity.User, error) {
	u := &identity.User{}
	err := s.pool.QueryRow(ctx, `SELECT id, login, role FROM users WHERE (id = $1 OR ($1 IS NULL AND lower(login) = lower($2))) AND NOT disabled`,
		id, login).Scan(&u.ID, &u.Login, &u.Role)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("hotline: no operator account for %q", login)
	}
	return u, err
}

// callTicketItem is the moderation snapshot of an operator-answered call.
func callTicketItem(id int64, t NewTicket, note callNote) moderation.NewItem {
	n := ticketItem(id, t)
	when := t.ReceivedAt.In(i18n.Vietnam).Format("02/01/2006 15:04")
	n.Title = fmt.Sprintf("Cuộc gọi đường dây nóng %s (%s), %s trả lời", when, t.Topic, t.Agent)
	n.Content = callTicketContent(t, note.Summary)
	if t.RecordingPath == "" {
		n.Meta["recording_url"] = ""
	}
	n.Meta["agent"] = t.Agent
	n.Meta["summary"] = note.Summary
	n.Meta["phone_answer"] = note.Answer
	return n
}

// callTicketContent is the item's text: the operator's summary, or a
// sentence saying there is none (an item needs content).
func callTicketContent(t NewTicket, summary string) string {
	facts := fmt.Sprintf("Đường dây nóng %s, chủ đề %q, ngôn ngữ %s, dài %d giây.",
		t.Hotline, t.Topic, t.Language, int(t.Duration.Round(time.Second).Seconds()))
	if t.RecordingPath == "" {
		facts += " Không ghi âm (người gọi không đồng ý)."
	}
	if summary == "" {
		return fmt.Sprintf("Cuộc gọi do %s trả lời, không có tóm tắt. %s", t.Agent, facts)
	}
	return fmt.Sprintf("Cuộc gọi do %s trả lời. %s\nTóm tắt: %s", t.Agent, facts, summary)
}

// SaveCallNote stores what actor wrote about call callID on the desk.
// During the call it waits in hotline_call_notes for the ticket; after the
// call it updates the ticket and its item (an "amend" audit entry), and an
// answer is given through the moderation service. An empty field leaves
// what was saved before.
func (s *Store) SaveCallNote(ctx context.Context, callID string, actor *identity.User, summary, answer string) (err error) {
	defer apperr.Wrap(&err, "callcenter.Store.SaveCallNote(%q)", callID)
	var ticketID, itemID *int64
	var t NewTicket
	var oldAnswer string
	err = db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		if err := lockCall(ctx, tx, callID); err != nil {
			return err
		}
		var oldSummary string
		var durMS int64
		err := tx.QueryRow(ctx, `
			SELECT id, item_id, agent, hotline, topic, language, recording_path, duration_ms, summary, phone_answer
			FROM hotline_tickets WHERE call_id = $1 AND agent <> '' ORDER BY id DESC LIMIT 1`, callID).
			Scan(&ticketID, &itemID, &t.Agent, &t.Hotline, &t.Topic, &t.Language, &t.RecordingPath, &durMS, &oldSummary, &oldAnswer)
		if errors.Is(err, pgx.ErrNoRows) {
			_, err = tx.Exec(ctx, `
				INSERT INTO hotline_call_notes (call_id, summary, answer, author_id) VALUES ($1, $2, $3, $4)
				ON CONFLICT (call_id) DO UPDATE SET
					summary = coalesce(nullif(excluded.summary, ''), hotline_call_notes.summary),
					answer = coalesce(nullif(excluded.answer, ''), hotline_call_notes.answer),
					author_id = excluded.author_id, updated_at = now()`, callID, summary, answer, actor.ID)
			return err
		}
		if err != nil {
			return err
		}
		t.Duration = time.Duration(durMS) * time.Millisecond
		if summary == "" || summary == oldSummary {
			summary = ""
		} else {
			if _, err := tx.Exec(ctx, `UPDATE hotline_tickets SET summary = $2 WHERE id = $1`, *ticketID, summary); err != nil {
				return err
			}
			if itemID != nil {
				if _, err := s.mod.Amend(ctx, tx, *itemID, actor.ID, callTicketContent(t, summary), map[string]any{"summary": summary}); err != nil {
					return err
				}
			}
		}
		if answer != "" && oldAnswer == "" {
			_, err = tx.Exec(ctx, `UPDATE hotline_tickets SET phone_answer = $2 WHERE id = $1`, *ticketID, answer)
		}
		return err
	})
	if err != nil || ticketID == nil || itemID == nil || answer == "" || oldAnswer != "" {
		return err
	}
	return s.answerAsOperator(ctx, *itemID, &actor.ID, t.Agent, answer)
}

// CallKnown reports whether an operator-answered call callID has a ticket
// (the desk accepts notes only for live calls and such tickets).
func (s *Store) CallKnown(ctx context.Context, callID string) (_ bool, err error) {
	defer apperr.Wrap(&err, "callcenter.Store.CallKnown(%q)", callID)
	var ok bool
	err = s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM hotline_tickets WHERE call_id = $1 AND agent <> '')`, callID).Scan(&ok)
	return ok, err
}

// CallNote returns what was written so far about a live call.
func (s *Store) CallNote(ctx context.Context, callID string) (summary, answer string, err error) {
	defer apperr.Wrap(&err, "callcenter.Store.CallNote(%q)", callID)
	err = s.pool.QueryRow(ctx, `SELECT summary, answer FROM hotline_call_notes WHERE call_id = $1`, callID).Scan(&summary, &answer)
	if errors.Is(err, pgx.ErrNoRows) {
		err = nil
	}
	return summary, answer, err
}

// OperatorCall is a recent operator-answered call's ticket, for the desk.
type OperatorCall struct {
	TicketID int64
	Number   string
	CallID   string
	Agent    string
	Caller   string
	Language string
	Topic    string
	Summary  string
	Answer   string
	At       time.Time
}

// FindOperatorCalls lists the tickets of operator-answered calls made
// since since, newest first.
func (s *Store) FindOperatorCalls(ctx context.Context, since time.Time, limit int) (_ []OperatorCall, err error) {
	defer apperr.Wrap(&err, "callcenter.Store.FindOperatorCalls")
	rows, err := s.pool.Query(ctx, `
		SELECT id, coalesce(number, ''), call_id, agent, caller, language, topic, summary, phone_answer, created_at
		FROM hotline_tickets WHERE agent <> '' AND created_at >= $1 ORDER BY created_at DESC, id DESC LIMIT $2`, since, limit)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[OperatorCall])
}

// CreateAbandonedCallback implements callStore.
func (s *Store) CreateAbandonedCallback(ctx context.Context, a AbandonedCall) (err error) {
	defer apperr.Wrap(&err, "callcenter.Store.CreateAbandonedCallback")
	if a.Caller == "" {
		return apperr.Invalidf("no_caller", "an abandoned call without a number cannot be called back")
	}
	_, err = s.pool.Exec(ctx, `
		INSERT INTO hotline_callbacks (kind, call_id, caller, language, topic, answer, due_at, created_at)
		VALUES ('abandoned', $1, $2, $3, $4, '', $5, $6)`, a.CallID, a.Caller, a.Language, a.Topic, a.Due, a.At)
	return err
}
