package ipaddr

import (
	"net/netip"
	"testing"
)

// FuzzParse checks that Parse reads what net/netip reads, and ParseIPv4
// exactly the IPv4 addresses netip reads: their texts are netip's own,
// so that the 32 bits give each text back.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"10.3.14.72", "0.0.0.0", "255.255.255.255", "010.0.0.1", "1.2.3", "1.2.3.4.5", "256.1.1.1", "::1", "fe80::1%eth0", "::ffff:10.0.0.1", "1.2.3.4 ", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, err := netip.ParseAddr(s)
		got, ok := Parse([]byte(s))
		if ok != (err == nil) || ok && got != want {
			t.Fatalf("%q: Parse %v %v, netip %v %v", s, got, ok, want, err)
		}
		v4, ok := ParseIPv4([]byte(s))
		canonical := err == nil && want.Is4() && want.String() == s
		if ok != canonical || ok && v4 != want {
			t.Fatalf("%q: ParseIPv4 %v %v, netip's text of an IPv4 address: %v", s, v4, ok, canonical)
		}
	})
}
