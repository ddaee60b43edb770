package callcenter

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/doithoai/doithoai/internal/apperr"
	"github.com/doithoai/doithoai/internal/web"
	"github.com/jackc/pgx/v5"
)

// A moderator's spoken answer to a hotline ticket: recorded in the
// console (static/answer-audio.js records the microphone and uploads an
// 8 kHz mono 16-bit WAV), kept under DATA_DIR like the callers'
// recordings, and played to a caller who asks the ticket's status by
// phone (ivr_status.go).

// answerAudioMin: shorter uploads are a slip of the button, not an answer.
const answerAudioMin = 500 * time.Millisecond

func answerAudioURL(id int64) string {
	return "/api/v1/hotline/tickets/" + strconv.FormatInt(id, 10) + "/answer-audio"
}

// handleAnswerAudioUpdate serves PUT /api/v1/hotline/tickets/{id}/answer-audio
// (moderators and admins) with a WAV body: validated (format, length, not
// silent), fsynced to disk, and only then named on the ticket; a bad
// upload is a 400 and leaves nothing behind.
func (c *Center) handleAnswerAudioUpdate(w http.ResponseWriter, r *http.Request) error {
	u := actor(r)
	if !seesPersonalData(u) {
		return apperr.Forbiddenf("spoken answers are recorded by moderators and admins")
	}
	id, err := web.PathID(r, "id", "ticket")
	if err != nil {
		return err
	}
	if _, err := c.store.FindTicketByID(r.Context(), id); err != nil {
		return err
	}
	limit := c.cfg.AnswerAudioMax
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, int64(wavHeaderBytes+2*sampleRate*limit/time.Second)+1024))
	if err != nil {
		return apperr.Invalidf("audio_too_long", "a spoken answer is at most %s", limit)
	}
	samples, err := DecodeWAV(body)
	if err != nil {
		return apperr.Invalidf("bad_wav", "%v", err)
	}
	length := time.Duration(len(samples)) * time.Second / sampleRate
	switch {
	case length > limit:
		return apperr.Invalidf("audio_too_long", "a spoken answer is at most %s", limit)
	case length < answerAudioMin:
		return apperr.Invalidf("audio_too_short", "the recording is shorter than %s", answerAudioMin)
	case peak(samples) < 300: // about -40 dBFS: nothing was said (a muted microphone)
		return apperr.Invalidf("audio_silent", "the recording is silent; check the microphone")
	}
	now := time.Now()
	rel := filepath.ToSlash(filepath.Join("recordings", "answers", now.Format("2006"), now.Format("01"),
		strconv.FormatInt(id, 10)+"-"+now.Format("20060102150405")+"-"+strconv.FormatUint(rand.Uint64N(1<<32), 36)+".wav"))
	path := filepath.Join(c.cfg.DataDir, filepath.FromSlash(rel))
	if err := writeDurable(path, EncodeWAV(samples)); err != nil {
		return fmt.Errorf("callcenter.answerAudio: %w", err)
	}
	old, err := c.store.SetAnswerAudio(r.Context(), id, u.ID, rel, length)
	if err != nil {
		os.Remove(path) // no row names it
		return err
	}
	if old != "" && old != rel {
		// The row names the new file; the old one is nobody's now.
		if err := os.Remove(filepath.Join(c.cfg.DataDir, filepath.FromSlash(old))); err != nil && !errors.Is(err, os.ErrNotExist) {
			c.log.Warn("hotline: removing a replaced spoken answer failed", "path", old, "err", err)
		}
	}
	web.JSON(w, http.StatusOK, map[string]any{"answer_audio_url": answerAudioURL(id), "duration_ms": length.Milliseconds()})
	return nil
}

// handleAnswerAudio serves GET /api/v1/hotline/tickets/{id}/answer-audio
// (moderators and admins): the spoken answer as audio/wav.
func (c *Center) handleAnswerAudio(w http.ResponseWriter, r *http.Request) error {
	if !seesPersonalData(actor(r)) {
		return apperr.Forbiddenf("spoken answers are for moderators and admins")
	}
	id, err := web.PathID(r, "id", "ticket")
	if err != nil {
		return err
	}
	rel, err := c.store.AnswerAudio(r.Context(), id)
	if err != nil {
		return err
	}
	if rel == "" {
		return apperr.NotFoundf("no spoken answer was recorded for this ticket")
	}
	f, err := os.Open(filepath.Join(c.cfg.DataDir, filepath.FromSlash(rel)))
	if errors.Is(err, os.ErrNotExist) {
		return apperr.NotFoundf("the spoken answer is no longer kept")
	}
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "audio/wav")
	w.Header().Set("Cache-Control", "private, no-store")
	http.ServeContent(w, r, "", st.ModTime(), f)
	return nil
}

// SetAnswerAudio names rel as ticket id's spoken answer and returns the
// path it replaces ("" for none).
func (s *Store) SetAnswerAudio(ctx context.Context, id, actorID int64, rel string, length time.Duration) (string, error) {
	var old string
	err := s.pool.QueryRow(ctx, `
		UPDATE hotline_tickets t SET answer_audio_path = $2, answer_audio_ms = $3, answer_audio_by = $4, answer_audio_at = now()
		FROM (SELECT id, answer_audio_path FROM hotline_tickets WHERE id = $1 FOR UPDATE) o
		WHERE t.id = o.id RETURNING o.answer_audio_path`, id, rel, length.Milliseconds(), nullID(actorID)).Scan(&old)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", apperr.NotFoundf("no such hotline ticket")
	}
	if err != nil {
		return "", fmt.Errorf("callcenter.SetAnswerAudio: %w", err)
	}
	return old, nil
}

// AnswerAudio returns ticket id's spoken answer path ("" for none).
func (s *Store) AnswerAudio(ctx context.Context, id int64) (string, error) {
	var rel string
	err := s.pool.QueryRow(ctx, `SELECT answer_audio_path FROM hotline_tickets WHERE id = $1`, id).Scan(&rel)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", apperr.NotFoundf("no such hotline ticket")
	}
	if err != nil {
		return "", fmt.Errorf("callcenter.AnswerAudio: %w", err)
	}
	return rel, nil
}

// writeDurable writes data to path (creating its directory) so that it
// survives a crash before anything refers to it: the file is fsynced and
// renamed into place, then the directory is fsynced.
func writeDurable(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return err
	}
	if err := writeFileSync(path, data); err != nil {
		return err
	}
	d, err := os.Open(filepath.Dir(path))
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

func peak(s []int16) int {
	var m int
	for _, v := range s {
		a := int(v)
		if a < 0 {
			a = -a
		}
		m = max(m, a)
	}
	return m
}

// writeFileSync writes data to a temporary file, fsyncs it and renames it
// into place, so readers never see a half-written file.
func writeFileSync(path string, data []byte) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o640)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
