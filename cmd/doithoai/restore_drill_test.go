package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/doithoai/doithoai/callcenter"
	"github.com/doithoai/doithoai/internal/backup"
	"github.com/doithoai/doithoai/internal/blob"
	"github.com/doithoai/doithoai/internal/db"
	"github.com/doithoai/doithoai/internal/localserver"
	"github.com/doithoai/doithoai/internal/testenv"
	"github.com/doithoai/doithoai/moderation"
)

// drill is the restore drill's world: a cluster archiving into a
// pgBackRest repository, the node's DATA_DIR, and what was written.
type drill struct {
	dir, clusterDir, dataDir string
	conf                     string
	tool                     backup.Tool
	pg                       *localserver.Postgres
	port                     int
	recordings               map[int64][]byte // ticket id → the WAV bytes written
}

const drillStanza = "drill"

// TestRestoreDrill is README's "Backup and restore" procedure end to end:
// data goes in through the real services (questions and an answer,
// hotline tickets with recordings, an offline chat question, their audit
// entries), a full backup is taken, more is written, a point in time is
// noted, more is written after it; then the cluster and DATA_DIR are
// destroyed, restored to that point with pgBackRest (PITR) alone — the
// recordings are in the database's blob store — and a node started on it
// serves exactly
// what existed at the point: every item and audit entry, every recording
// byte for byte and decodable, nothing written after it.
func TestRestoreDrill(t *testing.T) {
	t.Parallel()
	d := startDrillCluster(t)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	dbURL := d.pg.URL("doithoai")

	var before, after []string // tracking codes
	var snap drillSnapshot
	var target time.Time
	ok := t.Run("write, back up, write, note the point, write", func(t *testing.T) {
		n := d.startNode(t, dbURL)
		MustRun(t, dbURL, "", "seed")
		MustCreateUser(t, n, "moderator", "mod-drill", "mod-drill-password")
		m := newClient(t, n)
		m.MustLogin("mod-drill", "mod-drill-password")
		before = append(before, d.writeSome(t, n, m, "a")...)
		if err := d.tool.Backup(ctx, "full"); err != nil {
			t.Fatal(err)
		}
		d.waitPastBackup(t, ctx, dbURL)
		before = append(before, d.writeSome(t, n, m, "b")...) // only in the WAL
		snap = d.snapshot(t, ctx, dbURL)
		target = d.now(t, ctx, dbURL)
		after = d.writeSome(t, n, m, "c")
		// check switches the WAL segment and waits until it is archived:
		// the writes after the point are in the repository too.
		if err := d.tool.Check(ctx); err != nil {
			t.Fatal(err)
		}
	})
	if !ok {
		t.FailNow()
	}
	if len(before) != 6 || len(after) != 3 || len(d.recordings) != 3 {
		t.Fatalf("wrote %d codes before the point, %d after, %d recordings; want 6, 3, 3", len(before), len(after), len(d.recordings))
	}

	// The disaster: the server and every file of it and of the node go.
	d.pg.Stop()
	for _, dir := range []string{d.clusterDir, d.dataDir} {
		if err := os.RemoveAll(dir); err != nil {
			t.Fatal(err)
		}
	}

	start := time.Now()
	d.restore(t, ctx, target)
	t.Logf("restored to %s in %s", target.Format(time.RFC3339Nano), time.Since(start).Round(time.Millisecond))

	if got := d.snapshot(t, ctx, dbURL); !got.equal(snap) {
		t.Fatalf("restored database differs from the point in time:\n got %+v\nwant %+v", got, snap)
	}
	// The restored cluster archives again (a new timeline) and the
	// repository still verifies.
	if err := d.tool.Check(ctx); err != nil {
		t.Fatalf("archiving after the restore: %v", err)
	}

	t.Run("the restored node serves what existed at the point", func(t *testing.T) {
		n := d.startNode(t, dbURL)
		m := newClient(t, n)
		m.MustLogin("mod-drill", "mod-drill-password")
		anon := newClient(t, n)
		for _, code := range before {
			if r := anon.Do("GET", "/api/v1/track/"+url.PathEscape(code), nil, nil); r.StatusCode != 200 {
				t.Errorf("tracking %s written before the point: %d, want 200", code, r.StatusCode)
			}
		}
		for _, code := range after {
			if r := anon.Do("GET", "/api/v1/track/"+url.PathEscape(code), nil, nil); r.StatusCode != 404 {
				t.Errorf("tracking %s written after the point: %d, want 404", code, r.StatusCode)
			}
		}
		played := 0
		for id, want := range d.recordings {
			if !slices.Contains(snap.Tickets, id) {
				if r := m.Do("GET", fmt.Sprintf("/api/v1/hotline/tickets/%d/recording", id), nil, nil); r.StatusCode != 404 {
					t.Errorf("ticket %d from after the point: recording %d, want 404", id, r.StatusCode)
				}
				continue
			}
			r := m.Do("GET", fmt.Sprintf("/api/v1/hotline/tickets/%d/recording", id), nil, nil)
			got, _ := io.ReadAll(r.Body)
			if r.StatusCode != 200 || !bytes.Equal(got, want) {
				t.Errorf("ticket %d's recording: %d, %d bytes; want 200 and the %d bytes recorded", id, r.StatusCode, len(got), len(want))
				continue
			}
			samples, err := callcenter.DecodeWAV(got)
			if err != nil || len(samples) != 8000 {
				t.Errorf("ticket %d's recording does not play: %d samples, %v", id, len(samples), err)
			}
			played++
		}
		if played != 2 {
			t.Errorf("%d recordings played back, want the 2 from before the point", played)
		}
	})

	// `doithoai backup check --restore-to` proves the repository
	// restorable on its own: check, verify, a scratch restore and a query.
	var out, errOut bytes.Buffer
	env := map[string]string{"PGBACKREST_CONFIG": d.conf, "PGBACKREST_STANZA": drillStanza}
	scratch := filepath.Join(d.dir, "scratch")
	err := run(ctx, []string{"doithoai", "backup", "check", "--restore-to", scratch}, func(k string) string { return env[k] },
		strings.NewReader(""), &out, &errOut)
	if err != nil {
		t.Fatalf("backup check: %v\n%s", err, errOut.String())
	}
	if want := fmt.Sprintf("%d moderation items", len(snap.Items)); !strings.Contains(out.String(), "restore: OK") || !strings.Contains(out.String(), want) {
		t.Errorf("backup check said %q, want a restore with %s", out.String(), want)
	}
	if _, err := os.Stat(scratch); !os.IsNotExist(err) {
		t.Errorf("backup check left its scratch directory behind (%v)", err)
	}
}

