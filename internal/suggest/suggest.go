// Package suggest finds what a user probably meant: the closest name to a
// mistyped one, for "did you mean …?" hints.
package suggest

import "strings"

// Distance is the Levenshtein distance of a and b, by runes.
func Distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// Closest returns the candidate closest to s (case-insensitively) when it is
// close enough to be a likely typo — an edit distance of at most a third of
// s's length, at least one from three letters on — or one that s (two
// letters or more) is a prefix of; "" otherwise, and "" for s itself.
func Closest(s string, candidates []string) string {
	s = strings.ToLower(s)
	best, bestD := "", 1<<30
	for _, c := range candidates {
		lc := strings.ToLower(c)
		d := Distance(s, lc)
		if len(s) >= 2 && strings.HasPrefix(lc, s) {
			d = 0
		}
		if d < bestD {
			best, bestD = c, d
		}
	}
	n := len([]rune(s))
	limit := n / 3
	if n >= 3 {
		limit = max(1, limit)
	}
	if bestD <= limit && !strings.EqualFold(best, s) {
		return best
	}
	return ""
}
