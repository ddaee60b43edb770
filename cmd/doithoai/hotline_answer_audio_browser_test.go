package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/doithoai/doithoai/callcenter"
	"github.com/doithoai/doithoai/internal/db"
	"github.com/doithoai/doithoai/internal/testenv"
	"github.com/doithoai/doithoai/moderation"
)

// TestAnswerAudioBrowser: a moderator holding a hotline ticket records a
// spoken answer in the console (Chromium's fake microphone, which beeps);
// the static recorder downsamples to 8 kHz mono 16-bit and uploads it, and
// the hotline serves back a WAV of about the recorded length that is not
// silent, which the console's player then shows.
func TestAnswerAudioBrowser(t *testing.T) {
	t.Parallel()
	n := MustSeededNode(t)
	ctx := context.Background()
	pool, err := db.Open(ctx, n.DBURL)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	store := callcenter.NewStore(pool, moderation.NewService(pool, time.Minute, testenv.Logger(t)))
	tk, err := store.CreateTicket(ctx, callcenter.NewTicket{CallID: "rec-1", Caller: "0933444666", Hotline: "1022", Language: "vi", Topic: "land",
		RecordingPath: "recordings/none.wav", Duration: 10 * time.Second, Consent: "dtmf:1", ConsentAt: time.Now(),
		IVRPath: []string{"greeting", "lang:1:vi", "topic:1:land"}, ReceivedAt: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	var itemID int64
	if err := pool.QueryRow(ctx, `SELECT item_id FROM hotline_tickets WHERE id = $1`, tk.ID).Scan(&itemID); err != nil {
		t.Fatal(err)
	}

	b := testenv.BrowserWithMicrophone(t)
	if err := fbLogin(b, n.URL, "mod1", "mod1-password"); err != nil {
		t.Fatal(err)
	}
	const state = `document.getElementById('answer-audio-status').dataset.state || ''`
	var final string
	var hidden bool
	err = chromedp.Run(b,
		chromedp.Navigate(fmt.Sprintf("%s/console/items/%d", n.URL, itemID)),
		chromedp.Click(`#claim`, chromedp.ByID),
		chromedp.WaitVisible(`#answer-audio-record`, chromedp.ByID),
		chromedp.Click(`#answer-audio-record`, chromedp.ByID),
		// Two seconds of microphone, by the recorder's own clock.
		chromedp.Poll(`(function(){var s=document.getElementById('answer-audio-status');`+
			`return s.dataset.state==='recording' && parseInt(s.textContent.replace(/\D+/g,''),10)>=2})()`, nil, chromedp.WithPollingTimeout(20*time.Second)),
		chromedp.Click(`#answer-audio-stop`, chromedp.ByID),
		chromedp.Poll(`['saved','failed','denied','unsupported'].indexOf(`+state+`) >= 0`, nil, chromedp.WithPollingTimeout(20*time.Second)),
		chromedp.Evaluate(state, &final),
		chromedp.Poll(`!document.getElementById('answer-audio-player').hidden`, nil, chromedp.WithPollingTimeout(10*time.Second)),
		chromedp.Evaluate(`document.getElementById('answer-audio-player').hidden`, &hidden),
	)
	screenshot(t, b, "answer-audio")
	if err != nil {
		var text string
		chromedp.Run(b, chromedp.Text(`#answer-audio-status`, &text, chromedp.ByID))
		t.Fatalf("recording in the console: %v (status %q)", err, text)
	}
	if final != "saved" || hidden {
		t.Fatalf("recorder ended in state %q, player hidden %v", final, hidden)
	}

	m := newClient(t, n)
	m.MustLogin("mod1", "mod1-password")
	r := m.Do("GET", fmt.Sprintf("/api/v1/hotline/tickets/%d/answer-audio", tk.ID), nil, nil)
	data, _ := io.ReadAll(r.Body)
	if r.StatusCode != 200 || r.Header.Get("Content-Type") != "audio/wav" {
		t.Fatalf("answer audio: %d %s", r.StatusCode, r.Header.Get("Content-Type"))
	}
	samples, err := callcenter.DecodeWAV(data) // refuses anything but 8 kHz mono 16-bit
	if err != nil {
		t.Fatal(err)
	}
	secs := float64(len(samples)) / 8000
	var sum float64
	for _, s := range samples {
		sum += float64(s) * float64(s)
	}
	if rms := math.Sqrt(sum / float64(len(samples))); secs < 1.8 || secs > 6 || rms < 50 {
		t.Errorf("uploaded answer: %.2f s, rms %.0f; want about 2 s of sound", secs, rms)
	}
}
