// Package sigma implements Sigma, the generic signature format for SIEM
// systems: it parses detection, correlation and filter rules, binds them to
// event shapes through a field mapping, and matches them against JSON events
// in a stream, correlations included.
//
// The specification is at https://github.com/SigmaHQ/sigma-specification.
package sigma

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	yaml "go.yaml.in/yaml/v3"
)

// Rule is one Sigma document: a detection rule, a correlation rule or a filter.
type Rule struct {
	Title          string
	ID             string
	Name           string
	Status         string
	Description    string
	Author         string
	Level          string
	Tags           []string
	References     []string
	FalsePositives []string
	Logsource      Logsource

	// Exactly one of these is set.
	Detection   *Detection
	Correlation *Correlation
	Filter      *Filter

	// File and Line tell where the rule was read.
	File string
	Line int

	// SkipSchemas names mapping schemas whose events the rule is not
	// applied to (a pack written for Windows event logs keeps off the
	// generator's ECS and lab events, for instance). Not part of Sigma.
	SkipSchemas []string
}

// Kind names the kind of rule: "detection", "correlation" or "filter".
func (r *Rule) Kind() string {
	switch {
	case r.Correlation != nil:
		return "correlation"
	case r.Filter != nil:
		return "filter"
	}
	return "detection"
}

// Ref names the rule in messages: its title and where it was read.
func (r *Rule) Ref() string {
	if r.File == "" {
		return fmt.Sprintf("%q", r.Title)
	}
	return fmt.Sprintf("%s:%d (%q)", r.File, r.Line, r.Title)
}

// Logsource selects the events a rule applies to.
type Logsource struct {
	Category string
	Product  string
	Service  string
}

func (l Logsource) String() string {
	var parts []string
	for _, p := range []struct{ k, v string }{{"product", l.Product}, {"category", l.Category}, {"service", l.Service}} {
		if p.v != "" {
			parts = append(parts, p.k+"="+p.v)
		}
	}
	if len(parts) == 0 {
		return "any"
	}
	return strings.Join(parts, ",")
}

// Detection is a rule's detection section: named searches and a condition.
type Detection struct {
	Searches   map[string]*yaml.Node
	Order      []string // search identifiers in file order
	Conditions []string // several conditions are OR-ed
}

// Correlation is a correlation rule's correlation section.
type Correlation struct {
	Type      string // event_count, value_count, temporal, temporal_ordered, value_sum, value_avg, value_percentile
	Rules     []string
	GroupBy   []string
	Timespan  string
	Condition map[string]float64 // gt, gte, lt, lte, eq, neq
	Field     []string           // value_* types: the field(s) counted or summed
	Aliases   map[string]map[string]string
	Generate  bool
}

// Filter is a filter rule's filter section: extra conditions that exclude
// matches of the named rules.
type Filter struct {
	Rules     []string
	Detection *Detection
}

// ParseError reports a rule that could not be read, with where it is.
type ParseError struct {
	File string
	Line int
	Err  error
}

func (e *ParseError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.File, e.Err)
}

func (e *ParseError) Unwrap() error { return e.Err }

// Parse reads the Sigma documents of a YAML file. Bad documents are reported
// one by one and the good ones are still returned.
func Parse(data []byte, file string) ([]*Rule, []error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var rules []*Rule
	var errs []error
	// Documents of a multi-document file that share a global section
	// (action: global) would merge; that old convention is rejected.
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			errs = append(errs, &ParseError{File: file, Line: yamlErrorLine(err, data), Err: fmt.Errorf("invalid YAML: %w", err)})
			break
		}
		if len(doc.Content) == 0 {
			continue
		}
		root := doc.Content[0]
		if root.Kind != yaml.MappingNode {
			if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
				continue
			}
			errs = append(errs, &ParseError{File: file, Line: root.Line, Err: errors.New("a Sigma rule must be a YAML mapping")})
			continue
		}
		r, err := parseRule(root)
		if err != nil {
			errs = append(errs, &ParseError{File: file, Line: root.Line, Err: err})
			continue
		}
		r.File, r.Line = file, root.Line
		rules = append(rules, r)
	}
	return rules, errs
}

