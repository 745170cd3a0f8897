package sigma

import (
	"bytes"
	"math"
	"math/bits"
	"regexp"
	"regexp/syntax"
	"slices"
	"strings"
	"unicode"
)

// regexLiteral returns a literal that every match of the regular expression
// must contain, and whether it is matched case-insensitively; "" when there
// is none worth using (shorter than three bytes). The rule's other tests
// then run only on events holding the literal.
func regexLiteral(expr string) (lit string, foldCase bool) {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return "", false
	}
	best := requiredLiteral(re.Simplify())
	if len(best.s) < 3 {
		return "", false
	}
	if best.fold {
		return lowerString(best.s), true
	}
	return best.s, false
}

// regexHint is what a text must have for a regular expression to match in
// it, tested before running the expression: at least minLen bytes, and the
// literal lit (lowered when fold, to be found in the lowered text), and
// the bytes of run in a row. Run on every candidate event, Go's regexp
// costs about a microsecond even when the text cannot match; these tests
// cost a few nanoseconds.
type regexHint struct {
	lit    string
	fold   bool
	minLen int
	run    byteRun
}

func newRegexHint(re *regexp.Regexp) regexHint {
	parsed, err := syntax.Parse(re.String(), syntax.Perl)
	if err != nil {
		return regexHint{}
	}
	parsed = parsed.Simplify()
	l := requiredLiteral(parsed)
	h := regexHint{lit: l.s, fold: l.fold, minLen: minMatchLen(parsed)}
	// A run is tested when it rules out more than the literal does, and
	// more than one byte and a half would.
	h.run = requiredRun(parsed, max(1.5, float64(len(l.s)))*math.Log(256))
	if h.fold {
		h.lit = lowerString(h.lit)
		// (?i)s also matches the long s, which lowering leaves as it is.
		if strings.ContainsRune(h.lit, 's') {
			h.lit = ""
		}
	}
	return h
}

// admits reports whether a match is possible in text (low: text lowered).
func (h *regexHint) admits(text, low []byte) bool {
	if len(text) < h.minLen {
		return false
	}
	switch {
	case h.lit == "":
	case len(h.lit) == 1 && !h.fold:
		if bytes.IndexByte(text, h.lit[0]) < 0 {
			return false
		}
	case h.fold:
		if !bytes.Contains(low, []byte(h.lit)) {
			return false
		}
	case !bytes.Contains(text, []byte(h.lit)):
		return false
	}
	return h.run.in(text)
}

// byteRun is bytes a match holds in a row, each one of a set: in
// \\[a-z]{1,32}\.[a-z]{1,6}\.[ "'], a dot followed by a space or a quote.
// Such a pair rules out most texts that hold every literal of the
// expression.
type byteRun []byteSet

type byteSet [4]uint64

func (s *byteSet) has(c byte) bool { return s[c/64]&(1<<(c%64)) != 0 }

// in reports whether text holds the run (an empty run always).
func (r byteRun) in(text []byte) bool {
	if len(r) == 0 {
		return true
	}
	for i := 0; i+len(r) <= len(text); i++ {
		j := 0
		for j < len(r) && r[j].has(text[i+j]) {
			j++
		}
		if j == len(r) {
			return true
		}
	}
	return false
}

// maxRun is the longest run a hint tests.
const maxRun = 16

// requiredRun returns the rarest run of at most maxRun bytes, judging by
// the sizes of their sets, that every match of re (simplified) holds in a
// row; nil when none scores more than least (see byteRun.score). The
// run is read from the parts of the expression's top concatenation that
// match one ASCII byte each: a class of ASCII characters, or a literal
// matched as it is.
func requiredRun(re *syntax.Regexp, least float64) byteRun {
	subs := concatenated(re, nil)
	var best byteRun
	bestScore := least
	var run byteRun
	end := func() {
		for start := range run {
			w := run[start:min(start+maxRun, len(run))]
			if score := w.score(); score > bestScore {
				best, bestScore = slices.Clone(w), score
			}
		}
		run = run[:0]
	}
	for _, sub := range subs {
		switch sets, ok := oneByteSets(sub); {
		case ok:
			run = append(run, sets...)
		case sub.Op == syntax.OpPlus:
			// Its first match follows the run, its last precedes the next.
			if sets, ok := oneByteSets(sub.Sub[0]); ok {
				run = append(run, sets...)
				end()
				run = append(run, sets...)
				continue
			}
			end()
		default:
			end()
		}
	}
	end()
	return best
}

