package moderation

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/doithoai/doithoai/internal/identity"
	"github.com/doithoai/doithoai/internal/testenv"
)

// TestClaimEventsReachEveryNode: claims made at once by many moderators
// send their "claimed" event after commit, batched; each of two nodes'
// relays (two LISTEN sessions) hears every claimed item.
func TestClaimEventsReachEveryNode(t *testing.T) {
	f := newCaseFixture(t)
	const items, mods = 40, 8
	for range items {
		f.enqueue(NewItem{Source: SourceForumQuestion})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// Relays start after the items are in: LISTEN hears only what commits
	// after it, so each hears the claims and nothing older.
	heard := make([]map[int64]bool, 2)
	done := make([]chan struct{}, 2)
	for n := range 2 {
		ev := NewEvents(f.svc.pool, testenv.Logger(t))
		go ev.Run(ctx)
		select {
		case <-ev.listening:
		case <-ctx.Done():
			t.Fatal("relay never listened")
		}
		ch, unsub := ev.Subscribe()
		defer unsub()
		heard[n], done[n] = map[int64]bool{}, make(chan struct{})
		go func() {
			defer close(done[n])
			for len(heard[n]) < items {
				select {
				case e := <-ch:
					if e.Event == "claimed" {
						heard[n][e.ID] = true
					}
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	var sent sync.WaitGroup // counts events until sent
	var mu sync.Mutex
	batches, maxBatch := 0, 0
	sent.Add(items)
	f.svc.claimed.sent = func(n int, err error) {
		if err != nil {
			t.Errorf("notify after commit: %v", err)
		}
		mu.Lock()
		batches, maxBatch = batches+1, max(maxBatch, n)
		mu.Unlock()
		sent.Add(-n)
	}
	claimed := make(chan int64, items)
	var wg sync.WaitGroup
	for m := range mods {
		u := &identity.User{Login: fmt.Sprintf("kd%d", m), Role: identity.RoleModerator}
		if err := f.svc.pool.QueryRow(ctx, `INSERT INTO users (login, role, password_hash) VALUES ($1, 'moderator', 'x') RETURNING id`, u.Login).Scan(&u.ID); err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				it, ok, err := f.svc.ClaimNext(ctx, u)
				if err != nil {
					t.Errorf("claim: %v", err)
					return
				}
				if !ok {
					return
				}
				if it.Status != StatusPending || it.AssigneeID == nil || *it.AssigneeID != u.ID {
					t.Errorf("claimed item %d: status %s, assignee %v (want %d)", it.ID, it.Status, it.AssigneeID, u.ID)
				}
				claimed <- it.ID
			}
		}()
	}
	wg.Wait()
	close(claimed)
	sent.Wait()
	for n := range 2 {
		<-done[n]
	}
	var ids []int64
	for id := range claimed {
		ids = append(ids, id)
	}
	if len(ids) != items {
		t.Fatalf("%d claims, want %d", len(ids), items)
	}
	for n := range 2 {
		for _, id := range ids {
			if !heard[n][id] {
				t.Errorf("relay %d never heard item %d claimed (heard %d of %d)", n, id, len(heard[n]), items)
			}
		}
	}
	t.Logf("%d claims sent in %d batches (largest %d)", items, batches, maxBatch)
}
