package stats

import (
	"net/netip"

	"github.com/secpipe/secpipe/pkg/attack"
	"github.com/secpipe/secpipe/pkg/internal/ipaddr"
)

// Agg accumulates the statistics of a stream of events, one event at a
// time: Begin starts an event, Tactic, Technique and Pair tag it, End (or
// the next Begin) closes it. Its memory grows with the number of distinct
// tactics, techniques, hosts, users, source IPs and time buckets, never
// with the number of events.
type Agg struct {
	cat *attack.Catalog

	// Timeline counts are kept per key = floor(seconds / res). Unless the
	// user fixed the bucket size, res starts at a second and coarsens
	// (minute, hour, day, week) when the keys grow past maxKeys, which only
	// happens when the span is long enough that the final buckets are
	// multiples of the coarser res.
	res      int64
	fixed    bool
	timeline map[int64]*bucketCounts
	lastKey  int64
	lastRow  *bucketCounts
	slab     []int64 // what newBucket cuts counts from

	// tacticKeys interns tactic values as written; tacticOf maps them to
	// an index in tactics, or -1: unclassified.
	tacticKeys *table
	tacticOf   []int32
	tactics    []tacticCount
	techKeys   *table
	techOf     []int32
	techs      []techCount
	hosts      counter
	users      counter
	ips        counter
	countries  counter  // source countries (secpipe enrich)
	indicators counter  // threat-intelligence indicators matched
	evInds     []string // the open event's indicators, counted once each
	// pairs counts events per (tactic, technique): pairs[i] holds the
	// pairs of technique i-1, pairs[0] those without technique.
	pairs [][]pairCount

	total, unclassified, undated int64
	rows                         int64
	first, last                  int64 // Unix nanoseconds of the earliest and latest event
	dated                        bool

	// The open event.
	open      bool
	seq       uint64
	evTactics int
	evRow     *bucketCounts
	evPairs   [][2]int32
}

type bucketCounts struct {
	counts []int64 // by column: 0 unclassified, 1+i tactic i
}

type tacticCount struct {
	ID, Name string
	Order    int // kill-chain position; -1 for a tactic the catalog lacks
	Count    int64
	stamp    uint64
}

type techCount struct {
	ID, Name string
	Count    int64
	stamp    uint64
}

type pairCount struct {
	tactic int32 // -1: none
	n      int64
}

// counter counts values by their text.
type counter struct {
	t      *table
	counts []int64
	// addrs, when set, finds IPv4 addresses by their 32 bits: t then
	// finds the other values only, and holds the text of all. Addresses
	// counted once wait in pending until addrBatch of them are counted
	// together (countPending).
	addrs   *addrTable
	pending []uint32
}

// addrBatch is how many addresses are counted together: enough that the
// cache misses of a month's address table overlap.
const addrBatch = 128

// addressCounter returns a counter of addresses.
func addressCounter() counter {
	return counter{addrs: newAddrTable(), pending: make([]uint32, 0, addrBatch)}
}

func (c *counter) add(b []byte, n int64) {
	if len(b) == 0 {
		return
	}
	if c.t == nil {
		c.t = newTable()
	}
	if c.addrs != nil {
		if a, ok := ipaddr.ParseIPv4(b); ok {
			// netip writes an IPv4 address back as this text: the 32 bits
			// key it.
			q := a.As4()
			addr := uint32(q[0])<<24 | uint32(q[1])<<16 | uint32(q[2])<<8 | uint32(q[3])
			if n == 1 {
				c.pending = append(c.pending, addr)
				if len(c.pending) == cap(c.pending) {
					c.countPending()
				}
				return
			}
			c.counts[c.addrIndex(addr)] += n
			return
		}
	}
	i, added := c.t.index(b)
	if added {
		c.counts = append(c.counts, 0)
	}
	c.counts[i] += n
}

// addrIndex returns the index of an address, adding it, with netip's text
// of it, if new.
func (c *counter) addrIndex(addr uint32) int32 {
	return c.addrs.index(addr, func() int32 {
		c.counts = append(c.counts, 0)
		return c.t.addKey(netip.AddrFrom4([4]byte{byte(addr >> 24), byte(addr >> 16), byte(addr >> 8), byte(addr)}).String())
	})
}

