// Package classify is the classify stage: it matches events against Sigma
// rules and adds the ECS threat fields of the ATT&CK tactics and techniques
// the matching rules are tagged with. Correlation matches become alert
// events of their own.
//
// An event is not decoded and re-encoded: its fields are read in one pass
// over its bytes, and the threat fields are spliced in before its closing
// brace.
//
// The detection fields are classify's own: threat and rule members an input
// event brings (also flattened, "threat.tactic.id", and the lab
// classifier's mitre_tactic and mitre_technique) are removed from every
// event, matched or not, so that whoever writes a log line cannot forge a
// detection. threat.enrichments, which secpipe enrich writes (and owns), is
// kept.
package classify

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"runtime"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/secpipe/secpipe/pkg/attack"
	"github.com/secpipe/secpipe/pkg/ecs"
	"github.com/secpipe/secpipe/pkg/event"
	"github.com/secpipe/secpipe/pkg/pipeline"
	"github.com/secpipe/secpipe/pkg/sigma"
)

//go:embed data/mapping.yml
var builtinMapping []byte

//go:embed rules
var builtinRules embed.FS

// sigmahqRules is a curated part of the SigmaHQ corpus, unchanged (DRL
// 1.1: sigmahq/LICENSE.DRL-1.1), chosen by scripts/sigmacurate as
// sigmahq/SELECTION.md lists.
//
//go:embed sigmahq/rules
var sigmahqRules embed.FS

// The embedded packs: secpipe's own rules, the curated SigmaHQ rules, and
// the default, both.
const (
	PackBuiltin = "builtin"
	PackSigmaHQ = "sigmahq"
	PackDefault = "default"
	DefaultPack = PackDefault
)

// SigmaHQSkipSchemas are the event shapes the sigmahq pack is not applied
// to: the ECS and lab events of the mapping's ecs and lab schemas, which
// secpipe gen writes and secpipe's own rules cover. SigmaHQ's rules are
// written for Windows event logs in their native shapes (evtx_dump's,
// Winlogbeat's, NXLog's), Linux logs and network logs; keeping them off
// the generator's shapes keeps classify's speed on them, and --rules with
// the SigmaHQ corpus applies every rule everywhere.
var SigmaHQSkipSchemas = []string{"ecs", "lab"}

// Packs names the embedded packs --pack chooses from.
var Packs = []string{PackDefault, PackBuiltin, PackSigmaHQ}

// Config says which rules classify with.
type Config struct {
	RulePaths    []string // user rule files and folders
	NoBuiltin    bool     // leave out the built-in pack
	Pack         string   // which built-in pack: see Packs ("": DefaultPack)
	MappingPaths []string // mapping files extending the built-in mapping
	Catalog      *attack.Catalog
	Placeholders map[string][]string
	OnlyMatched  bool // drop events that match nothing
	MinLevel     string
	Statuses     []string // keep rules of these statuses only (empty: all)
	// Exclude leaves out rules by id, title or tag (attack.t1053.005,
	// attack.discovery): what a --exclude file lists.
	Exclude []string
	// NoValueCache scans every value afresh (sigma.Options.NoValueCache),
	// for benchmarks of the matcher alone.
	NoValueCache bool
}

// BuiltinRules returns the rules of secpipe's own pack.
func BuiltinRules() ([]*sigma.Rule, []sigma.Problem) {
	sub, _ := fs.Sub(builtinRules, "rules")
	return sigma.LoadFS(sub, "builtin:")
}

// PackRules returns the rules of an embedded pack ("": the default).
func PackRules(name string) ([]*sigma.Rule, []sigma.Problem, error) {
	var rules []*sigma.Rule
	var problems []sigma.Problem
	if name == "" {
		name = DefaultPack
	}
	switch name {
	case PackBuiltin, PackSigmaHQ, PackDefault:
	default:
		return nil, nil, fmt.Errorf("--pack: unknown pack %q (want %s)", name, strings.Join(Packs, ", "))
	}
	if name != PackSigmaHQ {
		rules, problems = BuiltinRules()
	}
	if name != PackBuiltin {
		sub, _ := fs.Sub(sigmahqRules, "sigmahq/rules")
		rs, ps := sigma.LoadFS(sub, "sigmahq:")
		for _, r := range rs {
			r.SkipSchemas = SigmaHQSkipSchemas
		}
		rules, problems = append(rules, rs...), append(problems, ps...)
	}
	return rules, problems, nil
}

