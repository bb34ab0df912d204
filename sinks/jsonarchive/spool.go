package jsonarchive

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"sync"

	"github.com/klauspost/compress/flate"

	"github.com/ouraexport/ouraexport/sinks"
)

// chunkSize is the amount of text an entry collects before deflating it.
// Each chunk is compressed on its own (the deflate window is 32 KiB, so
// little is lost) by one compressor the sink shares across entries.
const chunkSize = 128 << 10

// finalBlock is an empty, final, fixed-Huffman deflate block: it ends a
// stream made of chunks that each ended with a sync flush.
var finalBlock = []byte{0x03, 0x00}

// entry is one zip entry being spooled: its text is deflated chunk by chunk
// into a temporary file as it arrives, and its CRC-32, SHA-256, sizes and
// record count are kept on the way, so that Commit copies it into the zip
// as it is, without compressing anything twice.
//
// The sink (under its mutex) owns the text, its digests and counts; the
// spool's worker owns the file and the compressed size until the spool is
// drained. Hashing on one side and compressing on the other keeps two
// cores busy.
type entry struct {
	name    string // path in the zip
	pending []byte // text not yet handed to the worker
	records int64
	crc     uint32
	sum     hash.Hash
	size    int64 // bytes of text

	f     *os.File // spool file, nil until the first chunk
	csize int64    // bytes deflated
}

func newEntry(name string) *entry {
	return &entry{name: name, sum: sha256.New()}
}

// job is a chunk of an entry's text for the worker; final ends the entry.
type job struct {
	e     *entry
	text  []byte
	final bool
}

// spool deflates entries into temporary files. A worker goroutine does the
// hashing, compressing and writing while the sink formats the next rows;
// the queue between them is short, so memory stays flat.
type spool struct {
	base  string // folder the spool folder goes into
	name  string // final name the spool folder is named after
	level int

	jobs    chan job
	free    chan []byte // emptied chunk buffers, for reuse
	done    chan struct{}
	started bool
	stopped bool

	mu  sync.Mutex
	err error // the worker's first error

	// The worker's own.
	dir string // folder of the spool files, created on first use
	n   int    // spool files created
	zw  *flate.Writer
}

func newSpool(base, name string, level int) *spool {
	return &spool{base: base, name: name, level: level, free: make(chan []byte, 8)}
}

// failed returns the worker's error, if any.
func (sp *spool) failed() error {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	return sp.err
}

// submit queues a job, starting the worker on first use.
func (sp *spool) submit(j job) error {
	if err := sp.failed(); err != nil {
		return err
	}
	if sp.stopped {
		return errors.New("spool already drained")
	}
	if !sp.started {
		sp.started = true
		sp.jobs = make(chan job, 4)
		sp.done = make(chan struct{})
		go sp.work()
	}
	sp.jobs <- j
	return nil
}

// buffer returns an empty chunk buffer.
func (sp *spool) buffer() []byte {
	select {
	case b := <-sp.free:
		return b[:0]
	default:
		return make([]byte, 0, chunkSize+chunkSize/4)
	}
}

// drain waits until every queued job is done and stops the worker. It
// returns the worker's first error. After drain the entries' fields may be
// read.
func (sp *spool) drain() error {
	if !sp.stopped {
		sp.stopped = true
		if sp.started {
			close(sp.jobs)
			<-sp.done
		}
	}
	return sp.failed()
}

func (sp *spool) work() {
	defer close(sp.done)
	for j := range sp.jobs {
		if sp.failed() != nil {
			continue // drain the queue
		}
		if err := sp.deflate(j); err != nil {
			sp.mu.Lock()
			if sp.err == nil {
				sp.err = fmt.Errorf("spool %s: %w", j.e.name, err)
			}
			sp.mu.Unlock()
		}
		if cap(j.text) >= chunkSize {
			select {
			case sp.free <- j.text:
			default:
			}
		}
	}
}

// deflate hashes and compresses a chunk into its entry's spool file.
func (sp *spool) deflate(j job) error {
	e := j.e
	if len(j.text) > 0 {
		if e.f == nil {
			f, err := sp.create()
			if err != nil {
				return err
			}
			e.f = f
		}
		if sp.zw == nil {
			zw, err := flate.NewWriter(nil, sp.level)
			if err != nil {
				return err
			}
			sp.zw = zw
		}
		sp.zw.Reset(countWriter{e.f, &e.csize})
		if _, err := sp.zw.Write(j.text); err != nil {
			return err
		}
		if err := sp.zw.Flush(); err != nil {
			return err
		}
	}
	if !j.final {
		return nil
	}
	if e.f == nil {
		e.csize = int64(len(finalBlock)) // copyTo writes it
		return nil
	}
	n, err := e.f.Write(finalBlock)
	e.csize += int64(n)
	return err
}

func (sp *spool) create() (*os.File, error) {
	if sp.dir == "" {
		dir, err := sinks.MkdirTemp(sp.base, sp.name)
		if err != nil {
			return nil, fmt.Errorf("create spool folder: %w", err)
		}
		sp.dir = dir
	}
	sp.n++
	f, err := os.OpenFile(filepath.Join(sp.dir, fmt.Sprintf("%04d.deflate", sp.n)), os.O_RDWR|os.O_CREATE|os.O_EXCL, sinks.FileMode)
	if err != nil {
		return nil, fmt.Errorf("create spool file: %w", err)
	}
	return f, nil
}

// remove drains the spool and deletes its folder and everything in it.
func (sp *spool) remove() error {
	sp.drain()
	if sp.dir == "" {
		return nil
	}
	err := os.RemoveAll(sp.dir)
	sp.dir = ""
	if err != nil {
		return fmt.Errorf("remove spool: %w", err)
	}
	return nil
}

// countWriter counts the bytes written through it.
type countWriter struct {
	w io.Writer
	n *int64
}

func (c countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	*c.n += int64(n)
	return n, err
}

// add appends text (whole records) to the entry, handing full chunks to the worker.
func (e *entry) add(sp *spool, text []byte, records int64) error {
	e.pending = append(e.pending, text...)
	e.records += records
	if len(e.pending) < chunkSize {
		return nil
	}
	return e.handOn(sp)
}

// handOn hands the entry's pending text, a full chunk, to the worker.
func (e *entry) handOn(sp *spool) error {
	full := e.pending
	e.pending = sp.buffer()
	e.hash(full)
	return sp.submit(job{e: e, text: full})
}

// finish hands the last chunk to the worker and ends the entry's stream.
func (e *entry) finish(sp *spool) error {
	text := e.pending
	e.pending = nil
	e.hash(text)
	return sp.submit(job{e: e, text: text, final: true})
}

// hash adds text to the entry's CRC-32, SHA-256 and size.
func (e *entry) hash(text []byte) {
	e.crc = crc32.Update(e.crc, crc32.IEEETable, text)
	e.sum.Write(text)
	e.size += int64(len(text))
}

// digest returns the hex SHA-256 of the entry's text.
func (e *entry) digest() string { return hex.EncodeToString(e.sum.Sum(nil)) }

// copyTo writes the entry's deflate stream to w (after the spool drained).
func (e *entry) copyTo(w io.Writer) error {
	if e.f == nil {
		_, err := w.Write(finalBlock)
		return err
	}
	if _, err := e.f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	n, err := io.Copy(w, e.f)
	if err == nil && n != e.csize {
		err = fmt.Errorf("spool file holds %d bytes, %d were written", n, e.csize)
	}
	return err
}

// close closes the spool file (after the spool drained).
func (e *entry) close() {
	if e.f != nil {
		e.f.Close()
		e.f = nil
	}
}
