package enrich

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

type stixObject struct {
	Type         string            `json:"type"`
	ID           string            `json:"id"`
	Name         string            `json:"name"`
	Description  string            `json:"description"`
	Pattern      string            `json:"pattern"`
	PatternType  string            `json:"pattern_type"`
	ValidFrom    string            `json:"valid_from"`
	ValidUntil   string            `json:"valid_until"`
	Confidence   *int              `json:"confidence"`
	CreatedByRef string            `json:"created_by_ref"`
	Revoked      bool              `json:"revoked"`
	Objects      []json.RawMessage `json:"objects"`
	ExternalRefs []struct {
		URL string `json:"url"`
	} `json:"external_references"`
}

// stix reads a STIX 2.1 bundle (or one indicator object): its indicators
// whose patterns compare ipv4-addr, ipv6-addr, domain-name and url values
// or file hashes, joined by OR. Patterns that need several observations
// together (AND, FOLLOWEDBY) cannot be matched one value at a time and are
// reported.
func (l *loader) stix(path string, data []byte) {
	var top stixObject
	if err := json.Unmarshal(data, &top); err != nil {
		l.bad(path, 0, "not a STIX bundle: %v", err)
		return
	}
	var objs []stixObject
	if top.Type == "bundle" {
		for _, raw := range top.Objects {
			var o stixObject
			if err := json.Unmarshal(raw, &o); err != nil {
				l.bad(path, lineOf(data, raw), "not a STIX object: %v", err)
				continue
			}
			objs = append(objs, o)
		}
	} else if top.Type == "indicator" {
		objs = []stixObject{top}
	} else {
		l.bad(path, 0, "not a STIX bundle (type %q)", top.Type)
		return
	}
	identities := map[string]string{}
	for _, o := range objs {
		if o.Type == "identity" && o.Name != "" {
			identities[o.ID] = o.Name
		}
	}
	fileProvider := l.intern(providerOf(path))
	for _, o := range objs {
		if o.Type != "indicator" || o.Revoked {
			continue
		}
		line := lineOf(data, []byte(`"`+o.ID+`"`))
		where := o.ID
		if o.PatternType != "" && o.PatternType != "stix" {
			l.bad(path, line, "%s: pattern_type %q: only stix patterns are read", where, o.PatternType)
			continue
		}
		base := Record{Provider: fileProvider, Name: l.intern(o.Name), Score: DefaultScore}
		if p, ok := identities[o.CreatedByRef]; ok {
			base.Provider = l.intern(p)
		}
		if o.Confidence != nil && *o.Confidence > 0 {
			base.Score = min(100, *o.Confidence)
		}
		if len(o.ExternalRefs) > 0 {
			base.Reference = o.ExternalRefs[0].URL
		}
		var err error
		if o.ValidFrom != "" {
			if base.ValidFrom, err = parseTime(o.ValidFrom); err != nil {
				l.bad(path, line, "%s: valid_from: %v", where, err)
				continue
			}
		}
		if o.ValidUntil != "" {
			if base.ValidUntil, err = parseTime(o.ValidUntil); err != nil {
				l.bad(path, line, "%s: valid_until: %v", where, err)
				continue
			}
			if base.ValidUntil <= l.now {
				continue // expired
			}
		}
		atoms, err := parseSTIXPattern(o.Pattern)
		if err != nil {
			l.bad(path, line, "%s: pattern %s: %v", where, o.Pattern, err)
			continue
		}
		for _, a := range atoms {
			k, v, err := parseValue(a.value, a.kind)
			if err != nil {
				l.bad(path, line, "%s: %v", where, err)
				continue
			}
			in := base
			in.Kind, in.Value = k, v
			l.add(in)
		}
	}
}

// lineOf returns the line of the first occurrence of part in data (1 when
// not found).
func lineOf(data, part []byte) int {
	i := bytes.Index(data, part)
	if i < 0 {
		return 1
	}
	return bytes.Count(data[:i], []byte("\n")) + 1
}

type stixAtom struct {
	kind  Kind
	value string
}

// parseSTIXPattern reads patterns such as
//
//	[ipv4-addr:value = '198.51.100.1' OR ipv4-addr:value ISSUBSET '203.0.113.0/24']
//	[file:hashes.'SHA-256' = 'aec07...'] OR ([domain-name:value = 'evil.example'])
//
// into the values any one of which matches. What a lookup of one value
// at a time cannot honour is an error, so that the indicator is skipped
// rather than half-matched: AND (all comparisons of one object, or all
// observations), FOLLOWEDBY (observations in order) and the qualifiers
// WITHIN, REPEATS and START ... STOP (several events, or a time span).
// Parentheses group; with OR alone they change nothing.
func parseSTIXPattern(p string) ([]stixAtom, error) {
	s := &stixScanner{s: p}
	var atoms []stixAtom
	depth := 0 // parentheses open around observations
	for {
		for s.eat("(") {
			depth++
		}
		if !s.eat("[") {
			return nil, fmt.Errorf("want '[' at offset %d", s.i)
		}
		inner := 0 // parentheses open within the observation
		for {
			for s.eat("(") {
				inner++
			}
			a, err := s.comparison()
			if err != nil {
				return nil, err
			}
			atoms = append(atoms, a)
			for inner > 0 && s.eat(")") {
				inner--
			}
			if s.word("OR") {
				continue
			}
			if s.word("AND") {
				return nil, fmt.Errorf("AND within an observation needs several values at once: not matched one value at a time")
			}
			if inner == 0 && s.eat("]") {
				break
			}
			return nil, fmt.Errorf("want OR or ']' at offset %d", s.i)
		}
		for {
			if q := s.qualifier(); q != "" {
				return nil, fmt.Errorf("the qualifier %s needs several events or a span of time: not matched one value at a time", q)
			}
			if depth == 0 || !s.eat(")") {
				break
			}
			depth--
		}
		s.space()
		if s.i == len(s.s) {
			if depth > 0 {
				return nil, fmt.Errorf("%d parentheses left open", depth)
			}
			return atoms, nil
		}
		switch {
		case s.word("OR"):
			continue
		case s.word("AND"):
			return nil, fmt.Errorf("observations joined by AND need several events together: not matched one value at a time")
		case s.word("FOLLOWEDBY"):
			return nil, fmt.Errorf("observations joined by FOLLOWEDBY need several events in order: not matched one value at a time")
		}
		return nil, fmt.Errorf("want OR, ')' or the end at offset %d", s.i)
	}
}

