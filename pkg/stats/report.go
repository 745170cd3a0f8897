package stats

import (
	"sort"
	"strconv"
	"time"

	"github.com/secpipe/secpipe/pkg/render"
)

// Report is the statistics of a set of classified events.
type Report struct {
	Total        int64           `json:"total"`        // distinct events
	Unclassified int64           `json:"unclassified"` // events without a tactic
	Undated      int64           `json:"undated,omitempty"`
	Rows         int64           `json:"rows"` // input rows (CSV) or records (JSON)
	Start        *time.Time      `json:"start"`
	End          *time.Time      `json:"end"`
	Bucket       string          `json:"bucket"`
	Tactics      []TacticStat    `json:"tactics"`
	Timeline     []BucketStat    `json:"timeline"`
	Techniques   []TechniqueStat `json:"techniques"`
	Hosts        []ValueCount    `json:"hosts"`
	Users        []ValueCount    `json:"users"`
	SourceIPs    []ValueCount    `json:"source_ips"`
	// Countries and Indicators count events by source country and by
	// threat-intelligence indicator matched, from secpipe enrich's
	// fields; absent when no event carries them.
	Countries  []ValueCount `json:"source_countries,omitempty"`
	Indicators []ValueCount `json:"indicators,omitempty"`

	// BucketSize is the timeline's bucket size.
	BucketSize time.Duration `json:"-"`
	// Columns are the timeline's columns: the tactics seen, in kill-chain
	// order (unknown ones after, by ID), then "unclassified" if any.
	Columns []Column `json:"-"`
	// Pairs counts events per (tactic, technique), for Navigator layers.
	Pairs []PairStat `json:"-"`
}

// TacticStat is the number of events tagged with a tactic.
type TacticStat struct {
	ID    string  `json:"id"`
	Name  string  `json:"name"`
	Count int64   `json:"count"`
	Share float64 `json:"share"` // of all events
}

// TechniqueStat is the number of events tagged with a technique.
type TechniqueStat struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Count int64  `json:"count"`
}

// ValueCount is the number of events with a value.
type ValueCount struct {
	Value string `json:"value"`
	Count int64  `json:"count"`
}

// BucketStat is one time bucket of the timeline: events per tactic
// ID, and "unclassified" for events without one. Counts omits zeros.
type BucketStat struct {
	Start  time.Time        `json:"start"`
	Counts map[string]int64 `json:"counts"`
	// Values holds the counts by Report.Columns.
	Values []int64 `json:"-"`
}

// Column is a timeline column.
type Column struct {
	ID, Name string
	Order    int // kill-chain position; -1 for an unknown tactic or unclassified
}

// PairStat is the number of events with a (tactic, technique) pair.
type PairStat struct {
	Tactic, Technique string // either may be empty
	Count             int64
}

// Unclassified names the timeline column of events without a tactic.
const Unclassified = "unclassified"

// maxFilled bounds the buckets of a timeline listed with empty ones filled in.
const maxFilled = 200000

// Report summarises what a holds, with top lists of top entries.
func (a *Agg) Report(top int) *Report {
	a.End()
	r := &Report{Total: a.total, Unclassified: a.unclassified, Undated: a.undated, Rows: a.rows}

	// Tactics: kill-chain order, then unknown ones by ID.
	order := make([]int, 0, len(a.tactics))
	for i, t := range a.tactics {
		if t.Count > 0 {
			order = append(order, i)
		}
	}
	sort.SliceStable(order, func(x, y int) bool {
		tx, ty := a.tactics[order[x]], a.tactics[order[y]]
		if (tx.Order < 0) != (ty.Order < 0) {
			return tx.Order >= 0
		}
		if tx.Order >= 0 {
			return tx.Order < ty.Order
		}
		return tx.ID < ty.ID
	})
	r.Tactics = []TacticStat{}
	colOf := make([]int, len(a.tactics)+1) // agg column -> report column, -1 none
	for i := range colOf {
		colOf[i] = -1
	}
	for _, i := range order {
		t := a.tactics[i]
		r.Tactics = append(r.Tactics, TacticStat{ID: t.ID, Name: t.Name, Count: t.Count, Share: share(t.Count, a.total)})
		colOf[i+1] = len(r.Columns)
		r.Columns = append(r.Columns, Column{ID: t.ID, Name: t.Name, Order: t.Order})
	}
	if a.hasUnclassifiedTime() {
		colOf[0] = len(r.Columns)
		r.Columns = append(r.Columns, Column{ID: Unclassified, Name: "Unclassified", Order: -1})
	}

	// Techniques by count.
	techs := make([]techCount, 0, len(a.techs))
	for _, t := range a.techs {
		if t.Count > 0 {
			techs = append(techs, t)
		}
	}
	sort.Slice(techs, func(i, j int) bool {
		if techs[i].Count != techs[j].Count {
			return techs[i].Count > techs[j].Count
		}
		return techs[i].ID < techs[j].ID
	})
	r.Techniques = []TechniqueStat{}
	for i, t := range techs {
		if i == top {
			break
		}
		r.Techniques = append(r.Techniques, TechniqueStat{ID: t.ID, Name: t.Name, Count: t.Count})
	}
	r.Hosts, r.Users, r.SourceIPs = a.hosts.top(top), a.users.top(top), a.ips.top(top)
	r.Countries, r.Indicators = a.countries.top(top), a.indicators.top(top)

	for q, pcs := range a.pairs {
		for _, p := range pcs {
			var ps PairStat
			if p.tactic >= 0 {
				ps.Tactic = a.tactics[p.tactic].ID
			}
			if q > 0 {
				ps.Technique = a.techs[q-1].ID
			}
			ps.Count = p.n
			r.Pairs = append(r.Pairs, ps)
		}
	}
	sort.Slice(r.Pairs, func(i, j int) bool {
		if r.Pairs[i].Technique != r.Pairs[j].Technique {
			return r.Pairs[i].Technique < r.Pairs[j].Technique
		}
		return r.Pairs[i].Tactic < r.Pairs[j].Tactic
	})

	r.timeline(a, colOf)
	return r
}