// countPending counts the addresses that wait. Their slots are read in a
// loop of their own before they are looked up, and their counts after,
// so that the cache misses of a table too large to stay cached (the
// file being read passes through the cache too) overlap instead of
// coming one after another.
func (c *counter) countPending() {
	if len(c.pending) == 0 {
		return
	}
	var at [addrBatch]int32
	c.addrs.touch(c.pending)
	for k, addr := range c.pending {
		at[k] = c.addrIndex(addr)
	}
	for _, i := range at[:len(c.pending)] {
		c.counts[i]++
	}
	c.pending = c.pending[:0]
}

// values returns the values counted, by index, and makes counts whole.
func (c *counter) values() []string {
	c.countPending()
	if c.t == nil {
		return nil
	}
	return c.t.keys
}

// maxKeys bounds the timeline keys kept before coarsening. A coarsening
// from res r to R happens when the events span at least maxKeys*r (as
// more than maxKeys keys do), whose automatic bucket (more than
// maxKeys*r/MaxBuckets: 5m from seconds, 2h from minutes, 7d from hours,
// 67d from days) is a multiple of R.
const maxKeys = 10000

// resolutions are the timeline's base resolutions, in seconds.
var resolutions = []int64{1, 60, 3600, 86400, week}

// NewAgg returns an empty aggregate naming tactics and techniques from cat.
// bucket fixes the timeline's bucket size in seconds; 0 chooses it from the
// data's span at the end.
func NewAgg(cat *attack.Catalog, bucket int64) *Agg {
	a := &Agg{cat: cat, res: 1, timeline: map[int64]*bucketCounts{}, tacticKeys: newTable(), techKeys: newTable(), pairs: make([][]pairCount, 1), ips: addressCounter()}
	if bucket > 0 {
		a.res, a.fixed = bucket, true
	}
	for _, t := range cat.Tactics() {
		a.tacticKeys.index([]byte(t.ID))
		a.tacticOf = append(a.tacticOf, int32(len(a.tactics)))
		a.tactics = append(a.tactics, tacticCount{ID: t.ID, Name: t.Name, Order: t.Order})
	}
	return a
}

// Begin starts an event at ns Unix nanoseconds (ignored unless dated), with
// its user, host and source IP (empty: none), closing the previous one.
func (a *Agg) Begin(ns int64, dated bool, user, host, ip []byte) {
	if a.open {
		a.End()
	}
	a.open = true
	a.seq++
	a.evTactics = 0
	a.evPairs = a.evPairs[:0]
	a.evInds = a.evInds[:0]
	a.total++
	a.users.add(user, 1)
	a.hosts.add(host, 1)
	a.ips.add(ip, 1)
	a.evRow = nil
	if !dated {
		a.undated++
		return
	}
	if !a.dated || ns < a.first {
		a.first = ns
	}
	if !a.dated || ns > a.last {
		a.last = ns
	}
	a.dated = true
	// Coarsening needs a span of maxKeys at res (see maxKeys): once the
	// events span it, the fine keys are not worth keeping, however few.
	for !a.fixed && floorDiv(a.last, 1e9)-floorDiv(a.first, 1e9) >= maxKeys*a.res && a.coarsen() {
	}
	a.evRow = a.row(floorDiv(floorDiv(ns, 1e9), a.res))
}

// addIndicator counts an indicator the open event matched, once per event.
func (a *Agg) addIndicator(b []byte) {
	if len(b) == 0 {
		return
	}
	for _, seen := range a.evInds {
		if seen == string(b) {
			return
		}
	}
	a.evInds = append(a.evInds, string(b))
	a.indicators.add(b, 1)
}

// row returns the timeline counts of a key, adding it if new.
func (a *Agg) row(key int64) *bucketCounts {
	if a.lastRow != nil && key == a.lastKey {
		return a.lastRow
	}
	r, ok := a.timeline[key]
	if !ok {
		if len(a.timeline) >= maxKeys && !a.fixed && a.coarsen() {
			return a.row(floorDiv(key, a.res/a.prevRes()))
		}
		r = a.newBucket()
		a.timeline[key] = r
	}
	a.lastKey, a.lastRow = key, r
	return r
}

