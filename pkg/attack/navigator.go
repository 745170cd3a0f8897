package attack

import (
	"fmt"
	"math"
	"sort"
	"strconv"
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
	Color             string `json:"color,omitempty"` // the score's colour on the layer's log scale
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

// scaleColors run from the least score to the most (ColorBrewer YlOrRd, its
// lightest left out so that a score of 1 is not taken for none).
var scaleColors = [][3]uint8{{0xfe, 0xd9, 0x76}, {0xfe, 0xb2, 0x4c}, {0xfd, 0x8d, 0x3c}, {0xf0, 0x3b, 0x20}, {0xbd, 0x00, 0x26}}

// scaleColor is the colour of score n of at most top on a log scale: 1 is
// the lightest, top the darkest, 10 halfway between them when top is 100.
func scaleColor(n, top int64) string {
	t := 1.0
	if top > 1 {
		t = math.Log(float64(max(n, 1))) / math.Log(float64(top))
	}
	x := min(max(t, 0), 1) * float64(len(scaleColors)-1)
	i := min(int(x), len(scaleColors)-2)
	f := x - float64(i)
	var rgb [3]uint8
	for k := range rgb {
		rgb[k] = uint8(math.Round(float64(scaleColors[i][k])*(1-f) + float64(scaleColors[i+1][k])*f))
	}
	return fmt.Sprintf("#%02x%02x%02x", rgb[0], rgb[1], rgb[2])
}

// Count says n of a unit: "1 event", "12 events".
func Count(n int64, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return strconv.FormatInt(n, 10) + " " + unit + "s"
}

// NewLayer builds a layer of scores, sorted by score in the Navigator. The
// parent of a scored sub-technique is shown expanded. Scores are counts of
// unit ("event", "rule"), coloured on a log scale (a linear one leaves all
// but the top few techniques of a long-tailed count nearly white), which
// the legend gives at powers of ten.
func NewLayer(name, description, unit string, scores []LayerScore) Layer {
	l := Layer{
		Name:        name,
		Versions:    LayerVersions{Attack: "18", Navigator: "5.1.0", Layer: "4.5"},
		Domain:      "enterprise-attack",
		Description: description,
		Sorting:     3, // by score, descending
		Layout:      LayerLayout{Layout: "side", ShowID: true, ShowName: true},
		Techniques:  []LayerTechnique{},
		Gradient:    LayerGradient{Colors: []string{scaleColor(1, 10), scaleColor(10, 10)}}, // unused: every score has its colour
		LegendItems: []LayerLegendItem{},
		Metadata:    []any{},
	}
	for _, s := range scores {
		l.Gradient.MaxValue = max(l.Gradient.MaxValue, s.Score)
	}
	top := l.Gradient.MaxValue
	for n := int64(1); n < top; n *= 10 {
		l.LegendItems = append(l.LegendItems, LayerLegendItem{Label: Count(n, unit), Color: scaleColor(n, top)})
	}
	if top > 0 {
		l.LegendItems = append(l.LegendItems, LayerLegendItem{Label: Count(top, unit), Color: scaleColor(top, top)})
	}
	parents := map[string]bool{}
	for _, s := range scores {
		score := s.Score
		l.Techniques = append(l.Techniques, LayerTechnique{TechniqueID: s.Technique, Tactic: s.Tactic, Score: &score, Comment: s.Comment, Color: scaleColor(score, top), Enabled: true})
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
