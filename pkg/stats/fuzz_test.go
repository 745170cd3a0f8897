package stats

import (
	"testing"
	"time"
)

// FuzzParseTime checks the timestamp parser on any text: no panic, and
// the fast path agrees with time.Parse on what both read.
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
		fast, fastOK := parseISO([]byte(s))
		if fastOK && (!ok || ns != fast) {
			t.Fatalf("%q: parseTime %d %v, fast path %d", s, ns, ok, fast)
		}
		if !fastOK {
			return
		}
		for _, l := range []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999Z07:00"} {
			if tm, err := time.Parse(l, s); err == nil && tm.UnixNano() != fast {
				t.Fatalf("%q: fast path %d, time.Parse %d", s, fast, tm.UnixNano())
			}
		}
	})
}
