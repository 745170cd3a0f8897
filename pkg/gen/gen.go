// Package gen generates realistic synthetic security telemetry: Windows
// Sysmon and Security events, Linux auditd and sshd logs, firewall, Zeek
// and web server records of a simulated organisation, as JSON Lines in
// Elastic Common Schema (ECS) or the course lab's flat format.
//
// Most events are benign background activity, including the near-misses a
// real SOC sees (an admin's whoami, PowerShell scripts, updaters creating
// scheduled tasks, monitoring sweeps). Attack scenarios, from SSH brute
// force to ransomware, are woven in as runs of related events: one
// attacker, one victim, plausible timing and process trees. Every event
// carries its ground truth in a last "truth" object that classifiers must
// not read.
//
// Output is ordered by timestamp and reproducible: the same Config,
// including Seed, gives the same bytes. Memory stays bounded by the runs in
// progress, whatever the count.
package gen

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"
)

// Format is an output format.
type Format string

// The output formats.
const (
	// ECS writes nested Elastic Common Schema objects.
	ECS Format = "ecs"
	// Lab writes the course lab's flat objects: event_id, timestamp, user,
	// host, source_ip, event_type and snake_case extras.
	Lab Format = "lab"
)

// ParseFormat checks a format name.
func ParseFormat(s string) (Format, error) {
	switch f := Format(strings.ToLower(s)); f {
	case ECS, Lab:
		return f, nil
	}
	return "", fmt.Errorf("unknown format %q (want ecs or lab)", s)
}

// Defaults of a Config.
const (
	// DefaultDensity is the average number of events per second of event
	// time when neither a rate nor a count and a duration set it.
	DefaultDensity = 10.0
	// DefaultAttackShare is the usual fraction of events in attack runs.
	DefaultAttackShare = 0.05
)

// DefaultStart is where the event clock starts when Config.Start is zero.
var DefaultStart = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// Config says what to generate.
type Config struct {
	// Seed selects the output: the same Config gives the same bytes.
	Seed uint64
	// Start is the time of the first event; zero means DefaultStart.
	Start time.Time
	// Count stops generation after this many events; 0 means no limit.
	Count int64
	// Duration stops generation when the event clock passes Start+Duration;
	// 0 means no limit. With Count too, and neither Rate nor Density, the
	// density is count/duration, steered so that exactly Count events
	// span the Duration.
	Duration time.Duration
	// Rate is the pace of a Source in events per second of wall time
	// (0: as fast as possible). It is also the event density.
	Rate float64
	// Density is the average number of events per second of event time.
	// 0 derives it: Rate if set, else Count/Duration if both are set, else
	// DefaultDensity.
	Density float64
	// Scenarios selects the attack scenarios: names, comma-separated lists,
	// "all" (also when empty) or "none" (benign only).
	Scenarios []string
	// AttackShare is the approximate fraction of events that belong to
	// attack runs, from 0 to 1.
	AttackShare float64
	// Format is the output format; "" means ECS.
	Format Format
}

// EventDensity returns the average number of events per second of event
// time that c gives.
func (c *Config) EventDensity() float64 {
	switch {
	case c.Density > 0:
		return c.Density
	case c.Rate > 0:
		return c.Rate
	case c.Count > 0 && c.Duration > 0:
		return float64(c.Count) / c.Duration.Seconds()
	}
	return DefaultDensity
}