func startDrillCluster(t *testing.T) *drill {
	t.Helper()
	if _, err := exec.LookPath("pgbackrest"); err != nil {
		t.Fatal(backup.ErrNoTool)
	}
	dir := t.TempDir()
	d := &drill{dir: dir, clusterDir: filepath.Join(dir, "cluster"), dataDir: filepath.Join(dir, "data"),
		conf: filepath.Join(dir, "pgbackrest.conf"), recordings: map[int64][]byte{}}
	var err error
	if d.port, err = localserver.FreePort(); err != nil {
		t.Fatal(err)
	}
	cfg := backup.Config{Stanza: drillStanza, RepoPath: filepath.Join(dir, "repo"), PGData: filepath.Join(d.clusterDir, "pg"),
		PGPort: d.port, PGSocketDir: filepath.Join(d.clusterDir, "sock"), RetentionFull: 2,
		LogPath: filepath.Join(dir, "pgbr-log"), LockPath: filepath.Join(dir, "pgbr-lock")}
	if err := os.WriteFile(d.conf, []byte(cfg.Render()), 0o644); err != nil {
		t.Fatal(err)
	}
	d.pg, err = localserver.StartPostgres(context.Background(), localserver.PostgresOptions{Dir: d.clusterDir, Port: d.port,
		Settings: backup.ServerSettings(d.conf, drillStanza)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.pg.Stop)
	d.tool = backup.Tool{ConfigPath: d.conf, Stanza: drillStanza, Cred: d.pg.Credential()}
	for _, p := range []string{cfg.RepoPath, cfg.LogPath, cfg.LockPath} {
		if err := os.MkdirAll(p, 0o750); err != nil {
			t.Fatal(err)
		}
		if c := d.pg.Credential(); c != nil {
			if err := os.Chown(p, int(c.Uid), int(c.Gid)); err != nil {
				t.Fatal(err)
			}
		}
	}
	ctx := context.Background()
	if err := d.tool.StanzaCreate(ctx); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, d.pg.URL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE doithoai"); err != nil {
		t.Fatal(err)
	}
	MustRun(t, d.pg.URL("doithoai"), "", "migrate")
	return d
}

