package s3

import (
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strconv"

	"github.com/minio/minio-go/v7"

	"github.com/ouraexport/ouraexport/sinks"
)

// newFile starts the object key: a spool file, hashed while the sink writes
// it (sinks.StagedFile), uploaded on Commit.
func newFile(s *store, key, rel string) (*sinks.StagedFile, error) {
	f, err := os.CreateTemp(s.spool, "part-*")
	if err != nil {
		return nil, fmt.Errorf("create %s: spool: %w", rel, err)
	}
	return sinks.NewStagedFile(f, rel, func(f *os.File, size int64) error { return s.upload(f, size, key, rel) }), nil
}

// upload sends the spool file f of size bytes to the object key: one PUT
// (with its MD5, which the server checks) up to the part size, a parallel
// multipart upload above it. Either way the object appears whole or not
// at all.
func (s *store) upload(f *os.File, size int64, key, rel string) error {
	if s.closed.Load() {
		return fmt.Errorf("commit %s: the S3 folder was closed", rel)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("commit %s: spool: %w", rel, err)
	}
	opts := minio.PutObjectOptions{
		ContentType:    contentType(key),
		PartSize:       uint64(s.partSize),
		SendContentMd5: size <= s.partSize,
		NumThreads:     4,
	}
	info, err := s.client.PutObject(s.ctx, s.bucket, key, f, size, opts)
	if err != nil {
		if ctxErr := s.ctx.Err(); ctxErr != nil {
			err = ctxErr
		}
		return fmt.Errorf("upload %s to %s: %w", rel, s.url, describe(err))
	}
	if info.Size != size {
		return fmt.Errorf("upload %s to %s: the server stored %d bytes of %d", rel, s.url, info.Size, size)
	}
	return nil
}

// contentType is the media type an object is stored with, by its extension.
func contentType(key string) string {
	switch path.Ext(key) {
	case ".parquet":
		return "application/vnd.apache.parquet"
	case ".csv":
		return "text/csv; charset=utf-8"
	case ".zip":
		return "application/zip"
	case ".json":
		return "application/json"
	}
	return "application/octet-stream"
}

// newSpool makes this process's spool folder in base/ouraexport-s3-spool
// (base "" is the system's temporary folder) after removing those of
// processes that are gone: the folders have sinks' temporary names, so
// sinks.LocalDir does the cleaning.
func newSpool(base string) (string, error) {
	if base == "" {
		base = filepath.Join(os.TempDir(), "ouraexport-"+strconv.Itoa(os.Getuid()))
	}
	parent := filepath.Join(base, "ouraexport-s3-spool")
	if _, err := sinks.LocalDir(parent); err != nil { // removes stale spool folders
		return "", fmt.Errorf("s3: spool folder: %w", err)
	}
	dir, err := sinks.MkdirTemp(parent, "spool")
	if err != nil {
		return "", fmt.Errorf("s3: spool folder: %w", err)
	}
	return dir, nil
}