// BuiltinMapping returns the built-in field mapping.
func BuiltinMapping() *sigma.Mapping {
	m, err := sigma.ParseMapping(builtinMapping, "builtin:mapping.yml")
	if err != nil {
		panic("classify: built-in mapping: " + err.Error())
	}
	return m
}

// Load reads the rules and mapping of cfg and compiles them.
// Problems with single rules are returned; they do not stop loading.
func Load(cfg Config) (*sigma.Engine, []sigma.Problem, error) {
	// Loading makes many small objects that all live on: collecting while
	// they are made is wasted work at start-up.
	defer debug.SetGCPercent(debug.SetGCPercent(800))
	var rules []*sigma.Rule
	var problems []sigma.Problem
	if !cfg.NoBuiltin {
		rs, ps, err := PackRules(cfg.Pack)
		if err != nil {
			return nil, nil, err
		}
		rules, problems = append(rules, rs...), append(problems, ps...)
	}
	for _, p := range cfg.RulePaths {
		if _, err := os.Stat(p); err != nil {
			return nil, nil, fmt.Errorf("rules: %w", err)
		}
	}
	rs, ps := sigma.LoadPaths(cfg.RulePaths)
	rules, problems = append(rules, rs...), append(problems, ps...)
	rules, filtered := filterRules(rules, cfg)
	problems = append(problems, filtered...)

	mapping := BuiltinMapping()
	for _, p := range cfg.MappingPaths {
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, nil, fmt.Errorf("--mapping: %w", err)
		}
		m, err := sigma.ParseMapping(data, p)
		if err != nil {
			return nil, nil, fmt.Errorf("--mapping: %w", err)
		}
		mapping.Merge(m)
	}
	if err := mapping.Check(); err != nil {
		return nil, nil, fmt.Errorf("mapping: %w", err)
	}
	engine, ps := sigma.NewEngine(rules, mapping, sigma.Options{Placeholders: cfg.Placeholders, NoValueCache: cfg.NoValueCache})
	problems = append(problems, ps...)
	return engine, problems, nil
}

// filterRules keeps the detection rules of the wanted level and status;
// correlations and filters stay (their rules decide).
func filterRules(rules []*sigma.Rule, cfg Config) ([]*sigma.Rule, []sigma.Problem) {
	if cfg.MinLevel == "" && len(cfg.Statuses) == 0 && len(cfg.Exclude) == 0 {
		return rules, nil
	}
	min := ecs.LevelRank(cfg.MinLevel)
	excluded := map[string]bool{}
	for _, x := range cfg.Exclude {
		excluded[strings.ToLower(strings.TrimSpace(x))] = true
	}
	var out []*sigma.Rule
	for _, r := range rules {
		if len(excluded) > 0 && isExcluded(r, excluded) {
			continue
		}
		if r.Detection != nil {
			if cfg.MinLevel != "" && ecs.LevelRank(r.Level) < min {
				continue
			}
			if len(cfg.Statuses) > 0 && !contains(cfg.Statuses, r.Status) {
				continue
			}
		}
		out = append(out, r)
	}
	return out, nil
}

// isExcluded reports whether a rule's id, title or one of its tags is in
// the (lowered) exclusion set.
func isExcluded(r *sigma.Rule, excluded map[string]bool) bool {
	if excluded[strings.ToLower(r.ID)] || excluded[strings.ToLower(r.Title)] || (r.Name != "" && excluded[strings.ToLower(r.Name)]) {
		return true
	}
	for _, t := range r.Tags {
		if excluded[strings.ToLower(strings.TrimSpace(t))] {
			return true
		}
	}
	return false
}

