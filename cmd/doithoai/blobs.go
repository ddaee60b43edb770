package main

import (
	"context"
	"fmt"

	"github.com/doithoai/doithoai/internal/blob"
)

// openBlobs is where the node keeps recordings and spoken answers
// (BLOB_STORE): the database by default, so every node reads them and a
// backup of PostgreSQL holds them; or an S3-compatible bucket, reached at
// start so a wrong endpoint or key stops the node at once.
func (a *app) openBlobs(ctx context.Context) (blob.Store, error) {
	if a.cfg.BlobStore != "s3" {
		return blob.NewPostgres(a.pool), nil
	}
	s := a.cfg.S3
	st, err := blob.NewS3(ctx, blob.S3Config{Endpoint: s.Endpoint, Bucket: s.Bucket, AccessKey: s.AccessKey,
		SecretKey: s.SecretKey, Region: s.Region, UseTLS: s.UseTLS})
	if err != nil {
		return nil, fmt.Errorf("BLOB_STORE=s3: %w", err)
	}
	return st, nil
}
