package sigma

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf16"

	yaml "go.yaml.in/yaml/v3"
)

// UnsupportedError reports a rule feature this engine does not implement,
// such as a regular expression construct RE2 lacks.
type UnsupportedError struct{ Feature string }

func (e *UnsupportedError) Error() string { return "unsupported: " + e.Feature }

func unsupported(format string, args ...any) error {
	return &UnsupportedError{Feature: fmt.Sprintf(format, args...)}
}

// compileDetection compiles a detection section to one expression.
func compileDetection(d *Detection, placeholders map[string][]string) (expr, error) {
	cache := map[string]expr{}
	search := func(name string) (expr, error) {
		if x, ok := cache[name]; ok {
			return x, nil
		}
		n, ok := d.Searches[name]
		if !ok {
			return nil, fmt.Errorf("condition names %q, which the detection does not define", name)
		}
		x, err := compileSearch(n, placeholders)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		cache[name] = x
		return x, nil
	}
	var conds orExpr
	for _, c := range d.Conditions {
		x, err := parseCondition(c, d.Order, search)
		if err != nil {
			return nil, err
		}
		conds = append(conds, x)
	}
	if len(conds) == 1 {
		return conds[0], nil
	}
	return conds, nil
}

// compileSearch compiles one search identifier's value: a map (AND of its
// fields), a list of maps (OR), or a list of keywords (OR).
func compileSearch(n *yaml.Node, ph map[string][]string) (expr, error) {
	switch n.Kind {
	case yaml.MappingNode:
		var xs andExpr
		for i := 0; i+1 < len(n.Content); i += 2 {
			x, err := compileField(n.Content[i].Value, n.Content[i+1], ph)
			if err != nil {
				return nil, err
			}
			xs = append(xs, x)
		}
		if len(xs) == 1 {
			return xs[0], nil
		}
		return xs, nil
	case yaml.SequenceNode:
		var xs orExpr
		var keywords []*yaml.Node
		for _, item := range n.Content {
			switch item.Kind {
			case yaml.MappingNode:
				x, err := compileSearch(item, ph)
				if err != nil {
					return nil, err
				}
				xs = append(xs, x)
			case yaml.ScalarNode:
				keywords = append(keywords, item)
			default:
				return nil, errors.New("a list item must be a map or a keyword")
			}
		}
		if len(keywords) > 0 {
			x, err := compileValues("", nil, &yaml.Node{Kind: yaml.SequenceNode, Content: keywords}, ph)
			if err != nil {
				return nil, err
			}
			xs = append(xs, x)
		}
		if len(xs) == 1 {
			return xs[0], nil
		}
		return xs, nil
	case yaml.ScalarNode:
		return compileValues("", nil, n, ph)
	}
	return nil, errors.New("a search must be a map or a list")
}

// compileField compiles "Field|mod|mod: value(s)".
func compileField(key string, v *yaml.Node, ph map[string][]string) (expr, error) {
	parts := strings.Split(key, "|")
	return compileValues(parts[0], parts[1:], v, ph)
}

// sigmaValue is one value of a rule, after transformations.
type sigmaValue struct {
	s       string
	null    bool
	encoded bool // produced by an encoding: its bytes are literal, not a glob
}

