package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/doithoai/doithoai/internal/blob"
	"github.com/doithoai/doithoai/internal/testenv"
)

// TestNodeBlobStoreS3: a node started with BLOB_STORE=s3 reaches the
// bucket (devs3, a separate process) and, at start, moves the recordings
// an older version left under its DATA_DIR into it: the file leaves the
// disk and the object holds the same bytes.
func TestNodeBlobStoreS3(t *testing.T) {
	t.Parallel()
	s3 := testenv.S3(t)
	dataDir := t.TempDir()
	rel := "recordings/hotline/2025/01/02/080000-old.wav"
	wav := append([]byte("RIFF....WAVEfmt "), bytes.Repeat([]byte{7, 9}, 4000)...)
	p := filepath.Join(dataDir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, wav, 0o640); err != nil {
		t.Fatal(err)
	}
	MustStartNode(t, "", withEnvFunc(func(env map[string]string) {
		env["DATA_DIR"], env["BLOB_STORE"], env["S3_ENDPOINT"], env["S3_BUCKET"] = dataDir, "s3", s3.Endpoint, s3.Bucket
		env["S3_ACCESS_KEY"], env["S3_SECRET_KEY"], env["S3_REGION"], env["S3_USE_TLS"] = s3.AccessKey, s3.SecretKey, s3.Region, "false"
	}))
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if _, err := os.Stat(p); os.IsNotExist(err) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the old recording was not moved out of DATA_DIR")
		}
	}
	store, err := blob.NewS3(context.Background(), s3)
	if err != nil {
		t.Fatal(err)
	}
	got, err := blob.ReadAll(context.Background(), store, rel, 1<<20)
	if err != nil || !bytes.Equal(got, wav) {
		t.Fatalf("object in the bucket: %d bytes (want %d), %v", len(got), len(wav), err)
	}
}
