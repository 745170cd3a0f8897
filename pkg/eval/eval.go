// Package eval scores classification against the ground truth that
// secpipe gen writes into each event (the "truth" field, which classify
// never reads).
//
// Definitions, per ATT&CK tactic:
//
//   - An item is a classified event tagged with at least one tactic, or a
//     correlation alert. An alert's truth is that of the event that set it
//     off (sigma.correlation.trigger names it).
//   - Precision counts items: an item tagged with tactic T is a true
//     positive when its truth lists T, a false positive otherwise (a tagged
//     benign event is a false positive).
//   - Recall counts attack instances (one run of a scenario, truth.scenario
//     and truth.run): an instance expecting tactic T is detected when any of
//     its events, or an alert set off by one of them, carries T together with
//     one of the instance's expected techniques (a sub-technique and its
//     parent count as the same). Support is the number of instances that
//     expect T. A run cut short by the end of the output (it has fewer
//     events than truth.events says) is left out of recall: what it would
//     have shown was never generated.
//
// Overall figures are micro-averages: all true positives over all items,
// all detected instances over all supports. Tactics the ATT&CK catalog
// does not know (rules tagged for a newer ATT&CK) are reported apart and
// left out of them: gen's truth, written in the catalog's terms, cannot
// hold them.
package eval

import (
	"context"
	"sort"
	"strconv"
	"strings"

	"github.com/secpipe/secpipe/pkg/attack"
	"github.com/secpipe/secpipe/pkg/event"
	"github.com/secpipe/secpipe/pkg/pipeline"
)

// Evaluator accumulates the score of a stream of classified events.
type Evaluator struct {
	paths                                                                 *event.Paths
	fields                                                                event.Fields
	scen, run, size, tTac, tTech, tac, tech, sub, kind, id, trigger, eid2 int

	instances map[string]*instance
	byEvent   map[string]eventTruth // attack events by id, for alerts
	pending   []pendingAlert        // alerts seen before their trigger
	tp, fp    map[string]int
	events    int64
	alerts    int64
	benign    int64 // events whose truth is benign or missing
	untruthed int64 // events without truth.scenario
}

type instance struct {
	scenario   string
	seen, size int
	tactics    map[string]bool
	techniques map[string]bool
	detected   map[string]bool
}

type eventTruth struct {
	inst    string
	tactics []string
}

type pendingAlert struct {
	trigger    string
	tactics    []string
	techniques []string
}

// New returns an empty evaluator.
func New() *Evaluator {
	p := event.NewPaths()
	e := &Evaluator{
		paths:     p,
		scen:      p.Add("truth.scenario"),
		run:       p.Add("truth.run"),
		size:      p.Add("truth.events"),
		tTac:      p.Add("truth.tactics"),
		tTech:     p.Add("truth.techniques"),
		tac:       p.Add("threat.tactic.id"),
		tech:      p.Add("threat.technique.id"),
		sub:       p.Add("threat.technique.subtechnique.id"),
		kind:      p.Add("event.kind"),
		id:        p.Add("event.id"),
		eid2:      p.Add("event_id"),
		trigger:   p.Add("sigma.correlation.trigger"),
		instances: map[string]*instance{},
		byEvent:   map[string]eventTruth{},
		tp:        map[string]int{},
		fp:        map[string]int{},
	}
	return e
}

func (e *Evaluator) strings(slot int) []string {
	var out []string
	for _, v := range e.fields.Values(slot) {
		if v.Kind == event.String || v.Kind == event.Number {
			out = append(out, v.Text())
		}
	}
	return out
}

func (e *Evaluator) first(slot int) string {
	if s := e.strings(slot); len(s) > 0 {
		return s[0]
	}
	return ""
}

