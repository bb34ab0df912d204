package cohort_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/ouraexport/ouraexport/internal/cohort"
)

func TestParseShard(t *testing.T) {
	env := map[string]string{}
	getenv := func(k string) string { return env[k] }
	cases := []struct {
		in, index string
		want      cohort.Shard
		bad       bool
	}{
		{in: "", want: cohort.Shard{Index: 0, Count: 1}},
		{in: "0/1", want: cohort.Shard{Index: 0, Count: 1}},
		{in: "2/3", want: cohort.Shard{Index: 2, Count: 3}},
		{in: "auto/8", index: "5", want: cohort.Shard{Index: 5, Count: 8}},
		{in: "auto/8", index: "8", bad: true},
		{in: "auto/8", bad: true},
		{in: "3/3", bad: true},
		{in: "-1/3", bad: true},
		{in: "1/0", bad: true},
		{in: "1", bad: true},
		{in: "a/b", bad: true},
		{in: "0/10001", bad: true},
	}
	for _, tc := range cases {
		t.Run(tc.in+" index="+tc.index, func(t *testing.T) {
			env[cohort.IndexEnv] = tc.index
			got, err := cohort.ParseShard(tc.in, getenv)
			if tc.bad {
				if !errors.Is(err, cohort.ErrShard) {
					t.Errorf("got %v, %v; want ErrShard", got, err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("got %v, %v; want %v", got, err, tc.want)
			}
		})
	}
}

func ids(n int) []cohort.Account {
	accts := make([]cohort.Account, n)
	for i := range accts {
		accts[i] = cohort.Account{ID: fmt.Sprintf("p%04d", i)}
	}
	return accts
}

// TestShardSplit checks that shards are disjoint, cover everyone, are
// balanced, and that adding participants or a shard moves as little as it must.
func TestShardSplit(t *testing.T) {
	all := ids(3000)
	for _, n := range []int{1, 2, 3, 8, 17} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			owner := map[string]int{}
			for i := range n {
				s := cohort.Shard{Index: i, Count: n}
				part := s.Select(all)
				if lo, hi := len(all)/n*8/10, len(all)/n*12/10; len(part) < lo || len(part) > hi {
					t.Errorf("shard %s has %d participants, want %d to %d", s, len(part), lo, hi)
				}
				for _, a := range part {
					if prev, dup := owner[a.ID]; dup {
						t.Fatalf("%s is in shards %d and %d", a.ID, prev, i)
					}
					owner[a.ID] = i
					if got := cohort.Of(a.ID, n); got != i {
						t.Errorf("Of(%s, %d) = %d, but shard %d selected it", a.ID, n, got, i)
					}
				}
			}
			if len(owner) != len(all) {
				t.Errorf("the shards hold %d of %d participants", len(owner), len(all))
			}
		})
	}
	// One more shard moves only the participants the new shard takes.
	moved := 0
	for _, a := range all {
		before, after := cohort.Of(a.ID, 4), cohort.Of(a.ID, 5)
		if before != after {
			moved++
			if after != 4 {
				t.Errorf("%s moved from shard %d to %d, not to the new shard 4", a.ID, before, after)
			}
		}
	}
	if moved < len(all)/5*8/10 || moved > len(all)/5*12/10 {
		t.Errorf("going from 4 to 5 shards moved %d of %d participants, want about a fifth", moved, len(all))
	}
	// The split is a fixed, documented function of the id (the README shows
	// the same values computed in Python): changing it would move people.
	for _, tc := range []struct {
		id       string
		n, shard int
	}{{"p01", 3, 2}, {"p01", 10, 8}, {"p02", 3, 2}, {"p02", 10, 2}, {"alice", 3, 1}, {"alice", 10, 1}, {"P-7_x", 3, 1}, {"P-7_x", 10, 4}} {
		if got := cohort.Of(tc.id, tc.n); got != tc.shard {
			t.Errorf("Of(%q, %d) = %d, want %d", tc.id, tc.n, got, tc.shard)
		}
	}
}
