package blob_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/doithoai/doithoai/internal/blob"
	"github.com/doithoai/doithoai/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// stores gives each contract test both implementations over real servers:
// PostgreSQL (a database of the test's own) and devs3 (a separate process).
func stores(t testing.TB) map[string]blob.Store {
	t.Helper()
	s3, err := blob.NewS3(context.Background(), testenv.S3(t))
	if err != nil {
		t.Fatal(err)
	}
	return map[string]blob.Store{"postgres": blob.NewPostgres(testenv.NewDB(t)), "s3": s3}
}

func randomBytes(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// TestContract: put, stat, get whole and by range (through
// http.ServeContent, as the recording handlers serve it), replace, delete.
func TestContract(t *testing.T) {
	for name, s := range stores(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			key := "recordings/hotline/2026/12/02/a.wav"
			if _, err := s.Stat(ctx, key); !errors.Is(err, blob.ErrNotFound) {
				t.Fatalf("Stat before Put: %v, want ErrNotFound", err)
			}
			if _, _, err := s.Get(ctx, key); !errors.Is(err, blob.ErrNotFound) {
				t.Fatalf("Get before Put: %v, want ErrNotFound", err)
			}
			// Just over two chunks, so ranges cross chunk edges.
			data := randomBytes(2*blob.ChunkSize+1234, 1)
			before := time.Now().Add(-time.Minute)
			if err := s.Put(ctx, key, bytes.NewReader(data), int64(len(data))); err != nil {
				t.Fatal(err)
			}
			info, err := s.Stat(ctx, key)
			if err != nil || info.Size != int64(len(data)) || info.Modified.Before(before) {
				t.Fatalf("Stat: %+v, %v", info, err)
			}
			r, info, err := s.Get(ctx, key)
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(r)
			r.Close()
			if err != nil || !bytes.Equal(got, data) || info.Size != int64(len(data)) {
				t.Fatalf("Get: %d bytes (want %d), equal %t, %v", len(got), len(data), bytes.Equal(got, data), err)
			}
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
				r, info, err := s.Get(req.Context(), key)
				if err != nil {
					http.Error(w, err.Error(), 500)
					return
				}
				defer r.Close()
				http.ServeContent(w, req, "", info.Modified, r)
			}))
			defer srv.Close()
			for _, rg := range [][2]int{{0, 10}, {blob.ChunkSize - 5, blob.ChunkSize + 5}, {len(data) - 100, len(data) - 1}, {1000, 2*blob.ChunkSize + 100}} {
				req, _ := http.NewRequest("GET", srv.URL, nil)
				req.Header.Set("Range", "bytes="+itoa(rg[0])+"-"+itoa(rg[1]))
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusPartialContent || !bytes.Equal(body, data[rg[0]:rg[1]+1]) {
					t.Errorf("range %v: %d, %d bytes, equal %t", rg, resp.StatusCode, len(body), bytes.Equal(body, data[rg[0]:rg[1]+1]))
				}
			}
			// Seek then read, as a player resuming does.
			r, _, _ = s.Get(ctx, key)
			if _, err := r.Seek(blob.ChunkSize+7, io.SeekStart); err != nil {
				t.Fatal(err)
			}
			part := make([]byte, 100)
			if _, err := io.ReadFull(r, part); err != nil || !bytes.Equal(part, data[blob.ChunkSize+7:blob.ChunkSize+107]) {
				t.Errorf("seek+read: %v", err)
			}
			r.Close()

			// Put again replaces.
			small := []byte("RIFF-new")
			if err := s.Put(ctx, key, bytes.NewReader(small), int64(len(small))); err != nil {
				t.Fatal(err)
			}
			if got, err := blob.ReadAll(ctx, s, key, 1<<20); err != nil || !bytes.Equal(got, small) {
				t.Errorf("after replace: %q, %v", got, err)
			}
			if _, err := blob.ReadAll(ctx, s, key, 3); err == nil {
				t.Error("ReadAll over its limit did not fail")
			}
			// List by prefix, in key order; other prefixes stay out.
			for _, k := range []string{"recordings/hotline/2026/12/01/x.wav", "recordings/hotline/2026/12/02/b.wav", "recordings/answers/2026/12/1.wav"} {
				if err := s.Put(ctx, k, bytes.NewReader(small), int64(len(small))); err != nil {
					t.Fatal(err)
				}
			}
			infos, err := s.List(ctx, "recordings/hotline/2026/12/02/")
			if err != nil || len(infos) != 2 || infos[0].Key != key || infos[1].Key != "recordings/hotline/2026/12/02/b.wav" || infos[1].Size != int64(len(small)) {
				t.Errorf("List: %+v, %v", infos, err)
			}
			if infos, err := s.List(ctx, "nothing/"); err != nil || len(infos) != 0 {
				t.Errorf("List of an empty prefix: %+v, %v", infos, err)
			}

			if err := s.Delete(ctx, key); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Stat(ctx, key); !errors.Is(err, blob.ErrNotFound) {
				t.Errorf("Stat after Delete: %v", err)
			}
			if err := s.Delete(ctx, key); err != nil {
				t.Errorf("second Delete: %v", err)
			}
		})
	}
}

