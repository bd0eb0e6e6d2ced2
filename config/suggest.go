package config

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// unknownMsg says that the key at path has no meaning there, and what would:
// the closest valid key when one is close enough to be a typo, else all of
// them.
func unknownMsg(path []string, valid []string) string {
	name := strings.Join(path, ".")
	last := path[len(path)-1]
	if s, ok := closest(last, valid); ok {
		fixed := strings.Join(append(path[:len(path)-1:len(path)-1], s), ".")
		return fmt.Sprintf("unknown key %q: did you mean %q?", name, fixed)
	}
	return fmt.Sprintf("unknown key %q: valid keys here are %s", name, list(valid, "and"))
}

// closest returns the candidate nearest to s, if it is near enough to be a
// typo of it: at most a third of s's characters (at least one) changed,
// where swapping two neighbours counts once and case does not count.
func closest(s string, candidates []string) (string, bool) {
	limit := max(1, utf8.RuneCountInString(s)/3)
	best, bestDist := "", limit+1
	for _, c := range candidates {
		if d := distance(strings.ToLower(s), strings.ToLower(c)); d < bestDist {
			best, bestDist = c, d
		}
	}
	return best, best != ""
}

// distance is the optimal string alignment distance: insertions, deletions,
// substitutions and transpositions of neighbours each cost one.
func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	// Three rows are enough: the transposition looks two back.
	prev2 := make([]int, len(rb)+1)
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
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}

// list quotes words and joins them for a sentence: "a", "b" and "c".
func list(words []string, conj string) string {
	q := make([]string, len(words))
	for i, w := range words {
		q[i] = fmt.Sprintf("%q", w)
	}
	return join(q, conj)
}

// join joins words for a sentence: a, b and c.
func join(words []string, conj string) string {
	switch len(words) {
	case 0:
		return ""
	case 1:
		return words[0]
	}
	return strings.Join(words[:len(words)-1], ", ") + " " + conj + " " + words[len(words)-1]
}
