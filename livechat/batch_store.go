package livechat

import (
	"context"
	"fmt"
	"time"

	"github.com/doithoai/doithoai/internal/apperr"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// The three statements of a batch of chat lines, sent as one pgx.Batch:
// one round trip and one implicit transaction (a single Sync), so either
// every accepted line of the batch is stored or none is.
//
// Locks first, in one order (conversations by id, then rooms by name),
// the order the single-line writers use too (accept and close lock the
// conversation, then its room): no deadlock, and a close waits for the
// lines ahead of it or they see it closed. The insert is a statement of
// its own so that its snapshot, taken once the locks are held, sees
// whatever a concurrent batch committed before us: its seqs and its
// client_ids (a resend on another node is found, not stored twice).
const (
	lockLineConversationsSQL = `SELECT id FROM chat_conversations WHERE id = ANY($1) ORDER BY id FOR SHARE`
	lockLineRoomsSQL         = `SELECT room FROM chat_rooms WHERE room = ANY($1) ORDER BY room FOR UPDATE`

	// Each input line gets an outcome; the 'ok' ones take their room's next
	// seqs in input order and are inserted, and the rooms' counters move
	// past them in the same statement.
	insertLinesSQL = `
WITH input AS (
	SELECT * FROM unnest($1::int[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::text[], $8::text[], $9::bool[])
		AS t(i, conv, body, author, author_role, author_id, sender, client_id, operator)
), checked AS (
	SELECT n.i, 'conv:' || n.conv AS room, n.body, n.author_role, n.author_id, n.sender, n.client_id,
		CASE WHEN n.operator THEN n.author ELSE coalesce(c.name, '') END AS author,
		CASE WHEN c.id IS NULL OR r.room IS NULL THEN 'not_found'
			WHEN c.status = 'closed' THEN 'closed'
			WHEN n.operator AND c.status <> 'active' THEN 'not_accepted'
			WHEN p.seq IS NOT NULL THEN 'duplicate'
			ELSE 'ok' END AS outcome,
		r.last_seq, p.seq AS prev_seq
	FROM input n
	LEFT JOIN chat_conversations c ON c.id = n.conv
	LEFT JOIN chat_rooms r ON r.room = 'conv:' || n.conv
	LEFT JOIN chat_messages p ON p.room = 'conv:' || n.conv AND p.sender = n.sender AND p.client_id = n.client_id
), numbered AS (
	SELECT checked.*, last_seq + row_number() OVER (PARTITION BY room ORDER BY i) AS seq
	FROM checked WHERE outcome = 'ok'
), ins AS (
	INSERT INTO chat_messages (room, seq, kind, body, author, author_role, author_id, sender, client_id)
	SELECT room, seq, 'text', body, author, author_role, author_id, sender, client_id FROM numbered
), up AS (
	UPDATE chat_rooms r SET last_seq = m.last
	FROM (SELECT room, max(seq) AS last FROM numbered GROUP BY room) m WHERE r.room = m.room
)
SELECT c.i, c.outcome, coalesce(nb.seq, c.prev_seq, 0), c.author, now()
FROM checked c LEFT JOIN numbered nb ON nb.i = c.i
ORDER BY c.i`
)

// storeLines stores reqs (no two with the same room, sender and client_id)
// in one transaction and says what became of each, in order. An error
// means the transaction did not commit: nothing of it is stored.
func storeLines(ctx context.Context, pool *pgxpool.Pool, reqs []*lineReq) ([]lineResult, error) {
	n := len(reqs)
	var (
		idx      = make([]int32, n)
		convs    = make([]int64, n)
		bodies   = make([]string, n)
		authors  = make([]string, n)
		roles    = make([]string, n)
		authorID = make([]*int64, n)
		senders  = make([]string, n)
		clients  = make([]*string, n)
		operator = make([]bool, n)
		rooms    = make([]string, 0, n)
		ids      = make([]int64, 0, n)
		inRooms  = make(map[string]bool, n)
	)
	for i, r := range reqs {
		idx[i], convs[i], operator[i] = int32(i), r.conv, r.operator
		bodies[i], authors[i], roles[i], authorID[i], senders[i] = r.m.Body, r.m.Author, r.m.AuthorRole, r.m.AuthorID, r.m.Sender
		if r.m.ClientID != "" {
			clients[i] = &r.m.ClientID
		}
		if !inRooms[r.m.Room] {
			inRooms[r.m.Room] = true
			rooms, ids = append(rooms, r.m.Room), append(ids, r.conv)
		}
	}
	var b pgx.Batch
	b.Queue(lockLineConversationsSQL, ids)
	b.Queue(lockLineRoomsSQL, rooms)
	b.Queue(insertLinesSQL, idx, convs, bodies, authors, roles, authorID, senders, clients, operator)
	br := pool.SendBatch(ctx, &b)
	out := make([]lineResult, n)
	err := readLineResults(br, reqs, out)
	// Close reads up to the Sync, which comes after the commit: only a nil
	// here says the lines are stored.
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

func readLineResults(br pgx.BatchResults, reqs []*lineReq, out []lineResult) error {
	for _, what := range []string{"lock conversations", "lock rooms"} {
		if _, err := br.Exec(); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
	}
	rows, err := br.Query()
	if err != nil {
		return fmt.Errorf("insert lines: %w", err)
	}
	defer rows.Close()
	got := 0
	for rows.Next() {
		var (
			i       int32
			outcome string
			seq     int64
			author  string
			at      time.Time
		)
		if err := rows.Scan(&i, &outcome, &seq, &author, &at); err != nil {
			return fmt.Errorf("read stored lines: %w", err)
		}
		if int(i) >= len(reqs) {
			return fmt.Errorf("read stored lines: line %d of %d", i, len(reqs))
		}
		r := reqs[i]
		m := Message{Type: frameMessage, Room: r.m.Room, Seq: seq, Kind: KindText, Body: r.m.Body,
			Author: author, AuthorRole: r.m.AuthorRole, At: at.UTC()}
		switch outcome {
		case "ok":
			out[i] = lineResult{m: m}
		case "duplicate":
			out[i] = lineResult{m: m, dup: true}
		case "closed":
			out[i] = lineResult{err: apperr.Conflictf("closed", "this conversation has ended")}
		case "not_accepted":
			out[i] = lineResult{err: apperr.Conflictf("not_accepted", "accept the conversation before writing in it")}
		default:
			out[i] = lineResult{err: apperr.NotFoundf("no such room")}
		}
		got++
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("insert lines: %w", err)
	}
	if got != len(reqs) {
		return fmt.Errorf("insert lines: %d outcomes for %d lines", got, len(reqs))
	}
	return nil
}
