package sigma

import "slices"

// A rule is tried on an event only when one of its anchors, literals of
// which at least one must occur for it to match, occurred (or when it has
// none: boundSource.always). Of the parts of an AND, the literals of any
// one will do. Most SigmaHQ rules AND a literal that nearly every event of
// their source has (EventID 4624, a parent image ending in \explorer.exe,
// a command line holding .exe) with a rare one; anchored on the common one,
// such a rule is tried on most events and matches almost none.
//
// So each matcher counts, per source, in how many events each literal
// occurred, and from time to time anchors every rule again on the part
// whose literals occurred least. Whatever the counts, a rule that can
// match is always tried: the choice changes how many rules are tried,
// never what matches.
type anchors struct {
	byPid  [][]int32 // by pattern: the rules it anchors; at first the source's own
	owned  bool      // byPid is this matcher's, to be reused
	hits   []uint32  // by pattern: events it occurred in, older ones counting less
	events int       // events of the source matched
	next   int       // events at which to choose again
}

// The first choice comes after firstChoice events of a source; the gap to
// the next grows fourfold up to chooseEvery.
const (
	firstChoice = 256
	chooseEvery = 1 << 16
)

// anchorsFor returns the matcher's anchors of a bound source.
func (m *Matcher) anchorsFor(s *boundSource) *anchors {
	if m.anchors == nil {
		m.anchors = make([]anchors, len(m.e.sources))
	}
	a := &m.anchors[s.index]
	if a.hits == nil {
		a.byPid, a.hits, a.next = s.byPid, make([]uint32, s.npat), firstChoice
	}
	return a
}

// count records the patterns that occurred in an event of s (hitPids, each
// once), and chooses the anchors again when it is time to.
func (a *anchors) count(s *boundSource, hitPids []int32) {
	for _, pid := range hitPids {
		a.hits[pid]++
	}
	a.events++
	if a.events < a.next {
		return
	}
	if !a.owned {
		a.byPid, a.owned = make([][]int32, s.npat), true
	}
	for pid := range a.byPid {
		a.byPid[pid] = a.byPid[pid][:0]
	}
	for ri, br := range s.rules {
		for _, pid := range required(br.root, a.hits) {
			a.byPid[pid] = append(a.byPid[pid], int32(ri))
		}
	}
	for pid := range a.hits {
		a.hits[pid] /= 2
	}
	a.next = a.events + min(3*a.events, chooseEvery)
}

// required returns patterns of which at least one must occur for n to be
// true, or nil when n can be true without any. Of an AND's parts it takes
// the one whose patterns occurred in fewest events by hits (nil: none
// counted yet, which takes the part of fewest patterns).
func required(n *node, hits []uint32) []int32 {
	pids, _ := requiredCost(n, hits)
	return pids
}

// requiredCost is required, with the sum over the patterns of the events
// each occurred in, plus one.
func requiredCost(n *node, hits []uint32) ([]int32, uint64) {
	switch n.kind {
	case nodeLit:
		cost := uint64(1)
		if hits != nil {
			cost += uint64(hits[n.pid])
		}
		return []int32{n.pid}, cost
	case nodeFalse:
		return []int32{}, 0
	case nodeAnd:
		var best []int32
		var bestCost uint64
		for _, k := range n.kids {
			if r, c := requiredCost(k, hits); r != nil && (best == nil || c < bestCost) {
				best, bestCost = r, c
			}
		}
		return best, bestCost
	case nodeOr:
		var all []int32
		var cost uint64
		for _, k := range n.kids {
			r, c := requiredCost(k, hits)
			if r == nil {
				return nil, 0
			}
			all = append(all, r...)
			cost += c
		}
		slices.Sort(all)
		if all = slices.Compact(all); all == nil {
			all = []int32{}
		}
		return all, cost
	}
	return nil, 0
}
