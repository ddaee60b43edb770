// Package blob keeps large binary objects (call recordings, spoken answers)
// where every node reads them: in PostgreSQL by default, so that one backup
// holds everything and a single node needs nothing more, or in an
// S3-compatible object store when one is configured.
package blob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// ErrNotFound is returned by Get and Stat for a key that holds no blob.
var ErrNotFound = errors.New("blob: not found")

// Store is where blobs live. Implementations are safe for concurrent use.
type Store interface {
	// Put stores exactly size bytes read from r under key, replacing any
	// blob there. When it returns nil the blob is durable (committed, or
	// acknowledged by the object store); on any error — r failing, fewer
	// or more than size bytes — nothing under key has changed.
	Put(ctx context.Context, key string, r io.Reader, size int64) error
	// Get opens the blob for reading; the reader seeks, so
	// http.ServeContent answers range requests from it. The caller closes
	// it. ctx bounds every read made through it.
	Get(ctx context.Context, key string) (Reader, Info, error)
	// Stat tells whether key holds a blob and how large it is.
	Stat(ctx context.Context, key string) (Info, error)
	// Delete removes the blob; a key that holds none is not an error.
	Delete(ctx context.Context, key string) error
	// List returns the blobs whose key starts with prefix, in key order,
	// at most ListMax of them (for sweeps over a day's keys).
	List(ctx context.Context, prefix string) ([]Info, error)
}

// ListMax bounds what one List returns.
const ListMax = 10000

// Reader reads one blob from any offset.
type Reader interface {
	io.ReadSeekCloser
}

// Info describes a stored blob.
type Info struct {
	Key      string
	Size     int64
	Modified time.Time
}

// CheckKey rejects keys that object stores or paths would read
// differently: empty, over 512 bytes, absolute, with "." or ".." segments,
// backslashes or control characters.
func CheckKey(key string) error {
	if key == "" || len(key) > 512 || strings.HasPrefix(key, "/") || strings.ContainsAny(key, "\\") {
		return fmt.Errorf("blob: bad key %q", key)
	}
	for _, r := range key {
		if r < 0x20 || r == 0x7f {
			return fmt.Errorf("blob: bad key %q", key)
		}
	}
	for _, seg := range strings.Split(key, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return fmt.Errorf("blob: bad key %q", key)
		}
	}
	return nil
}

// ReadAll reads a whole blob of at most limit bytes (spoken answers played
// on the phone); a larger one is an error rather than a large allocation.
func ReadAll(ctx context.Context, s Store, key string, limit int64) ([]byte, error) {
	r, info, err := s.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	if info.Size > limit {
		return nil, fmt.Errorf("blob: %s is %d bytes, more than %d", key, info.Size, limit)
	}
	buf := make([]byte, info.Size)
	if _, err := io.ReadFull(r, buf); err != nil {
		return nil, fmt.Errorf("blob: read %s: %w", key, err)
	}
	return buf, nil
}
