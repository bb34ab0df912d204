package exporter

import (
	"container/heap"
	"context"
	"sync"
)

// queue is the work list of an export: windows to fetch, taken in the order
// of their rank (lowest first; in the order pushed within a rank). Workers
// take jobs until the queue is empty and no job is running (a running job
// may add more: a window split in two, a lane going on, a collection
// planned late).
type queue struct {
	mu     sync.Mutex
	cond   *sync.Cond
	jobs   jobHeap
	seq    int
	rank   func(*job) int
	active int
	closed bool
}

// newQueue returns a queue ordering jobs by rank (nil: in the order pushed).
func newQueue(ctx context.Context, rank func(*job) int) *queue {
	if rank == nil {
		rank = func(*job) int { return 0 }
	}
	q := &queue{rank: rank}
	q.cond = sync.NewCond(&q.mu)
	context.AfterFunc(ctx, q.close)
	return q
}

// queued is a job in the heap, with what orders it.
type queued struct {
	j         *job
	rank, seq int
}

type jobHeap []queued

func (h jobHeap) Len() int { return len(h) }
func (h jobHeap) Less(a, b int) bool {
	if h[a].rank != h[b].rank {
		return h[a].rank < h[b].rank
	}
	return h[a].seq < h[b].seq
}
func (h jobHeap) Swap(a, b int) { h[a], h[b] = h[b], h[a] }
func (h *jobHeap) Push(x any)   { *h = append(*h, x.(queued)) }
func (h *jobHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	old[len(old)-1] = queued{}
	*h = old[:len(old)-1]
	return x
}

// push adds jobs; among jobs of one rank, the first ones pushed are taken first.
func (q *queue) push(js ...*job) {
	q.mu.Lock()
	for _, j := range js {
		q.seq++
		heap.Push(&q.jobs, queued{j: j, rank: q.rank(j), seq: q.seq})
	}
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
	j := heap.Pop(&q.jobs).(queued).j
	q.active++
	return j
}

// idle returns how many of workers wait with nothing queued for them.
func (q *queue) idle(workers int) int {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.jobs) > 0 || q.active >= workers {
		return 0
	}
	return workers - q.active
}

// done marks a job taken by pop as finished.
func (q *queue) done() {
	q.mu.Lock()
	q.active--
	q.mu.Unlock()
	q.cond.Broadcast()
}

// rewrite replaces every queued job by what cut returns for it (the job
// itself, or the jobs it is cut into), ranking them afresh, and returns how
// many jobs were added.
func (q *queue) rewrite(cut func(*job) []*job) int {
	q.mu.Lock()
	old := q.jobs
	q.jobs = nil
	added := 0
	for _, x := range old {
		js := cut(x.j)
		added += len(js) - 1
		for _, j := range js {
			heap.Push(&q.jobs, queued{j: j, rank: q.rank(j), seq: x.seq}) // in its place among its rank
		}
	}
	q.mu.Unlock()
	q.cond.Broadcast()
	return added
}

func (q *queue) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	q.cond.Broadcast()
}
