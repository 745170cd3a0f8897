package sigma

// ahoCorasick finds every occurrence, overlapping ones included, of a set of
// byte strings in one pass over a text: the literal values of all the rules
// that test a field are matched together, whatever their number.
//
// It is written here rather than imported because the engine needs every
// overlapping match reported through a callback without allocating per
// search; github.com/coregx/ahocorasick (v0.3.1) returns a new slice per call.
type ahoCorasick struct {
	class  [256]uint8
	nclass int
	// trans is a full DFA: at a state's offset (state*nclass) plus a byte's
	// class, the next state's offset, complemented (negative) when patterns
	// end at that state, so that a byte costs two loads.
	trans    []int32
	outStart []int32 // per state, its slice of outList (patterns ending there)
	outList  []int32
	length   []int32 // pattern lengths
}

func newAhoCorasick(patterns []string) *ahoCorasick {
	a := &ahoCorasick{length: make([]int32, len(patterns))}
	// Byte classes: each byte used by a pattern is its own class; all
	// other bytes share class 0. With more than 255 distinct bytes, every
	// byte is its own class.
	var used [256]bool
	distinct := 0
	for _, p := range patterns {
		for i := 0; i < len(p); i++ {
			if !used[p[i]] {
				used[p[i]] = true
				distinct++
			}
		}
	}
	n := 1
	for b := 0; b < 256; b++ {
		switch {
		case distinct > 255:
			a.class[b] = uint8(b)
			n = 256
		case used[b]:
			a.class[b] = uint8(n)
			n++
		}
	}
	a.nclass = n
	// The trie, first with sparse edges to count its states, then laid out
	// as a dense table with -1 for absent edges.
	type edge struct {
		class uint8
		to    int32
	}
	children := [][]edge{nil}
	var outs [][]int32
	outs = append(outs, nil)
	for pid, p := range patterns {
		a.length[pid] = int32(len(p))
		s := int32(0)
		for i := 0; i < len(p); i++ {
			c := a.class[p[i]]
			next := int32(-1)
			for _, e := range children[s] {
				if e.class == c {
					next = e.to
					break
				}
			}
			if next < 0 {
				next = int32(len(outs))
				outs = append(outs, nil)
				children = append(children, nil)
				children[s] = append(children[s], edge{c, next})
			}
			s = next
		}
		outs[s] = append(outs[s], int32(pid))
	}
	trans := make([]int32, len(outs)*n)
	for i := range trans {
		trans[i] = -1
	}
	for s, es := range children {
		for _, e := range es {
			trans[s*n+int(e.class)] = e.to
		}
	}
	children = nil
	// Failure links in breadth-first order turn the trie into a DFA; each
	// state's outputs take in those of its failure state.
	fail := make([]int32, len(outs))
	queue := make([]int32, 0, len(outs))
	for c := 0; c < n; c++ {
		if next := trans[c]; next > 0 {
			fail[next] = 0
			queue = append(queue, next)
		} else {
			trans[c] = 0
		}
	}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		outs[s] = append(outs[s], outs[fail[s]]...)
		for c := 0; c < n; c++ {
			next := trans[s*int32(n)+int32(c)]
			if next < 0 {
				trans[s*int32(n)+int32(c)] = trans[fail[s]*int32(n)+int32(c)]
				continue
			}
			fail[next] = trans[fail[s]*int32(n)+int32(c)]
			queue = append(queue, next)
		}
	}
	for i, to := range trans {
		trans[i] = to * int32(n)
		if len(outs[to]) > 0 {
			trans[i] = ^trans[i]
		}
	}
	a.trans = trans
	a.outStart = make([]int32, len(outs)+1)
	for s, o := range outs {
		a.outStart[s] = int32(len(a.outList))
		a.outList = append(a.outList, o...)
	}
	a.outStart[len(outs)] = int32(len(a.outList))
	return a
}

// scan calls found for each occurrence of a pattern in text.
func (a *ahoCorasick) scan(text []byte, found func(pid int32, start, end int)) {
	off := int32(0)
	trans, class := a.trans, &a.class
	for i, b := range text {
		off = trans[off+int32(class[b])]
		if off < 0 {
			off = ^off
			s := off / int32(a.nclass)
			for _, pid := range a.outList[a.outStart[s]:a.outStart[s+1]] {
				found(pid, i+1-int(a.length[pid]), i+1)
			}
		}
	}
}
