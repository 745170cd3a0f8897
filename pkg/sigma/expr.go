package sigma

import (
	"net/netip"
	"regexp"
	"strings"
	"unicode/utf8"
	"unsafe"
)

// expr is a detection compiled to a boolean expression over field tests,
// before it is bound to the fields of an event shape.
type expr interface{}

type andExpr []expr
type orExpr []expr
type notExpr struct{ x expr }
type constExpr bool

// op is what a field test does with the field's value.
type op uint8

const (
	opMatch    op = iota // the value matches a glob (plain values, contains, startswith, endswith)
	opRegex              // re
	opCIDR               // cidr
	opNumCmp             // gt, gte, lt, lte
	opExists             // exists
	opNull               // the field is null or absent
	opFieldRef           // fieldref: equal to another field of the event
	opTimePart           // minute, hour, day, week, month, year
)

// fieldTest tests one field against one value.
type fieldTest struct {
	field string // Sigma field name; "" searches every string of the event (keywords)
	op    op

	glob   glob // opMatch; also the referenced field's match shape for opFieldRef
	low    glob // opMatch, case-insensitive: glob lowered, matched against lowered values
	cased  bool
	re     *regexp.Regexp
	reHint regexHint // opRegex: what a text needs for re to match
	net    netip.Prefix
	cmp    string // gt, gte, lt, lte, or eq for opTimePart
	num    float64
	part   string // opTimePart: minute, hour, ...
	exist  bool   // opExists: true for exists, false for must not exist
	ref    string // opFieldRef: the other field
}

// glob is a Sigma string value: literal text with * and ? wildcards.
type glob struct {
	toks []globTok
}

type globTok struct {
	lit  string
	wild byte // '*' or '?' for a wildcard token, 0 for a literal
}

// shape tells how a glob can be matched.
type shape uint8

const (
	shapeExact    shape = iota // lit
	shapePrefix                // lit*
	shapeSuffix                // *lit
	shapeContains              // *lit*
	shapeAny                   // *
	shapeGlob                  // anything else
)

// parseGlob reads a Sigma string value: * and ? are wildcards; a backslash
// escapes *, ? and itself; any other backslash is literal.
func parseGlob(s string) glob {
	var g glob
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			g.toks = append(g.toks, globTok{lit: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '\\':
			if i+1 < len(s) && (s[i+1] == '*' || s[i+1] == '?' || s[i+1] == '\\') {
				lit.WriteByte(s[i+1])
				i++
			} else {
				lit.WriteByte('\\')
			}
		case '*', '?':
			flush()
			if c == '*' && len(g.toks) > 0 && g.toks[len(g.toks)-1].wild == '*' {
				continue // ** is *
			}
			g.toks = append(g.toks, globTok{wild: c})
		default:
			lit.WriteByte(c)
		}
	}
	flush()
	return g
}

// literalGlob is a glob matching s exactly.
func literalGlob(s string) glob {
	if s == "" {
		return glob{}
	}
	return glob{toks: []globTok{{lit: s}}}
}

func (g glob) withStar(before, after bool) glob {
	var toks []globTok
	if before && (len(g.toks) == 0 || g.toks[0].wild != '*') {
		toks = append(toks, globTok{wild: '*'})
	}
	toks = append(toks, g.toks...)
	if after && (len(toks) == 0 || toks[len(toks)-1].wild != '*') {
		toks = append(toks, globTok{wild: '*'})
	}
	return glob{toks: toks}
}

// shape returns how g can be matched and its literal for the simple shapes.
func (g glob) shape() (shape, string) {
	t := g.toks
	switch {
	case len(t) == 0:
		return shapeExact, ""
	case len(t) == 1 && t[0].wild == 0:
		return shapeExact, t[0].lit
	case len(t) == 1 && t[0].wild == '*':
		return shapeAny, ""
	case len(t) == 2 && t[0].wild == 0 && t[1].wild == '*':
		return shapePrefix, t[0].lit
	case len(t) == 2 && t[0].wild == '*' && t[1].wild == 0:
		return shapeSuffix, t[1].lit
	case len(t) == 3 && t[0].wild == '*' && t[1].wild == 0 && t[2].wild == '*':
		return shapeContains, t[1].lit
	}
	return shapeGlob, ""
}

// longestLiteral returns the glob's longest literal part, which any match contains.
func (g glob) longestLiteral() string {
	best := ""
	for _, t := range g.toks {
		if t.wild == 0 && len(t.lit) > len(best) {
			best = t.lit
		}
	}
	return best
}

func (g glob) lower() glob {
	out := glob{toks: make([]globTok, len(g.toks))}
	for i, t := range g.toks {
		out.toks[i] = globTok{lit: lowerString(t.lit), wild: t.wild}
	}
	return out
}

func (g glob) String() string {
	var b strings.Builder
	for _, t := range g.toks {
		if t.wild != 0 {
			b.WriteByte(t.wild)
		} else {
			b.WriteString(t.lit)
		}
	}
	return b.String()
}

// match reports whether s matches g (case as given: lower both for a
// case-insensitive match). ? matches one character (a UTF-8 sequence).
func (g glob) match(s string) bool {
	return matchToks(g.toks, s)
}

// matchBytes is match for an event's text, read in place: string(b) would
// copy every text longer than 32 bytes to the heap. matchToks keeps
// nothing of the string it is given.
func (g glob) matchBytes(b []byte) bool {
	return matchToks(g.toks, unsafe.String(unsafe.SliceData(b), len(b)))
}

func matchToks(toks []globTok, s string) bool {
	for len(toks) > 0 {
		t := toks[0]
		switch t.wild {
		case 0:
			if !strings.HasPrefix(s, t.lit) {
				return false
			}
			s = s[len(t.lit):]
		case '?':
			if s == "" {
				return false
			}
			_, size := utf8.DecodeRuneInString(s)
			s = s[size:]
		case '*':
			rest := toks[1:]
			if len(rest) == 0 {
				return true
			}
			// Skip ahead to each place the next literal occurs.
			if rest[0].wild == 0 {
				lit := rest[0].lit
				for i := 0; ; {
					j := strings.Index(s[i:], lit)
					if j < 0 {
						return false
					}
					if matchToks(rest[1:], s[i+j+len(lit):]) {
						return true
					}
					i += j + 1
				}
			}
			for i := 0; i <= len(s); i++ {
				if matchToks(rest, s[i:]) {
					return true
				}
			}
			return false
		}
		toks = toks[1:]
	}
	return s == ""
}
