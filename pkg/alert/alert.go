// Package alert is the alert stage: it picks the events classify found
// something in (by level, tactic, technique, rule or risk score), groups
// them by a key and throttles each group, and writes one alert document per
// group and window: an alert at the group's first event, then, when the
// window closes with more events, a digest with their count and the first
// and last seen. The documents go to a sink (a webhook, syslog, stdout, a
// topic), rendered by the functions of this package (Slack blocks, CEF).
//
// The pipeline acknowledges an input event once the sink delivered (or
// dead-lettered) what the event's batch produced, so an event whose alert
// was not delivered is read again after a restart. The counts of a window
// still open when the process is killed are lost with it; an interrupted
// run (SIGINT, SIGTERM) and the end of input send every open window's
// digest first.
package alert

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/secpipe/secpipe/pkg/ecs"
	"github.com/secpipe/secpipe/pkg/event"
	"github.com/secpipe/secpipe/pkg/pipeline"
)

// Config says which events raise alerts and how they are grouped.
type Config struct {
	// MinLevel keeps events whose rule.level is at least this Sigma level.
	MinLevel string
	// Tactics, Techniques and Rules keep events with one of them (a
	// technique also stands for its sub-techniques; a rule is an id or a
	// name). Empty: any.
	Tactics, Techniques, Rules []string
	// MinRisk, if above 0, also keeps events whose event.risk_score is at
	// least this (threat-intelligence matches of secpipe enrich), with or
	// without a rule.
	MinRisk float64
	// GroupBy names the fields whose values make an alert's group.
	GroupBy []string
	// Throttle is the window of a group: one alert at its first event, a
	// digest at its end. 0: an alert per event.
	Throttle time.Duration
	// Now is the clock; windows close by event time, or by this clock when
	// the stage runs on a quiet input (see Heartbeat).
	Now func() time.Time
}

// DefaultGroupBy groups alerts by rule and source address, else host.
var DefaultGroupBy = []string{"rule.id", "source.ip"}

// Stats counts what a stage did.
type Stats struct {
	Events, Selected, Alerts, Digests int64
}

// Stage turns classified events into alerts; it implements pipeline.Stage.
type Stage struct {
	cfg      Config
	minLevel int
	paths    *event.Paths
	f        event.Fields
	slots    struct {
		kind, level, ruleID, ruleName, tactic, tech, sub, risk, ts, trace, traceID int
		rule, threat, host, user, source, dest, message, eventID, corrGroup        int
	}
	group   []int
	groups  map[string]*window
	nextEnd int64 // earliest end of an open window, event time
	key     []byte
	stats   Stats
}

// window is a group's open throttling window.
type window struct {
	key         string
	values      []string
	start       int64 // event time of the first event, Unix ns
	wallStart   time.Time
	first, last int64
	count       int64
	doc         []byte // the alert document of the first event
	msg         pipeline.Message
}

// NewStage returns an alert stage.
func NewStage(cfg Config) *Stage {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if len(cfg.GroupBy) == 0 {
		cfg.GroupBy = DefaultGroupBy
	}
	s := &Stage{cfg: cfg, minLevel: ecs.LevelRank(cfg.MinLevel), paths: event.NewPaths(), groups: map[string]*window{}}
	p := s.paths
	s.slots.kind = p.Add("event.kind")
	s.slots.level = p.Add(ecs.RuleLevel[0])
	s.slots.ruleID = p.Add(ecs.RuleID[0])
	s.slots.ruleName = p.Add(ecs.RuleName[0])
	s.slots.tactic = p.Add(ecs.TacticID[0])
	s.slots.tech = p.Add(ecs.TechID[0])
	s.slots.sub = p.Add(ecs.SubTechID[0])
	s.slots.risk = p.Add("event.risk_score")
	s.slots.ts = p.Add("@timestamp")
	s.slots.trace = p.Add("traceparent")
	s.slots.traceID = p.Add("trace.id")
	s.slots.rule = p.Add("rule")
	s.slots.threat = p.Add("threat")
	s.slots.host = p.Add("host.name")
	s.slots.user = p.Add("user.name")
	s.slots.source = p.Add("source.ip")
	s.slots.dest = p.Add("destination.ip")
	s.slots.message = p.Add("message")
	s.slots.eventID = p.Add("event.id")
	s.slots.corrGroup = p.Add("sigma.correlation.group_by")
	for _, g := range cfg.GroupBy {
		s.group = append(s.group, p.Add(g))
	}
	return s
}