// Stage classifies events; it implements pipeline.Stage.
type Stage struct {
	engine  *sigma.Engine
	matcher *sigma.Matcher
	cat     *attack.Catalog
	only    bool
	tags    []ruleTags // by rule index
	idSlots []int      // event.id / event_id, for alerts
	enrSlot int        // threat.enrichments, kept through the cut
	enr     []byte     // the event's threat.enrichments, as an array
	frags   map[string][]byte
	key     []byte
	cut     [][2]int // byte ranges of the event's members to leave out
	stats   Stats

	filter Filter
	host   sigma.FieldRef
	seen   map[dedupeKey]int64 // last time a rule was let through on a host
	kept   []int

	onDetection func(*Detection)
	refs        *detectionRefs
	det         Detection

	screen screening
	ahead  *sigma.Matcher // the read-ahead goroutine's screener (Ahead)
}

// screening shares a batch's events out, in chunks, to matchers on several
// CPUs (screeners), which match them against the detection rules. Events
// that match none and carry no member classify owns go out as they came.
// The stage's own matcher, which holds the correlation state, takes up the
// others in order from what the screeners saved, to feed the correlations
// and tag them, a chunk as soon as it is screened (or screening it itself
// when no screener has begun it): the output is the same as without
// screening.
//
// Screening pays when matching costs much more than reading, while on
// light rules the screeners' extra work, competing with the reader for
// the cores, makes it slower. So with a screener for each CPU but one (the
// reader's, which also pulls out the fields: Prepare) the stage times a
// batch each way every probeEvery batches and keeps the faster. On 2 CPUs
// it does not screen: since Prepare, that lost on every input measured.
type screening struct {
	workers   int              // 0: one per CPU but one, screening only when it is faster; 1: never
	screeners []*sigma.Matcher // the last one is the stage's
	quiet     []bool           // by event of the batch
	saved     []sigma.Screened // by event of the batch, when not quiet
	passed    atomic.Int64     // events found quiet

	run *screenRun // the batch's

	warm   bool       // probing has begun
	faster bool       // screening won the last probe
	left   int        // batches before the next probe
	step   int        // of the probe: 0 times a screened batch, 1 an unscreened one
	timing int        // the step this batch is timed for; -1: none
	cost   [2]float64 // by step: nanoseconds an event
}

const (
	// minScreened is the smallest batch worth sharing out.
	minScreened = 256
	// screenChunk is how many events a screener takes at a time.
	screenChunk = 64
	// probeEvery is how many batches go by between two probes.
	probeEvery = 30
)

// Filter holds back detections and events an analyst does not want to
// read: repeats of one rule on one host within Dedupe, and events outside
// From..To (zero: open). Events without a time are kept and not deduped.
type Filter struct {
	Dedupe   time.Duration
	From, To time.Time
}

func (f Filter) active() bool { return f.Dedupe > 0 || !f.From.IsZero() || !f.To.IsZero() }

type dedupeKey struct {
	rule int
	host string
}

// SetFilter makes the stage filter its output; call it before the first
// event.
func (s *Stage) SetFilter(f Filter) {
	s.filter = f
	if f.Dedupe > 0 && s.seen == nil {
		s.seen = map[dedupeKey]int64{}
	}
}

// Stats counts what a stage did.
type Stats struct {
	Events  int64
	Matched int64
	Alerts  int64
	ByRule  map[string]int64
	// Deduped counts detections held back as repeats (Filter.Dedupe);
	// OutOfRange the events left out by Filter.From and Filter.To.
	Deduped    int64
	OutOfRange int64
}

type ruleTags struct {
	tactics    []string
	techniques []string
}

