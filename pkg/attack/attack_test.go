package attack

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestDefaultCatalog: the embedded catalog holds the 14 Enterprise
// tactics in kill-chain order and finds tactics and techniques as tags
// and IDs spell them.
func TestDefaultCatalog(t *testing.T) {
	c := Default()
	var ids []string
	for i, ta := range c.Tactics() {
		ids = append(ids, ta.ID)
		if ta.Order != i {
			t.Errorf("%s: order %d at position %d", ta.ID, ta.Order, i)
		}
	}
	want := "TA0043 TA0042 TA0001 TA0002 TA0003 TA0004 TA0005 TA0006 TA0007 TA0008 TA0009 TA0011 TA0010 TA0040"
	if got := strings.Join(ids, " "); got != want {
		t.Errorf("tactics\n got %s\nwant %s", got, want)
	}
	for _, key := range []string{"TA0006", "ta0006", "credential-access", "credential_access", "Credential_Access"} {
		if ta, ok := c.Tactic(key); !ok || ta.ID != "TA0006" || ta.Name != "Credential Access" || ta.URL != "https://attack.mitre.org/tactics/TA0006" {
			t.Errorf("Tactic(%q) = %+v, %v", key, ta, ok)
		}
	}
	if _, ok := c.Tactic("stealth"); ok {
		t.Error("Tactic(stealth) found in v18.1")
	}
	te, ok := c.Technique("t1059.001")
	if !ok || te.ID != "T1059.001" || te.Name != "PowerShell" || !te.Sub || te.Parent() != "T1059" || strings.Join(te.Tactics, ",") != "execution" {
		t.Errorf("Technique(t1059.001) = %+v, %v", te, ok)
	}
	if p, _ := c.Technique("T1059"); p.Sub || p.Parent() != "T1059" {
		t.Errorf("T1059: %+v", p)
	}
	all := c.Techniques()
	for i := 1; i < len(all); i++ {
		if all[i-1].ID >= all[i].ID {
			t.Fatalf("techniques not sorted by ID: %s before %s", all[i-1].ID, all[i].ID)
		}
	}
	found := c.Search("powershell")
	if len(found) == 0 || found[0].ID != "T1059.001" {
		t.Errorf("Search(powershell) = %v", found)
	}
	if License == "" {
		t.Error("no licence with the embedded catalog")
	}
}

// TestTableIsTheData: the catalog compiled in (table.go) is the one in
// data/, as Load reads it; after a change there, go generate ./pkg/attack.
func TestTableIsTheData(t *testing.T) {
	want, err := Load("data/enterprise-attack-v18.1.json")
	if err != nil {
		t.Fatal(err)
	}
	got := Default()
	if got.Source != want.Source || !reflect.DeepEqual(got.Tactics(), want.Tactics()) || !reflect.DeepEqual(got.Techniques(), want.Techniques()) {
		t.Fatal("table.go is not data/enterprise-attack-v18.1.json: run go generate ./pkg/attack")
	}
}

func TestReferences(t *testing.T) {
	if got := TechniqueReference("T1059.001"); got != "https://attack.mitre.org/techniques/T1059/001" {
		t.Errorf("TechniqueReference: %s", got)
	}
	if got := TacticReference("TA0099"); got != "https://attack.mitre.org/tactics/TA0099" {
		t.Errorf("TacticReference: %s", got)
	}
}

