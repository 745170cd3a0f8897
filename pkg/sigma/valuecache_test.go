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

// TestValueCacheTellsCaseApart matches one value in two fields whose
// literal sets are the same, one matched ignoring case and one cased: the
// value found by the first must not be taken from the cache by the second.
func TestValueCacheTellsCaseApart(t *testing.T) {
	e := engineFor(t, rule("any case", "  sel:\n    CommandLine|contains: 'evilword'\n  condition: sel")+
		rule("cased", "  sel:\n    Image|contains|cased: 'evilword'\n  condition: sel"))
	m := e.NewMatcher()
	for _, value := range []string{`C:\EVILWORD\tool.exe`, `C:\evilword\tool.exe`} {
		want := "any case"
		if value == `C:\evilword\tool.exe` {
			want = "any case,cased"
		}
		for range 2 {
			if got := matched(e, m, proc(value, value)); got != want {
				t.Fatalf("%s in both fields matched %q, want %q", value, got, want)
			}
		}
	}
}
