package callcenter

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/doithoai/doithoai/internal/blob"
)

// dirBlobs keeps blobs as files under root at their key's path: the blob
// store of the stand-alone engine (sipload, manual softphone tests) and of
// the SIP engine tests, which run without PostgreSQL (NewMemoryStore), so a
// recording is read where its ticket names it. The node itself keeps blobs
// in PostgreSQL or S3 (internal/blob).
type dirBlobs struct{ root string }

func (d dirBlobs) path(key string) string { return filepath.Join(d.root, filepath.FromSlash(key)) }

func (d dirBlobs) Put(_ context.Context, key string, r io.Reader, size int64) error {
	if err := blob.CheckKey(key); err != nil {
		return err
	}
	p := d.path(key)
	if err := os.MkdirAll(filepath.Dir(p), 0o750); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(p), ".put-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	n, err := io.Copy(f, r)
	if err == nil && n != size {
		err = errors.New("dirBlobs: size mismatch")
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return os.Rename(f.Name(), p)
}

func (d dirBlobs) Get(_ context.Context, key string) (blob.Reader, blob.Info, error) {
	f, err := os.Open(d.path(key))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, blob.Info{}, blob.ErrNotFound
	}
	if err != nil {
		return nil, blob.Info{}, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, blob.Info{}, err
	}
	return f, blob.Info{Key: key, Size: st.Size(), Modified: st.ModTime()}, nil
}

func (d dirBlobs) Stat(ctx context.Context, key string) (blob.Info, error) {
	r, info, err := d.Get(ctx, key)
	if err == nil {
		r.Close()
	}
	return info, err
}

func (d dirBlobs) List(_ context.Context, prefix string) ([]blob.Info, error) {
	var infos []blob.Info
	err := filepath.WalkDir(d.root, func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() || strings.HasPrefix(e.Name(), ".put-") {
			return err
		}
		rel, _ := filepath.Rel(d.root, p)
		if key := filepath.ToSlash(rel); strings.HasPrefix(key, prefix) {
			st, err := e.Info()
			if err != nil {
				return err
			}
			infos = append(infos, blob.Info{Key: key, Size: st.Size(), Modified: st.ModTime()})
		}
		return nil
	})
	return infos, err
}

func (d dirBlobs) Delete(_ context.Context, key string) error {
	if err := os.Remove(d.path(key)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}
