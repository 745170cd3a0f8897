package enrich

import (
	"strings"
	"testing"
)

// TestSTIXPatternForms: comparisons joined by OR, within an observation
// or between observations, give one indicator each; what needs several
// observations together (AND, FOLLOWEDBY, a WITHIN qualifier) is refused
// with its reason, never half-matched.
func TestSTIXPatternForms(t *testing.T) {
	for _, c := range []struct {
		pattern string
		atoms   int
		err     string
	}{
		{`[ipv4-addr:value = '198.51.100.1']`, 1, ""},
		{`[ipv4-addr:value = '198.51.100.1' OR domain-name:value = 'evil.example']`, 2, ""},
		{`[ipv4-addr:value = '198.51.100.1'] OR [url:value = 'http://evil.example/x'] or [file:hashes.MD5 = 'd41d8cd98f00b204e9800998ecf8427e']`, 3, ""},
		{`[ipv4-addr:value = '198.51.100.1' AND domain-name:value = 'evil.example']`, 0, "AND within an observation"},
		{`[ipv4-addr:value = '198.51.100.1'] AND [domain-name:value = 'evil.example']`, 0, "only observations joined by OR"},
		{`[ipv4-addr:value = '198.51.100.1'] FOLLOWEDBY [domain-name:value = 'evil.example']`, 0, "only observations joined by OR"},
		{`[ipv4-addr:value = '198.51.100.1'] WITHIN 300 SECONDS`, 0, "only observations joined by OR"},
	} {
		atoms, err := parseSTIXPattern(c.pattern)
		switch {
		case c.err == "" && (err != nil || len(atoms) != c.atoms):
			t.Errorf("%s: %d atoms, %v; want %d", c.pattern, len(atoms), err, c.atoms)
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("%s: %v; want an error with %q", c.pattern, err, c.err)
		}
	}
}