// Validate reports a bad Config.
func (c *Config) Validate() error {
	var errs []error
	if c.Count < 0 {
		errs = append(errs, errors.New("count must not be negative"))
	}
	if c.Duration < 0 {
		errs = append(errs, errors.New("duration must not be negative"))
	}
	if c.Rate < 0 || math.IsNaN(c.Rate) || math.IsInf(c.Rate, 0) {
		errs = append(errs, errors.New("rate must be a number of events per second, 0 or more"))
	}
	if c.Density < 0 || math.IsNaN(c.Density) || math.IsInf(c.Density, 0) {
		errs = append(errs, errors.New("density must be a number of events per second, 0 or more"))
	}
	if !(c.AttackShare >= 0 && c.AttackShare <= 1) {
		errs = append(errs, errors.New("attack share must be between 0 and 1"))
	}
	if c.Format != "" {
		if _, err := ParseFormat(string(c.Format)); err != nil {
			errs = append(errs, err)
		}
	}
	if _, err := SelectScenarios(c.Scenarios); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// Generator produces events one at a time, in timestamp order.
type Generator struct {
	r      *rng
	w      *world
	scen   []*Scenario
	format Format

	end     int64 // last event time allowed (ms)
	count   int64
	emitted int64

	bgClock float64 // time of the next background tick (ms)
	bgGap   float64 // mean gap between background events (ms); +Inf for none
	bgGap0  float64 // bgGap at the nominal density
	atkNext int64   // time of the next attack run's start (ms)
	atkGap  float64 // mean time per attack event (ms); +Inf for none
	atkGap0 float64 // atkGap at the nominal density
	// fit is set when both a count and a duration are given: the density
	// is then steered so that the count ends with the duration.
	fit     bool
	density float64 // nominal events per ms

	heap   runHeap // runs in progress, by their next event's time
	seq    uint64
	runs   int // attack runs numbered so far
	free   []*run
	tagMap map[string]*tags

	scratch record
	msg     []byte
	exp     []byte
	tsSec   int64
	tsBuf   []byte
}

// run is a sequence of related events: one attack scenario instance
// (scen != nil) or a benign multi-event activity. Its events are sorted by time.
type run struct {
	scen   *Scenario
	id     int // truth.run, numbered when the first event is written
	events []record
	next   int
	seq    uint64
}

// New returns a generator for c.
func New(c Config) (*Generator, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	scen, _ := SelectScenarios(c.Scenarios)
	start := c.Start
	if start.IsZero() {
		start = DefaultStart
	}
	g := &Generator{
		r:       newRNG(c.Seed),
		scen:    scen,
		format:  c.Format,
		end:     math.MaxInt64,
		count:   c.Count,
		tsSec:   math.MinInt64,
		tagMap:  map[string]*tags{},
		atkNext: math.MaxInt64,
	}
	if g.format == "" {
		g.format = ECS
	}
	g.w = newWorld(g.r)
	t0 := start.UnixMilli()
	if c.Duration > 0 {
		g.end = t0 + c.Duration.Milliseconds()
	}
	density := c.EventDensity()
	share := c.AttackShare
	if len(scen) == 0 {
		share = 0
	}
	g.bgGap = math.Inf(1)
	if share < 1 {
		g.bgGap = 1000 / (density * (1 - share))
	}
	g.bgClock = float64(t0)
	g.atkGap = math.Inf(1)
	if share > 0 {
		g.atkGap = 1000 / (density * share)
		// The first run starts soon, so that short outputs hold one.
		g.atkNext = t0 + int64(g.r.Float64()*min(30*g.atkGap, 600_000))
	}
	g.bgGap0, g.atkGap0 = g.bgGap, g.atkGap
	g.fit = c.Count > 0 && c.Duration > 0 && c.Density == 0 && c.Rate == 0
	g.density = density / 1000
	return g, nil
}

// Next appends the next event to dst, as one JSON object without a newline.
// It returns false, with dst unchanged, at the end: after Config.Count
// events, or when the event clock passes Start+Duration.
func (g *Generator) Next(dst []byte) ([]byte, bool) {
	if g.count > 0 && g.emitted >= g.count {
		return dst, false
	}
	for {
		tb := int64(math.MaxInt64)
		if g.bgClock < 9e18 {
			tb = int64(g.bgClock)
		}
		tr := int64(math.MaxInt64)
		if len(g.heap) > 0 {
			tr = g.heap[0].time()
		}
		ta := g.atkNext
		if g.fit && tb > g.end && tr > g.end && ta > g.end {
			// The clock ran out with events still owed: the last few are
			// background events at the very end.
			tb, tr, ta = g.end, math.MaxInt64, math.MaxInt64
		}
		switch {
		case tr <= tb && tr <= ta:
			if tr > g.end {
				return dst, false
			}
			r := g.heap[0]
			if r.scen != nil && r.id == 0 {
				g.runs++
				r.id = g.runs
			}
			dst = g.encode(dst, &r.events[r.next], r)
			if g.fit && (g.emitted&255 == 0 || g.count-g.emitted < 1024) {
				g.steer(tr)
			}
			r.next++
			if r.next == len(r.events) {
				g.release(g.heap.pop())
			} else {
				g.heap.down(0)
			}
			g.emitted++
			return dst, true
		case ta <= tb:
			if ta > g.end {
				g.atkNext = math.MaxInt64
				continue
			}
			n := g.startAttack(ta)
			g.atkNext = ta + int64(float64(max(n, 1))*g.atkGap*(0.5+g.r.Float64()))
		default:
			if tb > g.end {
				return dst, false
			}
			e := &g.scratch
			*e = record{Time: tb}
			n := g.background(e)
			if n == 0 {
				if g.fit && (g.emitted&255 == 0 || g.count-g.emitted < 1024) {
					g.steer(tb)
				}
				g.bgClock += g.r.ExpFloat64() * g.bgGap
				dst = g.encode(dst, e, nil)
				g.emitted++
				return dst, true
			}
			for range n {
				g.bgClock += g.r.ExpFloat64() * g.bgGap
			}
		}
	}
}

// steer adjusts the density so that the events still to come fill the
// time still left, within a factor of two of the nominal density: with a
// count and a duration, the count is reached about when the duration ends
// instead of drifting by the randomness of the arrivals.
func (g *Generator) steer(now int64) {
	left := float64(g.end - now)
	if left <= 0 {
		return
	}
	need := float64(g.count-g.emitted) / left
	f := min(max(need/g.density, 0.5), 2)
	g.bgGap, g.atkGap = g.bgGap0/f, g.atkGap0/f
}

func (g *Generator) encode(dst []byte, e *record, r *run) []byte {
	if g.format == Lab {
		return g.appendLab(dst, e, r)
	}
	return g.appendECS(dst, e, r)
}

// startAttack starts a run of a random selected scenario at t and returns
// its number of events.
func (g *Generator) startAttack(t int64) int {
	s := g.scen[g.r.IntN(len(g.scen))]
	b := g.newBuilder(s, t)
	s.build(b)
	return g.push(b)
}

// newBuilder returns a builder of a run of s (nil: benign) starting at t.
func (g *Generator) newBuilder(s *Scenario, t int64) *builder {
	var r *run
	if n := len(g.free); n > 0 {
		r = g.free[n-1]
		g.free = g.free[:n-1]
		r.events = r.events[:0]
		r.next, r.id = 0, 0
	} else {
		r = &run{}
	}
	r.scen = s
	return &builder{g: g, r: g.r, w: g.w, run: r, t: t, start: t}
}

// keptEvents caps the events a freed run keeps room for: a big run (a
// ransomware burst) must not leave its room in the free list for good,
// or memory grows with the largest runs seen.
const keptEvents = 256

// release puts a finished run on the free list.
func (g *Generator) release(r *run) {
	if cap(r.events) > keptEvents {
		r.events = nil
	}
	g.free = append(g.free, r)
}

// push schedules a built run and returns its number of events.
func (g *Generator) push(b *builder) int {
	r := b.run
	if len(r.events) == 0 {
		g.release(r)
		return 0
	}
	r.sort()
	g.seq++
	r.seq = g.seq
	g.heap.push(r)
	return len(r.events)
}

// appendTime appends ms as RFC 3339 UTC with milliseconds, without quotes.
func (g *Generator) appendTime(dst []byte, ms int64) []byte {
	sec := ms / 1000
	if ms < 0 && ms%1000 != 0 {
		sec--
	}
	if sec != g.tsSec {
		g.tsSec = sec
		g.tsBuf = time.Unix(sec, 0).UTC().AppendFormat(g.tsBuf[:0], "2006-01-02T15:04:05")
	}
	dst = append(dst, g.tsBuf...)
	m := ms - sec*1000
	return append(dst, '.', byte('0'+m/100), byte('0'+m/10%10), byte('0'+m%10), 'Z')
}

func (r *run) time() int64 { return r.events[r.next].Time }

// sort orders the run's events by time, keeping the order of simultaneous ones.
func (r *run) sort() {
	sort.SliceStable(r.events, func(i, j int) bool { return r.events[i].Time < r.events[j].Time })
}

// runHeap is a min-heap of runs by next event time, then start order.
type runHeap []*run

func (h runHeap) less(i, j int) bool {
	a, b := h[i].time(), h[j].time()
	return a < b || a == b && h[i].seq < h[j].seq
}

func (h *runHeap) push(r *run) {
	*h = append(*h, r)
	s := *h
	for i := len(s) - 1; i > 0; {
		p := (i - 1) / 2
		if !s.less(i, p) {
			break
		}
		s[i], s[p] = s[p], s[i]
		i = p
	}
}

func (h *runHeap) pop() *run {
	s := *h
	top := s[0]
	n := len(s) - 1
	s[0] = s[n]
	s[n] = nil
	*h = s[:n]
	if n > 0 {
		h.down(0)
	}
	return top
}

func (h runHeap) down(i int) {
	n := len(h)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		m := l
		if r := l + 1; r < n && h.less(r, l) {
			m = r
		}
		if !h.less(m, i) {
			return
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
}
