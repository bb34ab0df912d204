package watch

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/ouraexport/ouraexport/internal/atomicfile"
)

// JournalName is the journal's file in the watch folder.
const JournalName = "journal.ndjson"

// compactAt is the size past which a journal with nothing pending is
// emptied (a variable for tests).
var compactAt int64 = 1 << 20

// Entry is one event the journal holds: its number, when it arrived, and
// the event.
type Entry struct {
	Seq     uint64    `json:"seq"`
	Arrived time.Time `json:"at"`
	Event   Event     `json:"event"`
}

// record is one line of the journal: an event, or the numbers of events
// done with.
type record struct {
	Entry
	Ack []uint64 `json:"ack,omitempty"`
}

// Journal is the durable queue of events: an event is appended and synced
// to disk before the receiver answers 2xx (Append), and acknowledged only
// once the export folder reflects it (Ack). Opening a journal replays what
// was never acknowledged, so that a process killed at any point loses
// nothing. It is safe for concurrent use.
type Journal struct {
	path string

	mu      sync.Mutex
	f       *os.File
	next    uint64
	pending map[uint64]bool
	size    int64
	written uint64 // writes made, synced or not
	err     error  // a failed write or sync: the journal takes no more

	syncMu sync.Mutex
	synced uint64
}

// OpenJournal opens (creating if needed) the journal in dir and returns it
// with the entries that were never acknowledged, oldest first. A last line
// cut short by a crash is dropped: its event was never answered 2xx.
func OpenJournal(dir string) (*Journal, []Entry, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, nil, fmt.Errorf("create the watch folder: %w", err)
	}
	path := filepath.Join(dir, JournalName)
	pending, next, err := replay(path)
	if err != nil {
		return nil, nil, err
	}
	// Rewrite it with only what is pending: acknowledged events go.
	var buf bytes.Buffer
	for _, e := range pending {
		b, _ := json.Marshal(record{Entry: e})
		buf.Write(append(b, '\n'))
	}
	if err := atomicfile.WriteFile(path, buf.Bytes()); err != nil {
		return nil, nil, fmt.Errorf("rewrite the watch journal: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, nil, fmt.Errorf("open the watch journal: %w", err)
	}
	j := &Journal{path: path, f: f, next: next, pending: map[uint64]bool{}, size: int64(buf.Len())}
	for _, e := range pending {
		j.pending[e.Seq] = true
	}
	return j, pending, nil
}

// replay reads the journal at path: the entries not acknowledged, and the
// next free number.
func replay(path string) ([]Entry, uint64, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, 1, nil
	}
	if err != nil {
		return nil, 0, fmt.Errorf("open the watch journal: %w", err)
	}
	defer f.Close()
	events := map[uint64]Entry{}
	var next uint64 = 1
	r := bufio.NewReader(f)
	for n := 1; ; n++ {
		line, err := r.ReadBytes('\n')
		if errors.Is(err, io.EOF) {
			break // a line without its end was cut short: never answered 2xx
		}
		if err != nil {
			return nil, 0, fmt.Errorf("read the watch journal: %w", err)
		}
		var rec record
		if err := json.Unmarshal(line, &rec); err != nil {
			return nil, 0, fmt.Errorf("the watch journal %s is damaged at line %d (%v): remove it and restart; the resync on start recovers what it held", path, n, err)
		}
		if rec.Seq > 0 {
			events[rec.Seq] = rec.Entry
			next = max(next, rec.Seq+1)
		}
		for _, s := range rec.Ack {
			delete(events, s)
		}
	}
	var out []Entry
	for _, e := range events {
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b Entry) int { return cmp.Compare(a.Seq, b.Seq) })
	return out, next, nil
}

// Append writes e to the journal and syncs it to disk, and returns the
// entry as recorded. Concurrent appends share their syncs.
func (j *Journal) Append(e Event, now time.Time) (Entry, error) {
	j.mu.Lock()
	if j.err != nil {
		j.mu.Unlock()
		return Entry{}, j.err
	}
	ent := Entry{Seq: j.next, Arrived: now.UTC(), Event: e}
	b, _ := json.Marshal(record{Entry: ent})
	if err := j.write(append(b, '\n')); err != nil {
		j.mu.Unlock()
		return Entry{}, err
	}
	j.next++
	j.pending[ent.Seq] = true
	mine := j.written
	j.mu.Unlock()
	return ent, j.sync(mine)
}

// Ack records that the events numbered seqs are reflected in the export,
// and empties the journal once nothing is pending and it has grown large.
func (j *Journal) Ack(seqs ...uint64) error {
	if len(seqs) == 0 {
		return nil
	}
	j.mu.Lock()
	if j.err != nil {
		j.mu.Unlock()
		return j.err
	}
	b, _ := json.Marshal(record{Ack: seqs})
	if err := j.write(append(b, '\n')); err != nil {
		j.mu.Unlock()
		return err
	}
	for _, s := range seqs {
		delete(j.pending, s)
	}
	if len(j.pending) == 0 && j.size > compactAt {
		// Nothing pending: every line is done with. A crash mid-way
		// leaves the whole file (all acknowledged) or an empty one.
		if err := j.f.Truncate(0); err != nil {
			j.err = fmt.Errorf("empty the watch journal: %w", err)
			j.mu.Unlock()
			return j.err
		}
		j.size = 0
		j.written++
	}
	mine := j.written
	j.mu.Unlock()
	return j.sync(mine)
}

// write appends one line; j.mu is held.
func (j *Journal) write(b []byte) error {
	n, err := j.f.Write(b)
	j.size += int64(n)
	if err != nil {
		j.err = fmt.Errorf("write the watch journal: %w", err)
		return j.err
	}
	j.written++
	return nil
}

// sync makes every write up to the mine'th durable, once for all the
// writers waiting.
func (j *Journal) sync(mine uint64) error {
	j.syncMu.Lock()
	defer j.syncMu.Unlock()
	if j.synced >= mine {
		return nil
	}
	j.mu.Lock()
	upto := j.written
	j.mu.Unlock()
	if err := j.f.Sync(); err != nil {
		j.mu.Lock()
		j.err = fmt.Errorf("sync the watch journal: %w", err)
		j.mu.Unlock()
		return j.err
	}
	j.synced = upto
	return nil
}

// Pending returns how many events are not acknowledged.
func (j *Journal) Pending() int {
	j.mu.Lock()
	defer j.mu.Unlock()
	return len(j.pending)
}

// Close closes the journal file; what is pending stays for the next open.
func (j *Journal) Close() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.err == nil {
		j.err = errors.New("the watch journal is closed")
	}
	return j.f.Close()
}

// failed returns the error that stopped the journal, nil while it works.
func (j *Journal) failed() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.err
}
