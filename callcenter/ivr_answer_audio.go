package callcenter

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"path/filepath"
	"strconv"
	"time"

	"github.com/doithoai/doithoai/internal/apperr"
	"github.com/doithoai/doithoai/internal/web"
	"github.com/jackc/pgx/v5"
)

// A moderator's spoken answer to a hotline ticket: recorded in the
// console (static/answer-audio.js records the microphone and uploads an
// 8 kHz mono 16-bit WAV), kept in the blob store like the callers'
// recordings, and played to a caller who asks the ticket's status by
// phone (ivr_status.go).

// answerAudioMin: shorter uploads are a slip of the button, not an answer.
const answerAudioMin = 500 * time.Millisecond

func answerAudioURL(id int64) string {
	return "/api/v1/hotline/tickets/" + strconv.FormatInt(id, 10) + "/answer-audio"
}

// handleAnswerAudioUpdate serves PUT /api/v1/hotline/tickets/{id}/answer-audio
// (moderators and admins) with a WAV body: validated (format, length, not
// silent), stored durably in the blob store, and only then named on the ticket; a bad
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
	wav := EncodeWAV(samples)
	if err := c.cfg.blobs.Put(r.Context(), rel, bytes.NewReader(wav), int64(len(wav))); err != nil {
		return fmt.Errorf("callcenter.answerAudio: %w", err)
	}
	old, err := c.store.SetAnswerAudio(r.Context(), id, u.ID, rel, length)
	if err != nil { // the blob stays (the error may hide a commit); unnamed, retention's sweep deletes it
		return err
	}
	if old != "" && old != rel {
		// The row names the new recording; the old one is nobody's now.
		if err := deleteRecording(r.Context(), c.cfg, old); err != nil {
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
	return c.serveAudio(w, r, rel, "", "the spoken answer is no longer kept")
}

// SetAnswerAudio names rel as ticket id's spoken answer and returns the
// path it replaces ("" for none).
func (s *Store) SetAnswerAudio(ctx context.Context, id, actorID int64, rel string, length time.Duration) (_ string, err error) {
	defer apperr.Wrap(&err, "callcenter.Store.SetAnswerAudio(%d)", id)
	var old string
	err = s.pool.QueryRow(ctx, `
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
func (s *Store) AnswerAudio(ctx context.Context, id int64) (_ string, err error) {
	defer apperr.Wrap(&err, "callcenter.Store.AnswerAudio(%d)", id)
	var rel string
	err = s.pool.QueryRow(ctx, `SELECT answer_audio_path FROM hotline_tickets WHERE id = $1`, id).Scan(&rel)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", apperr.NotFoundf("no such hotline ticket")
	}
	if err != nil {
		return "", fmt.Errorf("callcenter.AnswerAudio: %w", err)
	}
	return rel, nil
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
