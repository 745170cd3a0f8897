package stats

import (
	"net/netip"
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

// FuzzParseIPv4 checks that the addresses the source IP counter keys by
// their 32 bits are exactly the texts that net/netip writes for an IPv4
// address, so that counting by the bits counts each text apart.
func FuzzParseIPv4(f *testing.F) {
	for _, s := range []string{"10.3.14.72", "0.0.0.0", "255.255.255.255", "010.0.0.1", "1.2.3", "1.2.3.4.5", "256.1.1.1", "::1", "1.2.3.4 ", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		addr, ok := parseIPv4([]byte(s))
		want, err := netip.ParseAddr(s)
		canonical := err == nil && want.Is4() && want.String() == s
		if ok != canonical {
			t.Fatalf("%q: read as an address: %v, netip's text of one: %v", s, ok, canonical)
		}
		if ok && want.As4() != [4]byte{byte(addr >> 24), byte(addr >> 16), byte(addr >> 8), byte(addr)} {
			t.Fatalf("%q: read as %08x", s, addr)
		}
	})
}