// NewStage returns a classify stage over a compiled engine.
func NewStage(engine *sigma.Engine, cat *attack.Catalog, onlyMatched bool) *Stage {
	if cat == nil {
		cat = attack.Default()
	}
	s := &Stage{engine: engine, cat: cat, only: onlyMatched, frags: map[string][]byte{}}
	for _, p := range ecs.EventID {
		s.idSlots = append(s.idSlots, engine.Paths().Add(p))
	}
	s.enrSlot = engine.Paths().Add("threat.enrichments")
	s.host = engine.Field("Computer")
	s.matcher = engine.NewMatcher()
	for _, r := range engine.Rules {
		s.tags = append(s.tags, tagsOf(r, cat))
	}
	s.stats.ByRule = map[string]int64{}
	return s
}

// Stats returns the counts so far.
func (s *Stage) Stats() Stats { return s.stats }

// Process implements pipeline.Stage.
func (s *Stage) Process(_ context.Context, in []pipeline.Message, out *pipeline.Batch) error {
	start := time.Now()
	quiet := s.screened(in)
	defer s.screen.timed(len(in), start)
	for i := range in {
		msg := in[i]
		s.stats.Events++
		if quiet != nil && i%screenChunk == 0 {
			s.screen.wait(i / screenChunk)
		}
		msg.Prepared = nil // the fields are the input's, not the output's
		pe := prepared(&in[i])
		var res *sigma.Result
		switch {
		case pe != nil && pe.screened && pe.quiet, quiet != nil && quiet[i]:
			if !s.only {
				out.Add(msg)
			}
			continue
		case pe != nil && pe.screened:
			res = s.matcher.Resume(msg.Value, &pe.saved)
		case quiet == nil:
			res = match(s.matcher, &in[i])
		default:
			res = s.matcher.Resume(msg.Value, &s.screen.saved[i])
		}
		rules := res.Rules
		if s.filter.active() {
			var keep bool
			if rules, keep = s.filtered(rules); !keep {
				s.stats.OutOfRange++
				continue
			}
		}
		s.cutOwned()
		if len(rules) == 0 {
			if !s.only {
				if len(s.cut) > 0 {
					msg.Value = s.without(out, msg.Value)
					if len(s.enr) > 0 {
						msg.Value = s.withEnrichments(out, msg.Value)
					}
				}
				out.Add(msg)
			}
		} else {
			s.stats.Matched++
			if s.onDetection != nil {
				s.detect(msg.Origin.Input, rules)
			}
			msg.Value = s.tagged(out, msg.Value, rules)
			out.Add(msg)
		}
		for _, a := range res.Alerts {
			s.stats.Alerts++
			value := s.alert(out, a, s.triggerID())
			// The alert belongs to the trace of the event that set it off.
			out.Add(pipeline.Message{Value: value, Key: msg.Key, Headers: msg.Headers, Origin: msg.Origin, Trace: msg.Trace})
		}
	}
	return nil
}

// preparedBatch is what Prepare keeps with a batch.
type preparedBatch struct {
	into     event.Extracting
	events   []preparedEvent // by message
	screened int             // the events screened ahead, from the first
}

// preparedEvent is what was found in one event before the stage took it.
type preparedEvent struct {
	found    event.Extracted
	screened bool // screened ahead: quiet, or what matched is in saved
	quiet    bool
	saved    sigma.Screened
}

// Prepare implements pipeline.Preparer: with more than one CPU, each
// event's fields are pulled out on the read-ahead goroutine, while the
// stage matches the batch before.
func (s *Stage) Prepare(b *pipeline.Batch) {
	if runtime.GOMAXPROCS(0) < 2 {
		return
	}
	p, _ := b.Prepared.(*preparedBatch)
	if p == nil {
		p = &preparedBatch{}
		b.Prepared = p
	}
	if n := len(b.Msgs) - len(p.events); n > 0 {
		p.events = append(p.events, make([]preparedEvent, n)...)
	}
	paths := s.engine.Paths()
	p.into.Reset()
	p.screened = 0
	for i := range b.Msgs {
		m, pe := &b.Msgs[i], &p.events[i]
		pe.screened = false
		if len(m.Value) > 0 {
			paths.ExtractTo(m.Value, &p.into, &pe.found)
			m.Prepared = pe
		}
	}
}