// Stats returns the counts so far.
func (s *Stage) Stats() Stats { return s.stats }

// Process implements pipeline.Stage.
func (s *Stage) Process(_ context.Context, in []pipeline.Message, out *pipeline.Batch) error {
	now := s.cfg.Now()
	for i := range in {
		if in[i].Value == nil {
			continue // a heartbeat: the clock is checked below
		}
		s.stats.Events++
		s.paths.Extract(in[i].Value, &s.f)
		if !s.selected() {
			continue
		}
		s.stats.Selected++
		t := s.eventTime(now)
		if s.cfg.Throttle <= 0 {
			s.emit(out, s.newWindow(in[i], t, now), "alert")
			continue
		}
		if len(s.groups) > 0 && t >= s.nextEnd {
			s.closeWindows(out, t, now)
		}
		s.key = s.groupKey(s.key[:0])
		if w, ok := s.groups[string(s.key)]; ok {
			w.count++
			w.first, w.last = min(w.first, t), max(w.last, t)
			continue
		}
		w := s.newWindow(in[i], t, now)
		s.groups[w.key] = w
		s.nextEnd = min(s.nextEnd, t+int64(s.cfg.Throttle))
		if len(s.groups) == 1 {
			s.nextEnd = t + int64(s.cfg.Throttle)
		}
		s.emit(out, w, "alert")
	}
	// Windows whose time passed on the clock, when events stopped.
	if len(s.groups) > 0 {
		s.closeWindows(out, -1, now)
	}
	return nil
}

// Finish implements pipeline.Stage: every open window's digest goes out.
func (s *Stage) Finish(_ context.Context, out *pipeline.Batch) error {
	s.closeAll(out)
	return nil
}

// closeWindows closes the windows that end by event time t (-1: none) or
// whose wall-clock span passed, digests in order of first event.
func (s *Stage) closeWindows(out *pipeline.Batch, t int64, now time.Time) {
	var closing []*window
	next := int64(1<<63 - 1)
	for _, w := range s.groups {
		end := w.start + int64(s.cfg.Throttle)
		if (t >= 0 && t >= end) || now.Sub(w.wallStart) >= s.cfg.Throttle {
			closing = append(closing, w)
			continue
		}
		next = min(next, end)
	}
	s.nextEnd = next
	s.digest(out, closing)
}

func (s *Stage) closeAll(out *pipeline.Batch) {
	var all []*window
	for _, w := range s.groups {
		all = append(all, w)
	}
	s.digest(out, all)
}

func (s *Stage) digest(out *pipeline.Batch, ws []*window) {
	slices.SortFunc(ws, func(a, b *window) int {
		if a.first != b.first {
			if a.first < b.first {
				return -1
			}
			return 1
		}
		return strings.Compare(a.key, b.key)
	})
	for _, w := range ws {
		delete(s.groups, w.key)
		if w.count > 1 {
			s.emit(out, w, "digest")
		}
	}
}