func parseRule(n *yaml.Node) (*Rule, error) {
	r := &Rule{}
	var detection, correlation, filter *yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i].Value, n.Content[i+1]
		var err error
		switch k {
		case "title":
			r.Title, err = scalar(v, k)
		case "id":
			r.ID, err = scalar(v, k)
		case "name":
			r.Name, err = scalar(v, k)
		case "status":
			r.Status, err = scalar(v, k)
		case "description":
			r.Description, err = scalar(v, k)
		case "author":
			r.Author, err = scalar(v, k)
		case "level":
			r.Level, err = scalar(v, k)
		case "tags":
			r.Tags, err = stringList(v, k)
		case "references":
			r.References, err = stringList(v, k)
		case "falsepositives":
			r.FalsePositives, err = stringList(v, k)
		case "logsource":
			r.Logsource, err = parseLogsource(v)
		case "detection":
			detection = v
		case "correlation":
			correlation = v
		case "filter":
			filter = v
		case "action":
			if v.Value == "global" || v.Value == "reset" || v.Value == "repeat" {
				return nil, errors.New("unsupported: multi-document 'action: global' rule collections (Sigma 1.0) are deprecated")
			}
		}
		if err != nil {
			return nil, err
		}
	}
	if r.Title == "" {
		return nil, errors.New("missing title")
	}
	switch {
	case correlation != nil:
		c, err := parseCorrelation(correlation)
		if err != nil {
			return nil, fmt.Errorf("correlation: %w", err)
		}
		r.Correlation = c
	case filter != nil:
		f, err := parseFilter(filter)
		if err != nil {
			return nil, fmt.Errorf("filter: %w", err)
		}
		r.Filter = f
	case detection != nil:
		d, err := parseDetection(detection)
		if err != nil {
			return nil, fmt.Errorf("detection: %w", err)
		}
		r.Detection = d
	default:
		return nil, errors.New("missing detection (or correlation, or filter) section")
	}
	if r.Level != "" {
		switch r.Level {
		case "informational", "low", "medium", "high", "critical":
		default:
			return nil, fmt.Errorf("unknown level %q (want informational, low, medium, high or critical)", r.Level)
		}
	}
	return r, nil
}

func parseLogsource(n *yaml.Node) (Logsource, error) {
	var l Logsource
	if n.Kind != yaml.MappingNode {
		return l, errors.New("logsource must be a mapping")
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		v := strings.ToLower(n.Content[i+1].Value)
		switch n.Content[i].Value {
		case "category":
			l.Category = v
		case "product":
			l.Product = v
		case "service":
			l.Service = v
		}
	}
	return l, nil
}

func parseDetection(n *yaml.Node) (*Detection, error) {
	if n.Kind != yaml.MappingNode {
		return nil, errors.New("must be a mapping")
	}
	d := &Detection{Searches: map[string]*yaml.Node{}}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i].Value, n.Content[i+1]
		switch k {
		case "condition":
			switch v.Kind {
			case yaml.ScalarNode:
				d.Conditions = []string{v.Value}
			case yaml.SequenceNode:
				for _, c := range v.Content {
					d.Conditions = append(d.Conditions, c.Value)
				}
			default:
				return nil, errors.New("condition must be a string or a list of strings")
			}
		case "timeframe":
			return nil, errors.New("unsupported: 'timeframe' with aggregation conditions is deprecated; use a correlation rule")
		default:
			d.Searches[k] = v
			d.Order = append(d.Order, k)
		}
	}
	if len(d.Conditions) == 0 {
		return nil, errors.New("missing condition")
	}
	return d, nil
}

