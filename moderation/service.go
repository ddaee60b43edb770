package moderation

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/doithoai/doithoai/internal/apperr"
	"github.com/doithoai/doithoai/internal/db"
	"github.com/doithoai/doithoai/internal/ratelimit"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// notifyChannel is the PostgreSQL NOTIFY channel of queue changes. NOTIFY
// is transactional: listeners hear of an item only once it is committed,
// and every node hears it, with or without Redis.
const notifyChannel = "moderation_items"

// Service is the queue's behaviour. Handlers must be registered before the
// node serves; the map is read-only afterwards, so it needs no lock.
type Service struct {
	pool  *pgxpool.Pool
	Store *Store
	SLA   SLA
	Lease time.Duration
	Log   *slog.Logger
	// Limiter limits look-ups by tracking code (track.go): in memory by
	// default, the deployment's shared one (Redis) when the node sets it.
	Limiter ratelimit.Limiter
	// Outbox, when set, records the citizen's notifications in the
	// transaction of each status change (outbox.go).
	Outbox Outbox
	// SMSInboundToken (SMS_INBOUND_TOKEN) guards /api/v1/sms/inbound, the
	// gateway's delivery of citizens' SMS replies; empty: disabled.
	SMSInboundToken string
	// CategoryNames, when set, names categories on pages (labels.go).
	CategoryNames CategoryNames
	handlers      map[Source]ChannelHandler
	// publisher publishes channels' answers on the forum (publish.go).
	publisher AnswerPublisher
	// live and phoneAnswers join a live dialogue and the hotline
	// (live_intake.go).
	live         LiveIntake
	phoneAnswers PhoneAnswerHandler
	now          func() time.Time
	// sla is SLA with what admins saved applied (ReloadSettings); nil
	// until the first reload.
	sla atomic.Pointer[SLA]
	// claimed sends "claimed" events after their claims commit
	// (claim_notify.go).
	claimed *afterCommit
}

// NewService returns the queue service.
func NewService(pool *pgxpool.Pool, lease time.Duration, log *slog.Logger) *Service {
	return &Service{pool: pool, Store: NewStore(pool), SLA: DefaultSLA(), Lease: lease, Log: log,
		Limiter: ratelimit.NewMemory(), handlers: map[Source]ChannelHandler{}, now: time.Now,
		claimed: &afterCommit{pool: pool, log: log}}
}

// RegisterHandler routes decisions on items of src back to their channel.
func (s *Service) RegisterHandler(src Source, h ChannelHandler) { s.handlers[src] = h }

// Enqueue adds an item inside the channel's transaction tx, so the
// channel's row and the queue item are committed together or not at all.
func (s *Service) Enqueue(ctx context.Context, tx pgx.Tx, n NewItem) (_ Item, err error) {
	defer apperr.Wrap(&err, "moderation.Service.Enqueue(%s, %q)", n.Source, n.Ref)
	if !n.Source.Valid() {
		return Item{}, apperr.Invalidf("bad_source", "unknown source %q", n.Source)
	}
	if n.Ref == "" || n.Content == "" {
		return Item{}, apperr.Invalidf("bad_item", "an item needs a reference and content")
	}
	if n.Kind == "" {
		n.Kind = KindQuestion
	}
	if n.Status == "" {
		n.Status = StatusPending
	}
	n.Phone, n.Email = personKeys(n)
	caseID, err := caseOf(ctx, tx, n.CaseCode)
	if err != nil {
		return Item{}, err
	}
	due := s.CurrentSLA().DueAt(n.Source, n.Priority, s.now())
	if n.DueAt != nil {
		due = *n.DueAt
	}
	// A generated code may collide; retry with a fresh one inside a
	// savepoint so the channel's transaction survives.
	for attempt := 0; ; attempt++ {
		sp, err := tx.Begin(ctx)
		if err != nil {
			return Item{}, err
		}
		it, err := insertItem(ctx, sp, n, due, caseID)
		if errors.Is(err, errCodeTaken) && attempt < 5 {
			_ = sp.Rollback(ctx)
			if isDigits(n.TrackingCode) { // a hotline code: another of its kind
				n.TrackingCode = NewNumericCode()
			} else {
				n.TrackingCode = NewTrackingCode()
			}
			continue
		}
		if err != nil {
			_ = sp.Rollback(ctx)
			return Item{}, err
		}
		if err := sp.Commit(ctx); err != nil {
			return Item{}, err
		}
		if err := appendAudit(ctx, tx, it.ID, n.CitizenID, "created", "", nil, snapshot(it)); err != nil {
			return Item{}, err
		}
		// "Received, due on …" is told of what still waits for an answer;
		// an item settled on its channel (a finished chat) has no due.
		if it.Open() {
			if err := s.record(ctx, tx, EventReceived, it, ""); err != nil {
				return Item{}, err
			}
		}
		return it, notify(ctx, tx, it, "created")
	}
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

// Event is what NOTIFY carries and the console receives.
type Event struct {
	ID     int64  `json:"id"`
	Event  string `json:"event"`
	Status string `json:"status"`
	Source Source `json:"source"`
}

func notify(ctx context.Context, q db.Querier, it Item, event string) error {
	payload, _ := json.Marshal(Event{ID: it.ID, Event: event, Status: it.Status, Source: it.Source})
	_, err := q.Exec(ctx, `SELECT pg_notify($1, $2)`, notifyChannel, string(payload))
	return err
}

// itemSnapshot is what the audit log keeps before and after an action.
type itemSnapshot struct {
	Status     string `json:"status"`
	Assignee   *int64 `json:"assignee_id,omitempty"`
	Department string `json:"department,omitempty"`
	Escalated  bool   `json:"escalated,omitempty"`
	MergedInto *int64 `json:"merged_into,omitempty"`
	Priority   int    `json:"priority"`
}

func snapshot(it Item) itemSnapshot {
	return itemSnapshot{Status: it.Status, Assignee: it.AssigneeID, Department: it.Department, Escalated: it.Escalated, MergedInto: it.MergedInto, Priority: it.Priority}
}

// ReleaseExpired frees items whose lease ran out, so a moderator who went
// home does not sit on them. Safe to run on every node at once.
func (s *Service) ReleaseExpired(ctx context.Context) (_ int, err error) {
	defer apperr.Wrap(&err, "moderation.Service.ReleaseExpired")
	var n int
	err = db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `
			UPDATE moderation_items SET assignee_id = NULL, lease_expires_at = NULL, updated_at = now()
			WHERE id IN (SELECT id FROM moderation_items
			             WHERE assignee_id IS NOT NULL AND lease_expires_at < now() AND status IN ('pending', 'approved')
			             FOR UPDATE SKIP LOCKED)
			RETURNING id, status, source`)
		if err != nil {
			return err
		}
		released, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Item, error) {
			var it Item
			var src string
			err := r.Scan(&it.ID, &it.Status, &src)
			it.Source = Source(src)
			return it, err
		})
		if err != nil {
			return err
		}
		for _, it := range released {
			if err := appendAudit(ctx, tx, it.ID, nil, "lease_expired", "", nil, nil); err != nil {
				return err
			}
			if err := notify(ctx, tx, it, "released"); err != nil {
				return err
			}
		}
		n = len(released)
		return nil
	})
	return n, err
}

// RunJanitor releases expired leases every interval until ctx ends.
func (s *Service) RunJanitor(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if n, err := s.ReleaseExpired(ctx); err != nil && ctx.Err() == nil {
				s.Log.Warn("release expired claims", "err", err)
			} else if n > 0 {
				s.Log.Info("expired claims released", "count", n)
			}
		}
	}
}
