package importer

import (
	"bufio"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"io"
	"os"
	"time"

	"github.com/ouraexport/ouraexport/exporter"
)

// entrySink spools the documents of one file, per collection.
type entrySink struct {
	im     *importer
	file   string
	spools map[*exporter.Collection]*spool
	order  []*spool
}

func (s *entrySink) emit(c *exporter.Collection, doc []byte, line int) error {
	if s.spools == nil {
		s.spools = map[*exporter.Collection]*spool{}
	}
	sp := s.spools[c]
	if sp == nil {
		var err error
		if sp, err = newSpool(s.im.o.Store.Dir(), c, s.file); err != nil {
			return err
		}
		s.im.temps = append(s.im.temps, sp.path)
		s.spools[c] = sp
		s.order = append(s.order, sp)
	}
	return sp.add(doc)
}

// keepDoc keeps the members of a file the import did not recognise.
func (s *entrySink) keepDoc(file string, rest []byte) error {
	sum := sha256.Sum256(rest)
	doc := newObject()
	doc.set([]string{"file"}, quote(file))
	doc.set([]string{"sha256"}, quote(hex.EncodeToString(sum[:])))
	doc.set([]string{"json"}, string(rest))
	return s.emit(byName[FilesCollection], doc.bytes(), 0)
}

func (s *entrySink) counts() map[string]int {
	out := map[string]int{}
	for _, sp := range s.order {
		out[sp.coll.Name] += sp.n
	}
	return out
}

// close finishes the file's spools; they are stored at commit.
func (s *entrySink) close() error {
	for _, sp := range s.order {
		if err := sp.finish(); err != nil {
			return err
		}
		s.im.spools = append(s.im.spools, sp)
	}
	return nil
}

func (s *entrySink) abort() {
	for _, sp := range s.order {
		sp.finish()
		os.Remove(sp.path)
	}
}

// spool is a temporary file of documents, length-prefixed.
type spool struct {
	coll     *exporter.Collection
	file     string // the file they came from
	path     string
	f        *os.File
	w        *bufio.Writer
	n        int
	from, to time.Time // the span of the documents' keys (API collections)
}

func newSpool(dir string, c *exporter.Collection, file string) (*spool, error) {
	f, err := os.CreateTemp(dir, ".import.tmp-")
	if err != nil {
		return nil, err
	}
	return &spool{coll: c, file: file, path: f.Name(), f: f, w: bufio.NewWriterSize(f, 64<<10)}, nil
}

func (s *spool) add(doc []byte) error {
	var hdr [binary.MaxVarintLen64]byte
	s.w.Write(hdr[:binary.PutUvarint(hdr[:], uint64(len(doc)))])
	if _, err := s.w.Write(doc); err != nil {
		return err
	}
	s.n++
	if s.coll.API != exporter.APIImport {
		if k, ok := s.coll.KeyOf(doc); ok {
			if s.from.IsZero() || k.Before(s.from) {
				s.from = k
			}
			if k.After(s.to) {
				s.to = k
			}
		}
	}
	return nil
}

func (s *spool) finish() error {
	if s.f == nil {
		return nil
	}
	err := s.w.Flush()
	if cerr := s.f.Close(); err == nil {
		err = cerr
	}
	s.f = nil
	return err
}

// each calls fn with every document of the spool.
func (s *spool) each(fn func([]byte) error) error {
	f, err := os.Open(s.path)
	if err != nil {
		return err
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 64<<10)
	var buf []byte
	for {
		n, err := binary.ReadUvarint(r)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if cap(buf) < int(n) {
			buf = make([]byte, n)
		}
		buf = buf[:n]
		if _, err := io.ReadFull(r, buf); err != nil {
			return err
		}
		if err := fn(buf); err != nil {
			return err
		}
	}
}

// span returns the coverage of a segment of an API collection: the days
// (or instants, to the second) of its documents; zero for the others.
func (s *spool) span() (time.Time, time.Time) {
	c := s.coll
	if c.API == exporter.APIImport || s.from.IsZero() {
		return time.Time{}, time.Time{}
	}
	switch c.Kind {
	case exporter.ByDate:
		return s.from, s.to.AddDate(0, 0, 1)
	case exporter.ByInstant:
		return s.from.Truncate(time.Second), s.to.Truncate(time.Second).Add(time.Second)
	}
	return time.Time{}, time.Time{}
}