// selected reports whether the event just extracted raises an alert.
func (s *Stage) selected() bool {
	f := &s.f
	risky := false
	if s.cfg.MinRisk > 0 {
		if v := f.Values(s.slots.risk); len(v) > 0 {
			if r, ok := v[0].Float(); ok && r >= s.cfg.MinRisk {
				risky = true
			}
		}
	}
	ruled := len(f.Values(s.slots.ruleID)) > 0 || len(f.Values(s.slots.ruleName)) > 0
	if !ruled {
		return risky && len(s.cfg.Tactics) == 0 && len(s.cfg.Techniques) == 0 && len(s.cfg.Rules) == 0
	}
	if s.minLevel > 0 {
		lv := f.Values(s.slots.level)
		if len(lv) == 0 || ecs.LevelRank(lv[0].Text()) < s.minLevel {
			return risky
		}
	}
	if len(s.cfg.Tactics) > 0 && !anyOf(f.Values(s.slots.tactic), func(v string) bool { return containsFold(s.cfg.Tactics, v) }) {
		return false
	}
	if len(s.cfg.Techniques) > 0 {
		match := func(v string) bool {
			for _, t := range s.cfg.Techniques {
				if strings.EqualFold(v, t) || len(v) > len(t) && v[len(t)] == '.' && strings.EqualFold(v[:len(t)], t) {
					return true
				}
			}
			return false
		}
		if !anyOf(f.Values(s.slots.tech), match) && !anyOf(f.Values(s.slots.sub), match) {
			return false
		}
	}
	if len(s.cfg.Rules) > 0 && !anyOf(f.Values(s.slots.ruleID), func(v string) bool { return containsFold(s.cfg.Rules, v) }) &&
		!anyOf(f.Values(s.slots.ruleName), func(v string) bool { return containsFold(s.cfg.Rules, v) }) {
		return false
	}
	return true
}

