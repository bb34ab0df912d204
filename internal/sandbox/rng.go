package sandbox

import "math"

// The synthetic truth is a pure function of (seed, user, day, revision): every
// random draw comes from a small splitmix64 stream keyed by those values, so
// any day can be produced without producing its predecessors.

// Stream tags keep the streams for different purposes independent.
const (
	tagProfile uint64 = iota + 1
	tagTrip
	tagNonwear
	tagNonwearRun
	tagPlan
	tagCharge
	tagRestMode
	tagSleepVal
	tagActVal
	tagDayVal
	tagSessionVal
	tagWorkoutVal
	tagSeriesVal
	tagTagVal
	tagIDKey
	tagTokenKey
	tagFault
	tagDrift
	tagCycle
	tagInterbeat
	tagExtra
)

func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// streamKey derives a stream key from its parts.
func streamKey(seed uint64, user int, tag uint64, day Date, extra uint64) uint64 {
	h := mix64(seed ^ 0x9e3779b97f4a7c15)
	h = mix64(h ^ uint64(user)*0xd6e8feb86659fd93)
	h = mix64(h ^ tag*0xa0761d6478bd642f)
	h = mix64(h ^ uint64(int64(day))*0xe7037ed1a0b428db)
	return mix64(h ^ extra*0x8ebc6af09c88c6e3)
}

// rng is a splitmix64 generator: tiny, fast, and good enough for synthetic data.
type rng struct{ s uint64 }

func newRNG(key uint64) rng { return rng{s: key} }

func (r *rng) u64() uint64 {
	r.s += 0x9e3779b97f4a7c15
	return mix64(r.s)
}

// float returns a uniform value in [0, 1).
func (r *rng) float() float64 { return float64(r.u64()>>11) * (1.0 / (1 << 53)) }

// intn returns a uniform value in [0, n); n must be > 0.
func (r *rng) intn(n int) int { return int((r.u64() >> 1) % uint64(n)) }

// between returns a uniform integer in [lo, hi].
func (r *rng) between(lo, hi int) int {
	if hi <= lo {
		return lo
	}
	return lo + r.intn(hi-lo+1)
}

// uniform returns a uniform value in [lo, hi).
func (r *rng) uniform(lo, hi float64) float64 { return lo + (hi-lo)*r.float() }

// chance reports true with probability p.
func (r *rng) chance(p float64) bool { return r.float() < p }

// norm returns an approximately standard normal deviate: the sum of four
// 16-bit uniforms, centred and scaled (Irwin-Hall), from one draw. Its tails
// stop at ±3.46, which suits synthetic physiology.
func (r *rng) norm() float64 {
	x := r.u64()
	s := x&0xffff + x>>16&0xffff + x>>32&0xffff + x>>48
	return (float64(s)/65536 - 2) * 1.7320508075688772
}

// pick returns one of the strings uniformly.
func (r *rng) pick(s []string) string { return s[r.intn(len(s))] }

func clampF(x, lo, hi float64) float64 {
	if x < lo {
		return lo
	}
	if x > hi {
		return hi
	}
	return x
}

func clampI(x, lo, hi int) int {
	if x < lo {
		return lo
	}
	if x > hi {
		return hi
	}
	return x
}

// lin maps x linearly from [x0, x1] onto [y0, y1], clamped to that range.
func lin(x, x0, y0, x1, y1 float64) float64 {
	if x0 == x1 {
		return y1
	}
	t := clampF((x-x0)/(x1-x0), 0, 1)
	return y0 + t*(y1-y0)
}

// score clamps a contributor value to the integer range [1, 100].
func score(x float64) int { return clampI(int(math.Round(x)), 1, 100) }