// A STIX bundle with a matrix of two tactics, a tactic outside it, a
// technique, a sub-technique, and a revoked and a deprecated technique.
const bundle = `{"type":"bundle","objects":[
{"type":"x-mitre-matrix","tactic_refs":["x-mitre-tactic--b","x-mitre-tactic--a"]},
{"type":"x-mitre-tactic","id":"x-mitre-tactic--a","name":"Impact","x_mitre_shortname":"impact",
 "external_references":[{"source_name":"mitre-attack","external_id":"TA0040","url":"https://attack.mitre.org/tactics/TA0040"}]},
{"type":"x-mitre-tactic","id":"x-mitre-tactic--b","name":"Execution","x_mitre_shortname":"execution",
 "external_references":[{"source_name":"mitre-attack","external_id":"TA0002","url":"https://attack.mitre.org/tactics/TA0002"}]},
{"type":"x-mitre-tactic","id":"x-mitre-tactic--c","name":"Stealth","x_mitre_shortname":"stealth",
 "external_references":[{"source_name":"mitre-attack","external_id":"TA0099"}]},
{"type":"attack-pattern","name":"Command Interpreter","kill_chain_phases":[{"kill_chain_name":"mitre-attack","phase_name":"execution"}],
 "external_references":[{"source_name":"capec","external_id":"CAPEC-1"},{"source_name":"mitre-attack","external_id":"T1059","url":"u1"}]},
{"type":"attack-pattern","name":"PowerShell","x_mitre_is_subtechnique":true,"x_mitre_platforms":["Windows"],
 "kill_chain_phases":[{"kill_chain_name":"mitre-attack","phase_name":"execution"},{"kill_chain_name":"other","phase_name":"x"}],
 "external_references":[{"source_name":"mitre-attack","external_id":"T1059.001","url":"u2"}]},
{"type":"attack-pattern","name":"Old","revoked":true,"external_references":[{"source_name":"mitre-attack","external_id":"T9999"}]},
{"type":"attack-pattern","name":"Older","x_mitre_deprecated":true,"external_references":[{"source_name":"mitre-attack","external_id":"T9998"}]}
]}`

func TestLoadSTIX(t *testing.T) {
	path := filepath.Join(t.TempDir(), "enterprise-attack.json")
	if err := os.WriteFile(path, []byte(bundle), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, ta := range c.Tactics() {
		ids = append(ids, ta.ID+" "+ta.Shortname)
	}
	if got := strings.Join(ids, ", "); got != "TA0002 execution, TA0040 impact, TA0099 stealth" {
		t.Errorf("tactics: %s", got)
	}
	if len(c.Techniques()) != 2 {
		t.Errorf("techniques %v, want T1059 and T1059.001 (revoked and deprecated left out)", c.Techniques())
	}
	te, ok := c.Technique("T1059.001")
	if !ok || !te.Sub || te.URL != "u2" || strings.Join(te.Tactics, ",") != "execution" || strings.Join(te.Platforms, ",") != "Windows" {
		t.Errorf("T1059.001: %+v", te)
	}
	if _, ok := c.Tactic("stealth"); !ok {
		t.Error("a tactic outside the matrix is kept")
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	for name, data := range map[string]string{
		"notjson.json":   "hello",
		"empty.json":     `{"tactics":[]}`,
		"notactics.json": `{"type":"bundle","objects":[{"type":"attack-pattern","name":"x"}]}`,
	} {
		path := filepath.Join(dir, name)
		os.WriteFile(path, []byte(data), 0o644)
		if _, err := Load(path); err == nil || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: %v, want an error naming the file", name, err)
		}
	}
	if _, err := Load(filepath.Join(dir, "missing.json")); err == nil {
		t.Error("a missing file loads")
	}
}

// TestNewLayer: every score is a technique of the layer; the parent of a
// scored sub-technique is shown expanded, once per tactic.
func TestNewLayer(t *testing.T) {
	l := NewLayer("n", "d", "event", []LayerScore{
		{Technique: "T1110.001", Tactic: "credential-access", Score: 7, Comment: "c"},
		{Technique: "T1110.003", Tactic: "credential-access", Score: 2},
		{Technique: "T1059", Tactic: "execution", Score: 3},
		{Technique: "T1059.001", Tactic: "execution", Score: 1},
	})
	if l.Name != "n" || l.Description != "d" || l.Domain != "enterprise-attack" || l.Versions.Layer != "4.5" || l.Gradient.MaxValue != 7 {
		t.Errorf("layer %+v", l)
	}
	var got []string
	for _, te := range l.Techniques {
		s := te.TechniqueID + "/" + te.Tactic
		if te.Score != nil {
			s += "=" + string(rune('0'+*te.Score))
		}
		if te.ShowSubtechniques {
			s += "+"
		}
		got = append(got, s)
	}
	want := "T1110.001/credential-access=7 T1110.003/credential-access=2 T1059/execution=3+ T1059.001/execution=1 T1110/credential-access+"
	if strings.Join(got, " ") != want {
		t.Errorf("techniques\n got %s\nwant %s", strings.Join(got, " "), want)
	}
}
