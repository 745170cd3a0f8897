package classify

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/secpipe/secpipe/pkg/attack"
	"github.com/secpipe/secpipe/pkg/pipeline"
)

func TestBuiltinPackIsValid(t *testing.T) {
	rules, problems := BuiltinRules()
	if len(problems) > 0 {
		t.Fatalf("built-in rules do not parse: %v", problems)
	}
	engine, problems, err := Load(Config{})
	if err != nil || len(problems) > 0 {
		t.Fatalf("built-in pack does not compile: %v %v", err, problems)
	}
	cat := attack.Default()
	ids := map[string]bool{}
	for _, r := range rules {
		if r.ID == "" || ids[r.ID] {
			t.Errorf("%s: missing or duplicate id %q", r.Ref(), r.ID)
		}
		ids[r.ID] = true
		if r.Level == "" || r.Description == "" {
			t.Errorf("%s: needs a level and a description", r.Ref())
		}
		for _, tag := range r.Tags {
			name := strings.TrimPrefix(tag, "attack.")
			if isTechniqueID(name) {
				if _, ok := cat.Technique(name); !ok {
					t.Errorf("%s: technique %s is not in ATT&CK v18.1", r.Ref(), name)
				}
			} else if _, ok := cat.Tactic(name); !ok {
				t.Errorf("%s: tactic tag %q is not in ATT&CK v18.1", r.Ref(), tag)
			}
		}
		// Every detection rule must apply to some kind of event.
		if r.Detection != nil {
			found := false
			for i, er := range engine.Rules {
				if er.ID == r.ID {
					found = engine.Applicable(i)
				}
			}
			if !found {
				t.Errorf("%s: no mapping source provides logsource %s", r.Ref(), r.Logsource)
			}
		}
	}
}

// run classifies events (one JSON object a line) with cfg and returns the
// output lines.
func run(t *testing.T, cfg Config, events ...string) []string {
	t.Helper()
	engine, problems, err := Load(cfg)
	if err != nil || len(problems) > 0 {
		t.Fatalf("load: %v %v", err, problems)
	}
	stage := NewStage(engine, attack.Default(), cfg.OnlyMatched)
	var in []pipeline.Message
	for _, e := range events {
		in = append(in, pipeline.Message{Value: []byte(e)})
	}
	out := &pipeline.Batch{}
	if err := stage.Process(context.Background(), in, out); err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, m := range out.Msgs {
		if !json.Valid(m.Value) {
			t.Fatalf("invalid JSON out: %s", m.Value)
		}
		lines = append(lines, string(m.Value))
	}
	return lines
}

type classified struct {
	Threat struct {
		Framework string `json:"framework"`
		Tactic    struct {
			ID        []string `json:"id"`
			Name      []string `json:"name"`
			Reference []string `json:"reference"`
		} `json:"tactic"`
		Technique struct {
			ID           []string `json:"id"`
			Name         []string `json:"name"`
			Subtechnique struct {
				ID   []string `json:"id"`
				Name []string `json:"name"`
			} `json:"subtechnique"`
		} `json:"technique"`
	} `json:"threat"`
	Rule struct {
		ID    []string `json:"id"`
		Name  []string `json:"name"`
		Level string   `json:"level"`
	} `json:"rule"`
	Event struct {
		Kind string `json:"kind"`
	} `json:"event"`
	Sigma struct {
		Correlation struct {
			Type    string            `json:"type"`
			Value   float64           `json:"value"`
			GroupBy map[string]string `json:"group_by"`
			Trigger string            `json:"trigger"`
		} `json:"correlation"`
	} `json:"sigma"`
	Message string `json:"message"`
}

func decode(t *testing.T, line string) classified {
	var c classified
	if err := json.Unmarshal([]byte(line), &c); err != nil {
		t.Fatal(err)
	}
	return c
}

const labPowershell = `{"event_id":"e1","timestamp":"2026-01-15T07:00:03+00:00","user":"alice","host":"win-01","source_ip":"10.0.0.10","event_type":"process_start","process_name":"powershell.exe","command_line":"powershell -EncodedCommand SQBFAFgA","parent_process":"explorer.exe"}`

