// Package ipaddr reads IP addresses out of event bytes without allocating
// for IPv4, which most are.
package ipaddr

import (
	"bytes"
	"net/netip"
)

// ParseIPv4 reads a dotted quad as net/netip does (no leading zeros, no
// more than three digits an octet).
func ParseIPv4(b []byte) (netip.Addr, bool) {
	var out [4]byte
	n, part, digits := 0, 0, 0
	for i := 0; i <= len(b); i++ {
		if i == len(b) || b[i] == '.' {
			if digits == 0 || n > 3 {
				return netip.Addr{}, false
			}
			out[n] = byte(part)
			n, part, digits = n+1, 0, 0
			continue
		}
		c := b[i]
		if c < '0' || c > '9' || digits == 3 || (digits > 0 && part == 0) {
			return netip.Addr{}, false
		}
		part = part*10 + int(c-'0')
		digits++
		if part > 255 {
			return netip.Addr{}, false
		}
	}
	if n != 4 {
		return netip.Addr{}, false
	}
	return netip.AddrFrom4(out), true
}

// Parse reads an IPv4 or IPv6 address, as netip.ParseAddr does.
func Parse(b []byte) (netip.Addr, bool) {
	if a, ok := ParseIPv4(b); ok {
		return a, true
	}
	if bytes.IndexByte(b, ':') < 0 {
		return netip.Addr{}, false
	}
	a, err := netip.ParseAddr(string(b))
	return a, err == nil
}
