// Package jsonarchive is the archive sink: one zip, <Name>.zip, that a person
// can keep, read and hand on, holding
//
//	README.md       for people: what data, about whom, which period, from
//	                where, how it was processed, how to verify it, and the
//	                GDPR Art. 15/20 framing, with a data dictionary
//	manifest.json   tool and schema version, export time, subject, period,
//	                sources, and every other entry's size, SHA-256 and
//	                record count
//	raw/<collection>.ndjson   every API document exactly as received, one per line
//	data/<table>.ndjson       the normalised rows, one JSON object per line
//
// In data/, keys are column names in schema order; dates are "YYYY-MM-DD"
// and instants RFC 3339 strings in UTC; JSON columns are embedded as JSON
// values; nulls are null; floats that have no JSON number form are the
// strings "NaN", "Infinity" and "-Infinity".
//
// Entries arrive interleaved, so each is spooled to its own temporary file,
// deflated while spooling, and the zip is assembled at Commit from the
// deflated spools (zip.Writer.CreateRaw): nothing is compressed twice and
// memory stays flat.
//
// Importing the package registers the format as "archive" and a Checker
// for ".zip" files.
package jsonarchive

import (
	"archive/zip"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"filippo.io/age"
	"github.com/klauspost/compress/flate"

	"github.com/ouraexport/ouraexport/schema"
	"github.com/ouraexport/ouraexport/sinks"
	"github.com/ouraexport/ouraexport/sinks/internal/state"
	"github.com/ouraexport/ouraexport/sinks/internal/text"
)

// Ext is the extension of the archive.
const Ext = ".zip"

// DefaultLevel is the deflate level used when Options leaves it at zero.
const DefaultLevel = 1

// Names of the entries that are not data.
const (
	ReadmeName   = "README.md"
	ManifestName = "manifest.json"
)

func init() {
	sinks.Register("archive", func(o sinks.Options) (sinks.Sink, error) { return New(o) })
	sinks.RegisterChecker(Ext, Check)
}

// Sink writes the archive. It is safe for concurrent use.
type Sink struct {
	mu     sync.Mutex
	life   state.Life
	opts   sinks.Options
	tables map[string]*table
	order  []*table
	raw    map[string]*entry // by collection
	spool  *spool
	buf    []byte
	stamps text.Stamps      // the last day written
	recent text.Recent      // the last string of each column
	fw     sinks.FileWriter // the archive, during Commit
	to     []age.Recipient  // encrypt the archive to these (NewEncrypted)
}

var (
	_ sinks.Sink    = (*Sink)(nil)
	_ sinks.RawSink = (*Sink)(nil)
)

type table struct {
	t     *schema.Table
	keys  [][]byte // `{"name":` for the first column, `,"name":` for the others
	entry *entry
}

// Schema returns the table the state is for.
func (t *table) Schema() *schema.Table { return t.t }

// localPather is a Dir on the local file system (sinks.LocalDir).
type localPather interface{ LocalPath() string }

// New returns an archive sink writing <o.Name>.zip into o.Dir.
func New(o sinks.Options) (*Sink, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	level := o.CompressionLevel
	if level == 0 {
		level = DefaultLevel
	}
	if level > 9 {
		return nil, fmt.Errorf("archive: deflate level %d is above 9", level)
	}
	base := o.SpoolDir
	if base == "" {
		if lp, ok := o.Dir.(localPather); ok {
			base = lp.LocalPath()
		} else {
			base = os.TempDir()
		}
	}
	s := &Sink{
		opts:   o,
		tables: make(map[string]*table, len(o.Tables)),
		raw:    make(map[string]*entry),
		spool:  newSpool(base, o.ArchiveName()+Ext, level),
	}
	for _, t := range o.Tables {
		tab := &table{t: t, entry: newEntry("data/" + t.Name + ".ndjson")}
		for i, c := range t.Columns {
			k := []byte{','}
			if i == 0 {
				k[0] = '{'
			}
			k = text.AppendJSONString(k, c.Name)
			tab.keys = append(tab.keys, append(k, ':'))
		}
		s.tables[t.Name] = tab
		s.order = append(s.order, tab)
	}
	return s, nil
}

// Write appends the rows of b to the table's data/ entry, one JSON object per row.
func (s *Sink) Write(ctx context.Context, b *schema.Batch) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	tab, err := state.Admit(&s.life, ctx, "archive", s.tables, b)
	if err != nil {
		return err
	}
	// Records go straight into the entry's text, which is handed on in
	// chunks cut after the record that fills one: where chunks end (and so
	// the deflated bytes) depends on the table's rows alone, not on how
	// they were batched.
	e := tab.entry
	for r := range b.Len() {
		e.pending = appendRecord(e.pending, &s.stamps, &s.recent, tab.keys, b, r)
		e.records++
		if len(e.pending) >= chunkSize {
			if err := e.handOn(s.spool); err != nil {
				return s.life.Fail(fmt.Errorf("archive: %w", err))
			}
		}
	}
	return nil
}

