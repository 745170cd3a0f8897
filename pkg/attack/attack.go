// Package attack holds the MITRE ATT&CK Enterprise catalog: tactics in
// kill-chain order and techniques with their names, references and tactics.
//
// The embedded catalog is ATT&CK Enterprise v18.1, © The MITRE Corporation,
// reproduced with its licence (data/LICENSE-ATTACK.txt). It is kept as
// JSON in data/ and compiled in as Go data (table.go), so that starting a
// command parses nothing. Load reads a newer catalog from a MITRE STIX 2.1
// bundle.
package attack

//go:generate go run ./internal/gentable data/enterprise-attack-v18.1.json table.go

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
)

// License is MITRE's licence for the embedded catalog; it travels with any copy.
//
//go:embed data/LICENSE-ATTACK.txt
var License string

// Tactic is an ATT&CK tactic, such as TA0002 Execution.
type Tactic struct {
	ID        string `json:"id"`
	Shortname string `json:"shortname"` // as in tags: "execution", "credential-access"
	Name      string `json:"name"`
	URL       string `json:"url"`
	Summary   string `json:"summary,omitempty"`
	Order     int    `json:"-"` // position in the kill chain, from 0
}

// Technique is an ATT&CK technique or sub-technique, such as T1059.001.
type Technique struct {
	ID        string   `json:"id"`
	Name      string   `json:"name"`
	Tactics   []string `json:"tactics"` // tactic shortnames
	Sub       bool     `json:"subtechnique"`
	Platforms []string `json:"platforms,omitempty"`
	URL       string   `json:"url"`
	// Description is MITRE's first paragraph, from a STIX bundle; the
	// embedded catalog keeps none.
	Description string `json:"description,omitempty"`
}

// Parent returns the ID of a sub-technique's parent, or the ID itself.
func (t Technique) Parent() string {
	if i := strings.IndexByte(t.ID, '.'); i > 0 {
		return t.ID[:i]
	}
	return t.ID
}

// Catalog is a set of tactics and techniques.
type Catalog struct {
	Source     string
	tactics    []Tactic
	tacticBy   map[string]int // by ID and shortname
	techniques map[string]Technique
}

var (
	defaultOnce sync.Once
	defaultCat  *Catalog
)

// Default returns the embedded ATT&CK Enterprise v18.1 catalog.
func Default() *Catalog {
	defaultOnce.Do(func() { defaultCat = build(tableSource, tableTactics, tableTechniques) })
	return defaultCat
}

// Load reads a catalog from a file: a MITRE STIX 2.1 bundle (enterprise-attack.json
// from the mitre/cti or attack-stix-data repositories) or secpipe's compact form.
func Load(path string) (*Catalog, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	c, err := parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

func parse(data []byte) (*Catalog, error) {
	var probe struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, fmt.Errorf("not an ATT&CK catalog: %w", err)
	}
	if probe.Type == "bundle" {
		return parseSTIX(data)
	}
	var compact struct {
		Source     string      `json:"source"`
		Tactics    []Tactic    `json:"tactics"`
		Techniques []Technique `json:"techniques"`
	}
	if err := json.Unmarshal(data, &compact); err != nil {
		return nil, fmt.Errorf("not an ATT&CK catalog: %w", err)
	}
	if len(compact.Tactics) == 0 {
		return nil, fmt.Errorf("not an ATT&CK catalog: no tactics (expected a STIX bundle or secpipe's compact form)")
	}
	return build(compact.Source, compact.Tactics, compact.Techniques), nil
}

func build(source string, tactics []Tactic, techniques []Technique) *Catalog {
	c := &Catalog{Source: source, tacticBy: make(map[string]int, 2*len(tactics)), techniques: make(map[string]Technique, len(techniques))}
	for i, t := range tactics {
		t.Order = i
		c.tactics = append(c.tactics, t)
		c.tacticBy[t.ID] = i
		c.tacticBy[t.Shortname] = i
	}
	for _, t := range techniques {
		c.techniques[t.ID] = t
	}
	return c
}

// Tactics returns the tactics in kill-chain order.
func (c *Catalog) Tactics() []Tactic { return c.tactics }

// Tactic finds a tactic by ID ("TA0002"), shortname ("execution",
// "credential_access") or name ("Credential Access").
func (c *Catalog) Tactic(key string) (Tactic, bool) {
	if i, ok := c.tacticBy[key]; ok {
		return c.tactics[i], true
	}
	norm := strings.ToLower(strings.Join(strings.Fields(key), "-"))
	norm = strings.ReplaceAll(norm, "_", "-")
	if strings.HasPrefix(norm, "ta") {
		norm = strings.ToUpper(norm)
	}
	if i, ok := c.tacticBy[norm]; ok {
		return c.tactics[i], true
	}
	return Tactic{}, false
}

// Technique finds a technique by ID, in any case ("T1059.001", "t1059.001").
func (c *Catalog) Technique(id string) (Technique, bool) {
	t, ok := c.techniques[id]
	if !ok {
		t, ok = c.techniques[strings.ToUpper(id)]
	}
	return t, ok
}

// Techniques returns every technique, sorted by ID.
func (c *Catalog) Techniques() []Technique {
	out := make([]Technique, 0, len(c.techniques))
	for _, t := range c.techniques {
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Search returns the techniques whose ID or name contains q, case-insensitively.
func (c *Catalog) Search(q string) []Technique {
	q = strings.ToLower(q)
	var out []Technique
	for _, t := range c.Techniques() {
		if strings.Contains(strings.ToLower(t.ID), q) || strings.Contains(strings.ToLower(t.Name), q) {
			out = append(out, t)
		}
	}
	return out
}

// TacticReference returns the ATT&CK page of a tactic ID, even one the catalog lacks.
func TacticReference(id string) string { return "https://attack.mitre.org/tactics/" + id }

// TechniqueReference returns the ATT&CK page of a technique ID, even one the catalog lacks.
func TechniqueReference(id string) string {
	return "https://attack.mitre.org/techniques/" + strings.Replace(id, ".", "/", 1)
}
