package callcenter

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/doithoai/doithoai/internal/apperr"
	"github.com/doithoai/doithoai/internal/blob"
	"github.com/jackc/pgx/v5"
)

// Recordings (voicemail, operator calls, live questions) and moderators'
// spoken answers live in the blob store under the key their row names
// (recording_path, answer_audio_path: "recordings/hotline/2026/12/02/…wav"),
// so any node plays them and losing a node's disk loses nothing. A call
// spools its recording to DATA_DIR while it lasts (the RTP goroutine must
// never wait on the network) and puts it in the store before the ticket row
// names it. Versions before the blob store kept the files under DATA_DIR
// at the same relative path: ImportRecordings moves them into the store,
// and until it has, this node still serves its own copy.

// serveAudio answers a GET of the recording named rel as audio/wav, with
// Range support (http.ServeContent over the store's seeking reader).
func (c *Center) serveAudio(w http.ResponseWriter, r *http.Request, rel, filename, gone string) error {
	rd, info, err := c.cfg.blobs.Get(r.Context(), rel)
	if errors.Is(err, blob.ErrNotFound) {
		rd, info, err = c.legacyFile(rel)
	}
	if errors.Is(err, blob.ErrNotFound) {
		return apperr.NotFoundf("%s", gone)
	}
	if err != nil {
		return fmt.Errorf("callcenter.serveAudio %s: %w", rel, err)
	}
	defer rd.Close()
	w.Header().Set("Content-Type", "audio/wav")
	w.Header().Set("Cache-Control", "private, no-store")
	if filename != "" {
		w.Header().Set("Content-Disposition", `inline; filename="`+filename+`"`)
	}
	http.ServeContent(w, r, "", info.Modified, rd)
	return nil
}

// legacyFile opens rel under DATA_DIR: a recording an older version wrote
// that ImportRecordings has not moved yet.
func (c *Center) legacyFile(rel string) (blob.Reader, blob.Info, error) {
	if blob.CheckKey(rel) != nil || c.cfg.DataDir == "" {
		return nil, blob.Info{}, blob.ErrNotFound
	}
	return dirBlobs{root: c.cfg.DataDir}.Get(context.Background(), rel)
}

// readAudio loads a whole recording (a spoken answer played on the phone).
func readAudio(ctx context.Context, cfg Config, rel string) ([]int16, error) {
	data, err := blob.ReadAll(ctx, cfg.blobs, rel, 64<<20)
	if errors.Is(err, blob.ErrNotFound) && cfg.DataDir != "" && blob.CheckKey(rel) == nil {
		return readWAVFile(filepath.Join(cfg.DataDir, filepath.FromSlash(rel)))
	}
	if err != nil {
		return nil, err
	}
	return DecodeWAV(data)
}

// deleteRecording removes rel from the store, and an older version's file
// of it under DATA_DIR if this node has one, so that retention leaves
// nothing for ImportRecordings to bring back.
func deleteRecording(ctx context.Context, cfg Config, rel string) error {
	if rel == "" {
		return nil
	}
	if err := cfg.blobs.Delete(ctx, rel); err != nil {
		return err
	}
	if cfg.DataDir != "" && blob.CheckKey(rel) == nil {
		err := os.Remove(filepath.Join(cfg.DataDir, filepath.FromSlash(rel)))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return nil
}

// ImportRecordings moves the finished recordings an older version left
// under dataDir/recordings (*.wav; *.part spools of a crashed call are
// nobody's) into the store, keyed by their path relative to dataDir as the
// rows name them. A file is removed only once the store holds it whole, so
// running it again — after a crash, on every start — does no harm and
// finishes the job. It returns how many files it moved.
func ImportRecordings(ctx context.Context, dataDir string, store blob.Store) (int, error) {
	root := filepath.Join(dataDir, "recordings")
	var moved int
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) && path == root {
			return filepath.SkipAll
		}
		if err != nil || ctx.Err() != nil {
			return errors.Join(err, ctx.Err())
		}
		if !d.Type().IsRegular() || !strings.HasSuffix(path, ".wav") {
			return nil
		}
		rel, err := filepath.Rel(dataDir, path)
		if err != nil {
			return err
		}
		key := filepath.ToSlash(rel)
		if err := importOne(ctx, store, path, key); err != nil {
			return err
		}
		moved++
		return nil
	})
	if err != nil {
		return moved, fmt.Errorf("callcenter.ImportRecordings: %w", err)
	}
	return moved, nil
}

