package sigma

import (
	"cmp"
	"slices"
)

// program is detections bound to a source, compiled for matching: their
// nodes laid out depth first in one array, each knowing where its subtree
// ends, so that evaluating a rule reads adjacent memory rather than a tree
// of pointers spread over the heap. The kids of an "and" or an "or" are
// ordered cheapest first: literal hits before field tests, regular
// expressions last.
type program struct {
	code  []instr
	tests []*boundTest
}

// instr is one node of a program.
type instr struct {
	kind nodeKind
	need uint8 // nodeLit: hit flags required
	end  int32 // the index after the node's subtree
	arg  int32 // nodeLit: pattern id; nodeTest: index in tests
}

// add compiles n into the program and returns the index of its root.
func (p *program) add(n *node) int32 {
	at := int32(len(p.code))
	p.code = append(p.code, instr{kind: n.kind})
	switch n.kind {
	case nodeLit:
		p.code[at].need, p.code[at].arg = n.need, n.pid
	case nodeTest:
		p.code[at].arg = int32(len(p.tests))
		p.tests = append(p.tests, n.test)
	case nodeAnd, nodeOr, nodeNot:
		kids := slices.Clone(n.kids)
		slices.SortStableFunc(kids, func(a, b *node) int { return cmp.Compare(cost(a), cost(b)) })
		for _, k := range kids {
			p.add(k)
		}
	}
	p.code[at].end = int32(len(p.code))
	return at
}

// cost ranks what evaluating a node may cost, for ordering kids.
func cost(n *node) int {
	switch n.kind {
	case nodeTrue, nodeFalse, nodeLit:
		return 1
	case nodeTest:
		switch n.test.t.op {
		case opExists:
			return 2
		case opRegex:
			return 64
		}
		return 8
	}
	c := 0
	for _, k := range n.kids {
		c += cost(k)
	}
	return min(c, 1<<20)
}

// run evaluates the program's node at index at for the event.
func (m *Matcher) run(p *program, at int32) bool {
	in := &p.code[at]
	switch in.kind {
	case nodeLit:
		return m.hit(in)
	case nodeAnd:
		for k := at + 1; k < in.end; k = p.code[k].end {
			if kid := &p.code[k]; kid.kind == nodeLit {
				if !m.hit(kid) {
					return false
				}
			} else if !m.run(p, k) {
				return false
			}
		}
		return true
	case nodeOr:
		for k := at + 1; k < in.end; k = p.code[k].end {
			if kid := &p.code[k]; kid.kind == nodeLit {
				if m.hit(kid) {
					return true
				}
			} else if m.run(p, k) {
				return true
			}
		}
		return false
	case nodeNot:
		return !m.run(p, at+1)
	case nodeTrue:
		return true
	case nodeFalse:
		return false
	}
	return m.evalTest(p.tests[in.arg])
}

// hit reports whether a literal node's pattern occurred as it needs.
func (m *Matcher) hit(in *instr) bool {
	h := &m.lits[in.arg]
	return h.epoch == m.epoch && h.flags&in.need != 0
}