// concatenated appends the parts re matches one after the other, nested
// concatenations (as Simplify writes x{7,13}) and groups opened.
func concatenated(re *syntax.Regexp, parts []*syntax.Regexp) []*syntax.Regexp {
	switch re.Op {
	case syntax.OpCapture:
		return concatenated(re.Sub[0], parts)
	case syntax.OpConcat:
		for _, sub := range re.Sub {
			parts = concatenated(sub, parts)
		}
		return parts
	}
	return append(parts, re)
}

// score is how unlikely the run is at a place of random bytes, as a log:
// a literal of n bytes scores n*log(256).
func (r byteRun) score() float64 {
	s := 0.0
	for i := range r {
		n := 0
		for _, w := range r[i] {
			n += bits.OnesCount64(w)
		}
		s += math.Log(256 / float64(n))
	}
	return s
}

// oneByteSets returns the sets of the bytes that re matches, if it matches
// a fixed number of ASCII bytes, each from a set.
func oneByteSets(re *syntax.Regexp) ([]byteSet, bool) {
	switch re.Op {
	case syntax.OpLiteral:
		if re.Flags&syntax.FoldCase != 0 {
			return nil, false
		}
		var out []byteSet
		for _, r := range re.Rune {
			if r > unicode.MaxASCII {
				return nil, false
			}
			var s byteSet
			s[r/64] |= 1 << (r % 64)
			out = append(out, s)
		}
		return out, true
	case syntax.OpCharClass:
		var s byteSet
		for i := 0; i+1 < len(re.Rune); i += 2 {
			lo, hi := re.Rune[i], re.Rune[i+1]
			if hi > unicode.MaxASCII {
				return nil, false
			}
			for c := lo; c <= hi; c++ {
				s[c/64] |= 1 << (c % 64)
			}
		}
		return []byteSet{s}, true
	case syntax.OpConcat:
		var out []byteSet
		for _, sub := range re.Sub {
			sets, ok := oneByteSets(sub)
			if !ok {
				return nil, false
			}
			out = append(out, sets...)
		}
		return out, true
	case syntax.OpCapture:
		return oneByteSets(re.Sub[0])
	}
	return nil, false
}

// minMatchLen returns a lower bound of the length in bytes of a match of re
// (a rune counts one byte: a case variant may be shorter than the rune).
func minMatchLen(re *syntax.Regexp) int {
	switch re.Op {
	case syntax.OpLiteral:
		return len(re.Rune)
	case syntax.OpCharClass, syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		return 1
	case syntax.OpCapture, syntax.OpPlus:
		return minMatchLen(re.Sub[0])
	case syntax.OpRepeat:
		return re.Min * minMatchLen(re.Sub[0])
	case syntax.OpConcat:
		n := 0
		for _, sub := range re.Sub {
			n += minMatchLen(sub)
		}
		return n
	case syntax.OpAlternate:
		n := -1
		for _, sub := range re.Sub {
			if m := minMatchLen(sub); n < 0 || m < n {
				n = m
			}
		}
		return max(n, 0)
	}
	return 0
}

type reqLit struct {
	s    string
	fold bool
}

// requiredLiteral finds the longest literal a match of re must contain.
func requiredLiteral(re *syntax.Regexp) reqLit {
	switch re.Op {
	case syntax.OpLiteral:
		for _, r := range re.Rune {
			if r > unicode.MaxASCII {
				return reqLit{} // keep to ASCII: case folding is then exact
			}
		}
		return reqLit{s: string(re.Rune), fold: re.Flags&syntax.FoldCase != 0}
	case syntax.OpCapture:
		return requiredLiteral(re.Sub[0])
	case syntax.OpPlus:
		return requiredLiteral(re.Sub[0])
	case syntax.OpRepeat:
		if re.Min >= 1 {
			return requiredLiteral(re.Sub[0])
		}
	case syntax.OpConcat:
		// Adjacent literals join; otherwise the longest part wins.
		var best, run reqLit
		for _, sub := range re.Sub {
			if sub.Op == syntax.OpLiteral {
				l := requiredLiteral(sub)
				if l.s != "" && (run.s == "" || run.fold == l.fold) {
					run.s += l.s
					run.fold = l.fold
					continue
				}
			}
			if len(run.s) > len(best.s) {
				best = run
			}
			run = reqLit{}
			if l := requiredLiteral(sub); len(l.s) > len(best.s) {
				best = l
			}
		}
		if len(run.s) > len(best.s) {
			best = run
		}
		return best
	}
	return reqLit{}
}