// newBucket returns the counts of a new timeline key, a column for each
// tactic known. They are cut from a slab: a month of events makes tens of
// thousands of keys before the timeline coarsens.
func (a *Agg) newBucket() *bucketCounts {
	n := len(a.tactics) + 1
	if len(a.slab) < n {
		a.slab = make([]int64, 256*n)
	}
	b := &bucketCounts{counts: a.slab[:n:n]} // a column added later grows apart
	a.slab = a.slab[n:]
	return b
}

// prevRes returns the resolution before the current one.
func (a *Agg) prevRes() int64 {
	for i, r := range resolutions {
		if r == a.res && i > 0 {
			return resolutions[i-1]
		}
	}
	return a.res
}

// coarsen moves the timeline to the next resolution; false if there is none.
func (a *Agg) coarsen() bool {
	next := int64(0)
	for i, r := range resolutions {
		if r == a.res && i+1 < len(resolutions) {
			next = resolutions[i+1]
		}
	}
	if next == 0 {
		return false
	}
	a.rekey(next)
	return true
}

// rekey merges the timeline into keys of resolution res.
func (a *Agg) rekey(res int64) {
	f := res / a.res
	old := a.timeline
	a.timeline = make(map[int64]*bucketCounts, len(old)/int(f)+1)
	for k, r := range old {
		nk := floorDiv(k, f)
		if m, ok := a.timeline[nk]; ok {
			m.merge(r)
		} else {
			a.timeline[nk] = r
		}
	}
	a.res = res
	a.lastRow = nil
}

func (b *bucketCounts) merge(o *bucketCounts) {
	for i, n := range o.counts {
		b.add(i, n)
	}
}

func (b *bucketCounts) add(col int, n int64) {
	for col >= len(b.counts) {
		b.counts = append(b.counts, 0)
	}
	b.counts[col] += n
}

// tacticIndex finds the tactic a value names: an ID, or a shortname the
// catalog knows. -1 means unclassified: empty, or the lab's TA0000.
func (a *Agg) tacticIndex(id, name []byte) int32 {
	if len(id) == 0 {
		return -1
	}
	k, added := a.tacticKeys.index(id)
	if !added {
		return a.tacticOf[k]
	}
	key := a.tacticKeys.keys[k]
	i := int32(-1)
	if !unclassifiedTactic(key) {
		if t, ok := a.cat.Tactic(key); ok {
			i = int32(t.Order)
		} else {
			i = int32(len(a.tactics))
			n := string(name)
			if n == "" {
				n = key
			}
			a.tactics = append(a.tactics, tacticCount{ID: key, Name: n, Order: -1})
		}
	}
	a.tacticOf = append(a.tacticOf, i)
	return i
}

func unclassifiedTactic(s string) bool { return s == "" || s == "TA0000" }

func unclassifiedTechnique(s string) bool { return s == "" || s == "T0000" }

// unclassifiedCell reports whether a cell is empty or the lab's TA0000 or
// T0000, without making it a string.
func unclassifiedCell(c []byte) bool {
	return len(c) == 0 || string(c) == "TA0000" || string(c) == "T0000"
}

// techIndex finds a technique's entry; -1 for none.
func (a *Agg) techIndex(id, name []byte) int32 {
	if len(id) == 0 {
		return -1
	}
	k, added := a.techKeys.index(id)
	if !added {
		return a.techOf[k]
	}
	key := a.techKeys.keys[k]
	i := int32(-1)
	if !unclassifiedTechnique(key) {
		n := string(name)
		if t, ok := a.cat.Technique(key); ok {
			n = t.Name
		}
		i = int32(len(a.techs))
		a.techs = append(a.techs, techCount{ID: key, Name: n})
		a.pairs = append(a.pairs, nil)
	}
	a.techOf = append(a.techOf, i)
	return i
}

// addPair counts n events with a (tactic, technique) pair.
func (a *Agg) addPair(ti, qi int32, n int64) {
	ps := a.pairs[qi+1]
	for k := range ps {
		if ps[k].tactic == ti {
			ps[k].n += n
			return
		}
	}
	a.pairs[qi+1] = append(ps, pairCount{tactic: ti, n: n})
}

