package blob

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// ChunkSize is how many bytes each blob_chunks row holds: large enough
// that an hour of 8 kHz audio is ~230 rows, small enough that a range
// request or a read buffer stays small.
const ChunkSize = 256 << 10

// Postgres keeps blobs in the blobs and blob_chunks tables (migration
// 00071).
type Postgres struct {
	pool      *pgxpool.Pool
	chunkSize int
}

// NewPostgres returns the store over pool.
func NewPostgres(pool *pgxpool.Pool) *Postgres { return &Postgres{pool: pool, chunkSize: ChunkSize} }

// Put streams r into chunks with COPY inside one transaction: the blob
// appears whole at commit or not at all, and the commit is durable
// (synchronous_commit) before Put returns.
func (s *Postgres) Put(ctx context.Context, key string, r io.Reader, size int64) error {
	if err := CheckKey(key); err != nil {
		return err
	}
	if size < 0 {
		return fmt.Errorf("blob.Put %s: negative size", key)
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("blob.Put %s: %w", key, err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if _, err := tx.Exec(ctx, `DELETE FROM blobs WHERE key = $1`, key); err != nil {
		return fmt.Errorf("blob.Put %s: %w", key, err)
	}
	var id int64
	if err := tx.QueryRow(ctx, `INSERT INTO blobs (key, size, chunk_size) VALUES ($1, $2, $3) RETURNING id`,
		key, size, s.chunkSize).Scan(&id); err != nil {
		return fmt.Errorf("blob.Put %s: %w", key, err)
	}
	src := &chunkSource{id: id, r: r, left: size, chunk: s.chunkSize}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"blob_chunks"}, []string{"blob_id", "seq", "data"}, src); err != nil {
		return fmt.Errorf("blob.Put %s: %w", key, err)
	}
	if src.err != nil {
		return fmt.Errorf("blob.Put %s: %w", key, src.err)
	}
	// More bytes than announced is a caller's mistake as much as fewer.
	if n, err := r.Read(make([]byte, 1)); n > 0 {
		return fmt.Errorf("blob.Put %s: more than %d bytes", key, size)
	} else if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("blob.Put %s: %w", key, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("blob.Put %s: %w", key, err)
	}
	return nil
}

// chunkSource feeds COPY one chunk at a time, so a blob is never held in
// memory whole.
type chunkSource struct {
	id    int64
	r     io.Reader
	left  int64
	chunk int
	seq   int32
	data  []byte
	err   error
}

func (c *chunkSource) Next() bool {
	if c.left == 0 || c.err != nil {
		return false
	}
	// A fresh buffer per row: pgx may still hold the previous one.
	c.data = make([]byte, min(int64(c.chunk), c.left))
	if _, err := io.ReadFull(c.r, c.data); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			err = fmt.Errorf("%d bytes short: %w", c.left, io.ErrUnexpectedEOF)
		}
		c.err = err
		return false
	}
	c.left -= int64(len(c.data))
	c.seq++
	return true
}

func (c *chunkSource) Values() ([]any, error) { return []any{c.id, c.seq - 1, c.data}, nil }

// Err ends COPY with the reader's error, which rolls the rows back.
func (c *chunkSource) Err() error { return c.err }

// Get opens key for reading; chunks are fetched as reads reach them.
func (s *Postgres) Get(ctx context.Context, key string) (Reader, Info, error) {
	var id int64
	var chunk int
	info := Info{Key: key}
	err := s.pool.QueryRow(ctx, `SELECT id, size, chunk_size, created_at FROM blobs WHERE key = $1`, key).
		Scan(&id, &info.Size, &chunk, &info.Modified)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, Info{}, ErrNotFound
	}
	if err != nil {
		return nil, Info{}, fmt.Errorf("blob.Get %s: %w", key, err)
	}
	return &pgReader{ctx: ctx, pool: s.pool, key: key, id: id, size: info.Size, chunk: int64(chunk), seq: -1}, info, nil
}

// pgReader holds one chunk at a time. Not safe for concurrent use.
type pgReader struct {
	ctx   context.Context
	pool  *pgxpool.Pool
	key   string
	id    int64
	size  int64
	chunk int64
	off   int64
	seq   int64  // the chunk in data; -1 for none
	data  []byte //
}

func (p *pgReader) Read(b []byte) (int, error) {
	if p.off >= p.size {
		return 0, io.EOF
	}
	seq := p.off / p.chunk
	if seq != p.seq {
		p.data = p.data[:0]
		err := p.pool.QueryRow(p.ctx, `SELECT data FROM blob_chunks WHERE blob_id = $1 AND seq = $2`, p.id, seq).Scan(&p.data)
		if errors.Is(err, pgx.ErrNoRows) { // deleted while being read
			return 0, fmt.Errorf("blob.Read %s: chunk %d: %w", p.key, seq, io.ErrUnexpectedEOF)
		}
		if err != nil {
			return 0, fmt.Errorf("blob.Read %s: %w", p.key, err)
		}
		p.seq = seq
	}
	n := copy(b, p.data[p.off-seq*p.chunk:])
	p.off += int64(n)
	return n, nil
}

func (p *pgReader) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		offset += p.off
	case io.SeekEnd:
		offset += p.size
	default:
		return 0, errors.New("blob.Seek: bad whence")
	}
	if offset < 0 {
		return 0, errors.New("blob.Seek: negative position")
	}
	p.off = offset
	return offset, nil
}

func (p *pgReader) Close() error { p.data = nil; return nil }

// Stat reports key's size and when it was stored.
func (s *Postgres) Stat(ctx context.Context, key string) (Info, error) {
	info := Info{Key: key}
	err := s.pool.QueryRow(ctx, `SELECT size, created_at FROM blobs WHERE key = $1`, key).Scan(&info.Size, &info.Modified)
	if errors.Is(err, pgx.ErrNoRows) {
		return Info{}, ErrNotFound
	}
	if err != nil {
		return Info{}, fmt.Errorf("blob.Stat %s: %w", key, err)
	}
	return info, nil
}

// Delete removes key's row; its chunks go with it (ON DELETE CASCADE).
func (s *Postgres) Delete(ctx context.Context, key string) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM blobs WHERE key = $1`, key); err != nil {
		return fmt.Errorf("blob.Delete %s: %w", key, err)
	}
	return nil
}

// List reads the blobs table under prefix.
func (s *Postgres) List(ctx context.Context, prefix string) ([]Info, error) {
	rows, err := s.pool.Query(ctx, `SELECT key, size, created_at FROM blobs WHERE starts_with(key, $1) ORDER BY key LIMIT $2`, prefix, ListMax)
	if err != nil {
		return nil, fmt.Errorf("blob.List %s: %w", prefix, err)
	}
	infos, err := pgx.CollectRows(rows, pgx.RowToStructByPos[Info])
	if err != nil {
		return nil, fmt.Errorf("blob.List %s: %w", prefix, err)
	}
	return infos, nil
}

var _ Store = (*Postgres)(nil)