func parseCorrelation(n *yaml.Node) (*Correlation, error) {
	if n.Kind != yaml.MappingNode {
		return nil, errors.New("must be a mapping")
	}
	c := &Correlation{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i].Value, n.Content[i+1]
		var err error
		switch k {
		case "type":
			c.Type = v.Value
		case "rules":
			c.Rules, err = stringList(v, k)
		case "group-by":
			c.GroupBy, err = stringList(v, k)
		case "timespan", "timeframe":
			c.Timespan = v.Value
		case "generate":
			c.Generate = v.Value == "true"
		case "condition":
			c.Condition = map[string]float64{}
			if v.Kind != yaml.MappingNode {
				return nil, errors.New("condition must be a mapping such as {gte: 10}")
			}
			for j := 0; j+1 < len(v.Content); j += 2 {
				ck, cv := v.Content[j].Value, v.Content[j+1]
				if ck == "field" {
					c.Field, err = stringList(cv, "field")
					if err != nil {
						return nil, err
					}
					continue
				}
				var f float64
				if _, err := fmt.Sscan(cv.Value, &f); err != nil {
					return nil, fmt.Errorf("condition %s: %q is not a number", ck, cv.Value)
				}
				switch ck {
				case "gt", "gte", "lt", "lte", "eq", "neq":
					c.Condition[ck] = f
				default:
					return nil, fmt.Errorf("unknown condition operator %q (want gt, gte, lt, lte, eq or neq)", ck)
				}
			}
		case "aliases":
			c.Aliases = map[string]map[string]string{}
			for j := 0; j+1 < len(v.Content); j += 2 {
				m := map[string]string{}
				av := v.Content[j+1]
				for l := 0; l+1 < len(av.Content); l += 2 {
					m[av.Content[l].Value] = av.Content[l+1].Value
				}
				c.Aliases[v.Content[j].Value] = m
			}
		}
		if err != nil {
			return nil, err
		}
	}
	switch c.Type {
	case "event_count", "value_count", "value_sum", "value_avg", "value_percentile":
		if len(c.Condition) == 0 {
			return nil, fmt.Errorf("%s needs a condition", c.Type)
		}
		if c.Type != "event_count" && len(c.Field) == 0 {
			return nil, fmt.Errorf("%s needs condition.field", c.Type)
		}
	case "temporal", "temporal_ordered":
	case "":
		return nil, errors.New("missing type")
	default:
		return nil, fmt.Errorf("unknown correlation type %q", c.Type)
	}
	if len(c.Rules) == 0 {
		return nil, errors.New("missing rules")
	}
	if c.Timespan == "" {
		return nil, errors.New("missing timespan")
	}
	if _, err := ParseTimespan(c.Timespan); err != nil {
		return nil, err
	}
	return c, nil
}

func parseFilter(n *yaml.Node) (*Filter, error) {
	if n.Kind != yaml.MappingNode {
		return nil, errors.New("must be a mapping")
	}
	f := &Filter{}
	det := &yaml.Node{Kind: yaml.MappingNode}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Value == "rules" {
			var err error
			if f.Rules, err = stringList(v, "rules"); err != nil {
				return nil, err
			}
			continue
		}
		det.Content = append(det.Content, k, v)
	}
	d, err := parseDetection(det)
	if err != nil {
		return nil, err
	}
	f.Detection = d
	if len(f.Rules) == 0 {
		return nil, errors.New("missing rules")
	}
	return f, nil
}

func scalar(n *yaml.Node, key string) (string, error) {
	if n.Kind != yaml.ScalarNode {
		return "", fmt.Errorf("%s must be a string", key)
	}
	return n.Value, nil
}

func stringList(n *yaml.Node, key string) ([]string, error) {
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return nil, nil
		}
		return []string{n.Value}, nil
	case yaml.SequenceNode:
		out := make([]string, 0, len(n.Content))
		for _, c := range n.Content {
			if c.Kind != yaml.ScalarNode {
				return nil, fmt.Errorf("%s must be a list of strings", key)
			}
			out = append(out, c.Value)
		}
		return out, nil
	}
	return nil, fmt.Errorf("%s must be a list of strings", key)
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+):`)

// yamlErrorLine returns the line a YAML error is on: the one the parser
// names, else that of the first byte YAML refuses (invalid UTF-8, a
// control character), else 0.
func yamlErrorLine(err error, data []byte) int {
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n
	}
	line := 1
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		switch {
		case r == '\n':
			line++
		case r == utf8.RuneError && size == 1, r < 0x20 && r != '\t' && r != '\r', r == 0x7f:
			return line
		}
		i += size
	}
	return 0
}