func anyOf(vs []event.Value, ok func(string) bool) bool {
	for _, v := range vs {
		if v.Kind == event.String && ok(v.Text()) {
			return true
		}
	}
	return false
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

func (s *Stage) eventTime(now time.Time) int64 {
	if ts := s.f.Values(s.slots.ts); len(ts) > 0 && ts[0].Kind == event.String {
		if t, ok := event.ParseTime(ts[0].Raw); ok {
			return t
		}
	}
	return now.UnixNano()
}

// groupKey appends the event's group values, NUL-separated. A
// correlation alert of classify that lacks one of the fields (its group
// is IpAddress, not source.ip) is grouped by its correlation's group too,
// so that two attackers are two alerts.
func (s *Stage) groupKey(dst []byte) []byte {
	missing := false
	for i, slot := range s.group {
		if i > 0 {
			dst = append(dst, 0)
		}
		vs := s.f.Values(slot)
		missing = missing || len(vs) == 0
		for j, v := range vs {
			if j > 0 {
				dst = append(dst, ',')
			}
			dst = v.AppendText(dst)
		}
	}
	if g := s.f.Values(s.slots.corrGroup); missing && len(g) > 0 && g[0].Kind == event.Object {
		dst = append(dst, 0)
		dst = append(dst, g[0].Raw...)
	}
	return dst
}

// newWindow opens a window on the event just extracted.
func (s *Stage) newWindow(msg pipeline.Message, t int64, now time.Time) *window {
	w := &window{start: t, wallStart: now, first: t, last: t, count: 1}
	w.key = string(s.groupKey(nil))
	for _, slot := range s.group {
		var parts []string
		for _, v := range s.f.Values(slot) {
			parts = append(parts, v.Text())
		}
		w.values = append(w.values, strings.Join(parts, ","))
	}
	w.doc = s.document(msg)
	w.msg = pipeline.Message{Key: append([]byte(nil), msg.Key...), Trace: msg.Trace, Origin: msg.Origin}
	return w
}

// document renders the event's fields of an alert, without the alert
// member (added by emit): `"rule":...,"threat":...,...,"event":{...}`.
func (s *Stage) document(msg pipeline.Message) []byte {
	f := &s.f
	var b []byte
	member := func(name string, slot int) {
		if v := f.Values(slot); len(v) > 0 {
			b = append(b, ',', '"')
			b = append(b, name...)
			b = append(b, `":`...)
			b = appendRaw(b, v[0])
		}
	}
	nested := func(obj, name string, slot int) {
		if v := f.Values(slot); len(v) > 0 {
			b = append(b, `,"`...)
			b = append(b, obj...)
			b = append(b, `":{"`...)
			b = append(b, name...)
			b = append(b, `":`...)
			b = appendRaw(b, v[0])
			b = append(b, '}')
		}
	}
	member("rule", s.slots.rule)
	member("threat", s.slots.threat)
	nested("host", "name", s.slots.host)
	nested("user", "name", s.slots.user)
	nested("source", "ip", s.slots.source)
	nested("destination", "ip", s.slots.dest)
	member("message", s.slots.message)
	if v := f.Values(s.slots.corrGroup); len(v) > 0 {
		b = append(b, `,"sigma":{"correlation":{"group_by":`...)
		b = appendRaw(b, v[0])
		b = append(b, "}}"...)
	}
	if id := traceID(msg, f, s.slots.trace, s.slots.traceID); id != "" {
		b = append(b, `,"trace":{"id":"`...)
		b = append(b, id...)
		b = append(b, `"}`...)
	}
	b = append(b, `,"event":{"kind":"alert"`...)
	member("id", s.slots.eventID)
	b = append(b, `,"original":`...)
	b = event.AppendString(b, string(msg.Value))
	return append(b, '}')
}

// appendRaw appends a value as JSON.
func appendRaw(dst []byte, v event.Value) []byte {
	if v.Kind == event.String {
		dst = append(dst, '"')
		dst = append(dst, v.Raw...)
		return append(dst, '"')
	}
	return append(dst, v.Raw...)
}

// traceID is the event's trace: the message's context, else its
// traceparent or trace.id field.
func traceID(msg pipeline.Message, f *event.Fields, tp, tid int) string {
	if msg.Trace.IsValid() {
		return msg.Trace.TraceID().String()
	}
	if v := f.Values(tp); len(v) > 0 && v[0].Kind == event.String {
		parts := strings.Split(v[0].Text(), "-")
		if len(parts) == 4 && len(parts[1]) == 32 {
			if _, err := hex.DecodeString(parts[1]); err == nil {
				return strings.ToLower(parts[1])
			}
		}
	}
	if v := f.Values(tid); len(v) > 0 && v[0].Kind == event.String {
		if t := v[0].Text(); len(t) == 32 {
			if _, err := hex.DecodeString(t); err == nil {
				return strings.ToLower(t)
			}
		}
	}
	return ""
}

// emit writes an alert or digest of w.
func (s *Stage) emit(out *pipeline.Batch, w *window, kind string) {
	if kind == "alert" {
		s.stats.Alerts++
	} else {
		s.stats.Digests++
	}
	first, last := stamp(w.first), stamp(w.last)
	sum := sha1.Sum([]byte(w.key + "\x00" + first + "\x00" + kind))
	b := out.Alloc(len(w.doc) + 512)[:0]
	b = append(b, `{"@timestamp":"`...)
	if kind == "alert" {
		b = append(b, first...)
	} else {
		b = append(b, last...)
	}
	b = append(b, `","alert":{"kind":"`...)
	b = append(b, kind...)
	b = append(b, `","id":"`...)
	b = hex.AppendEncode(b, sum[:10])
	b = append(b, `","count":`...)
	b = strconv.AppendInt(b, w.count, 10)
	b = append(b, `,"first_seen":"`...)
	b = append(b, first...)
	b = append(b, `","last_seen":"`...)
	b = append(b, last...)
	b = append(b, '"')
	if s.cfg.Throttle > 0 {
		b = append(b, `,"throttle":`...)
		b = event.AppendString(b, s.cfg.Throttle.String())
	}
	b = append(b, `,"group":{`...)
	for i, g := range s.cfg.GroupBy {
		if i > 0 {
			b = append(b, ',')
		}
		b = event.AppendString(b, g)
		b = append(b, ':')
		b = event.AppendString(b, w.values[i])
	}
	b = append(b, "}}"...)
	b = append(b, w.doc...)
	b = append(b, '}')
	m := w.msg
	m.Value = b
	out.Add(m)
}

func stamp(ns int64) string {
	return time.Unix(0, ns).UTC().Format("2006-01-02T15:04:05.000Z")
}
