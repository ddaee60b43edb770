package livechat

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/doithoai/doithoai/internal/apperr"
	"github.com/doithoai/doithoai/internal/db"
	"github.com/jackc/pgx/v5"
)

func scanSession(row pgx.CollectableRow) (Session, error) {
	var s Session
	err := row.Scan(&s.ID, &s.Title, &s.Description, &s.StartsAt, &s.EndsAt)
	s.URL = fmt.Sprintf("/giao-luu/%d", s.ID)
	s.Room = LiveRoom(s.ID)
	s.setStatus(time.Now())
	return s, err
}

const sessionColumns = `s.id, s.title, s.description, s.starts_at, coalesce(s.ended_at, s.ends_at)`

// FindSessionByID returns a session with its leaders.
func (s *Store) FindSessionByID(ctx context.Context, id int64) (_ Session, err error) {
	defer apperr.Wrap(&err, "livechat.Store.FindSessionByID(%d)", id)
	return findSession(ctx, s.pool, id)
}

func findSession(ctx context.Context, q db.Querier, id int64) (Session, error) {
	rows, err := q.Query(ctx, `SELECT `+sessionColumns+` FROM live_sessions s WHERE s.id = $1`, id)
	if err != nil {
		return Session{}, err
	}
	ss, err := pgx.CollectExactlyOneRow(rows, scanSession)
	if errors.Is(err, pgx.ErrNoRows) {
		return Session{}, apperr.NotFoundf("no such live session")
	}
	if err != nil {
		return Session{}, err
	}
	rows, err = q.Query(ctx, `
		SELECT u.id, u.login, coalesce(nullif(u.display_name, ''), u.login)
		FROM live_session_leaders l JOIN users u ON u.id = l.user_id WHERE l.session_id = $1 ORDER BY u.id`, id)
	if err != nil {
		return Session{}, err
	}
	ss.Leaders, err = pgx.CollectRows(rows, pgx.RowToStructByPos[Leader])
	return ss, err
}

// FindSessions lists sessions, newest start first.
func (s *Store) FindSessions(ctx context.Context, limit int) (_ []Session, err error) {
	defer apperr.Wrap(&err, "livechat.Store.FindSessions")
	rows, err := s.pool.Query(ctx, `SELECT `+sessionColumns+` FROM live_sessions s ORDER BY s.starts_at DESC LIMIT $1`, limit)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, scanSession)
}

// CreateSession schedules a session; every leader login must be a leader
// (or admin) account.
func (s *Store) CreateSession(ctx context.Context, n NewSession, createdBy int64) (_ Session, err error) {
	defer apperr.Wrap(&err, "livechat.Store.CreateSession")
	return s.createSession(ctx, n, createdBy, nil)
}

// createSession is CreateSession with audit (may be nil) called inside its
// transaction once the session has its id.
func (s *Store) createSession(ctx context.Context, n NewSession, createdBy int64, audit func(ctx context.Context, tx pgx.Tx, id int64) error) (Session, error) {
	var id int64
	err := db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		var ids []int64
		for _, login := range n.Leaders {
			var uid int64
			err := tx.QueryRow(ctx, `SELECT id FROM users WHERE lower(login) = lower($1) AND role IN ('leader', 'admin') AND NOT disabled`,
				strings.TrimSpace(login)).Scan(&uid)
			if errors.Is(err, pgx.ErrNoRows) {
				return apperr.Invalidf("unknown_leader", "%q is not a leader's login", login)
			}
			if err != nil {
				return err
			}
			ids = append(ids, uid)
		}
		ends := n.StartsAt.Add(time.Duration(n.DurationMinutes) * time.Minute)
		if err := tx.QueryRow(ctx, `
			INSERT INTO live_sessions (title, description, starts_at, ends_at, created_by)
			VALUES ($1, $2, $3, $4, $5) RETURNING id`, n.Title, n.Description, n.StartsAt, ends, createdBy).Scan(&id); err != nil {
			return err
		}
		for _, uid := range ids {
			if _, err := tx.Exec(ctx, `INSERT INTO live_session_leaders (session_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`, id, uid); err != nil {
				return err
			}
		}
		if audit != nil {
			if err := audit(ctx, tx, id); err != nil {
				return err
			}
		}
		return createRoom(ctx, tx, LiveRoom(id))
	})
	if err != nil {
		return Session{}, err
	}
	return s.FindSessionByID(ctx, id)
}

const questionColumns = `q.id, q.session_id, q.body, q.name, q.status, q.position, q.tracking_code, q.item_id, q.created_at, q.approved_at, q.forum_url, q.recording_url`

func scanQuestion(row pgx.CollectableRow) (Question, error) {
	var q Question
	err := row.Scan(&q.ID, &q.SessionID, &q.Body, &q.Name, &q.Status, &q.Position, &q.TrackingCode, &q.ItemID, &q.CreatedAt, &q.ApprovedAt, &q.ForumURL, &q.RecordingURL)
	return q, err
}

func findQuestion(ctx context.Context, q db.Querier, id int64, lock string) (Question, error) {
	rows, err := q.Query(ctx, `SELECT `+questionColumns+` FROM live_questions q WHERE q.id = $1 `+lock, id)
	if err != nil {
		return Question{}, err
	}
	qu, err := pgx.CollectExactlyOneRow(rows, scanQuestion)
	if errors.Is(err, pgx.ErrNoRows) {
		return Question{}, apperr.NotFoundf("no such question")
	}
	return qu, err
}

// FindQuestions lists a session's questions with their answers: the public
// ones (approved and answered, in running order) or, for moderators, all.
func (s *Store) FindQuestions(ctx context.Context, sessionID int64, all bool) (_ []Question, err error) {
	defer apperr.Wrap(&err, "livechat.Store.FindQuestions(%d)", sessionID)
	rows, err := s.pool.Query(ctx, `SELECT `+questionColumns+` FROM live_questions q
		WHERE q.session_id = $1 AND ($2 OR q.status IN ('approved', 'answered'))
		ORDER BY CASE q.status WHEN 'pending' THEN 0 WHEN 'approved' THEN 1 WHEN 'answered' THEN 1 ELSE 2 END,
			q.position, q.id`, sessionID, all)
	if err != nil {
		return nil, err
	}
	qs, err := pgx.CollectRows(rows, scanQuestion)
	if err != nil {
		return nil, err
	}
	rows, err = s.pool.Query(ctx, `SELECT id, question_id, leader_name, body, created_at FROM live_answers
		WHERE session_id = $1 ORDER BY id`, sessionID)
	if err != nil {
		return nil, err
	}
	answers, err := pgx.CollectRows(rows, pgx.RowToStructByPos[Answer])
	if err != nil {
		return nil, err
	}
	byID := map[int64]int{}
	for i := range qs {
		byID[qs[i].ID] = i
	}
	for _, a := range answers {
		if i, ok := byID[a.QuestionID]; ok {
			qs[i].Answers = append(qs[i].Answers, a)
		}
	}
	return qs, nil
}

// insertQuestion stores a pending question inside tx.
func insertQuestion(ctx context.Context, tx pgx.Tx, sessionID int64, n NewQuestion, code string) (int64, error) {
	var id int64
	err := tx.QueryRow(ctx, `
		INSERT INTO live_questions (session_id, body, name, citizen_id, ip, tracking_code, consent_at)
		VALUES ($1, $2, $3, $4, $5, $6, CASE WHEN $7 THEN now() END) RETURNING id`,
		sessionID, n.Body, n.Name, n.CitizenID, n.IP, code, n.Consent).Scan(&id)
	return id, err
}
