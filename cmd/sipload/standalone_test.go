package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestHoldCallsLeaveTickets: the stand-alone server the load runs use
// keeps what it records. Since the blob store moved out of DATA_DIR it had
// none, so every voicemail panicked at hang-up (caught by the SIP guard)
// and a hold run stored no recording and made no ticket.
func TestHoldCallsLeaveTickets(t *testing.T) {
	dir := t.TempDir()
	o := options{target: "127.0.0.1:0", number: "1022", mode: "hold", calls: 2, rate: 10, hold: 9 * time.Second,
		timeout: time.Minute, embedded: true, dataDir: dir}
	srv, err := startServer(o)
	if err != nil {
		t.Fatal(err)
	}
	o.target = srv.Addr()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx) }()
	g, err := newGenerator(o)
	if err != nil {
		t.Fatal(err)
	}
	if err := g.runHold(ctx); err != nil {
		t.Fatal(err)
	}
	g.close()
	if g.established.Load() != 2 {
		t.Fatalf("%d of 2 calls established", g.established.Load())
	}
	cancel()
	if err := <-served; err != nil && ctx.Err() == nil {
		t.Fatal(err)
	}
	tickets, _ := srv.Store.Snapshot()
	if len(tickets) != 2 {
		t.Fatalf("%d tickets after 2 voicemails, want 2", len(tickets))
	}
	for _, tk := range tickets {
		if tk.RecordingPath == "" {
			t.Fatalf("ticket without a recording: %+v", tk)
		}
		if st, err := os.Stat(filepath.Join(dir, filepath.FromSlash(tk.RecordingPath))); err != nil || st.Size() < 1000 {
			t.Fatalf("recording %s: %v", tk.RecordingPath, err)
		}
	}
}
