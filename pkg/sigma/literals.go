package sigma

import (
	"cmp"
	"encoding/binary"
	"slices"
	"sync"
)

// literalSet finds every occurrence, overlapping ones included, of a set of
// literals in one pass over a text: the literal values of all the rules that
// test a field are matched together, whatever their number.
//
// A pure Aho-Corasick automaton over SigmaHQ's ten thousand command-line
// literals has some 60,000 states; a text walks deep into it on nearly
// every byte and misses the cache each time (about 100 MB/s here). Instead,
// each literal of four bytes or more is indexed by its rarest 4-byte window:
// the scan hashes every window of the text into a small bitmap that fits
// the cache, and only on a hit looks the window up and compares the few
// literals that contain it. Literals shorter than four bytes, few and short,
// go to a small Aho-Corasick automaton.
//
// When the shortest long literal has more than four bytes, as keyword
// searches' and hashes' do, the scan looks at every stride-th window only
// (stride = shortest length - 3): each literal is indexed by stride
// consecutive windows of its own, one of which every occurrence of it puts
// at a probed position, and only there. Keyword searches, run over every
// string of an event, were half the bytes scanned.
type literalSet struct {
	id       int // among the engine's sets, for matchers' value caches
	short    *ahoCorasick
	shortIDs []int32 // pattern ids of the short automaton's patterns

	pats   []string
	stride int
	filter []uint64 // bitmap of hashed windows present
	shift  uint
	// Open-addressed table of windows, with their entries.
	slots   []litSlot
	entries []litEntry

	// For holdsFolded: a filter of every case variant of the indexed
	// windows, so that a window is lowered only when it may hold one.
	foldOnce  sync.Once
	folded    []uint64
	foldShift uint
}

type litSlot struct {
	gram       uint32
	start, end int32 // range of entries; end == 0 means empty
}

type litEntry struct {
	pid  int32
	off  int32  // offset of the window in the literal
	n    int32  // the literal's length
	head uint64 // its first 8 bytes, compared before the rest
}

const gramLen = 4

func newLiteralSet(patterns []string) *literalSet {
	l := &literalSet{pats: patterns}
	// Count every window of every long literal, then give each literal its
	// rarest window. The maps are sized up front: growing them was most of
	// the cost of loading a large rule set.
	windows := 0
	for _, p := range patterns {
		windows += max(len(p)-gramLen+1, 0)
	}
	counts := make(map[uint32]int32, windows)
	var short []string
	for pid, p := range patterns {
		if len(p) < gramLen {
			short = append(short, p)
			l.shortIDs = append(l.shortIDs, int32(pid))
			continue
		}
		for i := 0; i+gramLen <= len(p); i++ {
			counts[gram(p[i:])]++
		}
	}
	if len(short) > 0 {
		l.short = newAhoCorasick(short)
	}
	type chosen struct {
		gram  uint32
		entry litEntry
	}
	shortest := 0
	for _, p := range patterns {
		if len(p) >= gramLen && (shortest == 0 || len(p) < shortest) {
			shortest = len(p)
		}
	}
	l.stride = max(shortest-gramLen+1, 1)
	picks := make([]chosen, 0, (len(patterns)-len(short))*l.stride)
	for pid, p := range patterns {
		if len(p) < gramLen {
			continue
		}
		// The run of stride windows whose counts sum least.
		best, bestCount := 0, int32(-1)
		for i := 0; i+l.stride+gramLen-1 <= len(p); i++ {
			c := int32(0)
			for k := i; k < i+l.stride; k++ {
				c += counts[gram(p[k:])]
			}
			if bestCount < 0 || c < bestCount {
				best, bestCount = i, c
			}
		}
		for k := best; k < best+l.stride; k++ {
			e := litEntry{pid: int32(pid), off: int32(k), n: int32(len(p)), head: head(p)}
			picks = append(picks, chosen{gram(p[k:]), e})
		}
	}
	// Group the literals by window; within a window, in pattern order.
	slices.SortStableFunc(picks, func(a, b chosen) int { return cmp.Compare(a.gram, b.gram) })
	grams := 0
	for i := range picks {
		if i == 0 || picks[i].gram != picks[i-1].gram {
			grams++
		}
	}
	l.filter, l.shift = newWindowFilter(grams)
	size := 1
	for size < 2*grams {
		size <<= 1
	}
	l.slots = make([]litSlot, size)
	l.entries = make([]litEntry, 0, len(picks))
	for i := 0; i < len(picks); {
		g := picks[i].gram
		start := int32(len(l.entries))
		for ; i < len(picks) && picks[i].gram == g; i++ {
			l.entries = append(l.entries, picks[i].entry)
		}
		h := l.hash(g)
		l.filter[h/64] |= 1 << (h % 64)
		at := int(g*0x85ebca6b) & (size - 1)
		for l.slots[at].end != 0 {
			at = (at + 1) & (size - 1)
		}
		l.slots[at] = litSlot{gram: g, start: start, end: int32(len(l.entries))}
	}
	return l
}

