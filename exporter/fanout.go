package exporter

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/ouraexport/ouraexport/schema"
	"github.com/ouraexport/ouraexport/sinks"
)

// fanout hands every batch (and raw document) to each sink in a goroutine
// of its own, so the formats are written in parallel with each other and
// with the mapping. Batches are copied into a small pool, so memory stays
// bounded: a producer waits when every pooled batch is still in use.
type fanout struct {
	ctx    context.Context
	outs   []*sinkWorker
	pool   chan *shared
	once   sync.Once
	wg     sync.WaitGroup
	mu     sync.Mutex
	err    error
	rawBuf map[string]*rawBatch
}

type shared struct {
	batch *schema.Batch
	refs  atomic.Int32
}

// rawBatch is raw documents of one collection, back to back in one buffer.
type rawBatch struct {
	collection string
	buf        []byte
	ends       []int // where each document ends in buf
}

// item is a unit of work for a sink: a batch, raw documents, or the
// tables whose buffered rows to write out (sinks.Flusher).
type item struct {
	b     *shared
	raw   *rawBatch
	flush []*schema.Table
}

type sinkWorker struct {
	sink    sinks.Sink
	raw     sinks.RawSink
	flusher sinks.Flusher
	in      chan item
}

const (
	fanoutBatches = 6       // batches in flight
	rawFlushBytes = 1 << 20 // raw documents are handed over by the megabyte
)

func newFanout(ctx context.Context, outs []sinks.Sink) *fanout {
	f := &fanout{ctx: ctx, pool: make(chan *shared, fanoutBatches), rawBuf: map[string]*rawBatch{}}
	for range fanoutBatches {
		f.pool <- &shared{batch: &schema.Batch{}}
	}
	for _, s := range outs {
		w := &sinkWorker{sink: s, in: make(chan item, fanoutBatches)}
		w.raw, _ = s.(sinks.RawSink)
		w.flusher, _ = s.(sinks.Flusher)
		f.outs = append(f.outs, w)
		f.wg.Add(1)
		go f.work(w)
	}
	return f
}

func (f *fanout) work(w *sinkWorker) {
	defer f.wg.Done()
	for it := range w.in {
		if f.failed() == nil {
			var err error
			switch {
			case it.b != nil:
				err = w.sink.Write(f.ctx, it.b.batch)
			case it.flush != nil:
				err = w.flusher.Flush(f.ctx, it.flush)
			case w.raw != nil:
				start := 0
				for _, end := range it.raw.ends {
					if err = w.raw.WriteRaw(f.ctx, it.raw.collection, it.raw.buf[start:end:end]); err != nil {
						break
					}
					start = end
				}
			}
			if err != nil {
				f.fail(err)
			}
		}
		if it.b != nil && it.b.refs.Add(-1) == 0 {
			f.pool <- it.b
		}
	}
}

func (f *fanout) fail(err error) {
	f.mu.Lock()
	if f.err == nil {
		f.err = err
	}
	f.mu.Unlock()
}

func (f *fanout) failed() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.err
}

// write hands a copy of b to every sink.
func (f *fanout) write(b *schema.Batch) error {
	if err := f.failed(); err != nil {
		return err
	}
	var s *shared
	select {
	case s = <-f.pool:
	case <-f.ctx.Done():
		return f.ctx.Err()
	}
	s.batch.CopyFrom(b)
	s.refs.Store(int32(len(f.outs)))
	for _, w := range f.outs {
		w.in <- item{b: s}
	}
	return nil
}

// writeRaw queues a copy of a raw document for the sinks that keep them.
func (f *fanout) writeRaw(collection string, doc []byte) error {
	if err := f.failed(); err != nil {
		return err
	}
	rb := f.rawBuf[collection]
	if rb == nil {
		rb = &rawBatch{collection: collection, buf: make([]byte, 0, 64<<10)}
		f.rawBuf[collection] = rb
	}
	rb.buf = append(rb.buf, doc...)
	rb.ends = append(rb.ends, len(rb.buf))
	if len(rb.buf) >= rawFlushBytes {
		return f.flushRaw(collection)
	}
	return nil
}

func (f *fanout) flushRaw(collection string) error {
	rb := f.rawBuf[collection]
	if rb == nil || len(rb.ends) == 0 {
		return nil
	}
	delete(f.rawBuf, collection)
	for _, w := range f.outs {
		if w.raw != nil {
			w.in <- item{raw: rb}
		}
	}
	return f.failed()
}

// flushTables asks the sinks that buffer rows to write out those of tables.
func (f *fanout) flushTables(tables []*schema.Table) error {
	if len(tables) == 0 {
		return f.failed()
	}
	for _, w := range f.outs {
		if w.flusher != nil {
			w.in <- item{flush: tables}
		}
	}
	return f.failed()
}

// close waits for the sinks to take everything and returns the first error.
func (f *fanout) close() error {
	f.once.Do(func() {
		for c := range f.rawBuf {
			f.flushRaw(c)
		}
		for _, w := range f.outs {
			close(w.in)
		}
		f.wg.Wait()
	})
	return f.failed()
}