func compileValues(field string, mods []string, v *yaml.Node, ph map[string][]string) (expr, error) {
	var raw []*yaml.Node
	switch v.Kind {
	case yaml.ScalarNode:
		raw = []*yaml.Node{v}
	case yaml.SequenceNode:
		raw = v.Content
	default:
		return nil, fmt.Errorf("field %q: value must be a scalar or a list of scalars", field)
	}
	var vals []sigmaValue
	for _, r := range raw {
		if r.Kind != yaml.ScalarNode {
			return nil, fmt.Errorf("field %q: nested values are not allowed", field)
		}
		vals = append(vals, sigmaValue{s: r.Value, null: r.Tag == "!!null"})
	}

	var all, cased, contains, startswith, endswith, neq bool
	var typ string
	var reFlags string
	for _, m := range mods {
		var err error
		switch m {
		case "all":
			all = true
		case "cased":
			cased = true
		case "contains":
			contains = true
		case "startswith":
			startswith = true
		case "endswith":
			endswith = true
		case "neq":
			neq = true
		case "i", "ignorecase":
			reFlags += "i"
		case "m", "multiline":
			reFlags += "m"
		case "s", "dotall":
			reFlags += "s"
		case "windash":
			vals = mapValues(vals, windash)
		case "base64":
			vals = mapValues(vals, func(s string) []string { return []string{base64.StdEncoding.EncodeToString([]byte(s))} })
			markEncoded(vals)
		case "base64offset":
			vals = mapValues(vals, base64Offsets)
			markEncoded(vals)
		case "utf16le", "wide":
			vals = mapValues(vals, func(s string) []string { return []string{utf16Bytes(s, false, false)} })
			markEncoded(vals)
		case "utf16be":
			vals = mapValues(vals, func(s string) []string { return []string{utf16Bytes(s, true, false)} })
			markEncoded(vals)
		case "utf16":
			vals = mapValues(vals, func(s string) []string { return []string{utf16Bytes(s, false, true)} })
			markEncoded(vals)
		case "expand":
			vals, err = expandPlaceholders(vals, ph)
		case "re", "cidr", "gt", "gte", "lt", "lte", "exists", "fieldref",
			"minute", "hour", "day", "week", "month", "year":
			if typ != "" {
				return nil, fmt.Errorf("field %q: modifiers %q and %q cannot be combined", field, typ, m)
			}
			typ = m
		default:
			return nil, unsupported("modifier %q", m)
		}
		if err != nil {
			return nil, err
		}
	}
	if reFlags != "" && typ != "re" {
		return nil, fmt.Errorf("field %q: regular expression flags need the re modifier", field)
	}
	if all && len(vals) < 2 && typ != "" {
		// The spec forbids |all on one value; it is harmless, so accept it.
		all = false
	}

	tests := make([]expr, 0, len(vals))
	for _, val := range vals {
		t := &fieldTest{field: field, cased: cased}
		switch {
		case typ == "exists":
			b, err := strconv.ParseBool(val.s)
			if err != nil {
				return nil, fmt.Errorf("field %q: exists takes true or false", field)
			}
			t.op, t.exist = opExists, b
		case val.null:
			if typ != "" || contains || startswith || endswith {
				return nil, fmt.Errorf("field %q: null cannot take modifiers", field)
			}
			t.op = opNull
		case typ == "re":
			re, err := compileRegex(val.s, reFlags)
			if err != nil {
				return nil, fmt.Errorf("field %q: %w", field, err)
			}
			t.op, t.re, t.reHint = opRegex, re, newRegexHint(re)
		case typ == "cidr":
			p, err := parseCIDR(val.s)
			if err != nil {
				return nil, fmt.Errorf("field %q: %w", field, err)
			}
			t.op, t.net = opCIDR, p
		case typ == "gt" || typ == "gte" || typ == "lt" || typ == "lte":
			f, err := strconv.ParseFloat(strings.TrimSpace(val.s), 64)
			if err != nil {
				return nil, fmt.Errorf("field %q: %s needs a number, not %q", field, typ, val.s)
			}
			t.op, t.cmp, t.num = opNumCmp, typ, f
		case typ == "fieldref":
			t.op, t.ref = opFieldRef, val.s
			t.glob = literalGlob("").withStar(endswith || contains, startswith || contains)
		case typ != "":
			f, err := strconv.ParseFloat(strings.TrimSpace(val.s), 64)
			if err != nil {
				return nil, fmt.Errorf("field %q: %s needs a number, not %q", field, typ, val.s)
			}
			t.op, t.part, t.num, t.cmp = opTimePart, typ, f, "eq"
		default:
			g := literalGlob(val.s)
			if !val.encoded {
				g = parseGlob(val.s)
			}
			if field == "" && !startswith && !endswith {
				contains = true // keywords match anywhere in a value
			}
			t.op, t.glob = opMatch, g.withStar(contains || endswith, contains || startswith)
			if !cased {
				t.low = t.glob.lower()
			}
		}
		tests = append(tests, t)
	}
	if len(tests) == 0 {
		return constExpr(false), nil
	}
	var x expr
	switch {
	case len(tests) == 1:
		x = tests[0]
	case all:
		x = andExpr(tests)
	default:
		x = orExpr(tests)
	}
	if neq {
		x = notExpr{x}
	}
	return x, nil
}

func mapValues(vals []sigmaValue, f func(string) []string) []sigmaValue {
	var out []sigmaValue
	for _, v := range vals {
		if v.null {
			out = append(out, v)
			continue
		}
		for _, s := range f(v.s) {
			out = append(out, sigmaValue{s: s, encoded: v.encoded})
		}
	}
	return out
}

