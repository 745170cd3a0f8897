package event

import (
	"strings"
	"testing"
	"time"
)

// timeCases are the timestamps telemetry, sigma and stats read, and
// garbage: strict says whether ParseTime takes the input (it wants a
// zone), log whether ParseLogTime does.
var timeCases = []struct {
	in          string
	strict, log bool
	want        time.Time
}{
	// RFC 3339, and what log writers put in its place.
	{"2026-01-15T07:00:03Z", true, true, at(7, 0, 3, 0)},
	{"2026-01-15T07:00:03.123Z", true, true, at(7, 0, 3, 123e6)},
	{"2026-01-15T07:00:03.123456+00:00", true, true, at(7, 0, 3, 123456e3)},
	{"2026-01-15T07:00:03.123456789123Z", true, true, at(7, 0, 3, 123456789)},
	{"2026-01-15T09:00:03+02:00", true, true, at(7, 0, 3, 0)},
	{"2026-01-15T02:00:03-0500", true, true, at(7, 0, 3, 0)},
	{"2026-01-15T09:30:03+0230", true, true, at(7, 0, 3, 0)},
	{"2026-01-15T09:00:03+02", true, true, at(7, 0, 3, 0)},
	{"2026-01-16T07:00:03+24:00", true, true, at(7, 0, 3, 0)},
	{"2026-01-15T07:00:03-00:00", true, true, at(7, 0, 3, 0)},
	{"2026-01-15 07:00:03Z", true, true, at(7, 0, 3, 0)},
	{"2026-01-15t07:00:03.5z", true, true, at(7, 0, 3, 5e8)},
	{"2026-01-15T09:00:03,25+02:00", true, true, at(7, 0, 3, 25e7)},
	{"2026-01-15T07:00:03.Z", true, true, at(7, 0, 3, 0)},
	{"2026-01-15T06:59:60Z", true, true, at(7, 0, 0, 0)},
	{"2026-01-01T01:30:00.042+01:30", true, true, time.Date(2026, 1, 1, 0, 0, 0, 42e6, time.UTC)},
	{"2025-12-31T19:00:00.042-05:00", true, true, time.Date(2026, 1, 1, 0, 0, 0, 42e6, time.UTC)},
	{"2024-02-29T00:00:00Z", true, true, time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC)},
	{"2000-02-29T00:00:00Z", true, true, time.Date(2000, 2, 29, 0, 0, 0, 0, time.UTC)},
	{"1969-12-31T23:59:59Z", true, true, time.Unix(-1, 0)},
	// No zone: UTC, for ParseLogTime only.
	{"2026-01-15 07:00:03", false, true, at(7, 0, 3, 0)},
	{"2026-01-15T07:00:03.123456", false, true, at(7, 0, 3, 123456e3)},
	{"2026-01-15 07:00:03,5", false, true, at(7, 0, 3, 5e8)},
	// Through time.Parse.
	{"2026-01-15T07:00Z", false, true, at(7, 0, 0, 0)},
	{"2026-01-15T09:00+02:00", false, true, at(7, 0, 0, 0)},
	{"2026-01-15T07:00", false, true, at(7, 0, 0, 0)},
	{"2026-01-15 07:00", false, true, at(7, 0, 0, 0)},
	{"2026-01-15", false, true, at(0, 0, 0, 0)},
	{"2026-01-15T7:00:03Z", false, true, at(7, 0, 3, 0)},
	{"2026-01-15 7:00:03", false, true, at(7, 0, 3, 0)},
	{"Thu, 15 Jan 2026 07:00:03 +0000", false, true, at(7, 0, 3, 0)},
	{"Thu, 15 Jan 2026 07:00:03 UTC", false, true, at(7, 0, 3, 0)},
	{"Thu Jan 15 07:00:03 2026", false, true, at(7, 0, 3, 0)},
	// Garbage.
	{"", false, false, time.Time{}},
	{"yesterday", false, false, time.Time{}},
	{"1768460403", false, false, time.Time{}},
	{"20260115T070003Z", false, false, time.Time{}},
	{"2026/01/15T07:00:03Z", false, false, time.Time{}},
	{"2026-01-15X07:00:03Z", false, false, time.Time{}},
	{" 2026-01-15T07:00:03Z", false, false, time.Time{}},
	{"2026-01-15T07:00:03 Z", false, false, time.Time{}},
	{"2026-01-15T07:00:03Zjunk", false, false, time.Time{}},
	{"2026-01-15T07:00:03.12a3Z", false, false, time.Time{}},
	{"2026-13-01T00:00:00Z", false, false, time.Time{}},
	{"2026-00-01T00:00:00Z", false, false, time.Time{}},
	{"2026-01-00T00:00:00Z", false, false, time.Time{}},
	{"2026-02-30T00:00:00Z", false, false, time.Time{}},
	{"2026-04-31T00:00:00Z", false, false, time.Time{}},
	{"2025-02-29T00:00:00Z", false, false, time.Time{}},
	{"1900-02-29T00:00:00Z", false, false, time.Time{}},
	{"2026-01-15T24:00:00Z", false, false, time.Time{}},
	{"2026-01-15T07:60:00Z", false, false, time.Time{}},
	{"2026-01-15T07:00:61Z", false, false, time.Time{}},
	{"2026-01-15T07:00:3Z", false, false, time.Time{}},
	{"2026-01-15T07:00:03+", false, false, time.Time{}},
	{"2026-01-15T07:00:03+2", false, false, time.Time{}},
	{"2026-01-15T07:00:03+02:", false, false, time.Time{}},
	{"2026-01-15T07:00:03+02:0", false, false, time.Time{}},
	{"2026-01-15T07:00:03+25:00", false, false, time.Time{}},
	{"2026-01-15T07:00:03+02:61", false, false, time.Time{}},
	{"2026-01-15T07:00:03+02:00:00", false, false, time.Time{}},
}

