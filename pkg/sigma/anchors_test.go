package sigma

import (
	"slices"
	"testing"
)

// TestAnchorsFollowTheTraffic trains a matcher on events that all have a
// rule's common literal (the parent image every proc event has), then
// wants the rule anchored on its rare literals instead, and matching
// whenever a fresh matcher, anchored on the common one, matches: on either
// rare literal (an OR is anchored on all its parts), and never without the
// common one.
func TestAnchorsFollowTheTraffic(t *testing.T) {
	e := engineFor(t, rule("tool from explorer", `  parent:
    ParentImage|endswith: '\explorer.exe'
  tool:
    - CommandLine|contains: 'rareone'
    - Image|endswith: '\raretwo.exe'
  condition: parent and tool`)+rule("tool elsewhere", `  parent:
    ParentImage|endswith: '\explorer.exe'
  tool:
    CommandLine|contains: 'rareone'
  condition: tool and not parent`))
	m := e.NewMatcher()
	for range firstChoice {
		if got := matched(e, m, proc("notepad.exe notes.txt", `C:\Windows\notepad.exe`)); got != "" {
			t.Fatalf("a plain notepad matched %q", got)
		}
	}

	s := m.src
	a := m.anchorsFor(s)
	pid := func(lit string) int32 {
		for _, k := range s.keys {
			if p, ok := k.index[patternKey{lit: lit}]; ok {
				return p
			}
		}
		t.Fatalf("no pattern %q", lit)
		return -1
	}
	anchors := func(lit string) []int32 { return a.byPid[pid(lit)] }
	if !a.owned || slices.Contains(anchors(`\explorer.exe`), 0) {
		t.Fatalf("after %d events with the parent, the rule is still anchored on it", firstChoice)
	}
	if !slices.Contains(anchors("rareone"), 0) || !slices.Contains(anchors(`\raretwo.exe`), 0) {
		t.Fatal("the rule is not anchored on both its rare literals")
	}

	other := `{"@timestamp":"2026-01-15T07:00:00Z","event":{"category":["process"]},"host":{"os":{"type":"windows"}},"process":{"command_line":"rareone","executable":"C:\\x.exe","parent":{"executable":"C:\\Windows\\cmd.exe"}}}`
	events := []string{
		proc("run rareone now", `C:\Windows\cmd.exe`),
		proc("run", `C:\Tools\raretwo.exe`),
		proc("run rareone", `C:\Tools\raretwo.exe`),
		proc("run", `C:\Windows\notepad.exe`),
		other,
	}
	fresh := e.NewMatcher()
	for _, ev := range events {
		if got, want := matched(e, m, ev), matched(e, fresh, ev); got != want {
			t.Errorf("%s: trained matcher matched %q, fresh one %q", ev, got, want)
		}
	}
	if got := matched(e, fresh, other); got != "tool elsewhere" {
		t.Fatalf("the rule without its parent matched %q", got)
	}
}