// Ahead implements pipeline.Preparer: while the stage has yet to take a
// prepared batch, the read-ahead goroutine screens its next chunk of
// events, unless the stage screens batches itself (or has a filter).
func (s *Stage) Ahead(b *pipeline.Batch) bool {
	p, _ := b.Prepared.(*preparedBatch)
	if p == nil || p.screened >= len(b.Msgs) || s.screenWorkers() >= 2 || s.filter.active() {
		return false
	}
	if s.ahead == nil {
		s.ahead = s.engine.NewScreener()
	}
	m := s.ahead
	hi := min(p.screened+screenChunk, len(b.Msgs))
	for i := p.screened; i < hi; i++ {
		pe := &p.events[i]
		if b.Msgs[i].Prepared != pe {
			continue
		}
		pe.quiet, pe.screened = screenOne(m, &b.Msgs[i], &pe.saved), true
	}
	p.screened = hi
	return hi < len(b.Msgs)
}

// prepared returns what was found in msg before the stage took it, or nil.
func prepared(msg *pipeline.Message) *preparedEvent {
	if pe, ok := msg.Prepared.(*preparedEvent); ok && pe.found.Of(msg.Value) {
		return pe
	}
	return nil
}

// screenOne matches msg with screener m and reports whether it is quiet:
// it matches no rule and has no member classify owns. For an event that
// is not, what m found goes to saved, for the stage to take up (Resume).
func screenOne(m *sigma.Matcher, msg *pipeline.Message, saved *sigma.Screened) bool {
	res := match(m, msg)
	if len(res.Detections) == 0 && !hasOwned(m.Fields()) {
		return true
	}
	m.Save(saved)
	return false
}

// match matches msg with m, from the fields Prepare found when it did.
func match(m *sigma.Matcher, msg *pipeline.Message) *sigma.Result {
	if pe := prepared(msg); pe != nil {
		return m.MatchExtracted(msg.Value, &pe.found)
	}
	return m.Match(msg.Value)
}

// screened returns, by event of in, whether screening found it quiet: it
// matches no rule and has no member classify owns; for the others, what
// the screener found is in s.screen.saved. It returns nil when the batch is
// not screened: too small, one CPU, or a filter (which needs every event's
// time and host).
func (s *Stage) screened(in []pipeline.Message) []bool {
	sc := &s.screen
	sc.timing = -1
	workers := s.screenWorkers()
	if workers < 2 || len(in) < minScreened || s.filter.active() {
		return nil
	}
	if sc.workers == 0 {
		switch {
		case !sc.warm:
			// The first batches, screened untimed, warm both ways up.
			sc.warm, sc.faster, sc.left = true, true, 2
		case sc.left > 0:
			sc.left--
			if !sc.faster {
				return nil
			}
		case sc.step == 0:
			sc.timing, sc.step = 0, 1
		default:
			sc.timing, sc.step = 1, 0
			return nil
		}
	}
	for len(sc.screeners) < workers {
		sc.screeners = append(sc.screeners, s.engine.NewScreener())
	}
	if cap(sc.quiet) < len(in) {
		sc.quiet = make([]bool, len(in))
		sc.saved = append(sc.saved, make([]sigma.Screened, len(in)-len(sc.saved))...)
	}
	run := &screenRun{in: in, quiet: sc.quiet[:len(in)], saved: sc.saved, passed: &sc.passed}
	run.done = make([]chan struct{}, (len(in)+screenChunk-1)/screenChunk)
	for k := range run.done {
		run.done[k] = make(chan struct{})
	}
	sc.run = run
	// The stage screens too, when it waits: see wait.
	for _, m := range sc.screeners[:workers-1] {
		go func() {
			for {
				k := int(run.next.Add(1)) - 1
				if k >= len(run.done) {
					return
				}
				run.screen(m, k)
			}
		}()
	}
	return run.quiet
}