// TestLargeStreamed: a 10 MB blob goes in from a reader that is never held
// whole (a generator) and comes out byte for byte.
func TestLargeStreamed(t *testing.T) {
	const size = 10 << 20
	for name, s := range stores(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			if err := s.Put(ctx, "big", &genReader{n: size, seed: 7}, size); err != nil {
				t.Fatal(err)
			}
			r, info, err := s.Get(ctx, "big")
			if err != nil || info.Size != size {
				t.Fatalf("Get: %+v, %v", info, err)
			}
			defer r.Close()
			want := &genReader{n: size, seed: 7}
			a, b := make([]byte, 64<<10), make([]byte, 64<<10)
			var total int
			for {
				n, err := io.ReadFull(r, a)
				if n > 0 {
					if _, werr := io.ReadFull(want, b[:n]); werr != nil || !bytes.Equal(a[:n], b[:n]) {
						t.Fatalf("differs near byte %d", total)
					}
					total += n
				}
				if err != nil {
					break
				}
			}
			if total != size {
				t.Fatalf("read %d bytes, want %d", total, size)
			}
		})
	}
}

// TestFailedPutLeavesNothing: a reader that fails half-way, one that is
// short, one that is long and a bad key each fail Put, and no blob is
// visible — nor is a blob that was there before changed.
func TestFailedPutLeavesNothing(t *testing.T) {
	for name, s := range stores(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			boom := errors.New("disk gone")
			const size = 3 << 20
			if err := s.Put(ctx, "fail", io.MultiReader(&genReader{n: size / 2, seed: 1}, errReader{boom}), size); err == nil {
				t.Fatal("Put over a failing reader succeeded")
			}
			if err := s.Put(ctx, "short", &genReader{n: 1000, seed: 1}, 2000); err == nil {
				t.Error("Put of a short reader succeeded")
			}
			if err := s.Put(ctx, "long", &genReader{n: 3000, seed: 1}, 2000); err == nil {
				t.Error("Put of a long reader succeeded")
			}
			for _, k := range []string{"fail", "short", "long"} {
				if _, err := s.Stat(ctx, k); !errors.Is(err, blob.ErrNotFound) {
					t.Errorf("%s after a failed Put: %v, want ErrNotFound", k, err)
				}
			}
			for _, k := range []string{"", "/abs", "a/../b", "a//b", "a\\b", "tab\there"} {
				if err := s.Put(ctx, k, bytes.NewReader([]byte("x")), 1); err == nil {
					t.Errorf("key %q accepted", k)
				}
			}
			old := []byte("kept")
			if err := s.Put(ctx, "kept", bytes.NewReader(old), 4); err != nil {
				t.Fatal(err)
			}
			if err := s.Put(ctx, "kept", io.MultiReader(bytes.NewReader([]byte("ne")), errReader{boom}), 4); err == nil {
				t.Fatal("failing replace succeeded")
			}
			if got, err := blob.ReadAll(ctx, s, "kept", 100); err != nil || !bytes.Equal(got, old) {
				t.Errorf("after a failed replace: %q, %v; want the old blob", got, err)
			}
		})
	}
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// genReader yields n pseudo-random bytes without holding them.
type genReader struct {
	n    int
	seed uint64
	r    *rand.Rand
}

func (g *genReader) Read(b []byte) (int, error) {
	if g.r == nil {
		g.r = rand.New(rand.NewPCG(g.seed, g.seed+1))
	}
	if g.n == 0 {
		return 0, io.EOF
	}
	n := min(len(b), g.n)
	for i := range n {
		b[i] = byte(g.r.Uint32())
	}
	g.n -= n
	return n, nil
}

func itoa(i int) string { return strconv.Itoa(i) }
