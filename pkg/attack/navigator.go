package attack

import "sort"

// Layer is an ATT&CK Navigator layer (format 4.5), which the Navigator at
// https://mitre-attack.github.io/attack-navigator/ opens to colour techniques.
type Layer struct {
	Name        string           `json:"name"`
	Versions    LayerVersions    `json:"versions"`
	Domain      string           `json:"domain"`
	Description string           `json:"description"`
	Techniques  []LayerTechnique `json:"techniques"`
	Gradient    LayerGradient    `json:"gradient"`
	LegendItems []any            `json:"legendItems"`
	Metadata    []any            `json:"metadata"`
	ShowTactic  bool             `json:"showTacticRowBackground"`
	HideDisable bool             `json:"hideDisabled"`
}

// LayerVersions names the versions a layer was made for.
type LayerVersions struct {
	Attack    string `json:"attack"`
	Navigator string `json:"navigator"`
	Layer     string `json:"layer"`
}

// LayerTechnique scores one technique under one tactic.
type LayerTechnique struct {
	TechniqueID string `json:"techniqueID"`
	Tactic      string `json:"tactic,omitempty"`
	Score       int    `json:"score"`
	Comment     string `json:"comment,omitempty"`
	Enabled     bool   `json:"enabled"`
}

// LayerGradient colours scores from min to max.
type LayerGradient struct {
	Colors   []string `json:"colors"`
	MinValue int      `json:"minValue"`
	MaxValue int      `json:"maxValue"`
}

// NewLayer builds a layer scoring techniques. scores maps a technique ID to
// its score; tactics, when it names a technique, limits the tactics (by
// shortname) the score is shown under; otherwise all the catalog's tactics
// of the technique are used.
func (c *Catalog) NewLayer(name, description string, scores map[string]int, tactics map[string][]string, comments map[string]string) Layer {
	l := Layer{
		Name:        name,
		Versions:    LayerVersions{Attack: "18", Navigator: "5.1.0", Layer: "4.5"},
		Domain:      "enterprise-attack",
		Description: description,
		Gradient:    LayerGradient{Colors: []string{"#ffffff", "#ff6666"}},
		LegendItems: []any{},
		Metadata:    []any{},
	}
	ids := make([]string, 0, len(scores))
	for id := range scores {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		score := scores[id]
		if score > l.Gradient.MaxValue {
			l.Gradient.MaxValue = score
		}
		shorts := tactics[id]
		if len(shorts) == 0 {
			if t, ok := c.Technique(id); ok {
				shorts = t.Tactics
			}
		}
		if len(shorts) == 0 {
			shorts = []string{""}
		}
		for _, s := range shorts {
			l.Techniques = append(l.Techniques, LayerTechnique{TechniqueID: id, Tactic: s, Score: score, Comment: comments[id], Enabled: true})
		}
	}
	if l.Techniques == nil {
		l.Techniques = []LayerTechnique{}
	}
	return l
}