// newWindowFilter returns an empty filter for n windows, and the shift that
// turns a window's hash into a bit of it: about 64 bits per window keep
// false hits rare.
func newWindowFilter(n int) ([]uint64, uint) {
	fbits := 16
	for 1<<fbits < 64*n && fbits < 24 {
		fbits++
	}
	return make([]uint64, (1<<fbits)/64), uint(32 - fbits)
}

func gram(s string) uint32 {
	return uint32(s[0]) | uint32(s[1])<<8 | uint32(s[2])<<16 | uint32(s[3])<<24
}

func (l *literalSet) hash(g uint32) uint32 { return (g * 0x9e3779b1) >> l.shift }

// lookup returns the entries of a window.
func (l *literalSet) lookup(g uint32) []litEntry {
	mask := len(l.slots) - 1
	for i := int(g*0x85ebca6b) & mask; ; i = (i + 1) & mask {
		s := &l.slots[i]
		if s.end == 0 {
			return nil
		}
		if s.gram == g {
			return l.entries[s.start:s.end]
		}
	}
}

// head returns the first 8 bytes of a literal, fewer when it is shorter,
// as a little-endian word.
func head(p string) uint64 {
	var b [8]byte
	copy(b[:], p)
	return binary.LittleEndian.Uint64(b[:])
}

// scan calls found for each occurrence of a literal in text.
func (l *literalSet) scan(text []byte, found func(pid int32, start, end int)) {
	if l.short != nil {
		l.short.scan(text, func(local int32, start, end int) {
			found(l.shortIDs[local], start, end)
		})
	}
	if len(l.slots) == 0 {
		return
	}
	filter, shift := l.filter, l.shift
	for i := 0; i+gramLen <= len(text); i += l.stride {
		g := binary.LittleEndian.Uint32(text[i:])
		h := (g * 0x9e3779b1) >> shift
		if filter[h/64]&(1<<(h%64)) == 0 {
			continue
		}
		for _, e := range l.lookup(g) {
			start := i - int(e.off)
			end := start + int(e.n)
			if start < 0 || end > len(text) {
				continue
			}
			if start+8 <= len(text) {
				// The head first: most candidates differ there, and a
				// literal of 8 bytes or fewer is then found.
				mask := ^uint64(0) >> (64 - 8*min(e.n, 8))
				if binary.LittleEndian.Uint64(text[start:])&mask != e.head {
					continue
				}
				if e.n > 8 && string(text[start+8:end]) != l.pats[e.pid][8:] {
					continue
				}
			} else if string(text[start:end]) != l.pats[e.pid] {
				continue
			}
			found(e.pid, start, end)
		}
	}
}

// holdsFolded reports whether a literal, all lower case, occurs in text
// with its ASCII letters lowered, without lowering the text: the probed
// windows are lowered as words. It is for sets without literals shorter
// than four bytes (short is nil) and for ASCII text.
func (l *literalSet) holdsFolded(text []byte) bool {
	if len(l.slots) == 0 {
		return false
	}
	l.foldOnce.Do(l.foldFilter)
	folded, shift := l.folded, l.foldShift
	for i := 0; i+gramLen <= len(text); i += l.stride {
		w := binary.LittleEndian.Uint32(text[i:])
		h := (w * 0x9e3779b1) >> shift
		if folded[h/64]&(1<<(h%64)) == 0 {
			continue
		}
		g := lowerWord(w)
		for _, e := range l.lookup(g) {
			start := i - int(e.off)
			end := start + int(e.n)
			if start >= 0 && end <= len(text) && equalLowered(text[start:end], l.pats[e.pid]) {
				return true
			}
		}
	}
	return false
}

// foldFilter fills the filter of every case variant of the windows.
func (l *literalSet) foldFilter() {
	var all []uint32
	for _, slot := range l.slots {
		if slot.end == 0 {
			continue
		}
		start := len(all)
		all = append(all, slot.gram)
		for k := range gramLen {
			if c := byte(slot.gram >> (8 * k)); 'a' <= c && c <= 'z' {
				for _, v := range all[start:] {
					all = append(all, v&^(0x20<<(8*k)))
				}
			}
		}
	}
	l.folded, l.foldShift = newWindowFilter(len(all))
	for _, v := range all {
		h := (v * 0x9e3779b1) >> l.foldShift
		l.folded[h/64] |= 1 << (h % 64)
	}
}

// lowerWord lowers the ASCII capitals among a word's four bytes.
func lowerWord(w uint32) uint32 { return uint32(lowerWord64(uint64(w))) }

// equalLowered reports whether text with its ASCII capitals lowered is low.
func equalLowered(text []byte, low string) bool {
	for i := range len(text) {
		if lowerASCII[text[i]&0x7f] != low[i] || text[i] >= 0x80 {
			return false
		}
	}
	return true
}
