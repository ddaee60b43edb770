package main

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/doithoai/doithoai/cmd/internal/percentile"
	"github.com/doithoai/doithoai/internal/db"
	"github.com/doithoai/doithoai/internal/identity"
	"github.com/doithoai/doithoai/moderation"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// claimRounds are the numbers of moderators claiming at once, each with a
// connection of their own (as issue 3 asks); sharedRounds run the larger
// ones again through a pool of pgxpool's default size, which is what a
// node uses (max(4, cores) connections), so they queue for a connection
// instead of all working the head of the queue at once.
var (
	claimRounds  = []int{4, 20, 64}
	sharedRounds = []int{20, 64}
)

type claimStats struct {
	Moderators int
	Conns      int // connections they share
	Claims     int64
	Elapsed    time.Duration
	Lat        []time.Duration // sorted
	Doubles    int             // items handed out twice, as seen by the claimers
	DBDoubles  int             // items with two claim entries in the audit log
	Empty      int64           // ClaimNext calls that found the queue empty
	CPU        cpuShare
	PerSecond  []int64 // claims in each second of the measured window
}

func (s claimStats) Rate() float64 { return float64(s.Claims) / s.Elapsed.Seconds() }

type claimResults struct {
	Items  int
	Rounds []claimStats // a connection each
	Shared []claimStats // through a node-sized pool
}

func benchClaims(ctx context.Context, o options, dbURL string, pgPID int) (*claimResults, error) {
	// The pool must let every moderator hold a connection at once.
	pool, err := db.Open(ctx, dbURL+"&pool_max_conns="+strconv.Itoa(claimRounds[len(claimRounds)-1]+8))
	if err != nil {
		return nil, err
	}
	defer pool.Close()
	shared, err := db.Open(ctx, dbURL) // pgxpool's default size, as in a node
	if err != nil {
		return nil, err
	}
	defer shared.Close()
	mods, err := prepareQueue(ctx, pool, o.items, o.seed)
	if err != nil {
		return nil, err
	}
	res := &claimResults{Items: o.items}
	round := func(p *pgxpool.Pool, c int) (claimStats, error) {
		if _, err := pool.Exec(ctx, `UPDATE moderation_items SET assignee_id = NULL, lease_expires_at = NULL WHERE assignee_id IS NOT NULL`); err != nil {
			return claimStats{}, err
		}
		if _, err := pool.Exec(ctx, `VACUUM (ANALYZE) moderation_items`); err != nil {
			return claimStats{}, err
		}
		conns := int(p.Config().MaxConns)
		logf("claims: %d moderators on %d connections, %s …", c, min(c, conns), o.duration)
		svc := moderation.NewService(p, 15*time.Minute, quietLog())
		st, err := claimRound(ctx, p, svc, mods[:c], o.warmup/2, o.duration, pgPID)
		st.Conns = min(c, conns)
		if err == nil {
			logf("claims: %d moderators on %d connections: %.0f claims/s, p99 %s, %d double claims; claims in each second: %v",
				c, st.Conns, st.Rate(), percentile.Sorted(st.Lat, 99), st.Doubles+st.DBDoubles, st.PerSecond)
		}
		return st, err
	}
	for _, c := range claimRounds {
		st, err := round(pool, c)
		if err != nil {
			return nil, err
		}
		res.Rounds = append(res.Rounds, st)
	}
	for _, c := range sharedRounds {
		st, err := round(shared, c)
		if err != nil {
			return nil, err
		}
		res.Shared = append(res.Shared, st)
	}
	return res, nil
}

