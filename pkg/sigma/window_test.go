package sigma

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// A window holds what a plain slice would after the same pushes and
// drops, and its array stays within a few times the most it held.
func TestWindowSlides(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var w window[int]
	var want []int
	most := 0
	for i := range 100000 {
		if len(want) > 0 && rng.IntN(3) == 0 {
			k := rng.IntN(len(want) + 1)
			w.drop(k)
			want = want[k:]
		}
		w.push(i)
		want = append(want, i)
		most = max(most, len(want))
		if !slices.Equal(w.items(), want) {
			t.Fatalf("after %d pushes: window %v, want %v", i+1, w.items(), want)
		}
	}
	if cap(w.buf) > 4*most+8 {
		t.Errorf("array of %d for a window of at most %d", cap(w.buf), most)
	}
}
