package callcenter

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/doithoai/doithoai/internal/blob"
	"github.com/doithoai/doithoai/internal/testenv"
	"github.com/doithoai/doithoai/moderation"
)

// startNodeOn builds a second hotline node on pc's database (its own
// DATA_DIR, its own moderation service, HTTP only), as another process of
// the cluster would be; blobs is its store (nil: PostgreSQL, the default).
func startNodeOn(t *testing.T, pc *pgCenter, blobs blob.Store) *pgCenter {
	t.Helper()
	mod := moderation.NewService(pc.pool, time.Minute, testLog())
	c, err := New(Deps{Config: testConfig(t), Pool: pc.pool, Moderation: mod, Log: testLog(), Blobs: blobs})
	if err != nil {
		t.Fatal(err)
	}
	return &pgCenter{Center: c, pool: pc.pool, mod: mod, users: pc.users}
}

// recordingFiles lists what lies under a node's DATA_DIR/recordings.
func recordingFiles(t *testing.T, dataDir string) []string {
	t.Helper()
	var files []string
	filepath.WalkDir(filepath.Join(dataDir, "recordings"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, p)
		}
		return nil
	})
	return files
}

// TestRecordingPlaysOnEveryNode: a voicemail recorded on node A is, once
// its ticket exists, in the shared store and nowhere on A's disk; node B
// (same database, its own DATA_DIR) plays it byte for byte, whole and by
// range; with A's DATA_DIR gone both still play it; retention deletes the
// blob. Run over PostgreSQL (the default) and S3 (devs3, one bucket for
// both nodes).
func TestRecordingPlaysOnEveryNode(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"postgres", "s3"} {
		t.Run(name, func(t *testing.T) {
			var store blob.Store // nil: each node's default, PostgreSQL
			if name == "s3" {
				s3, err := blob.NewS3(context.Background(), testenv.S3(t))
				if err != nil {
					t.Fatal(err)
				}
				store = s3
			}
			a := startPGCenterWith(t, func(c *Config) { c.blobs = store })
			b := startNodeOn(t, a, store)
			ctx := context.Background()

			tk, _ := a.leaveVoicemail(t, "0912000444", 0)
			if tk.RecordingPath == "" {
				t.Fatal("ticket without a recording")
			}
			if files := recordingFiles(t, a.cfg.DataDir); len(files) != 0 {
				t.Errorf("node A's disk still holds %v after the ticket", files)
			}
			want := a.blob(t, tk.RecordingPath)
			if samples, err := DecodeWAV(want); err != nil || len(samples) < sampleRate/2 || rms(samples) < 1000 {
				t.Fatalf("stored recording: %d samples, %v", len(samples), err)
			}
			play := func(node *pgCenter, rng string) *httptest.ResponseRecorder {
				r := httptest.NewRequest("GET", recordingURL(tk.ID), nil)
				if rng != "" {
					r.Header.Set("Range", rng)
				}
				return node.serve(t, "lan", r)
			}
			check := func(label string) {
				t.Helper()
				for node, c := range map[string]*pgCenter{"A": a, "B": b} {
					w := play(c, "")
					if w.Code != 200 || w.Header().Get("Content-Type") != "audio/wav" || !bytes.Equal(w.Body.Bytes(), want) {
						t.Errorf("%s: node %s whole: %d, %d bytes of %d", label, node, w.Code, w.Body.Len(), len(want))
					}
					lo, hi := 1000, len(want)-500
					w = play(c, "bytes="+strconv.Itoa(lo)+"-"+strconv.Itoa(hi))
					if w.Code != 206 || !bytes.Equal(w.Body.Bytes(), want[lo:hi+1]) ||
						w.Header().Get("Content-Range") != "bytes "+strconv.Itoa(lo)+"-"+strconv.Itoa(hi)+"/"+strconv.Itoa(len(want)) {
						t.Errorf("%s: node %s range: %d %q, %d bytes", label, node, w.Code, w.Header().Get("Content-Range"), w.Body.Len())
					}
				}
			}
			check("both disks")
			if err := os.RemoveAll(a.cfg.DataDir); err != nil {
				t.Fatal(err)
			}
			check("node A's DATA_DIR deleted")

			// Retention on node B deletes the blob for every node.
			if _, err := a.pool.Exec(ctx, `UPDATE hotline_tickets SET created_at = now() - interval '2 days' WHERE id = $1`, tk.ID); err != nil {
				t.Fatal(err)
			}
			if _, err := b.PurgePersonalData(ctx, time.Now().Add(-24*time.Hour)); err != nil {
				t.Fatal(err)
			}
			if _, err := b.cfg.blobs.Stat(ctx, tk.RecordingPath); !errors.Is(err, blob.ErrNotFound) {
				t.Errorf("blob after retention: %v, want ErrNotFound", err)
			}
			if w := play(a, ""); w.Code != 404 {
				t.Errorf("recording after retention: %d, want 404", w.Code)
			}
		})
	}
}

