package exporter

import (
	"bufio"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/ouraexport/ouraexport/internal/atomicfile"
	"github.com/ouraexport/ouraexport/internal/flock"
	"github.com/ouraexport/ouraexport/internal/oura"
)

// StoreDir is the folder inside an export that holds its store.
const StoreDir = ".ouraexport"

// storeFormat is the version of the store's layout and segment encoding.
const storeFormat = 1

// ErrStoreFormat is returned for a store written by an incompatible version.
var ErrStoreFormat = errors.New("incompatible export state")

// State is what the store remembers about the export as a whole.
type State struct {
	Format  int       `json:"format"`
	Account string    `json:"account,omitempty"` // personal_info id of the person exported
	APIURL  string    `json:"api_url,omitempty"`
	Runs    int       `json:"runs"` // generation of the newest run
	Created time.Time `json:"created"`
	Updated time.Time `json:"updated"`
	// Earliest is the first day with any document (it dates the history when the rings do not).
	Earliest time.Time `json:"earliest,omitzero"`
	// Email is the account's e-mail address, when personal_info shows it.
	Email string `json:"email,omitempty"`
	// Raw is the shape of each raw collection fetched (RawCollection), so
	// that a rebuild without a server reads it back as it was fetched.
	Raw map[string]RawShape `json:"raw_collections,omitempty"`
}

// Store is an export's durable memory, kept in <out>/.ouraexport: the raw
// documents of every window fetched ("segments") and the state of the
// export. A window counts as fetched only once its segment is committed
// (written, fsynced and renamed into place), so an export killed at any
// point resumes where it stopped, and its outputs can always be rebuilt from
// the store alone.
type Store struct {
	dir   string
	lock  *os.File
	State State
}

// ErrLocked is returned by OpenStore when another run holds the store.
var ErrLocked = errors.New("another ouraexport run is using this export folder")

// Segment is the documents one window of one collection returned.
type Segment struct {
	API, Collection string
	// From and To bound what the segment covers, [From, To): days at UTC
	// midnight for date collections, instants for time series; both zero
	// for collections fetched whole.
	From, To time.Time
	// Gen is the run that fetched it; a newer run's segment supersedes an
	// older one where they overlap.
	Gen     int
	Fetched time.Time
	Docs    int
	path    string
}

// Whole reports whether the segment covers its whole collection.
func (s Segment) Whole() bool { return s.From.IsZero() && s.To.IsZero() }

// stateFile is the file of a store's State, in its folder.
const stateFile = "state.json"

// readState reads the State of the store in dir; an error matching
// fs.ErrNotExist when there is none yet.
func readState(dir string) (State, error) {
	var st State
	b, err := os.ReadFile(filepath.Join(dir, stateFile))
	if errors.Is(err, fs.ErrNotExist) {
		return st, err
	}
	if err != nil {
		return st, fmt.Errorf("read export state: %w", err)
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return st, fmt.Errorf("%w: %s is not valid JSON (%v); remove the %s folder to start over", ErrStoreFormat, filepath.Join(dir, stateFile), err, StoreDir)
	}
	if st.Format != storeFormat {
		return st, fmt.Errorf("%w: %s was written by store format %d, this version reads %d; export into a new folder or remove %s",
			ErrStoreFormat, dir, st.Format, storeFormat, StoreDir)
	}
	return st, nil
}

// StoredAccount returns the Oura user id (personal_info id) the store of
// the export folder out names, "" when it has none (yet). It only reads:
// no lock is taken, so it may glance at a folder another run is using.
func StoredAccount(out string) string {
	st, err := readState(filepath.Join(out, StoreDir))
	if err != nil {
		return ""
	}
	return st.Account
}

// OpenStore opens (creating if needed) the store in dir, removing temporary
// files a killed run left behind.
func OpenStore(dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create state folder: %w", err)
	}
	s := &Store{dir: dir}
	if err := s.takeLock(); err != nil {
		return nil, err
	}
	ok := false
	defer func() {
		if !ok {
			s.Close()
		}
	}()
	st, err := readState(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		now := time.Now().UTC()
		s.State = State{Format: storeFormat, Created: now, Updated: now}
	case err != nil:
		return nil, err
	default:
		s.State = st
	}
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.Contains(d.Name(), ".tmp-") {
			os.Remove(p)
		}
		return nil
	})
	ok = err == nil
	return s, err
}

