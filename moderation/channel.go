package moderation

import (
	"context"
	"errors"

	"github.com/doithoai/doithoai/internal/apperr"
	"github.com/jackc/pgx/v5"
)

// Reopen puts an answered item back in the queue at the citizen's request
// (inside the channel's transaction), unassigned and with a fresh due time.
func (s *Service) Reopen(ctx context.Context, tx pgx.Tx, src Source, ref string, citizenID *int64, reason string) (Item, error) {
	it, err := findItem(ctx, tx, `i.source = $1 AND i.ref = $2 FOR UPDATE OF i`, string(src), ref)
	if err != nil {
		return Item{}, err
	}
	if it.Status != StatusAnswered {
		return Item{}, apperr.Conflictf("bad_state", "only an answered item can be reopened")
	}
	before := snapshot(it)
	if _, err := tx.Exec(ctx, `
		UPDATE moderation_items SET status = 'approved', assignee_id = NULL, lease_expires_at = NULL,
			reason = $2, due_at = $3, updated_at = now()
		WHERE id = $1`, it.ID, reason, s.CurrentSLA().DueAt(src, it.Priority, s.now())); err != nil {
		return Item{}, err
	}
	out, err := findItem(ctx, tx, `i.id = $1`, it.ID)
	if err != nil {
		return Item{}, err
	}
	if err := appendAudit(ctx, tx, it.ID, citizenID, "reopen", reason, before, snapshot(out)); err != nil {
		return Item{}, err
	}
	if err := s.record(ctx, tx, EventReopened, out, ""); err != nil {
		return Item{}, err
	}
	return out, notify(ctx, tx, out, "reopened")
}

// Directive is a leader's instruction on an item.
type Directive struct {
	ID         int64   `json:"id"`
	ItemID     int64   `json:"item_id"`
	Leader     string  `json:"leader"`
	LeaderName string  `json:"leader_name"` // for pages; Leader is the login
	Note       string  `json:"note"`
	Department string  `json:"department,omitempty"`
	Deadline   *string `json:"deadline,omitempty"`
	Status     string  `json:"status"`
	CreatedAt  string  `json:"created_at"`
}

// FindDirectives lists an item's directives, oldest first.
func (s *Store) FindDirectives(ctx context.Context, itemID int64) ([]Directive, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT d.id, d.item_id, u.login, coalesce(nullif(u.display_name, ''), u.login), d.note, coalesce(d.department, ''),
			to_char(d.deadline AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), d.status,
			to_char(d.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
		FROM directives d JOIN users u ON u.id = d.leader_id
		WHERE d.item_id = $1 ORDER BY d.id`, itemID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[Directive])
}

// CannedAnswer is a reusable answer text.
type CannedAnswer struct {
	ID       int64  `json:"id"`
	Title    string `json:"title"`
	Body     string `json:"body"`
	Language string `json:"language"`
}

// FindCannedAnswers lists canned answers.
func (s *Store) FindCannedAnswers(ctx context.Context) ([]CannedAnswer, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, title, body, language FROM canned_answers ORDER BY title`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[CannedAnswer])
}

// CreateCannedAnswer adds one.
func (s *Store) CreateCannedAnswer(ctx context.Context, c CannedAnswer) (CannedAnswer, error) {
	if c.Title == "" || c.Body == "" {
		return c, apperr.Invalidf("bad_canned_answer", "a canned answer needs a title and a body")
	}
	if c.Language == "" {
		c.Language = "vi"
	}
	err := s.pool.QueryRow(ctx, `INSERT INTO canned_answers (title, body, language) VALUES ($1, $2, $3) RETURNING id`,
		c.Title, c.Body, c.Language).Scan(&c.ID)
	return c, err
}

// Department is a route target.
type Department struct {
	Slug              string `json:"slug"`
	Name              string `json:"name"`
	HandlesComplaints bool   `json:"handles_complaints"`
}

// FindDepartments lists departments.
func (s *Store) FindDepartments(ctx context.Context) ([]Department, error) {
	rows, err := s.pool.Query(ctx, `SELECT slug, name, handles_complaints FROM departments ORDER BY name`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[Department])
}

// ComplaintDepartment returns the department that handles complaints and
// denunciations, if one is configured.
func ComplaintDepartment(ctx context.Context, tx pgx.Tx) (string, error) {
	var slug string
	err := tx.QueryRow(ctx, `SELECT slug FROM departments WHERE handles_complaints ORDER BY slug LIMIT 1`).Scan(&slug)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	return slug, err
}

// Seed adds demo departments and canned answers (idempotent).
func Seed(ctx context.Context, tx pgx.Tx) error {
	_, err := tx.Exec(ctx, `
		INSERT INTO departments (slug, name, handles_complaints) VALUES
			('tiep-cong-dan', 'Ban Tiếp công dân', true),
			('tai-nguyen-moi-truong', 'Sở Tài nguyên và Môi trường', false),
			('lao-dong-xa-hoi', 'Sở Lao động – Thương binh và Xã hội', false),
			('dan-toc', 'Ban Dân tộc', false)
		ON CONFLICT (slug) DO NOTHING`)
	if err != nil {
		return err
	}
	var n int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM canned_answers`).Scan(&n); err != nil || n > 0 {
		return err
	}
	_, err = tx.Exec(ctx, `
		INSERT INTO canned_answers (title, body, language) VALUES
			('Đã chuyển cơ quan chuyên môn', 'Cảm ơn bạn đã gửi câu hỏi. Chúng tôi đã chuyển đến cơ quan chuyên môn và sẽ trả lời trong thời gian sớm nhất.', 'vi'),
			('Cần thêm thông tin', 'Để trả lời chính xác, xin bạn cho biết thêm: địa chỉ (xã, huyện) và thời gian xảy ra sự việc.', 'vi'),
			('Thank you', 'Thank you for your question. It has been passed to the competent office, which will answer soon.', 'en')`)
	return err
}

// AnsweredInChannel records, inside the channel's transaction, that an item
// was answered in the channel itself (a leader answering a live-session
// question on the air): the item becomes answered with the answer text and
// the audit log says who answered. An item already closed is left alone.
func (s *Service) AnsweredInChannel(ctx context.Context, tx pgx.Tx, src Source, ref string, actorID int64, body string) error {
	it, err := findItem(ctx, tx, `i.source = $1 AND i.ref = $2 FOR UPDATE OF i`, string(src), ref)
	if err != nil {
		return err
	}
	if !it.Open() {
		return nil
	}
	before := snapshot(it)
	if _, err := tx.Exec(ctx, `
		UPDATE moderation_items SET status = 'answered', answer = $2, answered_at = now(),
			first_response_at = coalesce(first_response_at, now()), lease_expires_at = NULL, updated_at = now()
		WHERE id = $1`, it.ID, body); err != nil {
		return err
	}
	out, err := findItem(ctx, tx, `i.id = $1`, it.ID)
	if err != nil {
		return err
	}
	if err := appendAudit(ctx, tx, it.ID, &actorID, ActionAnswer, body, before, snapshot(out)); err != nil {
		return err
	}
	// The citizen is told as for an answer given in the queue (nothing is
	// recorded unless they chose notifications).
	if err := s.record(ctx, tx, EventAnswered, out, body); err != nil {
		return err
	}
	if err := s.phoneAnswered(ctx, tx, out, body, actorID); err != nil {
		return err
	}
	return notify(ctx, tx, out, ActionAnswer)
}
