package sigma

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// TestLiteralSetFindsEveryOccurrence compares a literal set's scan, short
// literals (the automaton) and long ones (the window index) together, with
// a plain search for every occurrence of every literal, overlapping ones
// included, over a small alphabet so that literals overlap and repeat. Half
// the sets have no literal shorter than 5 to 8 bytes, so that the scan
// probes every second to fifth window only.
func TestLiteralSetFindsEveryOccurrence(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	word := func(n int) string {
		var b strings.Builder
		for range n {
			b.WriteByte("abc-/ "[rng.IntN(6)])
		}
		return b.String()
	}
	type hit struct {
		pid        int32
		start, end int
	}
	for round := range 400 {
		shortest := 1
		if round%2 == 1 {
			shortest = 5 + rng.IntN(4)
		}
		var pats []string
		seen := map[string]bool{}
		for len(pats) < 1+rng.IntN(40) {
			p := word(shortest + rng.IntN(9))
			if !seen[p] {
				seen[p] = true
				pats = append(pats, p)
			}
		}
		set := newLiteralSet(pats)
		for range 20 {
			text := word(rng.IntN(80))
			var got []hit
			set.scan([]byte(text), func(pid int32, start, end int) { got = append(got, hit{pid, start, end}) })
			var want []hit
			for pid, p := range pats {
				for i := 0; i+len(p) <= len(text); i++ {
					if text[i:i+len(p)] == p {
						want = append(want, hit{int32(pid), i, i + len(p)})
					}
				}
			}
			order := func(a, b hit) int {
				if a.pid != b.pid {
					return int(a.pid - b.pid)
				}
				return a.start - b.start
			}
			slices.SortFunc(got, order)
			slices.SortFunc(want, order)
			if !slices.Equal(got, want) {
				t.Fatalf("round %d: literals %q in %q:\n got %v\nwant %v", round, pats, text, got, want)
			}
		}
	}
}
