package main

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/doithoai/doithoai/internal/auth"
	"github.com/doithoai/doithoai/internal/config"
	"github.com/doithoai/doithoai/internal/identity"
	"github.com/doithoai/doithoai/moderation"
)

// demo writes the living demo of `doithoai seed --demo` (what `make run`
// runs): forum questions in every state, citizens' replies, a finished live
// dialogue and an upcoming one, hotline tickets with recordings, a chat
// transcript, directives and overdue items. Everything goes through the
// domains' own services on a node built as serve builds it, so queue items,
// audit entries, SLA due times and the leaders' rollup are what real use
// would leave. Only the clock is faked afterwards: a few items are aged by
// days (created_at and due_at moved back) so that the dashboard has a trend
// and the SLA job has overdue work; the escalation itself is the real job.
//
// Each piece is recorded in demo_seed once done, so a second seed adds
// nothing twice.
type demo struct {
	a                           *app
	log                         *slog.Logger
	admin, mod, leader, citizen *identity.User
}

func seedDemo(ctx context.Context, cfg config.Config, log *slog.Logger) error {
	a, err := newApp(ctx, cfg, log)
	if err != nil {
		return fmt.Errorf("seed demo: %w", err)
	}
	defer a.close()
	d := &demo{a: a, log: log}
	store := auth.NewStore(a.pool)
	for _, p := range []struct {
		login string
		into  **identity.User
	}{{"admin", &d.admin}, {"modvien", &d.mod}, {"lanhdao", &d.leader}, {"0912345678", &d.citizen}} {
		u, err := store.FindUserByLogin(ctx, p.login)
		if err != nil {
			return fmt.Errorf("seed demo: account %s: %w", p.login, err)
		}
		*p.into = u.Identity()
	}
	pieces := []struct {
		name string
		run  func(context.Context) error
	}{
		{"forum", d.forum},
		{"live", d.live},
		{"chat", d.chat},
		{"hotline", d.hotline},
		{"overdue", d.overdue}, // last: ages and escalates what the others made
	}
	for _, p := range pieces {
		var done bool
		if err := a.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM demo_seed WHERE piece = $1)`, p.name).Scan(&done); err != nil {
			return fmt.Errorf("seed demo %s: %w", p.name, err)
		}
		if done {
			continue
		}
		if err := p.run(ctx); err != nil {
			return fmt.Errorf("seed demo %s: %w", p.name, err)
		}
		if _, err := a.pool.Exec(ctx, `INSERT INTO demo_seed (piece) VALUES ($1) ON CONFLICT DO NOTHING`, p.name); err != nil {
			return fmt.Errorf("seed demo %s: %w", p.name, err)
		}
	}
	return nil
}

// act runs one moderation action as actor, claiming the item first when the
// action needs it (as the console does).
func (d *demo) act(ctx context.Context, actor *identity.User, itemID int64, action string, in moderation.ActionInput) error {
	if action != moderation.ActionDirective {
		if it, err := d.a.moderation.Store.FindItemByID(ctx, itemID); err != nil {
			return err
		} else if !it.HeldBy(actor.ID, time.Now()) {
			if _, err := d.a.moderation.Act(ctx, actor, itemID, moderation.ActionClaim, moderation.ActionInput{}); err != nil {
				return fmt.Errorf("claim %d: %w", itemID, err)
			}
		}
	}
	if _, err := d.a.moderation.Act(ctx, actor, itemID, action, in); err != nil {
		return fmt.Errorf("%s %d: %w", action, itemID, err)
	}
	return nil
}

// itemOf is the queue item of a channel row.
func (d *demo) itemOf(ctx context.Context, src moderation.Source, id int64) (int64, error) {
	it, err := d.a.moderation.Store.FindItemBySource(ctx, src, strconv.FormatInt(id, 10))
	if err != nil {
		return 0, fmt.Errorf("item of %s %d: %w", src, id, err)
	}
	return it.ID, nil
}

// age moves an item back in time by days: it was filed then, and its due
// time moves with it (the SLA counted from then).
func (d *demo) age(ctx context.Context, itemID int64, days int) error {
	_, err := d.a.pool.Exec(ctx, `
		UPDATE moderation_items SET created_at = created_at - make_interval(days => $2),
			due_at = due_at - make_interval(days => $2) WHERE id = $1`, itemID, days)
	return err
}
