package blob_test

import (
	"context"
	"io"
	"testing"
)

// BenchmarkHourRecording stores and reads back an hour of 8 kHz 16-bit
// audio (57.6 MB), the longest recording a call makes, in each store:
// go test ./internal/blob -run '^$' -bench HourRecording -benchtime 3x
func BenchmarkHourRecording(b *testing.B) {
	const size = 3600 * 8000 * 2
	for name, s := range stores(b) {
		b.Run(name+"/put", func(b *testing.B) {
			b.SetBytes(size)
			for b.Loop() {
				if err := s.Put(context.Background(), "hour.wav", &genReader{n: size, seed: 3}, size); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(name+"/get", func(b *testing.B) {
			b.SetBytes(size)
			for b.Loop() {
				r, _, err := s.Get(context.Background(), "hour.wav")
				if err != nil {
					b.Fatal(err)
				}
				if n, err := io.Copy(io.Discard, r); err != nil || n != size {
					b.Fatalf("read %d, %v", n, err)
				}
				r.Close()
			}
		})
	}
}