// appendRecord appends row r of b as one JSON object and a line feed.
func appendRecord(dst []byte, st *text.Stamps, rc *text.Recent, keys [][]byte, b *schema.Batch, r int) []byte {
	for c := range b.Cols {
		dst = append(dst, keys[c]...)
		v := &b.Cols[c]
		if !v.Valid[r] {
			dst = append(dst, "null"...)
			continue
		}
		switch v.Type {
		case schema.Date:
			dst = append(dst, '"')
			dst = st.AppendDate(dst, v.Int[r])
			dst = append(dst, '"')
		case schema.Timestamp:
			dst = append(dst, '"')
			dst = st.AppendTimestamp(dst, v.Int[r])
			dst = append(dst, '"')
		case schema.Int:
			dst = text.AppendInt(dst, v.Int[r])
		case schema.Float:
			f := v.Float[r]
			if f-f != 0 { // NaN or ±Inf: no JSON number form
				dst = append(dst, '"')
				dst = text.AppendFloat(dst, f)
				dst = append(dst, '"')
			} else {
				dst = text.AppendFloat(dst, f)
			}
		case schema.Bool:
			dst = text.AppendBool(dst, v.Bool[r])
		case schema.String:
			dst = rc.Append(dst, c, v.Str[r], text.AppendJSONString)
		case schema.JSON:
			dst = text.AppendCompactJSON(dst, v.Str[r])
		}
	}
	return append(dst, '}', '\n')
}

// WriteRaw appends one API document of a collection to raw/<collection>.ndjson,
// exactly as received; a document with line breaks in it is compacted (the
// white space between its tokens removed) to fit on one line.
func (s *Sink) WriteRaw(ctx context.Context, collection string, doc []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.life.Usable(); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return s.life.Fail(fmt.Errorf("archive: %w", err))
	}
	e := s.raw[collection]
	if e == nil {
		if !sinks.ValidName(collection) {
			return s.life.Fail(fmt.Errorf("archive: collection name %q is not a valid file name", collection))
		}
		e = newEntry("raw/" + collection + ".ndjson")
		s.raw[collection] = e
	}
	if !text.ValidJSON(doc) {
		return s.life.Fail(fmt.Errorf("archive: a %s document is not valid JSON", collection))
	}
	line := doc
	if slices.Contains(doc, '\n') || slices.Contains(doc, '\r') {
		s.buf = text.AppendCompactJSON(s.buf[:0], string(doc))
		line = s.buf
	}
	e.pending = append(e.pending, line...)
	if err := e.add(s.spool, []byte{'\n'}, 1); err != nil {
		return s.life.Fail(fmt.Errorf("archive: %w", err))
	}
	return nil
}

// Commit assembles and publishes the archive.
func (s *Sink) Commit(ctx context.Context, meta sinks.Meta) ([]sinks.File, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.life.Usable(); err != nil {
		return nil, err
	}
	if err := meta.Validate(); err != nil {
		return nil, s.life.Fail(fmt.Errorf("archive: %w", err))
	}
	f, err := s.assemble(ctx, meta)
	if err != nil {
		if s.fw != nil {
			s.fw.Abort()
			s.fw = nil
		}
		return nil, s.life.Fail(fmt.Errorf("archive: %w", err))
	}
	s.life.Committed()
	s.closeEntries()
	if err := s.spool.remove(); err != nil {
		return []sinks.File{f}, fmt.Errorf("archive: %w", err)
	}
	return []sinks.File{f}, nil
}

// entries returns every entry, data/ then raw/, each sorted by name.
func (s *Sink) entries() []*entry {
	var out []*entry
	for _, tab := range s.order {
		out = append(out, tab.entry)
	}
	slices.SortFunc(out, func(a, b *entry) int { return strings.Compare(a.name, b.name) })
	raw := make([]*entry, 0, len(s.raw))
	for _, e := range s.raw {
		raw = append(raw, e)
	}
	slices.SortFunc(raw, func(a, b *entry) int { return strings.Compare(a.name, b.name) })
	return append(out, raw...)
}

