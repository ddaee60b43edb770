package main

import (
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/doithoai/doithoai/callcenter"
)

// TestBaresipHearsMinorityLanguagePrompt: a province whose hotline speaks
// H'Mông only (switched on, Vietnamese and English off, through the API)
// uploads its topic menu as a 44.1 kHz stereo WAV; a real softphone that
// calls hears that recording (found by correlation in what it decoded),
// after the greeting that H'Mông lacks and plays in Vietnamese.
func TestBaresipHearsMinorityLanguagePrompt(t *testing.T) {
	t.Parallel()
	n, port := startHotlineNode(t)
	MustRun(t, n.DBURL, "", "seed")
	MustCreateUser(t, n, "admin", "admin1", "admin-password")
	a := newClient(t, n)
	a.MustLogin("admin1", "admin-password")
	for code, body := range map[string]string{
		"hmn": `{"name":"Tiếng H'Mông","menu_key":"3","active":true}`,
		"vi":  `{"name":"Tiếng Việt","menu_key":"1","active":false}`,
		"en":  `{"name":"English","menu_key":"2","active":false}`,
	} {
		if r := a.Do("PUT", "/api/v1/hotline/languages/"+code, body, nil); r.StatusCode != 200 {
			t.Fatalf("PUT language %s: %d", code, r.StatusCode)
		}
	}
	const rate, secs = 44100, 1.0
	frames := int(rate * secs)
	pcm := make([]byte, 0, frames*4)
	for i := 0; i < frames; i++ {
		x := float64(i) / rate
		v := int16(14000 * math.Sin(2*math.Pi*(400*x+2400*x*x/(2*secs)))) // 400 → 2800 Hz sweep
		pcm = append(pcm, byte(v), byte(v>>8), byte(v), byte(v>>8))       // stereo
	}
	wav := stereoWAV(rate, pcm)
	if r := a.Do("PUT", "/api/v1/hotline/prompts/hmn/topic_menu", wav, nil); r.StatusCode != 204 {
		t.Fatalf("upload: %d", r.StatusCode)
	}
	r := a.Do("GET", "/api/v1/hotline/prompts/hmn/topic_menu", nil, nil)
	served, _ := io.ReadAll(r.Body)
	ref, err := callcenter.DecodeWAV(served)
	if err != nil {
		t.Fatal(err)
	}

	caller, dir := baresip(t, "<sip:0912555777@127.0.0.1>;regint=0", 10, fmt.Sprintf("/dial sip:1022@127.0.0.1:%d", port))
	done := make(chan error, 1)
	go func() { done <- caller.Wait() }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("baresip caller did not quit")
	}
	dumps, _ := filepath.Glob(filepath.Join(dir, "dump-*-dec.wav"))
	if len(dumps) != 1 {
		t.Fatalf("no recording of what the caller heard: %v", dumps)
	}
	raw, err := os.ReadFile(dumps[0])
	if err != nil {
		t.Fatal(err)
	}
	heard, err := callcenter.ConvertWAV(raw) // whatever rate baresip wrote
	if err != nil {
		t.Fatalf("%s: %v", dumps[0], err)
	}
	mid := ref[len(ref)/2-2000 : len(ref)/2+2000]
	c := correlation(heard, mid)
	t.Logf("best correlation of what baresip heard with the upload: %.3f", c)
	if c < 0.8 {
		t.Errorf("the softphone did not hear the uploaded H'Mông topic menu: best correlation %.2f over %.1f s", c, float64(len(heard))/8000)
	}
}

// correlation is the best normalised cross-correlation of ref in heard.
func correlation(heard, ref []int16) float64 {
	var refE float64
	for _, v := range ref {
		refE += float64(v) * float64(v)
	}
	best := 0.0
	for lag := 0; lag+len(ref) <= len(heard); lag++ {
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

func stereoWAV(rate int, pcm []byte) []byte {
	h := callcenter.EncodeWAV(nil)
	le := func(b []byte, v uint32) { b[0], b[1], b[2], b[3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24) }
	le(h[4:], uint32(36+len(pcm)))
	h[22] = 2 // channels
	le(h[24:], uint32(rate))
	le(h[28:], uint32(rate*4))
	h[32] = 4 // block align
	le(h[40:], uint32(len(pcm)))
	return append(h, pcm...)
}