// prepareQueue empties the queue, fills it with n open items by COPY and
// makes the moderators' accounts.
func prepareQueue(ctx context.Context, pool *pgxpool.Pool, n int, seed uint64) ([]*identity.User, error) {
	start := time.Now()
	// Only the benchmark's own database: every row of the queue goes.
	if _, err := pool.Exec(ctx, `TRUNCATE moderation_items CASCADE`); err != nil {
		return nil, err
	}
	var mods []*identity.User
	for i := range claimRounds[len(claimRounds)-1] {
		login := fmt.Sprintf("benchmod%02d", i+1)
		var id int64
		err := pool.QueryRow(ctx, `
			WITH ins AS (
				INSERT INTO users (login, role, display_name, password_hash) VALUES ($1, 'moderator', $2, 'benchmark: no login')
				ON CONFLICT ((lower(login))) DO NOTHING RETURNING id)
			SELECT id FROM ins UNION ALL SELECT id FROM users WHERE lower(login) = lower($1)`,
			login, "Kiểm duyệt viên "+strconv.Itoa(i+1)).Scan(&id)
		if err != nil {
			return nil, fmt.Errorf("moderator %s: %w", login, err)
		}
		mods = append(mods, &identity.User{ID: id, Login: login, Role: identity.RoleModerator})
	}
	g := newTextGen(seed, 1<<32, n)
	now := time.Now()
	sources := []string{"forum_question", "forum_question", "forum_question", "forum_question", "forum_question",
		"forum_question", "forum_question", "forum_reply", "hotline_ticket", "chat_conversation"}
	var done atomic.Int64
	stop := progress("moderation items", n, &done)
	i := 0
	var row []any
	copied, err := pool.CopyFrom(ctx, pgx.Identifier{"moderation_items"},
		[]string{"source", "ref", "title", "content", "kind", "category", "province", "language", "priority", "status", "due_at", "created_at", "updated_at"},
		pgx.CopyFromFunc(func() ([]any, error) {
			if i >= n {
				return nil, nil
			}
			q := g.question(i, -1, now)
			status := "pending"
			if g.r.IntN(5) < 2 {
				status = "approved"
			}
			priority := 0
			if g.r.IntN(20) == 0 {
				priority = 1
			}
			due := now.Add(time.Duration(g.r.IntN(120)-48) * time.Hour)
			row = []any{sources[i%len(sources)], "bench-" + strconv.Itoa(i), q.title, q.body, q.kind, topics[q.topic].category,
				q.province, "vi", priority, status, due, q.createdAt, q.createdAt}
			i++
			done.Add(1)
			return row, nil
		}))
	stop()
	if err != nil {
		return nil, fmt.Errorf("copy moderation items: %w", err)
	}
	logf("moderation items: %d rows in %s", copied, time.Since(start).Round(time.Second))
	return mods, nil
}

// claimRound has each moderator call ClaimNext in a loop: warmup
// unmeasured, then dur measured. Every id handed out (warm-up included)
// is checked for repeats, here and in the audit log.
func claimRound(ctx context.Context, pool *pgxpool.Pool, svc *moderation.Service, mods []*identity.User,
	warmup, dur time.Duration, pgPID int) (claimStats, error) {
	var auditMark int64
	if err := pool.QueryRow(ctx, `SELECT coalesce(max(id), 0) FROM moderation_audit`).Scan(&auditMark); err != nil {
		return claimStats{}, err
	}
	var measuring, stopping atomic.Bool
	var empty atomic.Int64
	var start time.Time // set before measuring turns on
	perSecond := make([]atomic.Int64, int(dur/time.Second)+2)
	ids := make([][]int64, len(mods))
	lats := make([][]time.Duration, len(mods))
	errs := make([]error, len(mods))
	var wg sync.WaitGroup
	for m, mod := range mods {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stopping.Load() && ctx.Err() == nil {
				t0 := time.Now()
				it, found, err := svc.ClaimNext(ctx, mod)
				d := time.Since(t0)
				if err != nil {
					if ctx.Err() == nil {
						errs[m] = err
					}
					return
				}
				if !found {
					empty.Add(1)
					continue
				}
				ids[m] = append(ids[m], it.ID)
				if measuring.Load() {
					lats[m] = append(lats[m], d)
					perSecond[min(int(time.Since(start)/time.Second), len(perSecond)-1)].Add(1)
				}
			}
		}()
	}
	sleepCtx(ctx, warmup)
	c0 := takeCPU(0, pgPID)
	start = time.Now()
	measuring.Store(true)
	sleepCtx(ctx, dur)
	measuring.Store(false)
	elapsed := time.Since(start)
	c1 := takeCPU(0, pgPID)
	stopping.Store(true)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return claimStats{}, err
		}
	}
	st := claimStats{Moderators: len(mods), Elapsed: elapsed, Empty: empty.Load(), CPU: c0.to(c1)}
	for i := range int(dur / time.Second) {
		st.PerSecond = append(st.PerSecond, perSecond[i].Load())
	}
	seen := map[int64]struct{}{}
	for m := range mods {
		for _, id := range ids[m] {
			if _, dup := seen[id]; dup {
				st.Doubles++
			}
			seen[id] = struct{}{}
		}
		st.Lat = append(st.Lat, lats[m]...)
	}
	slices.Sort(st.Lat)
	st.Claims = int64(len(st.Lat))
	err := pool.QueryRow(ctx, `SELECT count(*) FROM (SELECT item_id FROM moderation_audit
		WHERE id > $1 AND action = $2 GROUP BY item_id HAVING count(*) > 1) d`, auditMark, moderation.ActionClaim).Scan(&st.DBDoubles)
	if err != nil {
		return st, err
	}
	var held int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM moderation_items WHERE assignee_id IS NOT NULL`).Scan(&held); err != nil {
		return st, err
	}
	if held != len(seen) {
		return st, fmt.Errorf("%d items held but %d distinct claims returned", held, len(seen))
	}
	if st.Empty > 0 {
		return st, fmt.Errorf("the queue ran dry (%d empty claims): raise -items", st.Empty)
	}
	return st, nil
}