// TestImportRecordings: recordings an older version left under a node's
// DATA_DIR are played by that node only, until ImportRecordings moves them
// into the store (file removed once stored); then every node plays them,
// and running it again moves nothing and changes nothing. A file whose
// blob is already whole (an import stopped before its remove) is just
// removed; *.part spools are left alone.
func TestImportRecordings(t *testing.T) {
	t.Parallel()
	a := startPGCenter(t)
	b := startNodeOn(t, a, nil)
	ctx := context.Background()
	rels := []string{"recordings/hotline/2025/01/02/080000-old-1.wav", "recordings/answers/2025/01/7-old.wav"}
	wavs := map[string][]byte{}
	for i, rel := range rels {
		wav := EncodeWAV(tone(300+100*float64(i), 1, 8000))
		wavs[rel] = wav
		p := filepath.Join(a.cfg.DataDir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o750); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, wav, 0o640); err != nil {
			t.Fatal(err)
		}
	}
	// The first is already stored whole: the remove after its Put was lost.
	if err := a.cfg.blobs.Put(ctx, rels[0], bytes.NewReader(wavs[rels[0]]), int64(len(wavs[rels[0]]))); err != nil {
		t.Fatal(err)
	}
	spool := filepath.Join(a.cfg.DataDir, "recordings", "hotline", "2025", "crashed.wav.part")
	if err := os.WriteFile(spool, []byte("RIFF"), 0o640); err != nil {
		t.Fatal(err)
	}
	tk, err := a.store.CreateTicket(ctx, NewTicket{CallID: "old-call", Caller: "+84912000555", Hotline: "1022", Language: "vi",
		Topic: "other", RecordingPath: rels[1], Duration: time.Second, Consent: "dtmf:1", ConsentAt: time.Now(), ReceivedAt: time.Now(), IVRPath: []string{"record"}})
	if err != nil {
		t.Fatal(err)
	}
	get := func(node *pgCenter) *httptest.ResponseRecorder {
		return node.serve(t, "lan", httptest.NewRequest("GET", recordingURL(tk.ID), nil))
	}
	if w := get(a); w.Code != 200 || !bytes.Equal(w.Body.Bytes(), wavs[rels[1]]) {
		t.Errorf("before import, node A (its own file): %d, %d bytes", w.Code, w.Body.Len())
	}
	if w := get(b); w.Code != 404 {
		t.Errorf("before import, node B: %d, want 404", w.Code)
	}

	n, err := ImportRecordings(ctx, a.cfg.DataDir, a.cfg.blobs)
	if err != nil || n != 2 {
		t.Fatalf("ImportRecordings: %d, %v; want 2", n, err)
	}
	if files := recordingFiles(t, a.cfg.DataDir); len(files) != 1 || files[0] != spool {
		t.Errorf("after import DATA_DIR holds %v, want only the spool", files)
	}
	for _, rel := range rels {
		if got := a.blob(t, rel); !bytes.Equal(got, wavs[rel]) {
			t.Errorf("%s: stored %d bytes, want %d", rel, len(got), len(wavs[rel]))
		}
	}
	if w := get(b); w.Code != 200 || !bytes.Equal(w.Body.Bytes(), wavs[rels[1]]) {
		t.Errorf("after import, node B: %d, %d bytes", w.Code, w.Body.Len())
	}
	var blobs int
	a.pool.QueryRow(ctx, `SELECT count(*) FROM blobs`).Scan(&blobs)
	if n, err := ImportRecordings(ctx, a.cfg.DataDir, a.cfg.blobs); err != nil || n != 0 {
		t.Errorf("second ImportRecordings: %d, %v; want 0", n, err)
	}
	var again int
	a.pool.QueryRow(ctx, `SELECT count(*) FROM blobs`).Scan(&again)
	if blobs != 2 || again != 2 {
		t.Errorf("blobs %d then %d, want 2 and 2", blobs, again)
	}
	if n, err := ImportRecordings(ctx, filepath.Join(t.TempDir(), "none"), a.cfg.blobs); err != nil || n != 0 {
		t.Errorf("ImportRecordings of a missing DATA_DIR: %d, %v", n, err)
	}
}

// downBlobs is a blob store that is down: every call fails.
type downBlobs struct{}

var errStoreDown = errors.New("blob store down")

