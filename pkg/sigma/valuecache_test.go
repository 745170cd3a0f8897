package sigma

import (
	"fmt"
	"testing"
)

// TestValueCacheKeepsEachValuesOwn matches four times as many values of
// one length as a cache has slots, half of them with a rule's literal,
// each twice in a row: the second time from the cache, the first time
// against a slot that most often holds another value. Each must bring
// back its own hits.
func TestValueCacheKeepsEachValuesOwn(t *testing.T) {
	e := engineFor(t, rule("evil", "  sel:\n    CommandLine|contains: 'evilword'\n  condition: sel"))
	m := e.NewMatcher()
	for i := range 4 * cacheSlots {
		word, want := "goodword", ""
		if i%2 == 0 {
			word, want = "evilword", "evil"
		}
		cmd := fmt.Sprintf("tool.exe --%s %06d", word, i)
		for range 2 {
			if got := matched(e, m, proc(cmd, `C:\Tools\tool.exe`)); got != want {
				t.Fatalf("%q matched %q, want %q", cmd, got, want)
			}
		}
	}
	c := m.caches[m.src.keys[0].ci.id]
	if c == nil || c.bypass > 0 {
		t.Fatal("the values were not looked up in the cache")
	}
}