// Tag adds a (tactic, technique) pair to the open event; either may be
// empty. name and techName are used for IDs the catalog lacks.
func (a *Agg) Tag(tactic, technique, tacticName, techName []byte) {
	ti := a.tacticIndex(tactic, tacticName)
	qi := a.techIndex(technique, techName)
	if ti >= 0 {
		if t := &a.tactics[ti]; t.stamp != a.seq {
			t.stamp = a.seq
			t.Count++
			a.evTactics++
			if a.evRow != nil {
				a.evRow.add(int(ti)+1, 1)
			}
		}
	}
	if qi >= 0 {
		if t := &a.techs[qi]; t.stamp != a.seq {
			t.stamp = a.seq
			t.Count++
		}
	}
	if ti < 0 && qi < 0 {
		return
	}
	p := [2]int32{ti, qi}
	for _, q := range a.evPairs {
		if q == p {
			return
		}
	}
	a.evPairs = append(a.evPairs, p)
	a.addPair(ti, qi, 1)
}

// End closes the open event: one without a tactic counts as unclassified.
func (a *Agg) End() {
	if !a.open {
		return
	}
	a.open = false
	if a.evTactics == 0 {
		a.unclassified++
		if a.evRow != nil {
			a.evRow.add(0, 1)
		}
	}
}

// newPart returns an empty aggregate for part of a's input, to be merged
// back with merge.
func (a *Agg) newPart() *Agg {
	p := NewAgg(a.cat, 0)
	p.res, p.fixed = a.res, a.fixed
	if !a.fixed {
		p.res = 1
	}
	return p
}

// merge adds the counts of o, whose events are all closed, to a.
func (a *Agg) merge(o *Agg) {
	a.End()
	o.End()
	a.total += o.total
	a.unclassified += o.unclassified
	a.undated += o.undated
	a.rows += o.rows
	if o.dated {
		if !a.dated || o.first < a.first {
			a.first = o.first
		}
		if !a.dated || o.last > a.last {
			a.last = o.last
		}
		a.dated = true
	}
	tmap := make([]int32, len(o.tactics))
	for i, t := range o.tactics {
		tmap[i] = a.tacticIndex([]byte(t.ID), []byte(t.Name))
		if tmap[i] >= 0 {
			a.tactics[tmap[i]].Count += t.Count
		}
	}
	qmap := make([]int32, len(o.techs))
	for i, t := range o.techs {
		qmap[i] = a.techIndex([]byte(t.ID), []byte(t.Name))
		if qmap[i] >= 0 {
			a.techs[qmap[i]].Count += t.Count
		}
	}
	for i, v := range o.hosts.values() {
		a.hosts.add([]byte(v), o.hosts.counts[i])
	}
	for i, v := range o.users.values() {
		a.users.add([]byte(v), o.users.counts[i])
	}
	for i, v := range o.ips.values() {
		a.ips.add([]byte(v), o.ips.counts[i])
	}
	for i, v := range o.countries.values() {
		a.countries.add([]byte(v), o.countries.counts[i])
	}
	for i, v := range o.indicators.values() {
		a.indicators.add([]byte(v), o.indicators.counts[i])
	}
	remap := func(i int32, m []int32) int32 {
		if i < 0 {
			return -1
		}
		return m[i]
	}
	for q, ps := range o.pairs {
		for _, p := range ps {
			a.addPair(remap(p.tactic, tmap), remap(int32(q-1), qmap), p.n)
		}
	}

	// Timelines: both at the coarser resolution, columns remapped.
	if o.res > a.res {
		a.rekey(o.res)
	}
	f := a.res / o.res
	for k, bc := range o.timeline {
		row := a.rowAt(floorDiv(k, f))
		for col, n := range bc.counts {
			if n == 0 {
				continue
			}
			to := 0
			if col > 0 {
				to = int(tmap[col-1]) + 1
			}
			row.add(to, n)
		}
	}
	for !a.fixed && (len(a.timeline) > maxKeys || a.dated && floorDiv(a.last, 1e9)-floorDiv(a.first, 1e9) >= maxKeys*a.res) && a.coarsen() {
	}
}

// rowAt returns the timeline counts of a key without coarsening.
func (a *Agg) rowAt(key int64) *bucketCounts {
	r, ok := a.timeline[key]
	if !ok {
		r = a.newBucket()
		a.timeline[key] = r
	}
	a.lastRow = nil
	return r
}