// qualifier reads the keyword of an observation's qualifier, if one
// follows.
func (s *stixScanner) qualifier() string {
	for _, q := range []string{"WITHIN", "REPEATS", "START"} {
		if s.word(q) {
			return q
		}
	}
	return ""
}

type stixScanner struct {
	s string
	i int
}

func (s *stixScanner) space() {
	for s.i < len(s.s) && (s.s[s.i] == ' ' || s.s[s.i] == '\t' || s.s[s.i] == '\n' || s.s[s.i] == '\r') {
		s.i++
	}
}

func (s *stixScanner) eat(tok string) bool {
	s.space()
	if strings.HasPrefix(s.s[s.i:], tok) {
		s.i += len(tok)
		return true
	}
	return false
}

func (s *stixScanner) word(w string) bool {
	s.space()
	if len(s.s)-s.i >= len(w) && strings.EqualFold(s.s[s.i:s.i+len(w)], w) {
		end := s.i + len(w)
		if end == len(s.s) || strings.IndexByte(" \t\r\n[(", s.s[end]) >= 0 {
			s.i = end
			return true
		}
	}
	return false
}

// comparison reads "object-type:path OP 'value'".
func (s *stixScanner) comparison() (stixAtom, error) {
	s.space()
	start := s.i
	for s.i < len(s.s) && s.s[s.i] != ' ' && s.s[s.i] != '=' && s.s[s.i] != '\t' {
		if s.s[s.i] == '\'' { // a quoted path part: hashes.'SHA-256'
			end := strings.IndexByte(s.s[s.i+1:], '\'')
			if end < 0 {
				return stixAtom{}, fmt.Errorf("unclosed quote at offset %d", s.i)
			}
			s.i += end + 2
			continue
		}
		s.i++
	}
	path := s.s[start:s.i]
	obj, prop, ok := strings.Cut(path, ":")
	if !ok {
		return stixAtom{}, fmt.Errorf("want object-type:property at offset %d", start)
	}
	s.space()
	op := ""
	switch {
	case s.eat("="):
		op = "="
	case s.word("ISSUBSET"):
		op = "ISSUBSET"
	default:
		return stixAtom{}, fmt.Errorf("%s: only = and ISSUBSET comparisons are matched", path)
	}
	s.space()
	if !s.eat("'") {
		return stixAtom{}, fmt.Errorf("%s: want a quoted value", path)
	}
	var v strings.Builder
	for {
		if s.i >= len(s.s) {
			return stixAtom{}, fmt.Errorf("%s: unclosed value", path)
		}
		c := s.s[s.i]
		s.i++
		if c == '\\' && s.i < len(s.s) {
			v.WriteByte(s.s[s.i])
			s.i++
			continue
		}
		if c == '\'' {
			break
		}
		v.WriteByte(c)
	}
	var kind Kind
	switch obj {
	case "ipv4-addr", "ipv6-addr":
		if prop != "value" {
			return stixAtom{}, fmt.Errorf("%s: only the value of an address is matched", path)
		}
		kind = KindIP
	case "domain-name":
		kind = KindDomain
	case "url":
		kind = KindURL
	case "file":
		h, ok := strings.CutPrefix(prop, "hashes.")
		if !ok {
			return stixAtom{}, fmt.Errorf("%s: only file hashes are matched", path)
		}
		switch strings.ToUpper(strings.ReplaceAll(strings.Trim(h, "'"), "-", "")) {
		case "MD5":
			kind = KindMD5
		case "SHA1":
			kind = KindSHA1
		case "SHA256":
			kind = KindSHA256
		default:
			return stixAtom{}, fmt.Errorf("%s: only MD5, SHA-1 and SHA-256 hashes are matched", path)
		}
	default:
		return stixAtom{}, fmt.Errorf("%s: object type %q is not matched (ipv4-addr, ipv6-addr, domain-name, url, file are)", path, obj)
	}
	if kind != KindIP && prop != "value" && kind != KindMD5 && kind != KindSHA1 && kind != KindSHA256 {
		return stixAtom{}, fmt.Errorf("%s: only the value is matched", path)
	}
	if op == "ISSUBSET" && kind != KindIP {
		return stixAtom{}, fmt.Errorf("%s: ISSUBSET is for addresses", path)
	}
	return stixAtom{kind: kind, value: v.String()}, nil
}
