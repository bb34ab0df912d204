// Package suggest finds the word a user probably meant: the known name
// closest to a misspelt one, for "did you mean" hints.
package suggest

// Closest returns the candidate nearest to word by edit distance, if it is
// closer than limit edits; "" if none is. Of equally near candidates the
// first wins, so callers pass them in a fixed order.
func Closest(word string, candidates []string, limit int) string {
	best, bestD := "", limit
	for _, c := range candidates {
		if d := Distance(word, c); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// Distance is the Levenshtein distance of a and b: the fewest insertions,
// deletions and substitutions of bytes that turn a into b.
func Distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
