package callcenter

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"slices"
	"testing"
	"time"
)

// chirp sweeps from f0 to f1 Hz over secs at rate: a signal that
// correlates with itself at one lag only, so hearing it proves the
// uploaded recording (not some prompt) was played.
func chirp(f0, f1, secs, amp float64, rate int) []float64 {
	n := int(secs * float64(rate))
	out := make([]float64, n)
	for i := range out {
		t := float64(i) / float64(rate)
		out[i] = amp * math.Sin(2*math.Pi*(f0*t+(f1-f0)*t*t/(2*secs)))
	}
	return out
}

func monoFrames(x []float64) [][]float64 {
	out := make([][]float64, len(x))
	for i, v := range x {
		out[i] = []float64{v, v}
	}
	return out
}

// bestCorrelation is the highest normalised cross-correlation of ref
// against any stretch of heard (1 = ref heard exactly).
func bestCorrelation(heard, ref []int16) float64 {
	var refE float64
	for _, v := range ref {
		refE += float64(v) * float64(v)
	}
	best := 0.0
	for lag := 0; lag+len(ref) <= len(heard); lag += 2 {
		var dot, e float64
		for i, v := range ref {
			h := float64(heard[lag+i])
			dot += h * float64(v)
			e += h * h
		}
		if e > 0 {
			best = max(best, dot/math.Sqrt(e*refE))
		}
	}
	return best
}

// waitHeard polls what the phone heard until ref is in it.
func waitHeard(t *testing.T, p *phone, ref []int16, within time.Duration) float64 {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		c := bestCorrelation(p.received(), ref)
		if c > 0.8 || time.Now().After(deadline) {
			return c
		}
		time.Sleep(200 * time.Millisecond)
	}
}

type languagesBody struct {
	Languages []LanguageStatus `json:"languages"`
}

func (pc *pgCenter) languages(t *testing.T) map[string]LanguageStatus {
	t.Helper()
	w := pc.do(t, "admin", "GET", "/api/v1/hotline/languages", nil)
	var b languagesBody
	if err := json.Unmarshal(w.Body.Bytes(), &b); err != nil || w.Code != 200 {
		t.Fatalf("GET languages: %d %s", w.Code, w.Body)
	}
	out := map[string]LanguageStatus{}
	for _, l := range b.Languages {
		out[l.Code] = l
	}
	return out
}

