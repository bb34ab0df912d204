package cohort

import "context"

// gate is the cohort's worker pool: a window of any participant is fetched
// only while holding one of its slots (exporter.Gate).
type gate chan struct{}

func newGate(n int) gate { return make(gate, n) }

// Acquire takes a slot, waiting until one is free or ctx is done.
func (g gate) Acquire(ctx context.Context) error {
	select {
	case g <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Release returns a slot.
func (g gate) Release() { <-g }
