package sigma

import (
	"slices"
	"strings"
	"testing"
)

// Two shapes of the same events: nested (doc) and flat.
const shapesMapping = `
schemas:
  doc:
    fallback: "doc.data.{field}"
    fields: {EventID: doc.id, Channel: doc.channel}
  flat:
    fallback: "{field}"
sources:
  - name: other
    schema: flat
    logsource: {product: other}
    when: {kind: other}
  - name: proc
    schema: [doc, flat]
    logsource: {product: windows, service: security, category: process_creation}
    when: {Channel: Security, EventID: 4688}
    alias: {Image: NewProcessName}
  - name: security
    schema: [doc, flat]
    logsource: {product: windows, service: security}
    when: {Channel: Security}
  - name: last
    schema: flat
    logsource: {product: last}
    when: {kind: last}
`

const shapesRules = `
title: certutil
logsource: {product: windows, category: process_creation}
detection:
  selection: {Image|endswith: '\certutil.exe'}
  condition: selection
---
title: any security event
logsource: {product: windows, service: security}
detection:
  selection: {Channel: Security}
  condition: selection
`

func shapesEngine(t *testing.T) *Engine {
	t.Helper()
	m, err := ParseMapping([]byte(shapesMapping), "m.yml")
	if err != nil {
		t.Fatal(err)
	}
	rs, errs := Parse([]byte(shapesRules), "r.yml")
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	e, problems := NewEngine(rs, m, Options{})
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	return e
}

// A source naming two schemas is one source per schema, in the order that
// keeps first-match-wins within each shape.
func TestSourceOfSeveralSchemas(t *testing.T) {
	m, err := ParseMapping([]byte(shapesMapping), "m.yml")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range m.Sources {
		names = append(names, s.Name+":"+s.Schema)
	}
	want := "other:flat proc/doc:doc security/doc:doc proc/flat:flat security/flat:flat last:flat"
	if got := strings.Join(names, " "); got != want {
		t.Errorf("sources %s, want %s", got, want)
	}

	e := shapesEngine(t)
	cases := []struct{ event, source, rules string }{
		{`{"doc":{"channel":"Security","id":4688,"data":{"NewProcessName":"C:\\Windows\\certutil.exe"}}}`, "proc/doc", "certutil,any security event"},
		{`{"Channel":"Security","EventID":"4688","NewProcessName":"C:\\Windows\\certutil.exe"}`, "proc/flat", "certutil,any security event"},
		{`{"doc":{"channel":"Security","id":4624}}`, "security/doc", "any security event"},
		{`{"Channel":"Security","EventID":4624,"Image":"C:\\Windows\\certutil.exe"}`, "security/flat", "any security event"},
		// Image is NewProcessName in 4688 events, in both shapes.
		{`{"Channel":"Security","EventID":4688,"Image":"C:\\Windows\\certutil.exe"}`, "proc/flat", "any security event"},
	}
	for _, c := range cases {
		r := e.NewMatcher().Match([]byte(c.event))
		var titles []string
		for _, i := range r.Rules {
			titles = append(titles, e.Rules[i].Title)
		}
		if r.Source != c.source || strings.Join(titles, ",") != c.rules {
			t.Errorf("%s: source %q rules %q, want %q %q", c.event, r.Source, titles, c.source, c.rules)
		}
	}
}

// An event lacking a field a run of sources needs skips the run, and still
// reaches the sources after it.
func TestSourcesSkippedByMissingField(t *testing.T) {
	e := shapesEngine(t)
	cases := []struct{ event, source string }{
		{`{"kind":"last"}`, "last"},
		{`{"kind":"last","Channel":"System"}`, "last"},
		{`{"kind":"last","doc":{"channel":"Security"}}`, "security/doc"},
		{`{"kind":"other","Channel":"Security"}`, "other"},
		{`{"kind":"none"}`, ""},
	}
	for _, c := range cases {
		if got := e.NewMatcher().Match([]byte(c.event)).Source; got != c.source {
			t.Errorf("%s: source %q, want %q", c.event, got, c.source)
		}
	}
}

// A field every alternative of a source's "when" tests is needed: events
// without it pass the source over without evaluating it.
func TestWhenAlternativesNeedTheirField(t *testing.T) {
	m, err := ParseMapping([]byte(shapesMapping+`
  - name: either
    schema: flat
    logsource: {product: either}
    when:
      - {Channel: [A, B], kind: x}
      - {Channel: C}
`), "m.yml")
	if err != nil {
		t.Fatal(err)
	}
	e, problems := NewEngine(nil, m, Options{})
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	src := e.sources[len(e.sources)-1]
	channel := e.paths.Slot("Channel")
	if len(src.needs) != 1 || !slices.Equal(src.needs[0], []int{channel}) {
		t.Errorf("source %s needs slots %v, want [[%d]] (Channel)", src.src.Name, src.needs, channel)
	}
	if got := e.NewMatcher().Match([]byte(`{"Channel":"B","kind":"x"}`)).Source; got != "either" {
		t.Errorf("source %q, want either", got)
	}
}