func (a *Agg) hasUnclassifiedTime() bool {
	for _, b := range a.timeline {
		if len(b.counts) > 0 && b.counts[0] > 0 {
			return true
		}
	}
	return false
}

func share(n, total int64) float64 {
	if total == 0 {
		return 0
	}
	return float64(n) / float64(total)
}

// timeline re-buckets the agg's timeline into the report's bucket size.
func (r *Report) timeline(a *Agg, colOf []int) {
	r.Timeline = []BucketStat{}
	if !a.dated {
		if a.fixed {
			r.BucketSize = time.Duration(a.res) * time.Second
			r.Bucket = FormatBucket(r.BucketSize)
		}
		return
	}
	start, end := time.Unix(0, a.first).UTC(), time.Unix(0, a.last).UTC()
	r.Start, r.End = &start, &end
	firstSec, lastSec := floorDiv(a.first, 1e9), floorDiv(a.last, 1e9)
	b := a.res
	if !a.fixed {
		b = chooseBucket(firstSec, lastSec, a.res)
	}
	r.BucketSize = time.Duration(b) * time.Second
	r.Bucket = FormatBucket(r.BucketSize)

	sums := map[int64][]int64{}
	for k, bc := range a.timeline {
		bk := floorDiv(k*a.res, b)
		s := sums[bk]
		if s == nil {
			s = make([]int64, len(r.Columns))
			sums[bk] = s
		}
		for i, n := range bc.counts {
			if n != 0 && i < len(colOf) && colOf[i] >= 0 {
				s[colOf[i]] += n
			}
		}
	}
	var keys []int64
	lo, hi := floorDiv(firstSec, b), floorDiv(lastSec, b)
	if hi-lo+1 <= maxFilled {
		for k := lo; k <= hi; k++ {
			keys = append(keys, k)
		}
	} else {
		for k := range sums {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	}
	r.Timeline = make([]BucketStat, 0, len(keys))
	for _, k := range keys {
		vals := sums[k]
		if vals == nil {
			vals = make([]int64, len(r.Columns))
		}
		counts := map[string]int64{}
		for i, n := range vals {
			if n != 0 {
				counts[r.Columns[i].ID] = n
			}
		}
		r.Timeline = append(r.Timeline, BucketStat{Start: time.Unix(k*b, 0).UTC(), Counts: counts, Values: vals})
	}
}

// top returns the n most frequent values, ties by value. It keeps the
// best n seen in order as it goes, rather than sorting every value: a
// month holds tens of thousands of source addresses, and this runs after
// the parallel parts, on the run's critical path.
func (c *counter) top(n int) []ValueCount {
	values := c.values()
	before := func(i, j int) bool {
		if c.counts[i] != c.counts[j] {
			return c.counts[i] > c.counts[j]
		}
		return values[i] < values[j]
	}
	best := make([]int, 0, min(n, len(values)))
	for i := range values {
		if len(best) == n && (n == 0 || !before(i, best[n-1])) {
			continue
		}
		at := sort.Search(len(best), func(k int) bool { return before(i, best[k]) })
		if len(best) < n {
			best = append(best, 0)
		}
		copy(best[at+1:], best[at:len(best)-1])
		best[at] = i
	}
	out := []ValueCount{}
	for _, j := range best {
		out = append(out, ValueCount{Value: values[j], Count: c.counts[j]})
	}
	return out
}

// BucketLabel formats a bucket's start for tables and charts, as precisely
// as the bucket size needs.
func (r *Report) BucketLabel(t time.Time) string { return bucketLabel(t, r.BucketSize) }

func bucketLabel(t time.Time, size time.Duration) string {
	s := int64(size / time.Second)
	switch {
	case s > 0 && s%86400 == 0:
		return t.Format("2006-01-02")
	case s%60 == 0:
		return t.Format("2006-01-02 15:04")
	}
	return t.Format("2006-01-02 15:04:05")
}

// maxTextBuckets is the most timeline rows a text table shows in full;
// longer timelines show their first and last few rows.
const maxTextBuckets = 40

// TableNames name the report's tables, in the order Tables returns them.
var TableNames = []string{"tactics", "timeline", "techniques", "hosts", "users", "sources", "countries", "indicators"}

// Enrichment reports whether a table of TableNames counts what secpipe
// enrich adds (countries, indicators): it is left out of the whole report
// when empty, as it is for events that were not enriched.
func Enrichment(name string) bool { return name == "countries" || name == "indicators" }

// TableOptions say how Tables lays the report out.
type TableOptions struct {
	// Elide shows a timeline of more than 40 buckets as its first and last
	// 5 rows around a "…" row (for text).
	Elide bool
	// Numeric writes shares as fractions (0.004, not "0.4%") and leaves
	// out the "all events" row, so that each table loads as data (CSV).
	Numeric bool
}

// Part returns the part of the report a table shows, for JSON, by its
// name in TableNames.
func (r *Report) Part(name string) any {
	switch name {
	case "tactics":
		return r.Tactics
	case "timeline":
		return r.Timeline
	case "techniques":
		return r.Techniques
	case "hosts":
		return r.Hosts
	case "users":
		return r.Users
	case "sources":
		return r.SourceIPs
	case "countries":
		return r.Countries
	case "indicators":
		return r.Indicators
	}
	return nil
}

// Tables returns the report as tables for render.Tables, named by
// TableNames. The timeline's columns are headed by tactic ID and name.
func (r *Report) Tables(opt TableOptions) []render.Table {
	pct := func(f float64) string { return strconv.FormatFloat(100*f, 'f', 1, 64) + "%" }
	if opt.Numeric {
		pct = func(f float64) string { return strconv.FormatFloat(f, 'f', 6, 64) }
	}
	itoa := func(n int64) string { return strconv.FormatInt(n, 10) }

	tactics := render.Table{Title: "Tactics", Header: []string{"ID", "TACTIC", "EVENTS", "SHARE"}, Right: []int{2, 3}}
	for _, t := range r.Tactics {
		tactics.Rows = append(tactics.Rows, []string{t.ID, t.Name, itoa(t.Count), pct(t.Share)})
	}
	tactics.Rows = append(tactics.Rows, []string{"", "(no tactic)", itoa(r.Unclassified), pct(share(r.Unclassified, r.Total))})
	if !opt.Numeric {
		tactics.Rows = append(tactics.Rows, []string{"", "all events", itoa(r.Total), pct(share(r.Total, r.Total))})
	}

	per := r.Bucket
	if per == "" {
		per = "time bucket"
	}
	tl := render.Table{Title: "Events per " + per + " and tactic", Header: []string{"START (UTC)"}}
	for i, c := range r.Columns {
		head := c.ID
		if c.ID != Unclassified && c.Name != "" && c.Name != c.ID {
			head += " " + c.Name
		}
		tl.Header = append(tl.Header, head)
		tl.Right = append(tl.Right, i+1)
	}
	row := func(b BucketStat) []string {
		cells := []string{r.BucketLabel(b.Start)}
		for _, n := range b.Values {
			cells = append(cells, itoa(n))
		}
		return cells
	}
	if opt.Elide && len(r.Timeline) > maxTextBuckets {
		for _, b := range r.Timeline[:5] {
			tl.Rows = append(tl.Rows, row(b))
		}
		gap := []string{"…"}
		for range r.Columns {
			gap = append(gap, "…")
		}
		tl.Rows = append(tl.Rows, gap)
		for _, b := range r.Timeline[len(r.Timeline)-5:] {
			tl.Rows = append(tl.Rows, row(b))
		}
	} else {
		for _, b := range r.Timeline {
			tl.Rows = append(tl.Rows, row(b))
		}
	}

	techs := render.Table{Title: "Top techniques", Header: []string{"ID", "TECHNIQUE", "EVENTS"}, Right: []int{2}}
	for _, t := range r.Techniques {
		techs.Rows = append(techs.Rows, []string{t.ID, t.Name, itoa(t.Count)})
	}
	values := func(title, head string, vs []ValueCount) render.Table {
		t := render.Table{Title: title, Header: []string{head, "EVENTS"}, Right: []int{1}}
		for _, v := range vs {
			t.Rows = append(t.Rows, []string{v.Value, itoa(v.Count)})
		}
		return t
	}
	return []render.Table{
		tactics, tl, techs,
		values("Top hosts", "HOST", r.Hosts),
		values("Top users", "USER", r.Users),
		values("Top source IPs", "SOURCE IP", r.SourceIPs),
		values("Top source countries", "COUNTRY", r.Countries),
		values("Top indicators matched", "INDICATOR", r.Indicators),
	}
}
