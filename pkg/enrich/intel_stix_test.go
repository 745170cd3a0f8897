package enrich

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestSTIXPatterns: patterns whose comparisons are joined by OR load each
// of their values; those a lookup of one value cannot honour (AND,
// FOLLOWEDBY, qualifiers) are skipped whole, each with its reason.
func TestSTIXPatterns(t *testing.T) {
	cases := []struct {
		pattern string
		want    string // the values loaded ("kind value, ..."), or
		problem string // the words of the problem that skips it
	}{
		{`[ipv4-addr:value = '198.51.100.7' OR domain-name:value = 'evil.example']`, "ip 198.51.100.7, domain evil.example", ""},
		{`[ipv4-addr:value = '198.51.100.7'] OR [domain-name:value = 'evil.example']`, "ip 198.51.100.7, domain evil.example", ""},
		{`([ipv4-addr:value = '198.51.100.7'] OR ([url:value = 'http://evil.example/a'] OR [ipv6-addr:value ISSUBSET '2001:db8:1::/48']))`,
			"ip 198.51.100.7, url http://evil.example/a, ip 2001:db8:1::/48", ""},
		{`[(domain-name:value = 'a.example' OR domain-name:value = 'b.example') OR file:hashes.MD5 = '29efd64dd3c7fe1e2b022b7ad73a1ba5']`,
			"domain a.example, domain b.example, md5 29efd64dd3c7fe1e2b022b7ad73a1ba5", ""},
		{`[ipv4-addr:value = '198.51.100.7' AND ipv4-addr:value = '198.51.100.8']`, "", "AND within an observation"},
		{`[domain-name:value = 'a.example' OR ipv4-addr:value = '198.51.100.7' AND ipv4-addr:value = '198.51.100.8']`, "", "AND within an observation"},
		{`[ipv4-addr:value = '198.51.100.7'] AND [domain-name:value = 'evil.example']`, "", "observations joined by AND"},
		{`[ipv4-addr:value = '198.51.100.7'] OR [ipv4-addr:value = '198.51.100.8'] FOLLOWEDBY [domain-name:value = 'evil.example']`, "", "FOLLOWEDBY"},
		{`[ipv4-addr:value = '198.51.100.7'] REPEATS 5 TIMES`, "", "qualifier REPEATS"},
		{`([ipv4-addr:value = '198.51.100.7'] OR [domain-name:value = 'evil.example']) WITHIN 300 SECONDS`, "", "qualifier WITHIN"},
		{`[domain-name:value = 'evil.example'] START t'2026-01-01T00:00:00Z' STOP t'2026-02-01T00:00:00Z'`, "", "qualifier START"},
		{`([ipv4-addr:value = '198.51.100.7']`, "", "parentheses left open"},
		{`[ipv4-addr:value = '198.51.100.7'])`, "", "want OR, ')' or the end"},
	}
	var objs []string
	for i, c := range cases {
		objs = append(objs, fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":"indicator--%d","name":"%d","pattern":%q,"pattern_type":"stix","valid_from":"2025-01-01T00:00:00Z"}`, i, i, c.pattern))
	}
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"b.json": `{"type":"bundle","id":"bundle--1","objects":[` + "\n" + strings.Join(objs, ",\n") + "\n]}"})
	x, problems, err := LoadIntel([]string{filepath.Join(dir, "b.json")}, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	loaded := map[string][]string{} // by the case's number
	for i := range x.Indicators {
		r := x.Record(i)
		kind := map[Kind]string{KindIP: "ip", KindDomain: "domain", KindURL: "url", KindMD5: "md5"}[r.Kind]
		loaded[r.Name] = append(loaded[r.Name], kind+" "+r.Value)
	}
	skipped := map[int]string{} // by line: case i is on line i+2
	for _, p := range problems {
		skipped[p.Line] = p.What
	}
	for i, c := range cases {
		got := strings.Join(loaded[fmt.Sprint(i)], ", ")
		what := skipped[i+2]
		if c.problem == "" {
			if got != c.want || what != "" {
				t.Errorf("%s: loaded %q (problem %q), want %q", c.pattern, got, what, c.want)
			}
			continue
		}
		if got != "" || !strings.Contains(what, c.problem) || !strings.HasPrefix(what, fmt.Sprintf("indicator--%d: ", i)) {
			t.Errorf("%s: loaded %q, problem %q; want it skipped, saying %q", c.pattern, got, what, c.problem)
		}
	}
	if want := len(cases) - 4; len(problems) != want {
		t.Errorf("%d problems, want %d: %v", len(problems), want, problems)
	}
	var log syncBuffer
	e, err := New(Config{Intel: []string{dir}, Log: &log, Prefix: "enrich"})
	if err != nil {
		t.Fatal(err)
	}
	e.Close()
	if text := strings.Join(log.lines(), "\n"); !strings.Contains(text, fmt.Sprintf("enrich: loaded %d indicators from 1 files; %d skipped, as told above", x.Len(), len(problems))) ||
		!strings.Contains(text, "enrich: indicator skipped: "+filepath.Join(dir, "b.json")+":10: indicator--8: pattern") {
		t.Errorf("log:\n%s", text)
	}
}
