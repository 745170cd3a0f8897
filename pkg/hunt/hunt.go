// Package hunt turns detections into a DFIR timeline - one row per tagged
// event, with when, where, what matched and the fields that explain it -
// and a summary of them (by level, technique, host and rule), the way
// Hayabusa's csv-timeline and Chainsaw's hunt present a scan of event logs.
//
// Rows are written as they come; only the summary's counts are kept, so
// memory does not grow with the input.
package hunt

import (
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/secpipe/secpipe/pkg/classify"
	"github.com/secpipe/secpipe/pkg/ecs"
	"github.com/secpipe/secpipe/pkg/render"
)

// Header names the timeline's columns; Keys are their JSON names.
var (
	Header = []string{"TIME", "HOST", "CHANNEL", "EVENT ID", "LEVEL", "RULE", "TECHNIQUES", "DETAILS", "FILE"}
	Keys   = []string{"time", "host", "channel", "event_id", "level", "rule", "techniques", "details", "file"}
)

// MaxCell is how long a table cell of details may be before it is cut.
const MaxCell = 160

// Timeline writes detections to a render stream and counts them.
type Timeline struct {
	out   *render.Stream
	cut   bool // shorten long details (text tables)
	cells []string
	Sum   Summary
}

// NewTimeline returns a timeline written to out; cut shortens the details
// of text and Markdown tables to MaxCell characters.
func NewTimeline(out *render.Stream, cut bool) *Timeline {
	return &Timeline{out: out, cut: cut, cells: make([]string, len(Header)), Sum: newSummary()}
}

// Add writes one detection.
func (t *Timeline) Add(d *classify.Detection) error {
	c := t.cells
	c[0] = ""
	if d.HasTime {
		c[0] = time.Unix(0, d.Time).UTC().Format("2006-01-02T15:04:05.000Z")
	}
	c[1], c[2], c[3], c[4] = d.Host, d.Channel, d.EventID, d.Level
	var names []string
	for _, r := range d.Rules {
		names = append(names, r.Title)
	}
	c[5] = strings.Join(names, "; ")
	c[6] = strings.Join(d.Techniques, " ")
	var det []string
	for _, f := range d.Details {
		v := strings.Join(strings.Fields(f.Value), " ")
		if t.cut && len(v) > MaxCell {
			v = v[:MaxCell] + "..."
		}
		det = append(det, f.Name+": "+v)
	}
	c[7] = strings.Join(det, " | ")
	c[8] = filepath.Base(d.Input)
	t.Sum.add(d)
	return t.out.Row(c)
}

// Summary counts detections.
type Summary struct {
	Detections int
	Hosts      map[string]int
	Levels     map[string]int
	Techniques map[string]int
	Rules      map[string]int
	First      int64
	Last       int64
}

func newSummary() Summary {
	return Summary{Hosts: map[string]int{}, Levels: map[string]int{}, Techniques: map[string]int{}, Rules: map[string]int{}}
}

func (s *Summary) add(d *classify.Detection) {
	s.Detections++
	s.Hosts[d.Host]++
	s.Levels[d.Level]++
	for _, t := range d.Techniques {
		s.Techniques[t]++
	}
	for _, r := range d.Rules {
		s.Rules[r.Title+"\x00"+r.Level]++
	}
	if d.HasTime {
		if s.First == 0 || d.Time < s.First {
			s.First = d.Time
		}
		if d.Time > s.Last {
			s.Last = d.Time
		}
	}
}

// Tables returns the summary as tables: detections per level, the top
// techniques, hosts and rules (top at most).
func (s *Summary) Tables(top int) []render.Table {
	levels := render.Table{Title: "Detections by level", Header: []string{"LEVEL", "DETECTIONS"}, Right: []int{1}}
	for i := len(ecs.Levels) - 1; i >= 0; i-- {
		if n := s.Levels[ecs.Levels[i]]; n > 0 {
			levels.Rows = append(levels.Rows, []string{ecs.Levels[i], strconv.Itoa(n)})
		}
	}
	if n := s.Levels[""]; n > 0 {
		levels.Rows = append(levels.Rows, []string{"(none)", strconv.Itoa(n)})
	}
	techs := render.Table{Title: "Top techniques", Header: []string{"TECHNIQUE", "DETECTIONS"}, Right: []int{1}}
	for _, kv := range topOf(s.Techniques, top) {
		techs.Rows = append(techs.Rows, []string{kv.k, strconv.Itoa(kv.n)})
	}
	hosts := render.Table{Title: "Top hosts", Header: []string{"HOST", "DETECTIONS"}, Right: []int{1}}
	for _, kv := range topOf(s.Hosts, top) {
		h := kv.k
		if h == "" {
			h = "(unknown)"
		}
		hosts.Rows = append(hosts.Rows, []string{h, strconv.Itoa(kv.n)})
	}
	rules := render.Table{Title: "Top rules", Header: []string{"RULE", "LEVEL", "DETECTIONS"}, Right: []int{2}}
	for _, kv := range topOf(s.Rules, top) {
		title, level, _ := strings.Cut(kv.k, "\x00")
		rules.Rows = append(rules.Rows, []string{title, level, strconv.Itoa(kv.n)})
	}
	return []render.Table{levels, techs, hosts, rules}
}

type count struct {
	k string
	n int
}

// topOf returns the n largest counts, largest first (ties by name).
func topOf(m map[string]int, n int) []count {
	var out []count
	for k, v := range m {
		out = append(out, count{k, v})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].n != out[j].n {
			return out[i].n > out[j].n
		}
		return out[i].k < out[j].k
	})
	if len(out) > n {
		out = out[:n]
	}
	return out
}
