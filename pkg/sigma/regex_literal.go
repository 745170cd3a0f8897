package sigma

import (
	"bytes"
	"regexp"
	"regexp/syntax"
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
// literal lit (lowered when fold, to be found in the lowered text). Run on
// every candidate event, Go's regexp costs about a microsecond even when
// the text cannot match; these tests cost a few nanoseconds.
type regexHint struct {
	lit    string
	fold   bool
	minLen int
}

func newRegexHint(re *regexp.Regexp) regexHint {
	parsed, err := syntax.Parse(re.String(), syntax.Perl)
	if err != nil {
		return regexHint{}
	}
	parsed = parsed.Simplify()
	l := requiredLiteral(parsed)
	h := regexHint{lit: l.s, fold: l.fold, minLen: minMatchLen(parsed)}
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
		return true
	case len(h.lit) == 1 && !h.fold:
		return bytes.IndexByte(text, h.lit[0]) >= 0
	case h.fold:
		return bytes.Contains(low, []byte(h.lit))
	}
	return bytes.Contains(text, []byte(h.lit))
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
