package callcenter

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/doithoai/doithoai/internal/apperr"
	"github.com/jackc/pgx/v5"
)

// CDRFilter selects call detail records; zero fields match everything.
type CDRFilter struct {
	From, To time.Time
	Outcome  string
	Limit    int
	Offset   int
}

// FindCDRs lists calls newest first, with the total matching count.
func (s *Store) FindCDRs(ctx context.Context, f CDRFilter) (_ []CDR, _ int, err error) {
	defer apperr.Wrap(&err, "callcenter.Store.FindCDRs")
	var where []string
	var args []any
	arg := func(v any) string { args = append(args, v); return "$" + strconv.Itoa(len(args)) }
	if !f.From.IsZero() {
		where = append(where, "started_at >= "+arg(f.From))
	}
	if !f.To.IsZero() {
		where = append(where, "started_at < "+arg(f.To))
	}
	if f.Outcome != "" {
		where = append(where, "outcome = "+arg(f.Outcome))
	}
	cond := ""
	if len(where) > 0 {
		cond = " WHERE " + strings.Join(where, " AND ")
	}
	var total int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM hotline_calls`+cond, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	limit, offset := arg(f.Limit), arg(f.Offset)
	rows, err := s.pool.Query(ctx, `
		SELECT call_id, caller, hotline, transport, started_at, answered_at, ended_at, outcome, hangup_cause,
			language, topic, ivr_path, out_of_hours, agent, queue_wait_ms / 1000.0, ticket_id,
			rtp_received, rtp_lost, rtp_sent
		FROM hotline_calls`+cond+` ORDER BY started_at DESC, id DESC LIMIT `+limit+` OFFSET `+offset, args...)
	if err != nil {
		return nil, 0, err
	}
	cdrs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (CDR, error) {
		var c CDR
		var rx, lost, tx int64
		err := row.Scan(&c.CallID, &c.Caller, &c.Hotline, &c.Transport, &c.StartedAt, &c.AnsweredAt, &c.EndedAt,
			&c.Outcome, &c.HangupCause, &c.Language, &c.Topic, &c.IVRPath, &c.OutOfHours, &c.Agent, &c.QueueWait,
			&c.TicketID, &rx, &lost, &tx)
		c.RTPReceived, c.RTPLost, c.RTPSent = uint64(rx), uint64(lost), uint64(tx)
		return c, err
	})
	return cdrs, total, err
}
