package callcenter

import (
	"errors"
	"path/filepath"
	"testing"
)

func TestWAVRoundTrip(t *testing.T) {
	t.Parallel()
	in := []int16{0, 1, -1, 32767, -32768, 1234}
	out, err := DecodeWAV(EncodeWAV(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != len(in) {
		t.Fatalf("got %d samples, want %d", len(out), len(in))
	}
	for i := range in {
		if in[i] != out[i] {
			t.Fatalf("sample %d: got %d want %d", i, out[i], in[i])
		}
	}
}

func TestWAVFileWriter(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "r.wav")
	w, err := createWAVFile(path)
	if err != nil {
		t.Fatal(err)
	}
	frame := make([]int16, frameSamples)
	for i := range frame {
		frame[i] = int16(i * 10)
	}
	for range 50 {
		if err := w.Write(frame); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	got, err := readWAVFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 50*frameSamples || got[159] != 1590 {
		t.Fatalf("read back %d samples, last of frame %d", len(got), got[159])
	}
	if _, err := createWAVFile(path); err == nil {
		t.Fatal("createWAVFile overwrote an existing recording")
	}
}

func TestDecodeWAVRejectsWrongFormat(t *testing.T) {
	t.Parallel()
	data := EncodeWAV([]int16{1, 2, 3})
	data[24] = 0x44 // sample rate 16 kHz (0x3E80 → 0x3E44 low byte changed)
	data[25] = 0xAC
	if _, err := DecodeWAV(data); !errors.Is(err, ErrWAVFormat) {
		t.Fatalf("err = %v, want ErrWAVFormat", err)
	}
	if _, err := DecodeWAV([]byte("nope")); !errors.Is(err, ErrWAVFormat) {
		t.Fatalf("err = %v, want ErrWAVFormat", err)
	}
}
