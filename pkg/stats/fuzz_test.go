package stats

import (
	"testing"

	"github.com/secpipe/secpipe/pkg/event"
)

// FuzzParseTime checks stats' timestamp reading on any text: no panic; the
// cache gives what the parser gives; and where the shared parser
// (event.ParseLogTime) reads a time, stats reads the same.
func FuzzParseTime(f *testing.F) {
	for _, s := range []string{
		"2026-01-15T07:00:03Z", "2026-01-15T07:00:03.123456+00:00", "2026-01-15 07:00:03",
		"2026-01-15T07:00:03.5-05:30", "1736924403", "1736924403123", "Thu, 15 Jan 2026 07:00:03 +0000",
		"2026-02-30T25:61:61Z", "not a time", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ns, ok := parseTime([]byte(s))
		var c timeCache
		for i := 0; i < 2; i++ { // the second time from the cache
			if cns, cok := c.parse([]byte(s)); cok != ok || cns != ns {
				t.Fatalf("%q: cache %d %v, parser %d %v", s, cns, cok, ns, ok)
			}
		}
		if want, wok := event.ParseLogTime([]byte(s)); wok && (!ok || ns != want) {
			t.Fatalf("%q: stats %d %v, event.ParseLogTime %d", s, ns, ok, want)
		}
	})
}
