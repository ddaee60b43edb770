package blob

import (
	"context"

	"fmt"
	"io"
	"net/http"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// S3Config is where an S3-compatible object store is (S3_* settings).
type S3Config struct {
	Endpoint  string // host:port, no scheme
	Bucket    string
	AccessKey string
	SecretKey string
	Region    string // empty: the server's default
	UseTLS    bool
}

// S3 keeps each blob as one object of the bucket.
type S3 struct {
	c      *minio.Client
	bucket string
}

// NewS3 connects to the store and creates the bucket if it is missing, so
// a misconfigured endpoint or key fails at start-up, not at the first call.
func NewS3(ctx context.Context, cfg S3Config) (*S3, error) {
	c, err := minio.New(cfg.Endpoint, &minio.Options{
		Creds:  credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
		Secure: cfg.UseTLS,
		Region: cfg.Region,
	})
	if err != nil {
		return nil, fmt.Errorf("blob.NewS3: %w", err)
	}
	ok, err := c.BucketExists(ctx, cfg.Bucket)
	if err != nil {
		return nil, fmt.Errorf("blob.NewS3: bucket %s: %w", cfg.Bucket, err)
	}
	if !ok {
		if err := c.MakeBucket(ctx, cfg.Bucket, minio.MakeBucketOptions{Region: cfg.Region}); err != nil {
			return nil, fmt.Errorf("blob.NewS3: create bucket %s: %w", cfg.Bucket, err)
		}
	}
	return &S3{c: c, bucket: cfg.Bucket}, nil
}

// Put uploads the object; S3 makes an object visible only once its upload
// completed, and acknowledges it only once it is stored.
func (s *S3) Put(ctx context.Context, key string, r io.Reader, size int64) error {
	if err := CheckKey(key); err != nil {
		return err
	}
	if size < 0 {
		return fmt.Errorf("blob.Put %s: negative size", key)
	}
	// Exactly size bytes: a short reader fails the upload (minio-go sends
	// Content-Length), a long one is caught here.
	// Parts of 64 MiB: a recording (at most ~58 MB) is one PUT, the
	// simplest request every S3-compatible server gets right.
	cr := &countReader{r: r}
	_, err := s.c.PutObject(ctx, s.bucket, key, cr, size, minio.PutObjectOptions{ContentType: "application/octet-stream", PartSize: 64 << 20})
	if err != nil {
		return fmt.Errorf("blob.Put %s: %w", key, err)
	}
	// What the server says it holds, not what the client sent: a server
	// that stored the upload's framing with it is caught here.
	st, err := s.c.StatObject(ctx, s.bucket, key, minio.StatObjectOptions{})
	if err != nil || st.Size != size || cr.n != size {
		_ = s.c.RemoveObject(context.WithoutCancel(ctx), s.bucket, key, minio.RemoveObjectOptions{})
		return fmt.Errorf("blob.Put %s: stored %d of %d bytes (sent %d): %v", key, st.Size, size, cr.n, err)
	}
	if n, _ := r.Read(make([]byte, 1)); n > 0 {
		_ = s.c.RemoveObject(context.WithoutCancel(ctx), s.bucket, key, minio.RemoveObjectOptions{})
		return fmt.Errorf("blob.Put %s: more than %d bytes", key, size)
	}
	return nil
}

type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.n += int64(n)
	return n, err
}

// Get opens the object; minio-go's Object seeks by issuing ranged GETs.
func (s *S3) Get(ctx context.Context, key string) (Reader, Info, error) {
	obj, err := s.c.GetObject(ctx, s.bucket, key, minio.GetObjectOptions{})
	if err != nil {
		return nil, Info{}, s3Err("blob.Get", key, err)
	}
	st, err := obj.Stat()
	if err != nil {
		obj.Close()
		return nil, Info{}, s3Err("blob.Get", key, err)
	}
	return obj, Info{Key: key, Size: st.Size, Modified: st.LastModified}, nil
}

// Stat asks for the object's metadata.
func (s *S3) Stat(ctx context.Context, key string) (Info, error) {
	st, err := s.c.StatObject(ctx, s.bucket, key, minio.StatObjectOptions{})
	if err != nil {
		return Info{}, s3Err("blob.Stat", key, err)
	}
	return Info{Key: key, Size: st.Size, Modified: st.LastModified}, nil
}

// Delete removes the object (S3 answers a missing key with success too).
func (s *S3) Delete(ctx context.Context, key string) error {
	if err := s.c.RemoveObject(ctx, s.bucket, key, minio.RemoveObjectOptions{}); err != nil {
		return s3Err("blob.Delete", key, err)
	}
	return nil
}

// List lists the bucket under prefix.
func (s *S3) List(ctx context.Context, prefix string) ([]Info, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // stops minio-go's listing goroutine when we stop early
	var infos []Info
	for o := range s.c.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{Prefix: prefix, Recursive: true}) {
		if o.Err != nil {
			return nil, fmt.Errorf("blob.List %s: %w", prefix, o.Err)
		}
		infos = append(infos, Info{Key: o.Key, Size: o.Size, Modified: o.LastModified})
		if len(infos) == ListMax {
			break
		}
	}
	return infos, nil
}

func s3Err(op, key string, err error) error {
	resp := minio.ToErrorResponse(err)
	if resp.Code == "NoSuchKey" || resp.StatusCode == http.StatusNotFound && resp.Code != "NoSuchBucket" {
		return ErrNotFound
	}
	return fmt.Errorf("%s %s: %w", op, key, err)
}

var _ Store = (*S3)(nil)