// screenWorkers returns how many matchers screen a batch: 1 or fewer, none.
func (s *Stage) screenWorkers() int {
	if s.screen.workers != 0 {
		return s.screen.workers
	}
	// Prepare pulls the fields out on the read-ahead goroutine: the
	// screeners get the other CPUs. On two, the stage and the reader fill
	// them; screening lost there in every run measured.
	return runtime.GOMAXPROCS(0) - 1
}

// screenRun is the screening of one batch.
type screenRun struct {
	in     []pipeline.Message
	quiet  []bool
	saved  []sigma.Screened
	passed *atomic.Int64
	next   atomic.Int64    // the next chunk to screen
	done   []chan struct{} // by chunk: closed once it is screened
}

// screen matches chunk k of the batch with screener m.
func (run *screenRun) screen(m *sigma.Matcher, k int) {
	lo, hi := k*screenChunk, min((k+1)*screenChunk, len(run.in))
	passed := 0
	for i := lo; i < hi; i++ {
		if run.quiet[i] = screenOne(m, &run.in[i], &run.saved[i]); run.quiet[i] {
			passed++
		}
	}
	run.passed.Add(int64(passed))
	close(run.done[k])
}

// wait returns once chunk k is screened, screening it with the stage's
// screener when no other has begun it.
func (sc *screening) wait(k int) {
	run := sc.run
	if run.next.CompareAndSwap(int64(k), int64(k+1)) {
		run.screen(sc.screeners[len(sc.screeners)-1], k)
	}
	<-run.done[k]
}

// timed records how long a batch of n events took, when it was a probe's,
// and after both steps keeps the faster way for the next batches.
func (sc *screening) timed(n int, start time.Time) {
	if sc.timing < 0 {
		return
	}
	sc.cost[sc.timing] = float64(time.Since(start)) / float64(n)
	if sc.timing == 1 {
		sc.faster = sc.cost[0] < sc.cost[1]
		sc.left = probeEvery
	}
}

// hasOwned reports whether an event has a top-level member classify owns.
func hasOwned(f *event.Fields) bool {
	for _, m := range f.Members() {
		if owned(m.Key) {
			return true
		}
	}
	return false
}

// filtered applies the filter to the last event matched: keep is false
// for an event outside the time range; rules are the matched rules left
// once repeats are held back.
func (s *Stage) filtered(rules []int) (_ []int, keep bool) {
	ts, ok := s.matcher.Time()
	if ok {
		if !s.filter.From.IsZero() && ts < s.filter.From.UnixNano() || !s.filter.To.IsZero() && ts >= s.filter.To.UnixNano() {
			return nil, false
		}
	}
	if s.filter.Dedupe <= 0 || len(rules) == 0 || !ok {
		return rules, true
	}
	host := string(s.matcher.Text(s.host))
	s.kept = s.kept[:0]
	for _, r := range rules {
		k := dedupeKey{rule: r, host: host}
		if last, seen := s.seen[k]; seen && ts >= last && ts-last < int64(s.filter.Dedupe) {
			s.stats.Deduped++
			continue
		}
		s.seen[k] = ts
		s.kept = append(s.kept, r)
	}
	return s.kept, true
}

// Finish implements pipeline.Stage.
func (s *Stage) Finish(context.Context, *pipeline.Batch) error { return nil }

// cutOwned finds the members of the event just matched that classify owns,
// and the threat.enrichments among them, which enrich owns: they are kept.
func (s *Stage) cutOwned() {
	s.cut = s.cut[:0]
	s.enr = s.enr[:0]
	f := s.matcher.Fields()
	for _, m := range f.Members() {
		if owned(m.Key) {
			s.cut = append(s.cut, [2]int{m.Start, m.End})
		}
	}
	if len(s.cut) == 0 {
		return
	}
	for _, v := range f.Values(s.enrSlot) {
		if v.Kind != event.Object {
			continue
		}
		if len(s.enr) == 0 {
			s.enr = append(s.enr, '[')
		} else {
			s.enr = append(s.enr, ',')
		}
		s.enr = append(s.enr, v.Raw...)
	}
	if len(s.enr) > 0 {
		s.enr = append(s.enr, ']')
	}
}

