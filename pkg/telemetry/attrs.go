package telemetry

import (
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/secpipe/secpipe/pkg/ecs"
	"github.com/secpipe/secpipe/pkg/event"
)

// The attributes secpipe puts on the spans of events, besides the
// messaging ones of Kafka spans.
const (
	AttrEventID   = attribute.Key("secpipe.event.id")         // event.id / event_id
	AttrTechnique = attribute.Key("secpipe.attack.technique") // ATT&CK technique IDs matched (classify, store)
	AttrTactic    = attribute.Key("secpipe.attack.tactic")    // ATT&CK tactic IDs matched
	AttrRule      = attribute.Key("secpipe.rule.name")        // names of the rules matched
	AttrScenario  = attribute.Key("secpipe.gen.scenario")     // gen: the attack scenario of the event (truth.scenario)
	AttrRun       = attribute.Key("secpipe.gen.run")          // gen: the scenario run (truth.run)
	AttrOutput    = attribute.Key("secpipe.events.out")       // a stage: events it made of this one (0: dropped)
)

// eventAttrs reads the attributes of an event. Use one per goroutine.
type eventAttrs struct {
	paths *event.Paths
	f     event.Fields
	slots []attrSlot
}

type attrSlot struct {
	key  attribute.Key
	slot []int // the paths, first that holds values wins
}

func newEventAttrs() *eventAttrs {
	a := &eventAttrs{paths: event.NewPaths()}
	add := func(key attribute.Key, paths ...[]string) {
		s := attrSlot{key: key}
		for _, ps := range paths {
			for _, p := range ps {
				s.slot = append(s.slot, a.paths.Add(p))
			}
		}
		a.slots = append(a.slots, s)
	}
	add(AttrEventID, ecs.EventID)
	add(AttrTechnique, ecs.SubTechID, ecs.TechID)
	add(AttrTactic, ecs.TacticID)
	add(AttrRule, ecs.RuleName)
	add(AttrScenario, ecs.TruthScen)
	add(AttrRun, ecs.TruthRun)
	return a
}

// set puts the attributes of the event raw on span: its ID, the ATT&CK
// tactics, techniques and rules it matched, and for gen's events, their
// scenario. Sub-techniques come first when the event names them, as they
// are the more precise.
func (a *eventAttrs) set(span trace.Span, raw []byte) {
	if len(raw) == 0 || raw[0] != '{' {
		return
	}
	a.paths.Extract(raw, &a.f)
	attrs := make([]attribute.KeyValue, 0, len(a.slots))
	for _, s := range a.slots {
		var texts []string
		for _, slot := range s.slot {
			for _, v := range a.f.Values(slot) {
				if v.Kind == event.String || v.Kind == event.Number {
					texts = append(texts, v.Text())
				}
			}
		}
		switch {
		case len(texts) == 0:
		case s.key == AttrEventID || s.key == AttrScenario || s.key == AttrRun:
			attrs = append(attrs, s.key.String(texts[0]))
		default:
			attrs = append(attrs, s.key.StringSlice(texts))
		}
	}
	span.SetAttributes(attrs...)
}
