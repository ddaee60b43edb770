package callcenter

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
)

// Telephony audio is 8 kHz mono 16-bit little-endian PCM; prompts must be in
// this format and recordings are written in it.
const (
	sampleRate     = 8000
	frameSamples   = 160 // 20 ms at 8 kHz
	wavHeaderBytes = 44
)

// ErrWAVFormat is returned for WAV data that is not 8 kHz mono 16-bit PCM.
var ErrWAVFormat = errors.New("callcenter: WAV must be 8 kHz mono 16-bit PCM")

// DecodeWAV reads a RIFF/WAVE file and returns its samples. Only the format
// telephony uses is accepted, so a prompt recorded at the wrong rate is
// refused when loaded instead of playing at the wrong speed.
func DecodeWAV(data []byte) ([]int16, error) {
	if len(data) < 12 || string(data[0:4]) != "RIFF" || string(data[8:12]) != "WAVE" {
		return nil, fmt.Errorf("%w: not a RIFF/WAVE file", ErrWAVFormat)
	}
	var fmtOK bool
	for p := 12; p+8 <= len(data); {
		id := string(data[p : p+4])
		size := int(binary.LittleEndian.Uint32(data[p+4 : p+8]))
		body := data[p+8:]
		if size > len(body) {
			size = len(body) // tolerate a truncated final chunk (sox writes exact sizes)
		}
		body = body[:size]
		switch id {
		case "fmt ":
			if size < 16 {
				return nil, fmt.Errorf("%w: short fmt chunk", ErrWAVFormat)
			}
			format := binary.LittleEndian.Uint16(body[0:2])
			channels := binary.LittleEndian.Uint16(body[2:4])
			rate := binary.LittleEndian.Uint32(body[4:8])
			bits := binary.LittleEndian.Uint16(body[14:16])
			if (format != 1 && format != 0xFFFE) || channels != 1 || rate != sampleRate || bits != 16 {
				return nil, fmt.Errorf("%w: got format %d, %d channels, %d Hz, %d bits", ErrWAVFormat, format, channels, rate, bits)
			}
			fmtOK = true
		case "data":
			if !fmtOK {
				return nil, fmt.Errorf("%w: data before fmt", ErrWAVFormat)
			}
			samples := make([]int16, size/2)
			for i := range samples {
				samples[i] = int16(binary.LittleEndian.Uint16(body[2*i:]))
			}
			return samples, nil
		}
		p += 8 + size + size%2 // chunks are padded to even sizes
	}
	return nil, fmt.Errorf("%w: no data chunk", ErrWAVFormat)
}

// EncodeWAV returns samples as a complete WAV file.
func EncodeWAV(samples []int16) []byte {
	out := make([]byte, wavHeaderBytes, wavHeaderBytes+2*len(samples))
	putWAVHeader(out, len(samples))
	for _, s := range samples {
		out = binary.LittleEndian.AppendUint16(out, uint16(s))
	}
	return out
}

func putWAVHeader(h []byte, samples int) {
	dataBytes := uint32(2 * samples)
	copy(h[0:], "RIFF")
	binary.LittleEndian.PutUint32(h[4:], 36+dataBytes)
	copy(h[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(h[16:], 16)
	binary.LittleEndian.PutUint16(h[20:], 1) // PCM
	binary.LittleEndian.PutUint16(h[22:], 1) // mono
	binary.LittleEndian.PutUint32(h[24:], sampleRate)
	binary.LittleEndian.PutUint32(h[28:], sampleRate*2)
	binary.LittleEndian.PutUint16(h[32:], 2)
	binary.LittleEndian.PutUint16(h[34:], 16)
	copy(h[36:], "data")
	binary.LittleEndian.PutUint32(h[40:], dataBytes)
}

// wavFileWriter streams samples to a WAV file whose header is completed by
// Close. It is not safe for concurrent use; the voicemail recorder guards it.
type wavFileWriter struct {
	f       *os.File
	w       *bufio.Writer
	samples int
	buf     []byte
}

func createWAVFile(path string) (*wavFileWriter, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o640)
	if err != nil {
		return nil, err
	}
	w := &wavFileWriter{f: f, w: bufio.NewWriterSize(f, 32<<10)}
	var h [wavHeaderBytes]byte
	putWAVHeader(h[:], 0)
	if _, err := w.w.Write(h[:]); err != nil {
		f.Close()
		return nil, err
	}
	return w, nil
}

func (w *wavFileWriter) Write(samples []int16) error {
	w.buf = w.buf[:0]
	for _, s := range samples {
		w.buf = binary.LittleEndian.AppendUint16(w.buf, uint16(s))
	}
	_, err := w.w.Write(w.buf)
	w.samples += len(samples)
	return err
}

// Close writes the final sizes into the header and fsyncs the file, so the
// recording is complete on disk before anyone refers to it.
func (w *wavFileWriter) Close() error {
	err := w.w.Flush()
	if err == nil {
		var h [wavHeaderBytes]byte
		putWAVHeader(h[:], w.samples)
		_, err = w.f.WriteAt(h[:], 0)
	}
	if err == nil {
		err = w.f.Sync()
	}
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	return err
}

// readWAVFile reads and decodes a WAV file from disk.
func readWAVFile(path string) ([]int16, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, 64<<20))
	if err != nil {
		return nil, err
	}
	return DecodeWAV(data)
}
