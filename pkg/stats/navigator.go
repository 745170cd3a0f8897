package stats

import (
	"fmt"
	"sort"
	"strings"

	"github.com/secpipe/secpipe/pkg/attack"
)

// Layer is an ATT&CK Navigator layer (format 4.5): techniques scored by
// how many events carry them, for https://mitre-attack.github.io/attack-navigator/.
type Layer struct {
	Name                    string            `json:"name"`
	Versions                LayerVersions     `json:"versions"`
	Domain                  string            `json:"domain"`
	Description             string            `json:"description"`
	Sorting                 int               `json:"sorting"`
	Layout                  LayerLayout       `json:"layout"`
	HideDisabled            bool              `json:"hideDisabled"`
	Techniques              []LayerTechnique  `json:"techniques"`
	Gradient                LayerGradient     `json:"gradient"`
	LegendItems             []LayerLegendItem `json:"legendItems"`
	Metadata                []any             `json:"metadata"`
	ShowTacticRowBackground bool              `json:"showTacticRowBackground"`
	SelectTechniquesAcross  bool              `json:"selectTechniquesAcrossTactics"`
	SelectSubtechniques     bool              `json:"selectSubtechniquesWithParent"`
}

// LayerVersions are the ATT&CK, Navigator and layer format versions.
type LayerVersions struct {
	Attack    string `json:"attack"`
	Navigator string `json:"navigator"`
	Layer     string `json:"layer"`
}

// LayerLayout is how the Navigator lays the matrix out.
type LayerLayout struct {
	Layout   string `json:"layout"`
	ShowID   bool   `json:"showID"`
	ShowName bool   `json:"showName"`
}

// LayerTechnique scores a technique, under one tactic when known.
type LayerTechnique struct {
	TechniqueID       string `json:"techniqueID"`
	Tactic            string `json:"tactic,omitempty"` // a tactic shortname: "credential-access"
	Score             *int64 `json:"score,omitempty"`  // none for a parent shown only to expand its sub-techniques
	Comment           string `json:"comment,omitempty"`
	Enabled           bool   `json:"enabled"`
	ShowSubtechniques bool   `json:"showSubtechniques,omitempty"`
}

// LayerGradient colours scores from MinValue to MaxValue.
type LayerGradient struct {
	Colors   []string `json:"colors"`
	MinValue int64    `json:"minValue"`
	MaxValue int64    `json:"maxValue"`
}

// LayerLegendItem is an entry of the layer's legend.
type LayerLegendItem struct {
	Label string `json:"label"`
	Color string `json:"color"`
}

// Navigator returns a Navigator layer scoring each (technique, tactic) seen
// by its number of events. A parent technique whose sub-techniques are
// scored is shown expanded.
func (r *Report) Navigator(cat *attack.Catalog) Layer {
	l := Layer{
		Name:        "secpipe",
		Versions:    LayerVersions{Attack: "18", Navigator: "5.1.0", Layer: "4.5"},
		Domain:      "enterprise-attack",
		Description: fmt.Sprintf("secpipe stats: %d events, scored by the number of events per technique", r.Total),
		Sorting:     3, // by score, descending
		Layout:      LayerLayout{Layout: "side", ShowID: true, ShowName: true},
		Techniques:  []LayerTechnique{},
		Gradient:    LayerGradient{Colors: []string{"#ffffff", "#ff6666"}},
		LegendItems: []LayerLegendItem{},
		Metadata:    []any{},
	}
	parents := map[string]bool{}
	for _, p := range r.Pairs {
		if p.Technique == "" {
			continue
		}
		score := p.Count
		t := LayerTechnique{TechniqueID: p.Technique, Score: &score, Enabled: true,
			Comment: fmt.Sprintf("%d events", p.Count)}
		if p.Tactic != "" {
			if ta, ok := cat.Tactic(p.Tactic); ok {
				t.Tactic = ta.Shortname
			}
		}
		if score > l.Gradient.MaxValue {
			l.Gradient.MaxValue = score
		}
		if i := strings.IndexByte(p.Technique, '.'); i > 0 {
			parents[p.Technique[:i]+"\x00"+t.Tactic] = true
		}
		l.Techniques = append(l.Techniques, t)
	}
	for i, t := range l.Techniques {
		if parents[t.TechniqueID+"\x00"+t.Tactic] {
			l.Techniques[i].ShowSubtechniques = true
			delete(parents, t.TechniqueID+"\x00"+t.Tactic)
		}
	}
	// Show the parents of scored sub-techniques expanded.
	keys := make([]string, 0, len(parents))
	for key := range parents {
		keys = append(keys, key)
	}
	sort.Strings(keys)
	for _, key := range keys {
		id, tactic, _ := strings.Cut(key, "\x00")
		l.Techniques = append(l.Techniques, LayerTechnique{TechniqueID: id, Tactic: tactic, Enabled: true, ShowSubtechniques: true})
	}
	return l
}
