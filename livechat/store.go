package livechat

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/doithoai/doithoai/internal/apperr"
	"github.com/doithoai/doithoai/internal/db"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Store is livechat's PostgreSQL storage. Public methods open their own
// transaction (or use the pool); private helpers take a db.Querier or a
// pgx.Tx so that they compose inside one.
type Store struct {
	pool *pgxpool.Pool
}

// NewStore returns a store on pool.
func NewStore(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

// newMessage is a message to store.
type newMessage struct {
	Room       string
	Kind       string
	Body       string
	Author     string
	AuthorRole string
	AuthorID   *int64
	Sender     string // "u:{user}" or "c:{conversation}", scopes ClientID
	ClientID   string // optional idempotency key
	Data       any    // marshalled into data when not nil
}

// errDuplicate is returned by appendMessage when (room, sender, client_id)
// was stored before; the existing message comes back with it and the
// caller's transaction must roll back (its seq increment is void).
var errDuplicate = errors.New("livechat: message already stored")

// createRoom makes room's sequence exist (idempotent).
func createRoom(ctx context.Context, q db.Querier, room string) error {
	_, err := q.Exec(ctx, `INSERT INTO chat_rooms (room) VALUES ($1) ON CONFLICT DO NOTHING`, room)
	return err
}

// appendMessage stores m with the next seq of its room. Locking the room's
// row orders concurrent senders, so commit order is seq order.
func appendMessage(ctx context.Context, tx pgx.Tx, m newMessage) (Message, error) {
	var clientID *string
	if m.ClientID != "" {
		clientID = &m.ClientID
		// Lock the room, then look for an earlier copy: two resends of one
		// client_id serialize on the lock and the second finds the first.
		var prev *int64
		err := tx.QueryRow(ctx, `
			SELECT (SELECT seq FROM chat_messages WHERE room = $1 AND sender = $2 AND client_id = $3)
			FROM chat_rooms WHERE room = $1 FOR UPDATE`, m.Room, m.Sender, m.ClientID).Scan(&prev)
		if errors.Is(err, pgx.ErrNoRows) {
			return Message{}, apperr.NotFoundf("no such room")
		}
		if err != nil {
			return Message{}, fmt.Errorf("lock room %s: %w", m.Room, err)
		}
		if prev != nil {
			msgs, err := listMessages(ctx, tx, m.Room, *prev-1, 1)
			if err != nil || len(msgs) == 0 {
				return Message{}, fmt.Errorf("find duplicate: %v", err)
			}
			return msgs[0], errDuplicate
		}
	}
	var data []byte
	if m.Data != nil {
		var err error
		if data, err = json.Marshal(m.Data); err != nil {
			return Message{}, err
		}
	}
	out := Message{Type: frameMessage, Room: m.Room, Kind: m.Kind, Body: m.Body, Author: m.Author, AuthorRole: m.AuthorRole, Data: data}
	err := tx.QueryRow(ctx, `
		WITH s AS (UPDATE chat_rooms SET last_seq = last_seq + 1 WHERE room = $1 RETURNING last_seq)
		INSERT INTO chat_messages (room, seq, kind, body, author, author_role, author_id, sender, client_id, data)
		SELECT $1, s.last_seq, $2, $3, $4, $5, $6, $7, $8, $9 FROM s
		RETURNING seq, created_at`,
		m.Room, m.Kind, m.Body, m.Author, m.AuthorRole, m.AuthorID, m.Sender, clientID, data).Scan(&out.Seq, &out.At)
	if errors.Is(err, pgx.ErrNoRows) {
		return Message{}, apperr.NotFoundf("no such room")
	}
	if err != nil {
		return Message{}, fmt.Errorf("store message in %s: %w", m.Room, err)
	}
	out.At = out.At.UTC()
	return out, nil
}

// listMessages returns up to limit messages of room with seq > after, in order.
func listMessages(ctx context.Context, q db.Querier, room string, after int64, limit int) ([]Message, error) {
	rows, err := q.Query(ctx, `
		SELECT room, seq, kind, body, author, author_role, created_at, data
		FROM chat_messages WHERE room = $1 AND seq > $2 ORDER BY seq LIMIT $3`, room, after, limit)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (Message, error) {
		m := Message{Type: frameMessage}
		var data []byte
		err := row.Scan(&m.Room, &m.Seq, &m.Kind, &m.Body, &m.Author, &m.AuthorRole, &m.At, &data)
		m.At = m.At.UTC()
		if len(data) > 0 {
			m.Data = data
		}
		return m, err
	})
}

// ListMessages returns up to limit messages of room after seq after.
func (s *Store) ListMessages(ctx context.Context, room string, after int64, limit int) (_ []Message, err error) {
	defer apperr.Wrap(&err, "livechat.Store.ListMessages")
	return listMessages(ctx, s.pool, room, after, limit)
}

// LastSeqs returns the last seq of each known room in rooms.
func (s *Store) LastSeqs(ctx context.Context, rooms []string) (_ map[string]int64, err error) {
	defer apperr.Wrap(&err, "livechat.Store.LastSeqs")
	rows, err := s.pool.Query(ctx, `SELECT room, last_seq FROM chat_rooms WHERE room = ANY($1)`, rooms)
	if err != nil {
		return nil, err
	}
	type rs struct {
		Room    string
		LastSeq int64
	}
	list, err := pgx.CollectRows(rows, pgx.RowToStructByPos[rs])
	if err != nil {
		return nil, err
	}
	out := make(map[string]int64, len(list))
	for _, r := range list {
		out[r.Room] = r.LastSeq
	}
	return out, nil
}

// LastSeq returns the last seq of room; ok is false when the room does not exist.
func (s *Store) LastSeq(ctx context.Context, room string) (seq int64, ok bool, err error) {
	defer apperr.Wrap(&err, "livechat.Store.LastSeq")
	err = s.pool.QueryRow(ctx, `SELECT last_seq FROM chat_rooms WHERE room = $1`, room).Scan(&seq)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, false, nil
	}
	return seq, err == nil, err
}