// takeLock makes this process the only one using the store: a second run
// into the same folder (cron firing while the last run is still going)
// stops at once instead of corrupting it.
func (s *Store) takeLock() error {
	f, err := flock.Take(filepath.Join(s.dir, "lock"))
	if holder, held := flock.Held(err); held {
		if holder != "" {
			holder = " (process " + holder + ")"
		}
		return fmt.Errorf("%w%s: %s; wait for it to finish, or use another --out", ErrLocked, holder, filepath.Dir(s.dir))
	}
	if err != nil {
		return fmt.Errorf("lock export state: %w", err)
	}
	s.lock = f
	return nil
}

// Close releases the store's lock.
func (s *Store) Close() error {
	if s.lock == nil {
		return nil
	}
	err := s.lock.Close()
	s.lock = nil
	return err
}

// Dir returns the store's folder.
func (s *Store) Dir() string { return s.dir }

// SaveState writes the state atomically.
func (s *Store) SaveState() error {
	s.State.Updated = time.Now().UTC()
	b, err := json.MarshalIndent(s.State, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(filepath.Join(s.dir, stateFile), append(b, '\n'))
}

// Segments lists the committed segments of a collection, oldest coverage first.
func (s *Store) Segments(api, collection string) ([]Segment, error) {
	dir := filepath.Join(s.dir, "segments", api, collection)
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var segs []Segment
	for _, e := range ents {
		seg, ok := parseSegmentName(e.Name())
		if !ok {
			continue
		}
		seg.API, seg.Collection, seg.path = api, collection, filepath.Join(dir, e.Name())
		segs = append(segs, seg)
	}
	sort.Slice(segs, func(i, j int) bool {
		if !segs[i].From.Equal(segs[j].From) {
			return segs[i].From.Before(segs[j].From)
		}
		return segs[i].Gen < segs[j].Gen
	})
	return segs, nil
}

// segment file names: <from>_<to>_g<gen>_<docs>_<fetched unix>.seg
func segmentName(seg Segment) string {
	return fmt.Sprintf("%s_%s_g%06d_%d_%d.seg", stamp(seg.From), stamp(seg.To), seg.Gen, seg.Docs, seg.Fetched.Unix())
}

func stamp(t time.Time) string {
	switch {
	case t.IsZero():
		return "all"
	case t.Equal(t.Truncate(day)):
		return t.UTC().Format("20060102")
	default:
		return t.UTC().Format("20060102T150405Z")
	}
}

func parseStamp(s string) (time.Time, bool) {
	if s == "all" {
		return time.Time{}, true
	}
	for _, layout := range []string{"20060102", "20060102T150405Z"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

func parseSegmentName(name string) (Segment, bool) {
	base, ok := strings.CutSuffix(name, ".seg")
	if !ok || strings.HasPrefix(name, ".") {
		return Segment{}, false
	}
	f := strings.Split(base, "_")
	if len(f) != 5 || !strings.HasPrefix(f[2], "g") {
		return Segment{}, false
	}
	from, ok1 := parseStamp(f[0])
	to, ok2 := parseStamp(f[1])
	gen, err1 := strconv.Atoi(f[2][1:])
	docs, err2 := strconv.Atoi(f[3])
	fetched, err3 := strconv.ParseInt(f[4], 10, 64)
	if !ok1 || !ok2 || err1 != nil || err2 != nil || err3 != nil {
		return Segment{}, false
	}
	return Segment{From: from, To: to, Gen: gen, Docs: docs, Fetched: time.Unix(fetched, 0).UTC()}, true
}

// SegmentWriter writes one segment. Documents are invisible until Commit.
type SegmentWriter struct {
	seg  Segment
	dir  string
	tmp  *os.File
	buf  *bufio.Writer
	zw   *zstd.Encoder
	n    int
	done bool
}

var zstdOptions = []zstd.EOption{
	zstd.WithEncoderLevel(zstd.SpeedFastest),
	zstd.WithEncoderConcurrency(1),
	zstd.WithWindowSize(1 << 20),
	zstd.WithLowerEncoderMem(true),
}

// Create starts a segment of collection covering [from, to) for run gen.
func (s *Store) Create(api, collection string, from, to time.Time, gen int) (*SegmentWriter, error) {
	dir := filepath.Join(s.dir, "segments", api, collection)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	tmp, err := createTemp(dir, "segment")
	if err != nil {
		return nil, err
	}
	w := &SegmentWriter{seg: Segment{API: api, Collection: collection, From: from.UTC(), To: to.UTC(), Gen: gen}, dir: dir, tmp: tmp}
	w.buf = bufio.NewWriterSize(tmp, 64<<10)
	w.zw, err = zstd.NewWriter(w.buf, zstdOptions...)
	if err != nil {
		w.Abort()
		return nil, err
	}
	return w, nil
}

// Add appends one document, exactly as received.
func (w *SegmentWriter) Add(doc []byte) error {
	var hdr [binary.MaxVarintLen64]byte
	n := binary.PutUvarint(hdr[:], uint64(len(doc)))
	if _, err := w.zw.Write(hdr[:n]); err != nil {
		return err
	}
	if _, err := w.zw.Write(doc); err != nil {
		return err
	}
	w.n++
	return nil
}

// Len returns the number of documents added.
func (w *SegmentWriter) Len() int { return w.n }

// SetFetched records when the documents were fetched (default: at Commit).
func (w *SegmentWriter) SetFetched(t time.Time) { w.seg.Fetched = t.UTC() }

// Narrow shrinks the coverage end (a window split after its first page).
func (w *SegmentWriter) Narrow(to time.Time) { w.seg.To = to.UTC() }

// Commit makes the segment durable and visible.
func (w *SegmentWriter) Commit() (Segment, error) {
	if w.done {
		return Segment{}, errors.New("segment already closed")
	}
	w.done = true
	w.seg.Docs = w.n
	if w.seg.Fetched.IsZero() {
		w.seg.Fetched = time.Now().UTC()
	}
	err := w.zw.Close()
	if err == nil {
		err = w.buf.Flush()
	}
	if err == nil {
		err = w.tmp.Sync()
	}
	if cerr := w.tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(w.tmp.Name())
		return Segment{}, fmt.Errorf("write segment: %w", err)
	}
	w.seg.path = filepath.Join(w.dir, segmentName(w.seg))
	if err := os.Rename(w.tmp.Name(), w.seg.path); err != nil {
		os.Remove(w.tmp.Name())
		return Segment{}, fmt.Errorf("write segment: %w", err)
	}
	return w.seg, atomicfile.SyncDir(w.dir)
}

// Abort discards the segment. It is safe to call after Commit.
func (w *SegmentWriter) Abort() {
	if w.done {
		return
	}
	w.done = true
	if w.zw != nil {
		w.zw.Close()
	}
	w.tmp.Close()
	os.Remove(w.tmp.Name())
}

// Read calls fn with every document of seg, in the order they were added.
// fn must not keep doc after it returns.
func (s *Store) Read(seg Segment, fn func(doc []byte) error) error {
	f, err := os.Open(seg.path)
	if err != nil {
		return err
	}
	defer f.Close()
	zr, err := zstd.NewReader(bufio.NewReaderSize(f, 64<<10), zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true))
	if err != nil {
		return err
	}
	defer zr.Close()
	r := bufio.NewReaderSize(zr, 64<<10)
	var buf []byte
	n := 0
	for {
		size, err := binary.ReadUvarint(r)
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("segment %s: %w", filepath.Base(seg.path), err)
		}
		if size > oura.MaxBody {
			return fmt.Errorf("segment %s: document of %d bytes", filepath.Base(seg.path), size)
		}
		if cap(buf) < int(size) {
			buf = make([]byte, size)
		}
		buf = buf[:size]
		if _, err := io.ReadFull(r, buf); err != nil {
			return fmt.Errorf("segment %s: %w", filepath.Base(seg.path), err)
		}
		n++
		if err := fn(buf); err != nil {
			return err
		}
	}
	if n != seg.Docs {
		return fmt.Errorf("segment %s holds %d documents, its name says %d", filepath.Base(seg.path), n, seg.Docs)
	}
	return nil
}

// Remove deletes a segment (superseded ones, when compacting).
func (s *Store) Remove(seg Segment) error { return os.Remove(seg.path) }

func createTemp(dir, name string) (*os.File, error) {
	var rnd [6]byte
	rand.Read(rnd[:])
	return os.OpenFile(filepath.Join(dir, "."+name+".tmp-"+hex.EncodeToString(rnd[:])), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
}
