package jsonarchive

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/ouraexport/ouraexport/sinks"
)

// maxLine bounds the length of one NDJSON line Check accepts (a raw document).
const maxLine = 256 << 20

// Check re-reads an archive completely: the zip's directory, its
// manifest.json, and every entry, inflated (which checks its CRC-32),
// hashed and, for NDJSON entries, parsed line by line. Each entry must match
// the manifest's size, SHA-256 and record count, and every entry must be in
// the manifest. It returns the number of records in data/, and every
// problem found (sinks.Problems), each naming its entry. It is the Checker
// registered for ".zip".
func Check(ctx context.Context, r io.ReaderAt, size int64) (int64, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return 0, fmt.Errorf("%w as zip: %w; the archive is damaged or truncated", sinks.ErrDecode, err)
	}
	byName := make(map[string]*zip.File, len(zr.File))
	var errs []error
	for _, f := range zr.File {
		if byName[f.Name] != nil {
			errs = append(errs, fmt.Errorf("%s: %w: the archive holds two entries of this name", f.Name, sinks.ErrDecode))
		}
		byName[f.Name] = f
	}
	mf := byName[ManifestName]
	if mf == nil {
		return 0, fmt.Errorf("%s: %w: the archive has no manifest; it was not made by ouraexport, or is damaged", ManifestName, sinks.ErrManifest)
	}
	m, err := readManifest(mf)
	if err != nil {
		return 0, sinks.Problems(append(errs, fmt.Errorf("%s: %w: %w", ManifestName, sinks.ErrManifest, err)))
	}
	listed := make(map[string]bool, len(m.Files))
	var rows int64
	buf := bufio.NewReaderSize(nil, 64<<10)
	for _, want := range m.Files {
		listed[want.Path] = true
		f := byName[want.Path]
		if f == nil {
			errs = append(errs, fmt.Errorf("%s: %w: listed in %s but not in the archive; the archive is incomplete", want.Path, sinks.ErrMissing, ManifestName))
			continue
		}
		got, err := readEntry(ctx, f, buf)
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w: %w; the entry is damaged", want.Path, sinks.ErrDecode, err))
			continue
		}
		switch {
		case got.Size != want.Size:
			errs = append(errs, fmt.Errorf("%s: %w: %d bytes, %d in %s; the entry was truncated or changed", want.Path, sinks.ErrSize, got.Size, want.Size, ManifestName))
		case got.SHA256 != want.SHA256:
			errs = append(errs, fmt.Errorf("%s: %w: the entry changed after the export", want.Path, sinks.ErrDigest))
		case got.Rows != want.Rows:
			errs = append(errs, fmt.Errorf("%s: %w: %d records, %d in %s", want.Path, sinks.ErrRows, got.Rows, want.Rows, ManifestName))
		}
		if strings.HasPrefix(want.Path, "data/") {
			rows += got.Rows
		}
	}
	for _, f := range zr.File {
		if f.Name != ManifestName && !listed[f.Name] {
			errs = append(errs, fmt.Errorf("%s: %w %s: it is not part of the export", f.Name, sinks.ErrExtra, ManifestName))
		}
	}
	if len(errs) > 0 {
		return rows, sinks.Problems(errs)
	}
	return rows, nil
}

func readManifest(f *zip.File) (sinks.Manifest, error) {
	rc, err := f.Open()
	if err != nil {
		return sinks.Manifest{}, err
	}
	defer rc.Close()
	m, err := sinks.DecodeManifest(rc)
	if err != nil {
		return sinks.Manifest{}, err
	}
	if _, err := io.Copy(io.Discard, rc); err != nil { // reach the end, where the CRC-32 is checked
		return sinks.Manifest{}, err
	}
	return m, nil
}

// readEntry inflates an entry and returns its size, SHA-256 and, for NDJSON
// entries, its number of lines, each of which must be one JSON value.
func readEntry(ctx context.Context, f *zip.File, buf *bufio.Reader) (sinks.File, error) {
	rc, err := f.Open()
	if err != nil {
		return sinks.File{}, err
	}
	defer rc.Close()
	h := sha256.New()
	cr := &countReader{r: io.TeeReader(rc, h)}
	buf.Reset(cr)
	var lines int64
	if strings.HasSuffix(f.Name, ".ndjson") {
		var long []byte
		for {
			line, err := buf.ReadSlice('\n')
			if errors.Is(err, bufio.ErrBufferFull) {
				if len(long)+len(line) > maxLine {
					return sinks.File{}, fmt.Errorf("line %d is longer than %d bytes", lines+1, maxLine)
				}
				long = append(long, line...)
				continue
			}
			if err == io.EOF {
				if len(line)+len(long) > 0 {
					return sinks.File{}, fmt.Errorf("line %d has no line feed (truncated?)", lines+1)
				}
				break
			}
			if err != nil {
				return sinks.File{}, err
			}
			if long != nil {
				line = append(long, line...)
				long = long[:0]
			}
			lines++
			if !json.Valid(bytes.TrimSuffix(line, []byte{'\n'})) {
				return sinks.File{}, fmt.Errorf("line %d is not a JSON value", lines)
			}
			if lines%(64<<10) == 0 {
				if err := ctx.Err(); err != nil {
					return sinks.File{}, err
				}
			}
		}
	} else if _, err := io.Copy(io.Discard, buf); err != nil {
		return sinks.File{}, err
	}
	return sinks.File{Path: f.Name, Size: cr.n, SHA256: hex.EncodeToString(h.Sum(nil)), Rows: lines}, nil
}

type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