// withEnrichments returns the event with `"threat":{"enrichments":...}`
// added, for an event matched by no rule whose enrichments were cut.
func (s *Stage) withEnrichments(out *pipeline.Batch, raw []byte) []byte {
	buf := out.Alloc(len(raw) + len(s.enr) + 30)[:0]
	buf = append(buf, raw[:len(raw)-1]...)
	if buf[len(buf)-1] != '{' {
		buf = append(buf, ',')
	}
	buf = append(buf, `"threat":{"enrichments":`...)
	buf = append(buf, s.enr...)
	return append(buf, "}}"...)
}

// owned reports whether a top-level member, by its key as written, is a
// detection field: threat, rule, a flattened member of either, or the lab
// classifier's mitre_tactic and mitre_technique.
func owned(key []byte) bool {
	// Most keys are told apart by their first byte (an escape aside).
	if len(key) < 4 || key[0] != 't' && key[0] != 'r' && key[0] != 'm' && key[0] != '\\' {
		return false
	}
	if bytes.IndexByte(key, '\\') >= 0 {
		var k string
		if json.Unmarshal(append(append([]byte{'"'}, key...), '"'), &k) != nil {
			return false
		}
		key = []byte(k)
	}
	switch string(key) {
	case "threat", "rule", "mitre_tactic", "mitre_technique":
		return true
	}
	return bytes.HasPrefix(key, []byte("threat.")) || bytes.HasPrefix(key, []byte("rule."))
}

// without returns the event without the members in s.cut.
func (s *Stage) without(out *pipeline.Batch, raw []byte) []byte {
	buf := out.Alloc(len(raw))[:0]
	buf = appendWithout(buf, raw[:len(raw)-1], s.cut)
	return append(buf, '}')
}

// tagged returns the event with the threat fields of rules spliced in, in
// place of the members in s.cut.
func (s *Stage) tagged(out *pipeline.Batch, raw []byte, rules []int) []byte {
	frag := s.fragment(rules)
	body := raw[:len(raw)-1] // without the closing brace
	buf := out.Alloc(len(raw) + len(frag) + len(s.enr) + 20)[:0]
	if len(s.cut) == 0 {
		buf = append(buf, body...)
	} else {
		buf = appendWithout(buf, body, s.cut)
	}
	if buf[len(buf)-1] != '{' {
		buf = append(buf, ',')
	}
	if len(s.enr) > 0 {
		const open = `"threat":{`
		buf = append(buf, open...)
		buf = append(buf, `"enrichments":`...)
		buf = append(buf, s.enr...)
		buf = append(buf, ',')
		frag = frag[len(open):]
	}
	buf = append(buf, frag...)
	return append(buf, '}')
}

