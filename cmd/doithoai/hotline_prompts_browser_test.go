package main

import (
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/doithoai/doithoai/callcenter"
)

// TestHotlinePromptsPageBrowser: an admin uploads a 44.1 kHz WAV for a
// minority language through the page's form (no script of ours), the row
// stops being marked missing, and its player loads audio of the uploaded
// length; another language's row is still missing. No CSP violation.
func TestHotlinePromptsPageBrowser(t *testing.T) {
	t.Parallel()
	n := MustSeededNode(t)
	MustCreateUser(t, n, "admin", "admin1", "admin-password")

	// 0.6 s of a 500 Hz tone, 44.1 kHz mono 16-bit: the server converts it.
	const rate, secs = 44100, 0.6
	samples := make([]int16, int(rate*secs))
	for i := range samples {
		samples[i] = int16(12000 * math.Sin(2*math.Pi*500*float64(i)/rate))
	}
	wav := callcenter.EncodeWAV(samples)
	binary.LittleEndian.PutUint32(wav[24:], rate)   // sample rate
	binary.LittleEndian.PutUint32(wav[28:], rate*2) // byte rate
	file := filepath.Join(t.TempDir(), "loi-chao-hmn.wav")
	if err := os.WriteFile(file, wav, 0o644); err != nil {
		t.Fatal(err)
	}

	ctx := cspBrowser(t)
	if err := fbLogin(ctx, n.URL, "admin1", "admin-password"); err != nil {
		t.Fatal(err)
	}
	visit(t, ctx, n, "/admin/hotline/prompts", "#upload-prompt")
	if err := chromedp.Run(ctx, chromedp.WaitVisible(`#prompt-hmn-greeting.missing`, chromedp.ByQuery)); err != nil {
		t.Fatalf("H'Mông greeting not marked missing before the upload: %v", err)
	}
	err := chromedp.Run(ctx,
		chromedp.SetValue("#up-lang", "hmn", chromedp.ByID),
		chromedp.SetValue("#up-name", "greeting", chromedp.ByID),
		chromedp.SetUploadFiles("#up-wav", []string{file}, chromedp.ByID),
		chromedp.Click(`#upload-prompt button[type="submit"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`p.flash[role="status"]`, chromedp.ByQuery))
	if err != nil {
		t.Fatalf("upload through the form: %v", err)
	}
	wantNoCSPViolation(t, ctx, "prompts page after upload", "main")
	var missing, stillMissing bool
	var duration float64
	loadAudio := `new Promise(done => {
		const a = document.querySelector('#prompt-hmn-greeting audio');
		a.addEventListener('loadedmetadata', () => done(a.duration));
		a.addEventListener('error', () => done(-1));
		a.preload = 'metadata';
		a.load();
	})`
	err = chromedp.Run(ctx,
		chromedp.Evaluate(`document.querySelector('#prompt-hmn-greeting').classList.contains('missing')`, &missing),
		chromedp.Evaluate(`document.querySelector('#prompt-tay-greeting').classList.contains('missing')`, &stillMissing),
		chromedp.Evaluate(loadAudio, &duration, func(p *runtime.EvaluateParams) *runtime.EvaluateParams {
			return p.WithAwaitPromise(true)
		}))
	if err != nil {
		t.Fatal(err)
	}
	if missing || !stillMissing {
		t.Errorf("after the upload: hmn greeting missing=%v (want false), tay greeting missing=%v (want true)", missing, stillMissing)
	}
	if math.Abs(duration-secs) > 0.05 {
		t.Errorf("the player loaded %.3f s of audio, want the uploaded %.1f s (−1: it could not play it)", duration, secs)
	}
}