// at is a time of 2026-01-15, UTC.
func at(h, m, s, ns int) time.Time { return time.Date(2026, 1, 15, h, m, s, ns, time.UTC) }

func TestParseTime(t *testing.T) {
	for _, c := range timeCases {
		ns, ok := ParseTime([]byte(c.in))
		if ok != c.strict || ok && ns != c.want.UnixNano() {
			t.Errorf("ParseTime(%q) = %v %v, want %v %v", c.in, time.Unix(0, ns).UTC(), ok, c.want, c.strict)
		}
		ns, ok = ParseLogTime([]byte(c.in))
		if ok != c.log || ok && ns != c.want.UnixNano() {
			t.Errorf("ParseLogTime(%q) = %v %v, want %v %v", c.in, time.Unix(0, ns).UTC(), ok, c.want, c.log)
		}
	}
}

// TestTimeCache reads every case after a time of the same minute, and
// after one of another.
func TestTimeCache(t *testing.T) {
	for _, c := range timeCases {
		for _, before := range []string{c.in[:min(16, len(c.in))] + ":59Z", "2020-01-01T00:00:00Z"} {
			var tc TimeCache
			tc.Parse([]byte(before))
			ns, ok := tc.Parse([]byte(c.in))
			if ok != c.log || ok && ns != c.want.UnixNano() {
				t.Errorf("Parse(%q) after %q = %v %v, want %v %v", c.in, before, time.Unix(0, ns).UTC(), ok, c.want, c.log)
			}
		}
	}
}

func TestParseTimeAllocs(t *testing.T) {
	for _, in := range []string{"2026-01-15T07:00:03.123456+02:00", "2026-01-15T07:00:03+25:00", "yesterday"} {
		b := []byte(in)
		if n := testing.AllocsPerRun(100, func() { ParseTime(b) }); n != 0 {
			t.Errorf("ParseTime(%q): %v allocations", in, n)
		}
	}
	// ParseLogTime and TimeCache allocate only for the forms left to time.Parse.
	var tc TimeCache
	for _, in := range []string{"2026-01-15T07:00:03.123456+02:00", "2026-01-15 07:00:03"} {
		b := []byte(in)
		if n := testing.AllocsPerRun(100, func() { ParseLogTime(b); tc.Parse(b) }); n != 0 {
			t.Errorf("ParseLogTime(%q): %v allocations", in, n)
		}
	}
}

// FuzzParseTime checks ParseTime against time.Parse: what time.Parse
// reads as RFC 3339, ParseTime reads the same (but for a one-digit hour,
// which only ParseLogTime takes), and what ParseTime reads, time.Parse
// reads the same once written the RFC 3339 way.
func FuzzParseTime(f *testing.F) {
	for _, c := range timeCases {
		f.Add(c.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ns, ok := ParseTime([]byte(s))
		if want, err := time.Parse(time.RFC3339Nano, s); err == nil {
			if logNs, logOK := ParseLogTime([]byte(s)); !logOK || logNs != want.UnixNano() {
				t.Fatalf("ParseLogTime(%q) = %d %v, time.Parse %d", s, logNs, logOK, want.UnixNano())
			}
			if len(s) > 13 && s[13] == ':' && (!ok || ns != want.UnixNano()) {
				t.Fatalf("ParseTime(%q) = %d %v, time.Parse %d", s, ns, ok, want.UnixNano())
			}
		}
		if !ok {
			return
		}
		if logNs, logOK := ParseLogTime([]byte(s)); !logOK || logNs != ns {
			t.Fatalf("ParseTime(%q) = %d, ParseLogTime %d %v", s, ns, logNs, logOK)
		}
		canon, leap := rfc3339(s)
		want, err := time.Parse(time.RFC3339Nano, canon)
		if leap {
			want = want.Add(time.Second)
		}
		if err != nil || ns != want.UnixNano() {
			t.Fatalf("ParseTime(%q) = %d; time.Parse(%q) = %d %v", s, ns, canon, want.UnixNano(), err)
		}
	})
}

// rfc3339 writes a time ParseTime read the RFC 3339 way: a T, a Z, a point
// with digits, an offset ±hh:mm, and a leap second as :59 (leap is set).
func rfc3339(s string) (canon string, leap bool) {
	b := []byte(s)
	b[10] = 'T'
	if leap = string(b[17:19]) == "60"; leap {
		b[17], b[18] = '5', '9'
	}
	head, rest := string(b[:19]), string(b[19:])
	if rest != "" && (rest[0] == '.' || rest[0] == ',') {
		digits := strings.TrimLeft(rest[1:], "0123456789")
		if n := len(rest) - 1 - len(digits); n > 0 {
			head += "." + rest[1:1+n]
		}
		rest = digits
	}
	switch {
	case rest == "z":
		rest = "Z"
	case len(rest) == 3: // ±hh
		rest += ":00"
	case len(rest) == 5: // ±hhmm
		rest = rest[:3] + ":" + rest[3:]
	}
	return head + rest, leap
}

func BenchmarkParseTime(b *testing.B) {
	for _, in := range []string{"2026-01-15T07:00:03.123Z", "2026-01-15T07:00:03.123456+00:00", "2026-01-15 07:00:03"} {
		buf := []byte(in)
		b.Run(in, func(b *testing.B) {
			for b.Loop() {
				ParseLogTime(buf)
			}
		})
		b.Run(in+"/cached", func(b *testing.B) {
			var tc TimeCache
			for b.Loop() {
				tc.Parse(buf)
			}
		})
	}
}
