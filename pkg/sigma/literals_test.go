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

// TestHoldsFolded compares a literal set's search of text with its ASCII
// capitals lowered against lowering the text and searching it, over a small
// alphabet of both cases so that windows hit the filter and most are not
// literals; the sets' shortest literal runs from 4 to 9 bytes, so that every
// stride from 1 to 6 is probed.
func TestHoldsFolded(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const alphabet = "abcABC:-.\\\\"
	word := func(n int, lower bool) string {
		var b strings.Builder
		for range n {
			c := alphabet[rng.IntN(len(alphabet))]
			if lower && 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			b.WriteByte(c)
		}
		return b.String()
	}
	for round := range 600 {
		shortest := 4 + round%6
		var pats []string
		for range 1 + rng.IntN(20) {
			pats = append(pats, word(shortest+rng.IntN(6), true))
		}
		set := newLiteralSet(pats)
		for range 20 {
			text := word(rng.IntN(120), false)
			low := strings.ToLower(text)
			want := slices.ContainsFunc(pats, func(p string) bool { return strings.Contains(low, p) })
			if got := set.holdsFolded([]byte(text)); got != want {
				t.Fatalf("round %d: literals %q in %q: got %v, want %v", round, pats, text, got, want)
			}
		}
	}
}
