package sigma

import (
	"regexp/syntax"
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
