package stats

import (
	"fmt"

	"github.com/secpipe/secpipe/pkg/attack"
)

// Navigator returns a Navigator layer scoring each (technique, tactic) seen
// by its number of events. A parent technique whose sub-techniques are
// scored is shown expanded.
func (r *Report) Navigator(cat *attack.Catalog) attack.Layer {
	var scores []attack.LayerScore
	for _, p := range r.Pairs {
		if p.Technique == "" {
			continue
		}
		s := attack.LayerScore{Technique: p.Technique, Score: p.Count, Comment: attack.Count(p.Count, "event")}
		if p.Tactic != "" {
			if ta, ok := cat.Tactic(p.Tactic); ok {
				s.Tactic = ta.Shortname
			}
		}
		scores = append(scores, s)
	}
	return attack.NewLayer("secpipe", fmt.Sprintf("secpipe stats: %s, scored by the number of events per technique, coloured on a log scale", attack.Count(r.Total, "event")), "event", scores)
}