func TestLabEventTagged(t *testing.T) {
	// The built-in pack's own rule; the default adds SigmaHQ's on the same line.
	out := run(t, Config{Pack: PackBuiltin}, labPowershell,
		`{"event_id":"e2","event_type":"process_start","process_name":"notepad.exe","command_line":"notepad.exe"}`)
	if len(out) != 2 {
		t.Fatalf("want both events out, got %d", len(out))
	}
	c := decode(t, out[0])
	if c.Threat.Framework != "MITRE ATT&CK" || strings.Join(c.Threat.Tactic.ID, ",") != "TA0002,TA0005" ||
		strings.Join(c.Threat.Tactic.Name, ",") != "Execution,Defense Evasion" ||
		strings.Join(c.Threat.Technique.Subtechnique.ID, ",") != "T1059.001" ||
		strings.Join(c.Threat.Technique.Subtechnique.Name, ",") != "PowerShell" ||
		c.Rule.Name[0] != "Encoded PowerShell Command Line" || c.Rule.Level != "high" {
		t.Errorf("threat fields: %s", out[0])
	}
	// The original fields come first, unchanged.
	if !strings.HasPrefix(out[0], labPowershell[:len(labPowershell)-1]+`,"threat":`) {
		t.Errorf("event not kept as is: %s", out[0])
	}
	if out[1] != `{"event_id":"e2","event_type":"process_start","process_name":"notepad.exe","command_line":"notepad.exe"}` {
		t.Errorf("unmatched event changed: %s", out[1])
	}
	if only := run(t, Config{OnlyMatched: true}, labPowershell, `{"event_type":"x"}`); len(only) != 1 {
		t.Errorf("--only-matched kept %d events", len(only))
	}
}

func TestReclassifyReplacesTags(t *testing.T) {
	once := run(t, Config{}, labPowershell)[0]
	twice := run(t, Config{}, once)[0]
	if once != twice {
		t.Errorf("classifying twice changed the event:\n%s\n%s", once, twice)
	}
	stale := `{"threat":{"framework":"old"},"event_type":"process_start","command_line":"powershell -enc AAAA","rule":{"id":["x"]}}`
	c := run(t, Config{}, stale)[0]
	if strings.Contains(c, `"old"`) || strings.Count(c, `"threat"`) != 1 || strings.Count(c, `"rule"`) != 1 {
		t.Errorf("old tags not replaced: %s", c)
	}
}

func TestCorrelationAlert(t *testing.T) {
	var events []string
	for i := 0; i < 12; i++ {
		events = append(events, fmt.Sprintf(`{"event_id":"f%d","timestamp":"2026-01-15T07:00:%02dZ","user":"root","host":"srv-01","source_ip":"203.0.113.7","event_type":"user_login","logon_type":"failure"}`, i, i*5))
	}
	events = append(events, `{"event_id":"ok","timestamp":"2026-01-15T07:01:10Z","user":"root","host":"srv-01","source_ip":"203.0.113.7","event_type":"user_login","logon_type":"success"}`)
	out := run(t, Config{}, events...)
	var tagged, alerts []string
	for _, line := range out {
		c := decode(t, line)
		if c.Event.Kind == "alert" {
			alerts = append(alerts, c.Rule.Name[0]+"@"+c.Sigma.Correlation.Trigger)
			if c.Rule.Name[0] == "Password Guessing Against One Account" &&
				(c.Sigma.Correlation.Value != 10 || c.Sigma.Correlation.GroupBy["IpAddress"] != "203.0.113.7" || !strings.Contains(line, `"source_ip":"203.0.113.7"`)) {
				t.Errorf("alert fields: %s", line)
			}
			continue
		}
		if len(c.Rule.Name) > 0 {
			tagged = append(tagged, c.Rule.Name[0])
		}
	}
	// Nine failures are not an attack; the tenth and later ones are, and
	// the success that follows is a logon with a guessed password.
	if len(tagged) != 4 || tagged[0] != "Password Guessing Against One Account" || tagged[3] != "Logon After Password Guessing" {
		t.Errorf("tagged: %q", tagged)
	}
	if strings.Join(alerts, ",") != "Password Guessing Against One Account@f9,Many Failed Logons From One Address@f9,Logon After Password Guessing@ok" {
		t.Errorf("alerts: %q", alerts)
	}
}

