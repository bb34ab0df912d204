package cohort

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Shard is one of Count disjoint parts of a cohort, numbered from 0. The
// zero value means the whole cohort.
type Shard struct {
	Index, Count int
}

// MaxShards is the largest number of shards.
const MaxShards = 10000

// IndexEnv is the environment variable a Kubernetes Indexed Job sets to
// the index of each of its pods; --shard auto/N reads it.
const IndexEnv = "JOB_COMPLETION_INDEX"

// ErrShard is returned (wrapped) for a shard that cannot be used.
var ErrShard = errors.New("bad shard")

// ParseShard parses "I/N" (0 <= I < N), or "auto/N", which takes I from
// $JOB_COMPLETION_INDEX (getenv reads the environment). "" is the whole
// cohort.
func ParseShard(s string, getenv func(string) string) (Shard, error) {
	if s == "" {
		return Shard{Count: 1}, nil
	}
	is, ns, ok := strings.Cut(s, "/")
	if !ok {
		return Shard{}, fmt.Errorf("%w %q: write I/N (0-based shard I of N), or auto/N to read $%s", ErrShard, s, IndexEnv)
	}
	n, err := strconv.Atoi(ns)
	if err != nil || n < 1 || n > MaxShards {
		return Shard{}, fmt.Errorf("%w %q: N must be 1 to %d", ErrShard, s, MaxShards)
	}
	if is == "auto" {
		v := getenv(IndexEnv)
		if v == "" {
			return Shard{}, fmt.Errorf("%w %q: $%s is not set (a Kubernetes Indexed Job sets it; elsewhere give the index)", ErrShard, s, IndexEnv)
		}
		is = v
	}
	i, err := strconv.Atoi(is)
	if err != nil || i < 0 || i >= n {
		return Shard{}, fmt.Errorf("%w %q: the index %q must be 0 to %d", ErrShard, s, is, n-1)
	}
	return Shard{Index: i, Count: n}, nil
}

// String returns "I/N".
func (s Shard) String() string { return strconv.Itoa(s.Index) + "/" + strconv.Itoa(max(s.Count, 1)) }

// Owns reports whether the participant id belongs to the shard.
func (s Shard) Owns(id string) bool { return s.Count <= 1 || Of(id, s.Count) == s.Index }

// Select returns the accounts that belong to the shard, in order.
func (s Shard) Select(accts []Account) []Account {
	var out []Account
	for _, a := range accts {
		if s.Owns(a.ID) {
			out = append(out, a)
		}
	}
	return out
}

// Of returns the shard (0 to n-1) of the participant id among n, by
// rendezvous hashing: the shard j with the highest weight, the first 8
// bytes (big-endian) of SHA-256("<id>/<j>"), lower j on a tie. A
// participant's shard depends on its id and n only, so adding or removing
// participants never moves the others; going from n to n+1 shards moves
// only the participants the new shard takes (about 1 in n+1).
func Of(id string, n int) int {
	best, bestW := 0, uint64(0)
	buf := make([]byte, 0, len(id)+8)
	for j := range n {
		buf = strconv.AppendInt(append(append(buf[:0], id...), '/'), int64(j), 10)
		sum := sha256.Sum256(buf)
		if w := binary.BigEndian.Uint64(sum[:8]); j == 0 || w > bestW {
			best, bestW = j, w
		}
	}
	return best
}
