package attack

import (
	"sort"
	"strings"
)

// Layer is an ATT&CK Navigator layer (format 4.5), which the Navigator at
// https://mitre-attack.github.io/attack-navigator/ opens to colour techniques.
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

// LayerScore is one technique's score under one tactic.
type LayerScore struct {
	Technique string // T1110.001
	Tactic    string // a tactic shortname, or "" when unknown
	Score     int64
	Comment   string
}

// NewLayer builds a layer of scores, sorted by score in the Navigator. The
// parent of a scored sub-technique is shown expanded.
func NewLayer(name, description string, scores []LayerScore) Layer {
	l := Layer{
		Name:        name,
		Versions:    LayerVersions{Attack: "18", Navigator: "5.1.0", Layer: "4.5"},
		Domain:      "enterprise-attack",
		Description: description,
		Sorting:     3, // by score, descending
		Layout:      LayerLayout{Layout: "side", ShowID: true, ShowName: true},
		Techniques:  []LayerTechnique{},
		Gradient:    LayerGradient{Colors: []string{"#ffffff", "#ff6666"}},
		LegendItems: []LayerLegendItem{},
		Metadata:    []any{},
	}
	parents := map[string]bool{}
	for _, s := range scores {
		score := s.Score
		l.Techniques = append(l.Techniques, LayerTechnique{TechniqueID: s.Technique, Tactic: s.Tactic, Score: &score, Comment: s.Comment, Enabled: true})
		if score > l.Gradient.MaxValue {
			l.Gradient.MaxValue = score
		}
		if i := strings.IndexByte(s.Technique, '.'); i > 0 {
			parents[s.Technique[:i]+"\x00"+s.Tactic] = true
		}
	}
	for i, t := range l.Techniques {
		if parents[t.TechniqueID+"\x00"+t.Tactic] {
			l.Techniques[i].ShowSubtechniques = true
			delete(parents, t.TechniqueID+"\x00"+t.Tactic)
		}
	}
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