func TestUserRulesAndUnknownTactic(t *testing.T) {
	dir := t.TempDir()
	rule := `title: Newer tactic
id: 0f0e0d0c-0b0a-4909-8807-060504030201
level: low
description: test
tags: [attack.stealth, attack.t1070]
logsource: {product: windows, category: process_creation}
detection:
  sel:
    CommandLine|contains: 'hide-me'
  condition: sel
`
	if err := os.WriteFile(filepath.Join(dir, "r.yml"), []byte(rule), 0o644); err != nil {
		t.Fatal(err)
	}
	out := run(t, Config{RulePaths: []string{dir}, NoBuiltin: true},
		`{"event_type":"process_start","command_line":"x hide-me"}`)
	c := decode(t, out[0])
	// The catalog's tactic of T1070 (Defense Evasion) is added beside it.
	if strings.Join(c.Threat.Tactic.ID, ",") != "TA0005,stealth" || strings.Join(c.Threat.Technique.ID, ",") != "T1070" {
		t.Errorf("unknown tactic must be kept, with the catalog's: %s", out[0])
	}
}

// TestInputDetectionFieldsRemoved: detection fields an event brings are
// dropped, whether a rule matches it or not, and nothing else is.
func TestInputDetectionFieldsRemoved(t *testing.T) {
	cases := []struct{ in, want string }{
		{`{"event_id":"1","threat":{"tactic":{"id":["TA0040"]}},"user":"a","rule":{"name":["forged"]}}`, `{"event_id":"1","user":"a"}`},
		{`{"threat.tactic.id":["TA0040"],"event_id":"2","rule.name":"forged"}`, `{"event_id":"2"}`},
		{`{"event_id":"3","mitre_tactic":"TA0001","mitre_technique":"T1078"}`, `{"event_id":"3"}`},
		{`{"event_id":"4","thr\u0065at":{"x":1}}`, `{"event_id":"4"}`},
		{`{"threat":{},"rule":null}`, `{}`},
		{`{ "event_id" : "5" , "threat" : { "a" : 1 } }`, `{ "event_id" : "5"  }`},
		{`{"event_id":"6","threatening":1,"rules":2,"rule_x":3,"user":{"threat":1}}`, `{"event_id":"6","threatening":1,"rules":2,"rule_x":3,"user":{"threat":1}}`},
	}
	for _, tc := range cases {
		out := run(t, Config{}, tc.in)
		if len(out) != 1 || out[0] != tc.want {
			t.Errorf("%s\n got %q\nwant %q", tc.in, out, tc.want)
		}
	}
	// A matched event keeps only the tags of the rules that matched it.
	forged := labPowershell[:len(labPowershell)-1] + `,"threat.tactic.id":["TA0040"],"mitre_tactic":"TA0040"}`
	out := run(t, Config{Pack: PackBuiltin}, forged)
	if strings.Contains(out[0], "TA0040") || strings.Contains(out[0], "mitre_tactic") || strings.Join(decode(t, out[0]).Threat.Tactic.ID, ",") != "TA0002,TA0005" {
		t.Errorf("forged tactic kept: %s", out[0])
	}
}

// TestEnrichmentsKept: threat.enrichments, which secpipe enrich writes, go
// through classify, matched or not, while the detection fields are
// replaced.
func TestEnrichmentsKept(t *testing.T) {
	const enr = `{"indicator":{"type":"ipv4-addr","ip":"185.220.101.4","provider":"feed"},"matched":{"atomic":"185.220.101.4","field":"source.ip","type":"indicator_match_rule"}}`
	unmatched := `{"event_id":"1","threat":{"tactic":{"id":["TA0040"]},"enrichments":[` + enr + `]}}`
	out := run(t, Config{}, unmatched)
	if want := `{"event_id":"1","threat":{"enrichments":[` + enr + `]}}`; len(out) != 1 || out[0] != want {
		t.Errorf("unmatched event:\n got %q\nwant %q", out, want)
	}
	matched := labPowershell[:len(labPowershell)-1] + `,"threat":{"enrichments":[` + enr + `,` + enr + `]}}`
	out = run(t, Config{}, matched)
	if !strings.Contains(out[0], `"threat":{"enrichments":[`+enr+`,`+enr+`],"framework":"MITRE ATT&CK"`) {
		t.Errorf("matched event lost its enrichments: %s", out[0])
	}
	if got := strings.Join(decode(t, out[0]).Threat.Tactic.ID, ","); got != "TA0002,TA0005" {
		t.Errorf("tactics %s", got)
	}
}
