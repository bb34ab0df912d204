package exporter

import (
	"context"
	"sync"
)

// queue is the work list of an export: windows to fetch. Workers take jobs
// until the queue is empty and no job is running (a running job may add
// more: a window split in two, a collection planned late).
type queue struct {
	mu     sync.Mutex
	cond   *sync.Cond
	jobs   []*job
	active int
	closed bool
}

func newQueue(ctx context.Context) *queue {
	q := &queue{}
	q.cond = sync.NewCond(&q.mu)
	context.AfterFunc(ctx, q.close)
	return q
}

// push adds jobs; the first ones pushed are taken first.
func (q *queue) push(js ...*job) {
	q.mu.Lock()
	q.jobs = append(q.jobs, js...)
	q.mu.Unlock()
	q.cond.Broadcast()
}

// pop waits for a job. It returns nil when there is no more work (or the
// queue was closed).
func (q *queue) pop() *job {
	q.mu.Lock()
	defer q.mu.Unlock()
	for len(q.jobs) == 0 && q.active > 0 && !q.closed {
		q.cond.Wait()
	}
	if len(q.jobs) == 0 || q.closed {
		return nil
	}
	j := q.jobs[0]
	q.jobs = q.jobs[1:]
	q.active++
	return j
}

// done marks a job taken by pop as finished.
func (q *queue) done() {
	q.mu.Lock()
	q.active--
	q.mu.Unlock()
	q.cond.Broadcast()
}

func (q *queue) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	q.cond.Broadcast()
}