// Add scores one classified event (a compact JSON object).
func (e *Evaluator) Add(raw []byte) {
	e.paths.Extract(raw, &e.fields)
	tactics := e.strings(e.tac)
	techniques := append(e.strings(e.tech), e.strings(e.sub)...)
	if e.first(e.kind) == "alert" {
		e.alerts++
		a := pendingAlert{trigger: e.first(e.trigger), tactics: tactics, techniques: techniques}
		if _, ok := e.byEvent[a.trigger]; ok || a.trigger == "" {
			e.scoreAlert(a)
		} else {
			e.pending = append(e.pending, a)
		}
		return
	}
	e.events++
	scenario := e.first(e.scen)
	var truth eventTruth
	if scenario != "" && scenario != "benign" {
		key := scenario + "#" + e.first(e.run)
		inst := e.instances[key]
		if inst == nil {
			inst = &instance{scenario: scenario, tactics: map[string]bool{}, techniques: map[string]bool{}, detected: map[string]bool{}}
			e.instances[key] = inst
		}
		inst.seen++
		if n, err := strconv.Atoi(e.first(e.size)); err == nil {
			inst.size = n
		}
		truth = eventTruth{inst: key, tactics: e.strings(e.tTac)}
		for _, t := range truth.tactics {
			inst.tactics[t] = true
		}
		for _, t := range e.strings(e.tTech) {
			inst.techniques[t] = true
		}
		if id := e.eventID(); id != "" {
			e.byEvent[id] = truth
		}
	} else {
		e.benign++
		if scenario == "" {
			e.untruthed++
		}
	}
	e.score(truth, tactics, techniques)
}

func (e *Evaluator) eventID() string {
	if id := e.first(e.id); id != "" {
		return id
	}
	return e.first(e.eid2)
}

func (e *Evaluator) scoreAlert(a pendingAlert) {
	e.score(e.byEvent[a.trigger], a.tactics, a.techniques)
}

// score counts an item's tactics against its truth, and marks its instance
// detected for the tactics it got right with an expected technique.
func (e *Evaluator) score(truth eventTruth, tactics, techniques []string) {
	inst := e.instances[truth.inst]
	for _, t := range tactics {
		if contains(truth.tactics, t) {
			e.tp[t]++
		} else {
			e.fp[t]++
		}
		if inst != nil && inst.tactics[t] && anyExpected(inst.techniques, techniques) {
			inst.detected[t] = true
		}
	}
}

// anyExpected reports whether one of the tagged techniques is expected,
// taking a sub-technique and its parent as the same.
func anyExpected(expected map[string]bool, tagged []string) bool {
	for _, t := range tagged {
		if expected[t] {
			return true
		}
		for x := range expected {
			if strings.HasPrefix(x, t+".") || strings.HasPrefix(t, x+".") {
				return true
			}
		}
	}
	return false
}

// TacticScore is the score of one tactic.
type TacticScore struct {
	ID        string  `json:"id"`
	Name      string  `json:"name"`
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	Support   int     `json:"support"`
	Detected  int     `json:"detected"`
	TP        int     `json:"true_positives"`
	FP        int     `json:"false_positives"`
	// OutsideCatalog marks a tactic the catalog does not know (a newer
	// ATT&CK's, from a rule's tags): gen's truth cannot name it, so it is
	// shown but left out of the overall figures and of the thresholds.
	OutsideCatalog bool `json:"outside_catalog,omitempty"`
}

// ScenarioScore tells how many runs of a scenario were detected for all,
// some or none of their expected tactics.
type ScenarioScore struct {
	Scenario string `json:"scenario"`
	Runs     int    `json:"runs"`
	Detected int    `json:"detected"` // runs detected for every expected tactic
	Partial  int    `json:"partial"`  // runs detected for some
}

// Report is the evaluation's result.
type Report struct {
	Overall struct {
		Precision float64 `json:"precision"`
		Recall    float64 `json:"recall"`
		Items     int     `json:"items"`   // tagged events and alerts: precision's denominator
		Support   int     `json:"support"` // expected (run, tactic) pairs: recall's denominator
	} `json:"overall"`
	Tactics   []TacticScore   `json:"tactics"`
	Scenarios []ScenarioScore `json:"scenarios"`
	Events    int64           `json:"events"`
	Benign    int64           `json:"benign_events"` // benign in the truth, or without truth
	// WithoutTruth counts events that carry no truth (no truth.scenario),
	// counted as benign.
	WithoutTruth int64 `json:"events_without_truth"`
	Alerts       int64 `json:"alerts"`
	Instances    int   `json:"attack_instances"`
	// Truncated counts runs cut short by the end of the output, left out of recall.
	Truncated int `json:"truncated_instances"`
}