// appendWithout appends body leaving out the member ranges in cut, with
// their separating commas.
func appendWithout(dst, body []byte, cut [][2]int) []byte {
	prev := 0
	for _, c := range cut {
		start, end := c[0], c[1]
		// Take the comma after the member, or else the one before it.
		after, before := end, start
		for after < len(body) && isSpace(body[after]) {
			after++
		}
		for before > 0 && isSpace(body[before-1]) {
			before--
		}
		if after < len(body) && body[after] == ',' {
			end = after + 1
		} else if before > 0 && body[before-1] == ',' {
			start = before - 1
		}
		if start > prev {
			dst = append(dst, body[prev:start]...)
		}
		prev = end
	}
	dst = append(dst, body[prev:]...)
	if n := len(dst); n > 0 && dst[n-1] == ',' {
		dst = dst[:n-1]
	}
	return dst
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// fragment renders the threat fields for a set of rules, once per set.
func (s *Stage) fragment(rules []int) []byte {
	s.key = s.key[:0]
	for _, r := range rules {
		s.key = strconv.AppendInt(s.key, int64(r), 10)
		s.key = append(s.key, ',')
	}
	if f, ok := s.frags[string(s.key)]; ok {
		s.countRules(rules)
		return f
	}
	var t ecs.Threat
	for _, i := range rules {
		r := s.engine.Rules[i]
		for _, ta := range s.tags[i].tactics {
			t.Tactics = appendUnique(t.Tactics, ta)
		}
		for _, te := range s.tags[i].techniques {
			t.Techniques = appendUnique(t.Techniques, te)
		}
		t.RuleIDs = append(t.RuleIDs, r.ID)
		t.RuleNames = append(t.RuleNames, r.Title)
		if ecs.LevelRank(r.Level) > ecs.LevelRank(t.Level) {
			t.Level = r.Level
		}
	}
	sortTactics(t.Tactics, s.cat)
	sort.Strings(t.Techniques)
	f := t.AppendFields(nil, s.cat)
	if len(s.frags) < 100000 {
		s.frags[string(s.key)] = f
	}
	s.countRules(rules)
	return f
}

func (s *Stage) countRules(rules []int) {
	for _, i := range rules {
		s.stats.ByRule[s.engine.Rules[i].Title]++
	}
}

func (s *Stage) triggerID() string {
	f := s.matcher.Fields()
	for _, slot := range s.idSlots {
		for _, v := range f.Values(slot) {
			if v.Kind == event.String || v.Kind == event.Number {
				return v.Text()
			}
		}
	}
	return ""
}

// tagsOf reads a rule's ATT&CK tags: attack.<tactic shortname> and
// attack.tNNNN[.NNN]. A technique without a tactic tag takes the catalog's
// tactics. A tactic the catalog does not know (a newer ATT&CK's, such as
// SigmaHQ's stealth) is kept by name, and the techniques' tactics in the
// catalog are added, so that readers of the catalog's version still see
// the tactic.
func tagsOf(r *sigma.Rule, cat *attack.Catalog) ruleTags {
	var t ruleTags
	unknown := false
	for _, tag := range r.Tags {
		tag = strings.ToLower(strings.TrimSpace(tag))
		name, ok := strings.CutPrefix(tag, "attack.")
		if !ok {
			continue
		}
		switch {
		case isTechniqueID(name):
			t.techniques = appendUnique(t.techniques, strings.ToUpper(name))
		case isGroupOrSoftware(name):
		default:
			if ta, ok := cat.Tactic(name); ok {
				t.tactics = appendUnique(t.tactics, ta.ID)
			} else {
				t.tactics = appendUnique(t.tactics, strings.ReplaceAll(name, "_", "-"))
				unknown = true
			}
		}
	}
	if len(t.tactics) == 0 || unknown {
		for _, id := range t.techniques {
			if te, ok := cat.Technique(id); ok {
				for _, short := range te.Tactics {
					if ta, ok := cat.Tactic(short); ok {
						t.tactics = appendUnique(t.tactics, ta.ID)
					}
				}
			}
		}
	}
	return t
}

func isTechniqueID(s string) bool {
	if len(s) < 5 || s[0] != 't' {
		return false
	}
	for i := 1; i < len(s); i++ {
		if (s[i] < '0' || s[i] > '9') && s[i] != '.' {
			return false
		}
	}
	return true
}

// isGroupOrSoftware matches attack.g0001 (groups) and attack.s0001 (software).
func isGroupOrSoftware(s string) bool {
	if len(s) < 2 || (s[0] != 'g' && s[0] != 's') {
		return false
	}
	_, err := strconv.Atoi(s[1:])
	return err == nil
}

func sortTactics(ids []string, cat *attack.Catalog) {
	order := func(id string) int {
		if t, ok := cat.Tactic(id); ok {
			return t.Order
		}
		return 1000
	}
	sort.SliceStable(ids, func(i, j int) bool { return order(ids[i]) < order(ids[j]) })
}

func sortStrings(list []string) { sort.Strings(list) }

func appendUnique(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// BuiltinMappingYAML returns the built-in mapping file, as a model for --mapping files.
func BuiltinMappingYAML() []byte { return builtinMapping }
