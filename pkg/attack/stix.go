package attack

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// stixObject holds the fields of STIX objects that the catalog needs.
type stixObject struct {
	Type               string   `json:"type"`
	ID                 string   `json:"id"`
	Name               string   `json:"name"`
	Description        string   `json:"description"`
	Revoked            bool     `json:"revoked"`
	Deprecated         bool     `json:"x_mitre_deprecated"`
	Shortname          string   `json:"x_mitre_shortname"`
	IsSub              bool     `json:"x_mitre_is_subtechnique"`
	Platforms          []string `json:"x_mitre_platforms"`
	ExternalReferences []struct {
		SourceName string `json:"source_name"`
		ExternalID string `json:"external_id"`
		URL        string `json:"url"`
	} `json:"external_references"`
	KillChainPhases []struct {
		KillChainName string `json:"kill_chain_name"`
		PhaseName     string `json:"phase_name"`
	} `json:"kill_chain_phases"`
	TacticRefs []string `json:"tactic_refs"`
}

// parseSTIX reads the Enterprise domain of a MITRE ATT&CK STIX 2.1 bundle,
// leaving out revoked and deprecated objects.
func parseSTIX(data []byte) (*Catalog, error) {
	var bundle struct {
		Objects []stixObject `json:"objects"`
	}
	if err := json.Unmarshal(data, &bundle); err != nil {
		return nil, fmt.Errorf("reading STIX bundle: %w", err)
	}
	tacticsByRef := map[string]Tactic{}
	var matrix []string
	var techniques []Technique
	for _, o := range bundle.Objects {
		if o.Revoked || o.Deprecated {
			continue
		}
		id, url := mitreID(o)
		switch o.Type {
		case "x-mitre-matrix":
			if len(matrix) == 0 {
				matrix = o.TacticRefs
			}
		case "x-mitre-tactic":
			tacticsByRef[o.ID] = Tactic{ID: id, Shortname: o.Shortname, Name: o.Name, URL: url}
		case "attack-pattern":
			if id == "" {
				continue
			}
			t := Technique{ID: id, Name: o.Name, Sub: o.IsSub, Platforms: o.Platforms, URL: url, Description: firstParagraph(o.Description)}
			for _, p := range o.KillChainPhases {
				if p.KillChainName == "mitre-attack" {
					t.Tactics = append(t.Tactics, p.PhaseName)
				}
			}
			techniques = append(techniques, t)
		}
	}
	var tactics []Tactic
	for _, ref := range matrix {
		if t, ok := tacticsByRef[ref]; ok {
			tactics = append(tactics, t)
			delete(tacticsByRef, ref)
		}
	}
	var rest []Tactic // tactics not in the matrix keep ID order
	for _, t := range tacticsByRef {
		rest = append(rest, t)
	}
	sort.Slice(rest, func(i, j int) bool { return rest[i].ID < rest[j].ID })
	tactics = append(tactics, rest...)
	if len(tactics) == 0 {
		return nil, fmt.Errorf("STIX bundle holds no ATT&CK tactics")
	}
	return build("MITRE ATT&CK STIX bundle", tactics, techniques), nil
}

func mitreID(o stixObject) (id, url string) {
	for _, r := range o.ExternalReferences {
		if r.SourceName == "mitre-attack" {
			return r.ExternalID, r.URL
		}
	}
	return "", ""
}

var citation = regexp.MustCompile(`\s*\(Citation:[^)]*\)`)

// firstParagraph returns a STIX description's first paragraph, without
// its citations.
func firstParagraph(d string) string {
	d, _, _ = strings.Cut(strings.TrimSpace(d), "\n\n")
	return strings.Join(strings.Fields(citation.ReplaceAllString(d, "")), " ")
}