// Report computes the scores, with tactics in kill-chain order.
func (e *Evaluator) Report(cat *attack.Catalog) Report {
	for _, a := range e.pending {
		e.scoreAlert(a)
	}
	e.pending = nil
	support := map[string]int{}
	detected := map[string]int{}
	scen := map[string]*ScenarioScore{}
	truncated := 0
	for _, inst := range e.instances {
		if inst.size > 0 && inst.seen < inst.size {
			truncated++
			continue
		}
		s := scen[inst.scenario]
		if s == nil {
			s = &ScenarioScore{Scenario: inst.scenario}
			scen[inst.scenario] = s
		}
		s.Runs++
		n := 0
		for t := range inst.tactics {
			support[t]++
			if inst.detected[t] {
				detected[t]++
				n++
			}
		}
		switch {
		case n == len(inst.tactics):
			s.Detected++
		case n > 0:
			s.Partial++
		}
	}
	seen := map[string]bool{}
	var ids []string
	for _, m := range []map[string]int{support, e.tp, e.fp} {
		for t := range m {
			if !seen[t] {
				seen[t] = true
				ids = append(ids, t)
			}
		}
	}
	order := func(id string) int {
		if t, ok := cat.Tactic(id); ok {
			return t.Order
		}
		return 1000
	}
	sort.Slice(ids, func(i, j int) bool {
		if order(ids[i]) != order(ids[j]) {
			return order(ids[i]) < order(ids[j])
		}
		return ids[i] < ids[j]
	})
	var r Report
	var tpAll, itemsAll, detAll, supAll int
	for _, id := range ids {
		ts := TacticScore{ID: id, Support: support[id], Detected: detected[id], TP: e.tp[id], FP: e.fp[id]}
		if t, ok := cat.Tactic(id); ok {
			ts.Name = t.Name
		} else {
			ts.OutsideCatalog = true
		}
		ts.Precision = ratio(ts.TP, ts.TP+ts.FP)
		ts.Recall = ratio(ts.Detected, ts.Support)
		r.Tactics = append(r.Tactics, ts)
		if ts.OutsideCatalog {
			continue
		}
		tpAll += ts.TP
		itemsAll += ts.TP + ts.FP
		detAll += ts.Detected
		supAll += ts.Support
	}
	r.Overall.Precision = ratio(tpAll, itemsAll)
	r.Overall.Recall = ratio(detAll, supAll)
	r.Overall.Items, r.Overall.Support = itemsAll, supAll
	for _, s := range scen {
		r.Scenarios = append(r.Scenarios, *s)
	}
	sort.Slice(r.Scenarios, func(i, j int) bool { return r.Scenarios[i].Scenario < r.Scenarios[j].Scenario })
	r.Events, r.Benign, r.Alerts, r.Instances, r.Truncated = e.events, e.benign, e.alerts, len(e.instances), truncated
	r.WithoutTruth = e.untruthed
	return r
}

// ratio returns n/d, or 1 when there is nothing to count (no item was
// tagged: no false positive; no instance expected: nothing missed).
func ratio(n, d int) float64 {
	if d == 0 {
		return 1
	}
	return float64(n) / float64(d)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Sink feeds an evaluator from a pipeline.
type Sink struct{ E *Evaluator }

// Write implements pipeline.Sink.
func (s Sink) Write(_ context.Context, msgs []pipeline.Message) error {
	for i := range msgs {
		s.E.Add(msgs[i].Value)
	}
	return nil
}

// Flush implements pipeline.Sink.
func (Sink) Flush(context.Context) error { return nil }

// Close implements pipeline.Sink.
func (Sink) Close() error { return nil }

// Nothing says why a report has nothing to score, or "" when it has: no
// event carries gen's truth, or every event is benign and none is tagged.
func (r *Report) Nothing() string {
	switch {
	case r.Events > 0 && r.WithoutTruth == r.Events:
		return "no event carries gen's ground truth (truth.scenario): nothing to score; eval scores what gen generated, as in: secpipe gen | secpipe classify | secpipe eval"
	case r.Events == 0:
		return "no event read: nothing to score"
	case r.Overall.Items == 0 && r.Instances == 0:
		return strconv.FormatInt(r.Events, 10) + " events, all benign in gen's ground truth, and none tagged: no attack run to find and no false positive, nothing to score"
	}
	return ""
}

// Percent formats a ratio for tables.
func Percent(f float64) string { return strconv.FormatFloat(f*100, 'f', 2, 64) + "%" }