func (downBlobs) Put(context.Context, string, io.Reader, int64) error { return errStoreDown }
func (downBlobs) Get(context.Context, string) (blob.Reader, blob.Info, error) {
	return nil, blob.Info{}, errStoreDown
}
func (downBlobs) Stat(context.Context, string) (blob.Info, error)   { return blob.Info{}, errStoreDown }
func (downBlobs) Delete(context.Context, string) error              { return errStoreDown }
func (downBlobs) List(context.Context, string) ([]blob.Info, error) { return nil, errStoreDown }

// TestVoicemailKeptWhenBlobStoreFails: with the store down at the end of
// the call, the caller's message is not lost: the ticket is made and the
// recording stays on this node's disk at its key's path (no spool left),
// from where ImportRecordings moves it once a store answers.
func TestVoicemailKeptWhenBlobStoreFails(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	cfg.blobs = downBlobs{}
	ts := startTestServer(t, cfg)
	st := ts.recordSteps()
	p := newPhone(t, "0912345000")
	p.mustCall(ts.addr, "1022", "udp")
	p.press("13")
	st.wait(t, p, "queue:no_agents")
	p.press("1")
	st.wait(t, p, "record")
	p.sendAudio(tone(440, 1, 8000))
	ts.waitRecorded(t, time.Second)
	p.sendAudio(nil)
	p.press("#")
	if !p.waitHangup(10 * time.Second) {
		t.Fatal("no hang-up after the ticket number")
	}
	tickets, _ := ts.store.Snapshot()
	if len(tickets) != 1 || tickets[0].RecordingPath == "" {
		t.Fatalf("tickets %+v, want one with its recording", tickets)
	}
	rel := tickets[0].RecordingPath
	files := recordingFiles(t, cfg.DataDir)
	if len(files) != 1 || files[0] != filepath.Join(cfg.DataDir, filepath.FromSlash(rel)) {
		t.Fatalf("DATA_DIR holds %v, want the recording at %s", files, rel)
	}
	kept, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	if samples, err := DecodeWAV(kept); err != nil || len(samples) < sampleRate*9/10 {
		t.Fatalf("kept recording: %d samples, %v", len(samples), err)
	}
	store := dirBlobs{root: t.TempDir()}
	if n, err := ImportRecordings(context.Background(), cfg.DataDir, store); err != nil || n != 1 {
		t.Fatalf("ImportRecordings: %d, %v", n, err)
	}
	if got, err := blob.ReadAll(context.Background(), store, rel, 1<<20); err != nil || !bytes.Equal(got, kept) {
		t.Errorf("moved recording: %d bytes, %v", len(got), err)
	}
}

// TestRetentionSweepsOrphanRecordings: a recording stored over an hour ago
// that no row names (the node died between its Put and the ticket's
// commit) is deleted by the hourly retention run; a fresh one (its ticket
// may be on its way) and a named one stay.
func TestRetentionSweepsOrphanRecordings(t *testing.T) {
	t.Parallel()
	pc := startPGCenter(t)
	ctx := context.Background()
	day := time.Now().Format("2006/01/02")
	orphan, fresh, named := "recordings/hotline/"+day+"/orphan.wav", "recordings/hotline/"+day+"/fresh.wav", "recordings/hotline/"+day+"/named.wav"
	answer := "recordings/answers/" + time.Now().Format("2006/01") + "/9-orphan.wav"
	wav := EncodeWAV(tone(440, 0.5, 8000))
	for _, k := range []string{orphan, fresh, named, answer} {
		if err := pc.cfg.blobs.Put(ctx, k, bytes.NewReader(wav), int64(len(wav))); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := pc.store.CreateTicket(ctx, NewTicket{CallID: "named", Caller: "+84912000666", Hotline: "1022", Language: "vi", Topic: "other",
		RecordingPath: named, Duration: time.Second, Consent: "dtmf:1", ConsentAt: time.Now(), ReceivedAt: time.Now(), IVRPath: []string{"record"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := pc.pool.Exec(ctx, `UPDATE blobs SET created_at = now() - interval '2 hours' WHERE key <> $1`, fresh); err != nil {
		t.Fatal(err)
	}
	if _, err := pc.PurgePersonalData(ctx, time.Now().Add(-24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	for k, kept := range map[string]bool{orphan: false, answer: false, fresh: true, named: true} {
		_, err := pc.cfg.blobs.Stat(ctx, k)
		if kept && err != nil || !kept && !errors.Is(err, blob.ErrNotFound) {
			t.Errorf("%s: %v, want kept=%t", k, err, kept)
		}
	}
}
