package importer

import (
	"archive/zip"
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/ouraexport/ouraexport/exporter"
	"github.com/ouraexport/ouraexport/schema"
	"github.com/ouraexport/ouraexport/sinks"
	"github.com/ouraexport/ouraexport/v1compat"
)

// ouraexport's own archive (<out>/archive/oura-export.zip) holds, besides
// its README and manifest, every document the export built from, as
// received, in raw/<collection>.ndjson, and the unified rows in
// data/<table>.ndjson. Importing it stores the raw documents back in the
// collections they came from (v2, v1, import): built again, they give the
// same outputs, origins included.

const (
	archiveManifest = "manifest.json"
	rawPrefix       = "raw/"
	dataPrefix      = "data/"
)

// isArchive reports whether a zip is an ouraexport archive.
func isArchive(zr *zip.Reader) bool {
	manifest, raw := false, false
	for _, f := range zr.File {
		switch {
		case f.Name == archiveManifest:
			manifest = true
		case strings.HasPrefix(f.Name, rawPrefix) && strings.HasSuffix(f.Name, ".ndjson"),
			strings.HasPrefix(f.Name, dataPrefix) && strings.HasSuffix(f.Name, ".ndjson"):
			raw = true
		}
	}
	return manifest && raw
}

// archiveCollections maps the names of raw/ entries to their collections.
func archiveCollections() map[string]*exporter.Collection {
	m := map[string]*exporter.Collection{}
	for _, c := range exporter.V2Collections(schema.CheckV2) {
		m[c.Name] = c
	}
	for _, c := range v1compat.Collections() {
		m[c.Name] = c
	}
	for _, c := range Collections() {
		m[c.Name] = c
	}
	return m
}

func (im *importer) archive(name string, zr *zip.Reader) error {
	colls := archiveCollections()
	sink := &entrySink{im: im, file: name}
	fr := FileResult{File: name, Kind: KindArchive}
	var unknown []string
	files := append([]*zip.File(nil), zr.File...)
	sort.Slice(files, func(i, j int) bool { return files[i].Name < files[j].Name })
	h := sha256.New()
	for _, f := range files {
		switch {
		case f.Name == archiveManifest:
			if err := im.archiveManifest(name, f); err != nil {
				sink.abort()
				return err
			}
		case strings.HasPrefix(f.Name, dataPrefix):
			if t := schema.Lookup(strings.TrimSuffix(strings.TrimPrefix(f.Name, dataPrefix), ".ndjson")); t != nil {
				im.tables[t] = true
			}
		case strings.HasPrefix(f.Name, rawPrefix) && strings.HasSuffix(f.Name, ".ndjson"):
			c := colls[strings.TrimSuffix(strings.TrimPrefix(f.Name, rawPrefix), ".ndjson")]
			if c == nil {
				unknown = append(unknown, f.Name)
				continue
			}
			if err := rawEntry(name+"!"+f.Name, f, c, sink, h); err != nil {
				sink.abort()
				return err
			}
		}
	}
	for _, u := range unknown {
		f := findFile(zr, u)
		if err := im.keep(entry{name: name + "!" + u, size: int64(f.UncompressedSize64), open: f.Open}, "a raw/ entry of no collection this version knows"); err != nil {
			sink.abort()
			return err
		}
	}
	fr.Docs = sink.counts()
	fr.SHA256 = hex.EncodeToString(h.Sum(nil))
	im.res.Files = append(im.res.Files, fr)
	return sink.close()
}

func findFile(zr *zip.Reader, name string) *zip.File {
	for _, f := range zr.File {
		if f.Name == name {
			return f
		}
	}
	return nil
}

// archiveManifest reads whose data the archive holds.
func (im *importer) archiveManifest(name string, f *zip.File) error {
	rc, err := f.Open()
	if err != nil {
		return &FileError{File: name + "!" + f.Name, Err: err}
	}
	defer rc.Close()
	var m sinks.Manifest
	if err := json.NewDecoder(rc).Decode(&m); err != nil {
		return &FileError{File: name + "!" + f.Name, Err: errors.New("not an ouraexport manifest")}
	}
	if id := m.Subject.ID; id != "" {
		if im.acct != "" && im.acct != id {
			return &FileError{File: name, Err: errors.New("the archives read hold the data of different people (" + im.acct + ", " + id + ")")}
		}
		im.acct, im.email = id, m.Subject.Email
	}
	return nil
}

// rawEntry stores the documents of raw/<collection>.ndjson, one per line.
func rawEntry(name string, f *zip.File, c *exporter.Collection, sink *entrySink, h io.Writer) error {
	rc, err := f.Open()
	if err != nil {
		return &FileError{File: name, Err: err}
	}
	defer rc.Close()
	r := bufio.NewReaderSize(io.TeeReader(rc, h), 1<<20)
	for line := 1; ; line++ {
		b, err := r.ReadBytes('\n')
		if len(b) > 0 {
			doc := strings.TrimRight(string(b), "\r\n")
			if doc != "" {
				if !json.Valid([]byte(doc)) || doc[0] != '{' {
					return &FileError{File: name, Line: line, Err: errors.New("not a JSON object: the archive is damaged")}
				}
				// A document of an API is checked as a fetched one is:
				// one the build could not map must not reach the store.
				if c.Check != nil {
					if err := c.Check([]byte(doc)); err != nil {
						return &FileError{File: name, Line: line, Err: fmt.Errorf("not a valid %s document: %w", c.Name, err)}
					}
				}
				if err := sink.emit(c, []byte(doc), line); err != nil {
					return err
				}
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return &FileError{File: name, Line: line, Err: err}
		}
	}
}