func markEncoded(vals []sigmaValue) {
	for i := range vals {
		vals[i].encoded = true
	}
}

// windashChars are the characters windash makes interchangeable.
var windashChars = []string{"-", "/", "–", "—", "―"}

// windash returns every variant of s with each option dash ("-" or "/" at
// the start of a word: " -enc", "/c") replaced by each windash character.
func windash(s string) []string {
	type pos struct{ at, size int }
	var positions []pos
	for i := 0; i < len(s); {
		for _, d := range windashChars {
			if strings.HasPrefix(s[i:], d) && (i == 0 || !isWordByte(s[i-1])) && i+len(d) < len(s) && isWordByte(s[i+len(d)]) {
				positions = append(positions, pos{i, len(d)})
				i += len(d) - 1
				break
			}
		}
		i++
	}
	if len(positions) == 0 || len(positions) > 6 {
		return []string{s}
	}
	out := []string{""}
	last := 0
	for _, p := range positions {
		var next []string
		for _, prefix := range out {
			for _, d := range windashChars {
				next = append(next, prefix+s[last:p.at]+d)
			}
		}
		out = next
		last = p.at + p.size
	}
	for i := range out {
		out[i] += s[last:]
	}
	return out
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}

// base64Offsets returns the three encodings of s at byte offsets 0, 1 and 2
// of a longer base64 text, cut to the characters that do not depend on the
// neighbouring bytes.
func base64Offsets(s string) []string {
	starts := []int{0, 2, 3}
	ends := []int{0, 3, 2}
	out := make([]string, 0, 3)
	for i := 0; i < 3; i++ {
		enc := base64.StdEncoding.EncodeToString([]byte(strings.Repeat(" ", i) + s))
		end := len(enc)
		if cut := ends[(len(s)+i)%3]; cut > 0 {
			end -= cut
		}
		if starts[i] < end {
			out = append(out, enc[starts[i]:end])
		}
	}
	return out
}

func utf16Bytes(s string, bigEndian, bom bool) string {
	var b []byte
	if bom {
		b = append(b, 0xff, 0xfe)
	}
	for _, u := range utf16.Encode([]rune(s)) {
		if bigEndian {
			b = append(b, byte(u>>8), byte(u))
		} else {
			b = append(b, byte(u), byte(u>>8))
		}
	}
	return string(b)
}

// expandPlaceholders replaces %name% placeholders by their configured values.
func expandPlaceholders(vals []sigmaValue, ph map[string][]string) ([]sigmaValue, error) {
	var out []sigmaValue
	for _, v := range vals {
		expanded := []string{""}
		s := v.s
		for s != "" {
			i := strings.IndexByte(s, '%')
			if i < 0 {
				break
			}
			if i > 0 && s[i-1] == '\\' {
				// An escaped percent sign is plain.
				for k := range expanded {
					expanded[k] += s[:i-1] + "%"
				}
				s = s[i+1:]
				continue
			}
			j := strings.IndexByte(s[i+1:], '%')
			if j < 0 {
				break
			}
			name := s[i+1 : i+1+j]
			values, ok := ph[name]
			if !ok {
				return nil, unsupported("placeholder %%%s%% has no values (define it with --placeholder %s=VALUE,...)", name, name)
			}
			var next []string
			for _, prefix := range expanded {
				for _, pv := range values {
					next = append(next, prefix+s[:i]+pv)
				}
			}
			expanded = next
			s = s[i+2+j:]
		}
		for _, e := range expanded {
			out = append(out, sigmaValue{s: e + s})
		}
	}
	return out, nil
}

// compileRegex compiles a Sigma regular expression (PCRE subset) with RE2.
func compileRegex(s, flags string) (*regexp.Regexp, error) {
	prefix := ""
	if flags != "" {
		prefix = "(?" + flags + ")"
	}
	re, err := regexp.Compile(prefix + s)
	if err != nil {
		// RE2 lacks look-around and back-references, which PCRE rules may use.
		return nil, unsupported("regular expression %q: %v", s, err)
	}
	return re, nil
}

func parseCIDR(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if !strings.Contains(s, "/") {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("invalid CIDR %q", s)
		}
		return netip.PrefixFrom(a, a.BitLen()), nil
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("invalid CIDR %q", s)
	}
	return p.Masked(), nil
}