func importOne(ctx context.Context, store blob.Store, path, key string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	// Already there whole (a run that stopped before the remove): just remove.
	if info, err := store.Stat(ctx, key); err != nil && !errors.Is(err, blob.ErrNotFound) {
		return err
	} else if err != nil || info.Size != st.Size() {
		if err := store.Put(ctx, key, f, st.Size()); err != nil {
			return err
		}
	}
	return os.Remove(path)
}

// ImportOnStart runs ImportRecordings over the node's DATA_DIR; every node
// calls it once at start (HTTP-only nodes too). A failure is logged and
// the files stay where they are (still served from this node) until the
// next start.
func (c *Center) ImportOnStart(ctx context.Context) {
	if c.cfg.DataDir == "" {
		return
	}
	start := time.Now()
	n, err := ImportRecordings(ctx, c.cfg.DataDir, c.cfg.blobs)
	if err != nil {
		c.log.Error("hotline: moving recordings from DATA_DIR into the blob store stopped", "moved", n, "err", err)
		return
	}
	if n > 0 {
		c.log.Info("hotline: recordings moved from DATA_DIR into the blob store", "moved", n, "took", time.Since(start))
	}
}

// orphanAge: a stored recording this old that no row names never will be
// (a ticket is made within seconds of its recording's Put).
const orphanAge = time.Hour

// sweepOrphans deletes recent recordings no row names: what a crash
// between the store's Put and the ticket's commit leaves (the failures a
// call sees itself are undone at once), so that such a recording does not
// outlive the retention that would have deleted it with its ticket. Only
// the last three days' keys (answers: this month's and last) are listed,
// so the hourly run stays small.
func (c *Center) sweepOrphans(ctx context.Context, now time.Time) (int, error) {
	var prefixes []string
	seen := map[string]bool{}
	for d := range 3 {
		day := now.AddDate(0, 0, -d)
		for _, p := range []string{"recordings/hotline/" + day.Format("2006/01/02") + "/", "recordings/answers/" + day.Format("2006/01") + "/",
			"recordings/answers/" + day.AddDate(0, -1, 0).Format("2006/01") + "/"} {
			if !seen[p] {
				seen[p] = true
				prefixes = append(prefixes, p)
			}
		}
	}
	var n int
	for _, p := range prefixes {
		infos, err := c.cfg.blobs.List(ctx, p)
		if err != nil {
			return n, fmt.Errorf("callcenter.sweepOrphans: %w", err)
		}
		var keys []string
		for _, in := range infos {
			if now.Sub(in.Modified) >= orphanAge {
				keys = append(keys, in.Key)
			}
		}
		if len(keys) == 0 {
			continue
		}
		orphans, err := c.store.unnamedRecordings(ctx, keys)
		if err != nil {
			return n, fmt.Errorf("callcenter.sweepOrphans: %w", err)
		}
		for _, k := range orphans {
			if err := c.cfg.blobs.Delete(ctx, k); err != nil {
				return n, fmt.Errorf("callcenter.sweepOrphans: %w", err)
			}
			n++
		}
	}
	return n, nil
}

// unnamedRecordings returns the keys no ticket, spoken answer or live
// question names.
func (s *Store) unnamedRecordings(ctx context.Context, keys []string) ([]string, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT k FROM unnest($1::text[]) k
		EXCEPT (SELECT recording_path FROM hotline_tickets WHERE recording_path = ANY($1)
		        UNION SELECT answer_audio_path FROM hotline_tickets WHERE answer_audio_path = ANY($1)
		        UNION SELECT recording_path FROM hotline_live_questions WHERE recording_path = ANY($1))`, keys)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}
