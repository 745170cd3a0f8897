package sigma

import (
	"bytes"
	"encoding/json"
	"testing"
)

const fuzzRules = `
title: Encoded PowerShell
id: 11111111-1111-1111-1111-111111111111
logsource: {product: windows, category: process_creation}
detection:
  sel:
    CommandLine|contains|all: [' -enc', 'powershell']
  re:
    CommandLine|re: '(?i)^(a+)+b$'
  cidr:
    SourceIp|cidr: 10.0.0.0/8
  filter:
    User|startswith: '%Admins%'
  condition: (sel or re or 1 of c*) and not filter
level: high
tags: [attack.execution, attack.t1059.001]
`

// FuzzParseRule parses any text as Sigma rules: no panic; rules that
// parse compile or are reported, and the engine matches an event.
func FuzzParseRule(f *testing.F) {
	f.Add([]byte(fuzzRules))
	f.Add([]byte("title: t\nlogsource: {product: windows}\ndetection:\n  a: {EventID: [4625, '4*']}\n  condition: a | count() by User > 3\n"))
	f.Add([]byte("a: &a [*a, *a]\nb: &b [*a, *a, *a]\nc: [*b, *b, *b]\n"))
	f.Add([]byte("title: x\ndetection:\n  s: {CommandLine|re: '((((('}\n  condition: s and (not (s or\n"))
	m, err := ParseMapping([]byte(testMapping), "test-mapping.yml")
	if err != nil {
		f.Fatal(err)
	}
	event := []byte(proc("powershell.exe -enc SQBFAFgA", `C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`))
	f.Fuzz(func(t *testing.T, data []byte) {
		rules, _ := Parse(data, "fuzz.yml")
		e, _ := NewEngine(rules, m, Options{Placeholders: map[string][]string{"Admins": {"adm_*"}}})
		if e != nil {
			e.NewMatcher().Match(event)
		}
	})
}

// FuzzMatch matches any event (a valid JSON object, as Match requires)
// against a fixed rule: no panic, and the same event matches the same way
// twice.
func FuzzMatch(f *testing.F) {
	for _, ev := range []string{
		proc("powershell.exe -enc SQBFAFgA", "powershell.exe"),
		`{"event":{"category":"process"},"host":{"os":{"type":"windows"}},"process":{"command_line":["a","b"]},"source":{"ip":"10.1.2.3"}}`,
		`{"event":{"category":[["process"]]},"process":{"command_line":"` + "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaac" + `"}}`,
		`{"a":` + "[[[[[[[[[[1]]]]]]]]]]" + `}`, `{"x":"\xff\u0000"}`,
	} {
		f.Add([]byte(ev))
	}
	m, err := ParseMapping([]byte(testMapping), "test-mapping.yml")
	if err != nil {
		f.Fatal(err)
	}
	rules, errs := Parse([]byte(fuzzRules), "fuzz.yml")
	if len(errs) > 0 {
		f.Fatal(errs)
	}
	e, problems := NewEngine(rules, m, Options{Placeholders: map[string][]string{"Admins": {"adm_*"}}})
	if len(problems) > 0 {
		f.Fatal(problems)
	}
	f.Fuzz(func(t *testing.T, ev []byte) {
		if !json.Valid(ev) || bytes.TrimSpace(ev)[0] != '{' {
			return
		}
		mt := e.NewMatcher()
		a := len(mt.Match(ev).Rules)
		if b := len(mt.Match(ev).Rules); a != b {
			t.Fatalf("%q matched %d rules, then %d", ev, a, b)
		}
	})
}
