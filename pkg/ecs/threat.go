package ecs

import (
	"strings"

	"github.com/secpipe/secpipe/pkg/attack"
	"github.com/secpipe/secpipe/pkg/event"
)

// Threat is what classification found in one event: ATT&CK tactics and
// techniques, and the rules that matched.
type Threat struct {
	// Tactics holds tactic IDs (TA0006). A tactic the catalog does not know
	// is kept as its tag name ("stealth").
	Tactics []string
	// Techniques holds technique and sub-technique IDs as tagged (T1110.001).
	Techniques []string
	RuleIDs    []string
	RuleNames  []string
	// Level is the highest Sigma level of the matched rules.
	Level string
}

// Empty reports whether nothing matched.
func (t *Threat) Empty() bool {
	return len(t.RuleIDs) == 0 && len(t.Tactics) == 0 && len(t.Techniques) == 0
}

// AppendFields appends the ECS fields of t, `"threat":{...},"rule":{...}`,
// without a leading comma. Names and references come from cat.
//
// threat.technique.id lists parent techniques; their sub-techniques go in
// threat.technique.subtechnique.*, as ECS lays them out. rule.level is a
// secpipe extension of ECS rule.*: the highest Sigma level matched.
func (t *Threat) AppendFields(dst []byte, cat *attack.Catalog) []byte {
	dst = append(dst, `"threat":{"framework":"MITRE ATT&CK"`...)
	if len(t.Tactics) > 0 {
		ids := make([]string, 0, len(t.Tactics))
		names := make([]string, 0, len(t.Tactics))
		refs := make([]string, 0, len(t.Tactics))
		for _, id := range t.Tactics {
			ids = append(ids, id)
			if ta, ok := cat.Tactic(id); ok {
				names, refs = append(names, ta.Name), append(refs, ta.URL)
			} else {
				names, refs = append(names, id), append(refs, "")
			}
		}
		dst = append(dst, `,"tactic":`...)
		dst = appendIDs(dst, ids, names, refs)
	}
	var parents, subs []string
	for _, id := range t.Techniques {
		if i := strings.IndexByte(id, '.'); i > 0 {
			subs = appendUnique(subs, id)
			parents = appendUnique(parents, id[:i])
		} else {
			parents = appendUnique(parents, id)
		}
	}
	if len(parents) > 0 {
		dst = append(dst, `,"technique":`...)
		dst = appendIDs(dst, parents, techniqueNames(parents, cat), techniqueRefs(parents, cat))
		if len(subs) > 0 {
			dst = dst[:len(dst)-1]
			dst = append(dst, `,"subtechnique":`...)
			dst = appendIDs(dst, subs, techniqueNames(subs, cat), techniqueRefs(subs, cat))
			dst = append(dst, '}')
		}
	}
	dst = append(dst, `},"rule":{"id":`...)
	dst = event.AppendStrings(dst, t.RuleIDs)
	dst = append(dst, `,"name":`...)
	dst = event.AppendStrings(dst, t.RuleNames)
	dst = append(dst, `,"ruleset":"sigma"`...)
	if t.Level != "" {
		dst = append(dst, `,"level":`...)
		dst = event.AppendString(dst, t.Level)
	}
	return append(dst, '}')
}

func appendIDs(dst []byte, ids, names, refs []string) []byte {
	dst = append(dst, `{"id":`...)
	dst = event.AppendStrings(dst, ids)
	dst = append(dst, `,"name":`...)
	dst = event.AppendStrings(dst, names)
	dst = append(dst, `,"reference":`...)
	dst = event.AppendStrings(dst, refs)
	return append(dst, '}')
}

func techniqueNames(ids []string, cat *attack.Catalog) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		if t, ok := cat.Technique(id); ok {
			out[i] = t.Name
		}
	}
	return out
}

func techniqueRefs(ids []string, cat *attack.Catalog) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		if t, ok := cat.Technique(id); ok && t.URL != "" {
			out[i] = t.URL
		} else {
			out[i] = attack.TechniqueReference(id)
		}
	}
	return out
}

func appendUnique(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}

// Pair is one (tactic, technique) of an event: a row of the store's CSV.
type Pair struct {
	Tactic    string // a tactic ID, or "" when the event has none
	Technique string // the most specific technique ID, or ""
}

// Pairs splits an event's tactics and techniques into (tactic, technique)
// pairs. ECS lists them apart, so each technique is paired with the event's
// tactics that the catalog lists for it (a technique tagged under two
// tactics gives two pairs). A technique the catalog does not link to any of
// the event's tactics goes with the tactics no other technique took, or the
// first tactic. A tactic left without technique gives a pair of its own.
// techniques may hold parents and sub-techniques; a parent whose
// sub-technique is listed is not repeated.
func Pairs(tactics, techniques []string, cat *attack.Catalog) []Pair {
	return AppendPairs(nil, tactics, techniques, cat)
}

// AppendPairs appends the pairs of Pairs to dst.
func AppendPairs(dst []Pair, tactics, techniques []string, cat *attack.Catalog) []Pair {
	if len(tactics) == 1 && len(techniques) == 1 { // the common event: what follows gives this pair
		return append(dst, Pair{Tactic: tactics[0], Technique: techniques[0]})
	}
	pairs := dst
	var specific []string
	for _, id := range techniques {
		if strings.IndexByte(id, '.') < 0 && hasSubOf(techniques, id) {
			continue
		}
		specific = appendUnique(specific, id)
	}
	claimed := map[string]bool{}
	var orphans []string
	for _, tech := range specific {
		matched := false
		if t, ok := cat.Technique(tech); ok {
			for _, tactic := range tactics {
				if ta, ok := cat.Tactic(tactic); ok && contains(t.Tactics, ta.Shortname) {
					pairs = append(pairs, Pair{Tactic: tactic, Technique: tech})
					claimed[tactic] = true
					matched = true
				}
			}
		}
		if !matched {
			orphans = append(orphans, tech)
		}
	}
	var unclaimed []string
	for _, tactic := range tactics {
		if !claimed[tactic] {
			unclaimed = append(unclaimed, tactic)
		}
	}
	for _, tech := range orphans {
		switch {
		case len(unclaimed) > 0:
			for _, tactic := range unclaimed {
				pairs = append(pairs, Pair{Tactic: tactic, Technique: tech})
				claimed[tactic] = true
			}
		case len(tactics) > 0:
			pairs = append(pairs, Pair{Tactic: tactics[0], Technique: tech})
		default:
			pairs = append(pairs, Pair{Technique: tech})
		}
	}
	for _, tactic := range tactics {
		if !claimed[tactic] {
			pairs = append(pairs, Pair{Tactic: tactic})
		}
	}
	return pairs
}

func hasSubOf(ids []string, parent string) bool {
	for _, id := range ids {
		if len(id) > len(parent) && id[len(parent)] == '.' && strings.HasPrefix(id, parent) {
			return true
		}
	}
	return false
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Levels lists the Sigma levels from lowest to highest.
var Levels = []string{"informational", "low", "medium", "high", "critical"}

// LevelRank orders Sigma levels: 0 for unknown, 1 informational ... 5 critical.
func LevelRank(level string) int {
	for i, l := range Levels {
		if l == level {
			return i + 1
		}
	}
	return 0
}
