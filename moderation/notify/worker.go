package notify

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Worker sends due rows of the outbox. Every node runs one; they share the
// rows through FOR UPDATE SKIP LOCKED, so no two workers hold one row.
//
// A row is claimed, sent and marked sent in one transaction: if the node
// dies before the gateway took the message, the transaction rolls back and
// another worker sends it. The one window for a second copy is between the
// gateway's acceptance and the commit (an UPDATE and a COMMIT on an open
// connection, milliseconds; the mark is written even when the node is
// stopping). Kannel's delivery reports are not read.
type Worker struct {
	pool    *pgxpool.Pool
	senders map[string]Sender
	Log     *slog.Logger
	// Poll is how often an idle worker looks for due rows.
	Poll time.Duration
	// Batch bounds the rows one pass sends before it looks again.
	Batch int
	// BaseDelay·2^(attempts-1), with ±20 % jitter, capped at MaxDelay, is
	// the wait after a failed attempt.
	BaseDelay, MaxDelay time.Duration
	// MaxAttempts failed attempts make a row dead (shown to admins).
	MaxAttempts int
	// SendTimeout bounds one gateway call.
	SendTimeout time.Duration
	// MaxAge: a row not sent this long after its event is dead, not sent
	// (a gateway configured, or back, after days would otherwise tell
	// citizens stale news).
	MaxAge time.Duration
}

// NewWorker returns a worker for the channels that have a sender (nil
// senders are left out: their rows stay in the outbox).
func NewWorker(pool *pgxpool.Pool, log *slog.Logger, senders map[string]Sender) *Worker {
	s := map[string]Sender{}
	for ch, snd := range senders {
		if snd != nil {
			s[ch] = snd
		}
	}
	return &Worker{pool: pool, senders: s, Log: log, Poll: 5 * time.Second, Batch: 20,
		BaseDelay: 30 * time.Second, MaxDelay: time.Hour, MaxAttempts: 12, SendTimeout: 20 * time.Second,
		MaxAge: 72 * time.Hour}
}

// Channels lists the channels this worker sends.
func (w *Worker) Channels() []string {
	var out []string
	for ch := range w.senders {
		out = append(out, ch)
	}
	return out
}

// Run sends due rows every Poll until ctx ends.
func (w *Worker) Run(ctx context.Context) {
	if len(w.senders) == 0 {
		return
	}
	t := time.NewTicker(w.Poll)
	defer t.Stop()
	for {
		if _, err := w.Expire(ctx); err != nil && ctx.Err() == nil {
			w.Log.Warn("notification outbox", "err", err)
		}
		for i := 0; i < w.Batch; i++ {
			sent, err := w.SendOne(ctx)
			if err != nil && ctx.Err() == nil {
				w.Log.Warn("notification outbox", "err", err)
			}
			if !sent || err != nil {
				break
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// SendOne claims the next due row, hands it to its sender and records the
// outcome, in one transaction. It reports whether a row was handled.
func (w *Worker) SendOne(ctx context.Context) (bool, error) {
	tx, err := w.pool.Begin(ctx)
	if err != nil {
		return false, err
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	var m Message
	var attempts int
	err = tx.QueryRow(ctx, `
		SELECT id, channel, recipient, subject, body, body_html, language, attempts FROM notification_outbox
		WHERE status = 'pending' AND next_attempt_at <= now() AND channel = ANY($1) AND created_at > now() - $2 * interval '1 second'
		ORDER BY next_attempt_at, id LIMIT 1 FOR UPDATE SKIP LOCKED`, w.Channels(), int64(w.MaxAge.Seconds())).
		Scan(&m.ID, &m.Channel, &m.Recipient, &m.Subject, &m.Body, &m.HTML, &m.Language, &attempts)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	sctx, cancel := context.WithTimeout(ctx, w.SendTimeout)
	sendErr := w.senders[m.Channel].Send(sctx, m)
	cancel()
	if sendErr != nil && ctx.Err() != nil {
		// Stopped mid-send: leave the row as it was for the next worker.
		return false, ctx.Err()
	}
	// From here the outcome is recorded even if ctx ends: a message the
	// gateway took must be marked, or it would go out again.
	fin, done := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer done()
	if sendErr == nil {
		if _, err := tx.Exec(fin, `UPDATE notification_outbox SET status = 'sent', sent_at = now(), attempts = attempts + 1, last_error = '' WHERE id = $1`, m.ID); err != nil {
			return false, err
		}
		return true, tx.Commit(fin)
	}
	attempts++
	status, next := "pending", w.backoff(attempts)
	if attempts >= w.MaxAttempts {
		status = "dead"
	}
	msg := sendErr.Error()
	if utf8.RuneCountInString(msg) > 500 {
		msg = string([]rune(msg)[:500])
	}
	if _, err := tx.Exec(fin, `UPDATE notification_outbox SET status = $2, attempts = $3, last_error = $4,
		next_attempt_at = now() + $5 * interval '1 millisecond' WHERE id = $1`, m.ID, status, attempts, msg, max(next.Milliseconds(), 1)); err != nil {
		return false, err
	}
	w.Log.Warn("notification not sent", "id", m.ID, "channel", m.Channel, "attempts", attempts, "status", status, "err", msg)
	return true, tx.Commit(fin)
}

// Expire marks dead the pending rows of this worker's channels older than
// MaxAge, and reports how many.
func (w *Worker) Expire(ctx context.Context) (int64, error) {
	tag, err := w.pool.Exec(ctx, `UPDATE notification_outbox SET status = 'dead', last_error = 'expired: not sent within ' || $3
		WHERE status = 'pending' AND channel = ANY($1) AND created_at <= now() - $2 * interval '1 second'`, w.Channels(), int64(w.MaxAge.Seconds()), w.MaxAge.String())
	return tag.RowsAffected(), err
}

// backoff is the wait after the attempts-th failure.
func (w *Worker) backoff(attempts int) time.Duration {
	d := w.BaseDelay
	for i := 1; i < attempts && d < w.MaxDelay; i++ {
		d *= 2
	}
	d = time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
	return min(d, w.MaxDelay)
}
