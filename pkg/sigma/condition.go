package sigma

import (
	"fmt"
	"strings"
)

// parseCondition parses a Sigma condition into an expression over the
// searches. search returns the compiled search of an identifier.
//
// Precedence, loosest first: or, and, not, "x of", parentheses.
func parseCondition(cond string, names []string, search func(string) (expr, error)) (expr, error) {
	if strings.Contains(cond, "|") {
		return nil, unsupported("aggregation in condition %q (deprecated; use a correlation rule)", cond)
	}
	p := &condParser{toks: tokenize(cond), names: names, search: search}
	e, err := p.or()
	if err != nil {
		return nil, fmt.Errorf("condition %q: %w", cond, err)
	}
	if p.pos < len(p.toks) {
		return nil, fmt.Errorf("condition %q: unexpected %q", cond, p.toks[p.pos])
	}
	return e, nil
}

func tokenize(s string) []string {
	var toks []string
	cur := strings.Builder{}
	flush := func() {
		if cur.Len() > 0 {
			toks = append(toks, cur.String())
			cur.Reset()
		}
	}
	for _, r := range s {
		switch {
		case r == '(' || r == ')':
			flush()
			toks = append(toks, string(r))
		case r == ' ' || r == '\t' || r == '\n' || r == '\r':
			flush()
		default:
			cur.WriteRune(r)
		}
	}
	flush()
	return toks
}

type condParser struct {
	toks   []string
	pos    int
	names  []string
	search func(string) (expr, error)
}

func (p *condParser) peek() string {
	if p.pos < len(p.toks) {
		return p.toks[p.pos]
	}
	return ""
}

func (p *condParser) is(word string) bool { return strings.EqualFold(p.peek(), word) }

func (p *condParser) or() (expr, error) {
	x, err := p.and()
	if err != nil {
		return nil, err
	}
	xs := orExpr{x}
	for p.is("or") {
		p.pos++
		y, err := p.and()
		if err != nil {
			return nil, err
		}
		xs = append(xs, y)
	}
	if len(xs) == 1 {
		return x, nil
	}
	return xs, nil
}

func (p *condParser) and() (expr, error) {
	x, err := p.not()
	if err != nil {
		return nil, err
	}
	xs := andExpr{x}
	for p.is("and") {
		p.pos++
		y, err := p.not()
		if err != nil {
			return nil, err
		}
		xs = append(xs, y)
	}
	if len(xs) == 1 {
		return x, nil
	}
	return xs, nil
}

func (p *condParser) not() (expr, error) {
	if p.is("not") {
		p.pos++
		x, err := p.not()
		if err != nil {
			return nil, err
		}
		return notExpr{x}, nil
	}
	return p.primary()
}

func (p *condParser) primary() (expr, error) {
	tok := p.peek()
	switch {
	case tok == "":
		return nil, fmt.Errorf("unexpected end")
	case tok == "(":
		p.pos++
		x, err := p.or()
		if err != nil {
			return nil, err
		}
		if p.peek() != ")" {
			return nil, fmt.Errorf("missing )")
		}
		p.pos++
		return x, nil
	case tok == ")":
		return nil, fmt.Errorf("unexpected )")
	case p.pos+1 < len(p.toks) && strings.EqualFold(p.toks[p.pos+1], "of"):
		return p.quantified()
	}
	for _, kw := range []string{"and", "or", "of", "them"} {
		if strings.EqualFold(tok, kw) {
			return nil, fmt.Errorf("unexpected %q", tok)
		}
	}
	p.pos++
	return p.search(tok)
}

// quantified parses "1 of pattern", "all of them" and the like.
func (p *condParser) quantified() (expr, error) {
	q := strings.ToLower(p.toks[p.pos])
	p.pos += 2
	if p.pos >= len(p.toks) {
		return nil, fmt.Errorf("missing search pattern after %q of", q)
	}
	pat := p.toks[p.pos]
	p.pos++
	var xs []expr
	for _, name := range p.names {
		if strings.EqualFold(pat, "them") {
			if strings.HasPrefix(name, "_") {
				continue
			}
		} else if !parseGlob(pat).match(name) {
			continue
		}
		x, err := p.search(name)
		if err != nil {
			return nil, err
		}
		xs = append(xs, x)
	}
	if len(xs) == 0 {
		return nil, fmt.Errorf("no search identifier matches %q", pat)
	}
	switch q {
	case "1", "any":
		return orExpr(xs), nil
	case "all":
		return andExpr(xs), nil
	}
	return nil, fmt.Errorf("unsupported quantifier %q (want 1, any or all)", q)
}