func (s *Sink) assemble(ctx context.Context, meta sinks.Meta) (sinks.File, error) {
	entries := s.entries()
	var rows int64
	for _, e := range entries {
		if err := e.finish(s.spool); err != nil {
			return sinks.File{}, err
		}
		if strings.HasPrefix(e.name, "data/") {
			rows += e.records
		}
	}
	if err := s.spool.drain(); err != nil {
		return sinks.File{}, err
	}
	readme := readme(meta, s.opts.ArchiveName()+Ext, s.order, entries)
	files := []sinks.File{fileOf(ReadmeName, readme, 0)}
	for _, e := range entries {
		files = append(files, sinks.File{Path: e.name, Size: e.size, SHA256: e.digest(), Rows: e.records})
	}
	var manifest strings.Builder
	m := sinks.NewManifest(meta, files)
	if err := m.Encode(&manifest); err != nil {
		return sinks.File{}, err
	}

	name := s.opts.ArchiveName() + Ext
	if len(s.to) > 0 {
		name += EncryptedExt[len(Ext):]
	}
	fw, err := s.opts.Dir.Create(name)
	if err != nil {
		return sinks.File{}, err
	}
	s.fw = fw
	if len(s.to) == 0 {
		if err := s.writeZip(ctx, fw, meta.ExportedAt, readme, []byte(manifest.String()), entries); err != nil {
			return sinks.File{}, err
		}
	} else {
		// The zip is streamed through age: its plain text never reaches the disk.
		ew, err := age.Encrypt(fw, s.to...)
		if err != nil {
			return sinks.File{}, fmt.Errorf("encrypt: %w", err)
		}
		if err := s.writeZip(ctx, ew, meta.ExportedAt, readme, []byte(manifest.String()), entries); err != nil {
			return sinks.File{}, err
		}
		if err := ew.Close(); err != nil {
			return sinks.File{}, fmt.Errorf("encrypt: %w", err)
		}
		rows = 0 // sealed: the rows are counted in the manifest inside
	}
	f, err := fw.Commit()
	s.fw = nil
	if err != nil {
		return sinks.File{}, err
	}
	f.Rows = rows
	return f, nil
}

// writeZip writes the archive to w: README.md, manifest.json, then the
// spooled entries copied as they are. Writing to an io.Writer leaves room
// for a layer (encryption) between the zip and the file.
func (s *Sink) writeZip(ctx context.Context, w io.Writer, modified time.Time, readme, manifest []byte, entries []*entry) error {
	zw := zip.NewWriter(w)
	level := s.spool.level
	zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) { return flate.NewWriter(w, level) })
	modified = modified.UTC().Truncate(time.Second)
	for _, doc := range []struct {
		name string
		body []byte
	}{{ReadmeName, readme}, {ManifestName, manifest}} {
		h := &zip.FileHeader{Name: doc.name, Method: zip.Deflate, Modified: modified}
		h.SetMode(0o600)
		ew, err := zw.CreateHeader(h)
		if err != nil {
			return fmt.Errorf("write %s: %w", doc.name, err)
		}
		if _, err := ew.Write(doc.body); err != nil {
			return fmt.Errorf("write %s: %w", doc.name, err)
		}
	}
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return err
		}
		h := &zip.FileHeader{
			Name:               e.name,
			Method:             zip.Deflate,
			CRC32:              e.crc,
			CompressedSize64:   uint64(e.csize),
			UncompressedSize64: uint64(e.size),
		}
		h.SetMode(0o600)
		setModified(h, modified)
		ew, err := zw.CreateRaw(h)
		if err != nil {
			return fmt.Errorf("write %s: %w", e.name, err)
		}
		if err := e.copyTo(ew); err != nil {
			return fmt.Errorf("write %s: %w", e.name, err)
		}
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("finish zip: %w", err)
	}
	return nil
}

// setModified sets the modification time of an entry written with
// CreateRaw, which (unlike CreateHeader) leaves that to the caller: the
// MS-DOS fields and Info-ZIP's extended timestamp, as CreateHeader writes them.
func setModified(h *zip.FileHeader, t time.Time) {
	h.Modified = t
	if y := t.Year(); y >= 1980 && y <= 2107 {
		h.ModifiedDate = uint16((y-1980)<<9 | int(t.Month())<<5 | t.Day())
		h.ModifiedTime = uint16(t.Hour()<<11 | t.Minute()<<5 | t.Second()/2)
	}
	var extra [9]byte
	binary.LittleEndian.PutUint16(extra[0:], 0x5455) // extended timestamp
	binary.LittleEndian.PutUint16(extra[2:], 5)
	extra[4] = 1 // modification time only
	binary.LittleEndian.PutUint32(extra[5:], uint32(t.Unix()))
	h.Extra = append(h.Extra, extra[:]...)
}

func (s *Sink) closeEntries() {
	for _, tab := range s.order {
		tab.entry.close()
	}
	for _, e := range s.raw {
		e.close()
	}
}

// Close releases the sink and removes its spool. Without a successful
// Commit no archive appears.
func (s *Sink) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	first, discard := s.life.Close()
	if !first {
		return nil
	}
	var errs []error
	if discard && s.fw != nil {
		errs = append(errs, s.fw.Abort())
		s.fw = nil
	}
	s.spool.drain() // its error, if any, was Write's or Commit's
	s.closeEntries()
	errs = append(errs, s.spool.remove())
	s.tables, s.order, s.raw, s.buf = nil, nil, nil, nil
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("archive: close: %w", err)
	}
	return nil
}