func (d *drill) startNode(t *testing.T, dbURL string) *node {
	return MustStartNode(t, dbURL, withEnv("DATA_DIR", d.dataDir))
}

// writeSome writes one of each kind through the services and returns
// their tracking codes: a forum question answered by a moderator, a
// hotline ticket with its recording, an offline chat question.
func (d *drill) writeSome(t *testing.T, n *node, m *client, tag string) []string {
	t.Helper()
	ctx := context.Background()
	citizen := newClient(t, n)
	q := askJSON(t, citizen, map[string]any{"title": "Câu hỏi diễn tập " + tag + " về đất đai",
		"body": "Xin hỏi thủ tục cấp giấy chứng nhận quyền sử dụng đất ở xã vùng cao (" + tag + ")."})
	pool, err := db.Open(ctx, n.DBURL)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	var itemID int64
	if err := pool.QueryRow(ctx, `SELECT id FROM moderation_items WHERE tracking_code = $1`, moderation.NormalizeCode(q.TrackingCode)).Scan(&itemID); err != nil {
		t.Fatal(err)
	}
	act(t, m, itemID, "claim", map[string]any{})
	act(t, m, itemID, "answer", map[string]any{"body": "Trả lời diễn tập " + tag + ": nộp hồ sơ tại bộ phận một cửa."})

	// The recording as the hotline leaves it: complete in the blob store
	// (PostgreSQL by default) before the ticket exists. One second of a
	// tone, distinct per tag.
	samples := make([]int16, 8000)
	for i := range samples {
		samples[i] = int16((i * (int(tag[0]) * 37)) % 20000)
	}
	wav := callcenter.EncodeWAV(samples)
	rel := "recordings/drill-" + tag + ".wav"
	if err := blob.NewPostgres(pool).Put(ctx, rel, bytes.NewReader(wav), int64(len(wav))); err != nil {
		t.Fatal(err)
	}
	store := callcenter.NewStore(pool, moderation.NewService(pool, time.Minute, testenv.Logger(t)))
	ticket, err := store.CreateTicket(ctx, callcenter.NewTicket{CallID: "drill-" + tag, Caller: "0988777666", Hotline: "1022", Language: "vi",
		Topic: "land", RecordingPath: rel, Duration: time.Second, Consent: "dtmf:1", ConsentAt: time.Now(),
		IVRPath: []string{"greeting", "lang:1:vi"}, ReceivedAt: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	d.recordings[ticket.ID] = wav

	r := citizen.PostForm("/chat/offline", url.Values{"question": {"Hỏi qua chat diễn tập " + tag}, "name": {"Lò Văn Diễn"},
		"contact": {"0912000111"}, "consent": {"1"}})
	mm := leftCode.FindStringSubmatch(r.Header.Get("Location"))
	if r.StatusCode != http.StatusSeeOther || mm == nil {
		t.Fatalf("offline chat question: %d Location %q", r.StatusCode, r.Header.Get("Location"))
	}
	return []string{q.TrackingCode, ticket.Number, mm[1]}
}

// drillSnapshot is what the database holds, by primary key.
type drillSnapshot struct {
	Items, Audit, AdminAudit, Questions, Tickets, Replies []int64
}

func (s drillSnapshot) equal(o drillSnapshot) bool {
	return slices.Equal(s.Items, o.Items) && slices.Equal(s.Audit, o.Audit) && slices.Equal(s.AdminAudit, o.AdminAudit) &&
		slices.Equal(s.Questions, o.Questions) && slices.Equal(s.Tickets, o.Tickets) && slices.Equal(s.Replies, o.Replies)
}

func (d *drill) snapshot(t *testing.T, ctx context.Context, dbURL string) drillSnapshot {
	t.Helper()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	ids := func(table string) []int64 {
		rows, err := conn.Query(ctx, "SELECT id FROM "+table+" ORDER BY id")
		if err != nil {
			t.Fatal(err)
		}
		out, err := pgx.CollectRows(rows, pgx.RowTo[int64])
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	s := drillSnapshot{Items: ids("moderation_items"), Audit: ids("moderation_audit"), AdminAudit: ids("admin_audit"),
		Questions: ids("forum_questions"), Tickets: ids("hotline_tickets"), Replies: ids("forum_replies")}
	if len(s.Items) == 0 || len(s.Audit) == 0 || len(s.Tickets) == 0 || len(s.Replies) == 0 {
		t.Fatalf("snapshot of an empty database: %+v", s)
	}
	return s
}

// now is the server's clock: the point in time, between the commits
// before it and those after.
func (d *drill) now(t *testing.T, ctx context.Context, dbURL string) time.Time {
	t.Helper()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var at time.Time
	if err := conn.QueryRow(ctx, "SELECT clock_timestamp()").Scan(&at); err != nil {
		t.Fatal(err)
	}
	return at
}

// waitPastBackup waits until the server's clock is past the latest
// backup's stop time, which pgBackRest keeps in whole seconds: a point in
// time must come after it for that backup to be chosen (in real life the
// point is hours after the night's backup).
func (d *drill) waitPastBackup(t *testing.T, ctx context.Context, dbURL string) {
	t.Helper()
	list, err := d.tool.Info(ctx)
	if err != nil || len(list) == 0 {
		t.Fatalf("backups %v: %v", list, err)
	}
	stop := list[len(list)-1].Stop.Add(time.Second)
	deadline := time.Now().Add(10 * time.Second)
	for !d.now(t, ctx, dbURL).After(stop) {
		if time.Now().After(deadline) {
			t.Fatalf("the server's clock did not pass the backup's stop time %s", stop)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// restore brings the cluster back to target from the repository.
func (d *drill) restore(t *testing.T, ctx context.Context, target time.Time) {
	t.Helper()
	pgData := filepath.Join(d.clusterDir, "pg")
	if err := os.MkdirAll(pgData, 0o700); err != nil {
		t.Fatal(err)
	}
	if c := d.pg.Credential(); c != nil {
		for _, p := range []string{d.clusterDir, pgData} {
			if err := os.Chown(p, int(c.Uid), int(c.Gid)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := d.tool.Restore(ctx, backup.RestoreOptions{PGData: pgData, Target: target}); err != nil {
		t.Fatal(err)
	}
	pg, err := localserver.StartPostgres(ctx, localserver.PostgresOptions{Dir: d.clusterDir, Port: d.port,
		Settings: backup.ServerSettings(d.conf, drillStanza)})
	if err != nil {
		t.Fatal(err)
	}
	d.pg = pg
	t.Cleanup(pg.Stop)
	// Recovery ends with the promotion; until then the server is read-only.
	deadline := time.Now().Add(time.Minute)
	for {
		var inRecovery bool
		c, err := pgx.Connect(ctx, pg.URL("doithoai"))
		if err == nil {
			err = c.QueryRow(ctx, "SELECT pg_is_in_recovery()").Scan(&inRecovery)
			c.Close(ctx)
		}
		if err == nil && !inRecovery {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the restored cluster did not finish recovery: %v (in recovery %v)", err, inRecovery)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// `doithoai backup` without `check`, or with a flag it does not know,
// says how to use it and runs nothing.
func TestBackupCommandUsage(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"backup"}, {"backup", "restore"}, {"backup", "check", "--restore", "x"}} {
		out, err := runCLI("", "", args...)
		if err == nil || !strings.Contains(out+err.Error(), "backup check") {
			t.Errorf("doithoai %s: %v %q, want a usage error naming `backup check`", strings.Join(args, " "), err, out)
		}
	}
}
