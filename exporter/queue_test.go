package exporter

import (
	"context"
	"testing"
)

// idle counts the workers that wait with nothing queued: the signal that
// splits a long chain of pages among them at the end of an export.
func TestQueueIdle(t *testing.T) {
	q := newQueue(context.Background(), nil)
	q.push(&job{}, &job{})
	if got := q.idle(4); got != 0 {
		t.Errorf("two jobs queued: idle = %d, want 0", got)
	}
	q.pop()
	if got := q.idle(4); got != 0 {
		t.Errorf("one job running, one queued: idle = %d, want 0", got)
	}
	q.pop()
	if got := q.idle(4); got != 2 {
		t.Errorf("two jobs running, none queued, 4 workers: idle = %d, want 2", got)
	}
	q.done()
	if got := q.idle(4); got != 3 {
		t.Errorf("one job running, none queued: idle = %d, want 3", got)
	}
	if got := q.idle(1); got != 0 {
		t.Errorf("the only worker busy: idle = %d, want 0", got)
	}
}
