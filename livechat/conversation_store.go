package livechat

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"strings"

	"github.com/doithoai/doithoai/internal/apperr"
	"github.com/doithoai/doithoai/internal/db"
	"github.com/doithoai/doithoai/internal/i18n"
	"github.com/jackc/pgx/v5"
)

const convColumns = `c.id, c.citizen_id, c.name, c.topic, c.language, c.status, c.operator_id,
	coalesce(nullif(u.display_name, ''), u.login, ''), c.created_at, c.accepted_at, c.closed_at, c.rating, c.tracking_code`

func scanConversation(row pgx.CollectableRow) (Conversation, error) {
	var c Conversation
	var rating *int16
	err := row.Scan(&c.ID, &c.CitizenID, &c.Name, &c.Topic, &c.Language, &c.Status, &c.OperatorID,
		&c.Operator, &c.CreatedAt, &c.AcceptedAt, &c.ClosedAt, &rating, &c.TrackingCode)
	if rating != nil {
		r := int(*rating)
		c.Rating = &r
	}
	c.Room = ConvRoom(c.ID)
	return c, err
}

func findConversation(ctx context.Context, q db.Querier, id int64, lock string) (Conversation, error) {
	rows, err := q.Query(ctx, `SELECT `+convColumns+`
		FROM chat_conversations c LEFT JOIN users u ON u.id = c.operator_id
		WHERE c.id = $1 `+lock, id)
	if err != nil {
		return Conversation{}, err
	}
	c, err := pgx.CollectExactlyOneRow(rows, scanConversation)
	if errors.Is(err, pgx.ErrNoRows) {
		return Conversation{}, apperr.NotFoundf("no such conversation")
	}
	return c, err
}

// FindConversationByID returns conversation id.
func (s *Store) FindConversationByID(ctx context.Context, id int64) (_ Conversation, err error) {
	defer apperr.Wrap(&err, "livechat.Store.FindConversationByID(%d)", id)
	return findConversation(ctx, s.pool, id, "")
}

// CreateConversation opens a waiting conversation and its room, and returns
// it with the citizen's token (shown once, never stored).
func (s *Store) CreateConversation(ctx context.Context, n NewConversation) (_ Conversation, _ string, err error) {
	defer apperr.Wrap(&err, "livechat.Store.CreateConversation")
	token := newToken()
	var c Conversation
	err = db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		var id int64
		if err := tx.QueryRow(ctx, `
			INSERT INTO chat_conversations (token_hash, citizen_id, name, topic, language, ip, consent_at, contact, notify, case_code)
			VALUES ($1, $2, $3, $4, $5, $6, CASE WHEN $7 THEN now() END, $8, $9, $10) RETURNING id`,
			hashToken(token), n.CitizenID, n.Name, n.Topic, n.Language, n.IP, n.consented(), n.Phone, n.Notify, n.CaseCode).Scan(&id); err != nil {
			return err
		}
		if err := createRoom(ctx, tx, ConvRoom(id)); err != nil {
			return err
		}
		var err error
		c, err = findConversation(ctx, tx, id, "")
		return err
	})
	return c, token, err
}

// CheckConversationToken reports whether token opens conversation id.
func (s *Store) CheckConversationToken(ctx context.Context, id int64, token string) (_ bool, err error) {
	defer apperr.Wrap(&err, "livechat.Store.CheckConversationToken(%d)", id)
	var h []byte
	err = s.pool.QueryRow(ctx, `SELECT token_hash FROM chat_conversations WHERE id = $1`, id).Scan(&h)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return subtle.ConstantTimeCompare(h, hashToken(token)) == 1, nil
}

// WaitingConversations lists the queue, oldest first, with positions.
func (s *Store) WaitingConversations(ctx context.Context) (_ []QueueItem, err error) {
	defer apperr.Wrap(&err, "livechat.Store.WaitingConversations")
	rows, err := s.pool.Query(ctx, `
		SELECT id, name, topic, created_at, row_number() OVER (ORDER BY created_at, id)::int
		FROM chat_conversations WHERE status = 'waiting' ORDER BY created_at, id LIMIT 200`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[QueueItem])
}

// ActiveConversations lists the conversations operatorID is in (all
// active ones when operatorID is 0).
func (s *Store) ActiveConversations(ctx context.Context, operatorID int64) (_ []Conversation, err error) {
	defer apperr.Wrap(&err, "livechat.Store.ActiveConversations(%d)", operatorID)
	rows, err := s.pool.Query(ctx, `SELECT `+convColumns+`
		FROM chat_conversations c LEFT JOIN users u ON u.id = c.operator_id
		WHERE c.status = 'active' AND ($1 = 0 OR c.operator_id = $1) ORDER BY c.accepted_at`, operatorID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, scanConversation)
}

// acceptConversation makes operatorID the conversation's operator, inside tx.
func acceptConversation(ctx context.Context, tx pgx.Tx, id, operatorID int64, operatorName string) (Message, error) {
	c, err := findConversation(ctx, tx, id, "FOR UPDATE OF c")
	if err != nil {
		return Message{}, err
	}
	if c.Status != ConvWaiting {
		return Message{}, apperr.Conflictf("not_waiting", "this conversation is %s: another operator took it or it ended", c.Status)
	}
	if _, err := tx.Exec(ctx, `UPDATE chat_conversations SET status = 'active', operator_id = $2, accepted_at = now() WHERE id = $1`, id, operatorID); err != nil {
		return Message{}, err
	}
	return appendMessage(ctx, tx, newMessage{Room: ConvRoom(id), Kind: KindAccepted, Body: operatorName,
		Author: operatorName, AuthorRole: "operator", AuthorID: &operatorID, Sender: fmt.Sprintf("u:%d", operatorID)})
}

// transcript renders a conversation's messages as plain text for the
// moderation snapshot and the archive.
func transcript(msgs []Message) string {
	var b strings.Builder
	for _, m := range msgs {
		if m.Kind != KindText && m.Kind != KindAnswer {
			continue
		}
		who := m.Author
		if who == "" {
			who = m.AuthorRole
		}
		fmt.Fprintf(&b, "[%s] %s: %s\n", m.At.In(i18n.Vietnam).Format("02/01 15:04"), who, m.Body)
	}
	return b.String()
}

// allMessages reads every message of a room (conversations are short).
func allMessages(ctx context.Context, q db.Querier, room string) ([]Message, error) {
	var out []Message
	after := int64(0)
	for {
		page, err := listMessages(ctx, q, room, after, replayPage)
		if err != nil {
			return nil, err
		}
		out = append(out, page...)
		if len(page) < replayPage {
			return out, nil
		}
		after = page[len(page)-1].Seq
	}
}