// An admin switches on H'Mông and uploads its topic menu as a 44.1 kHz
// stereo float WAV; a caller who presses 3 hears that recording (by
// correlation with the upload), and hears Vietnamese where H'Mông has no
// prompt of its own.
func TestLanguageAddedThroughAPIIsOffered(t *testing.T) {
	t.Parallel()
	pc := startPGCenter(t)

	ls := pc.languages(t)
	if len(ls) != len(DefaultLanguages()) || !ls["vi"].Offered || !ls["en"].Offered || ls["hmn"].Offered {
		t.Fatalf("seeded languages: %+v", ls)
	}
	if m := ls["hmn"].Missing; !slices.Contains(m, PromptTopicMenu) || slices.Contains(m, PromptLanguageMenu) {
		t.Errorf("hmn missing %v: want topic_menu missing, language_menu shipped", m)
	}
	if w := pc.do(t, "lan", "GET", "/api/v1/hotline/languages", nil); w.Code != 403 {
		t.Errorf("moderator GET languages: %d, want 403", w.Code)
	}

	for name, tc := range map[string]struct {
		path, body string
		code       int
		errCode    string
	}{
		"ErrKeyTaken":    {"/api/v1/hotline/languages/nun", `{"name":"Tiếng Nùng","menu_key":"1","active":true}`, 409, "menu_key_taken"},
		"ErrKeyTwoDigit": {"/api/v1/hotline/languages/nun", `{"name":"Tiếng Nùng","menu_key":"12"}`, 400, "bad_menu_key"},
		"ErrNameEmpty":   {"/api/v1/hotline/languages/nun", `{"name":" ","menu_key":"8"}`, 400, "bad_language_name"},
		"ErrCode":        {"/api/v1/hotline/languages/N%C3%B9ng", `{"name":"Nùng","menu_key":"8"}`, 400, "bad_language_code"},
	} {
		w := pc.do(t, "admin", "PUT", tc.path, []byte(tc.body))
		if w.Code != tc.code || !bytes.Contains(w.Body.Bytes(), []byte(`"code":"`+tc.errCode+`"`)) {
			t.Errorf("%s: %d %s, want %d %s", name, w.Code, w.Body, tc.code, tc.errCode)
		}
	}
	if _, ok := pc.languages(t)["nun"]; ok {
		t.Error("a refused language was stored")
	}

	if w := pc.do(t, "admin", "PUT", "/api/v1/hotline/languages/hmn", []byte(`{"name":"Tiếng H'Mông","menu_key":"3","active":true}`)); w.Code != 200 {
		t.Fatalf("activate hmn: %d %s", w.Code, w.Body)
	}
	// A new active language without its language_menu clip is not offered.
	if w := pc.do(t, "admin", "PUT", "/api/v1/hotline/languages/nun", []byte(`{"name":"Tiếng Nùng","menu_key":"8","active":true}`)); w.Code != 200 {
		t.Fatalf("add nun: %d %s", w.Code, w.Body)
	}

	upload := chirp(400, 2800, 0.8, 0.6, 44100)
	wav := testWAV(wavFloat, false, 44100, 32, monoFrames(upload))
	if w := pc.do(t, "admin", "PUT", "/api/v1/hotline/prompts/hmn/topic_menu", wav); w.Code != 204 {
		t.Fatalf("upload: %d %s", w.Code, w.Body)
	}
	before, _ := pc.store.PromptsVersion(context.Background())
	for name, tc := range map[string]struct {
		path string
		body []byte
		code int
	}{
		"ErrNotWAV":       {"/api/v1/hotline/prompts/hmn/greeting", []byte("ID3 an mp3"), 400},
		"ErrUnknownLang":  {"/api/v1/hotline/prompts/zz/greeting", wav, 404},
		"ErrUnknownName":  {"/api/v1/hotline/prompts/hmn/welcome", wav, 400},
		"ErrCompressed":   {"/api/v1/hotline/prompts/hmn/greeting", append(append([]byte(nil), wav[:20]...), append([]byte{0x55, 0}, wav[22:]...)...), 400},
		"ErrOverSizeBody": {"/api/v1/hotline/prompts/hmn/greeting", make([]byte, MaxPromptBytes+1), 400},
	} {
		w := pc.do(t, "admin", "PUT", tc.path, tc.body)
		if w.Code != tc.code || !bytes.Contains(w.Body.Bytes(), []byte(`"error"`)) {
			t.Errorf("%s: %d %s, want %d with a JSON error", name, w.Code, w.Body, tc.code)
		}
	}
	if after, _ := pc.store.PromptsVersion(context.Background()); after != before {
		t.Errorf("a refused upload changed the prompts (%s → %s)", before, after)
	}

	ls = pc.languages(t)
	if !ls["hmn"].Offered || slices.Contains(ls["hmn"].Missing, PromptTopicMenu) || ls["nun"].Offered || !slices.Contains(ls["nun"].Missing, PromptLanguageMenu) {
		t.Errorf("after upload: hmn %+v, nun %+v", ls["hmn"], ls["nun"])
	}
	w := pc.do(t, "admin", "GET", "/api/v1/hotline/prompts/hmn/topic_menu", nil)
	if w.Code != 200 || w.Header().Get("Content-Type") != "audio/wav" || w.Header().Get("X-Prompt-Source") != SourceUpload {
		t.Errorf("GET uploaded prompt: %d %v", w.Code, w.Header())
	}
	ref, err := DecodeWAV(w.Body.Bytes())
	if err != nil || len(ref) != 6400 {
		t.Fatalf("served prompt: %d samples, %v (want 0.8 s at 8 kHz)", len(ref), err)
	}
	if w := pc.do(t, "admin", "GET", "/api/v1/hotline/prompts/hmn/greeting", nil); w.Code != 200 || w.Header().Get("X-Prompt-Source") != "fallback:vi" {
		t.Errorf("GET missing prompt: %d %v, want the Vietnamese copy", w.Code, w.Header())
	}

	p := newPhone(t, "0912000333")
	p.mustCall(pc.addr, "1022", "udp")
	pc.steps.wait(t, p, "greeting")
	p.press("8") // Nùng is active but has no menu entry: not an option
	pc.steps.wait(t, p, "lang:invalid:8")
	p.press("3")
	pc.steps.wait(t, p, "lang:3:hmn")
	c := waitHeard(t, p, ref, 10*time.Second)
	t.Logf("correlation of the heard audio with the upload: %.3f", c)
	if c < 0.8 {
		t.Errorf("the uploaded H'Mông topic menu was not heard: best correlation %.2f", c)
	}
	p.hangup()
}
