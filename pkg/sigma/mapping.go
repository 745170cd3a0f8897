package sigma

import (
	"errors"
	"fmt"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// Mapping says how Sigma rules see events: which events belong to which
// logsource, and where each Sigma field (CommandLine, TargetUserName ...)
// lies in an event. It is data, read from YAML, so users can extend it.
//
//	schemas:
//	  ecs:
//	    timestamp: ["@timestamp"]
//	    fallback: "{field}"           # a field without a mapping is looked up by its own name (a list is allowed)
//	    fields:
//	      CommandLine: process.command_line
//	sources:
//	  - name: ecs-windows-process-creation
//	    schema: ecs
//	    logsource: {product: windows, category: process_creation}
//	    when: {event.category: process, host.os.type: windows}   # a Sigma search, fields mapped as for rules
//	    fields: {User: user.name}                                  # overrides for this source
//	    set: {EventID: "1"}                                        # fields with a fixed value here
//	  - name: windows-security-4688
//	    schema: [evtx, winlogbeat, winflat]                        # one source per schema
//	    logsource: {product: windows, service: security, category: process_creation}
//	    when: {Channel: Security, EventID: 4688}
//	    alias: {Image: NewProcessName}                             # a field lies where the schema puts another
//
// An event belongs to the first source whose "when" matches it; rules apply
// to it when their logsource's product, category and service (those given)
// equal the source's.
//
// A source naming several schemas stands for one source per schema, named
// NAME/SCHEMA: the same logsource and "when" over events of each shape. Its
// "fields" are event paths, the same in every shape, so it places fields
// with "alias" instead. A run of sources naming the same schemas expands
// schema by schema (all copies of the first schema, then the second...): an
// event has one shape, so this keeps the order that matters, and lets an
// event skip at once the copies of a shape it lacks.
type Mapping struct {
	Schemas map[string]*Schema
	Sources []*Source
}

// Schema is an event shape: how fields are laid out in its events.
type Schema struct {
	Name      string
	Timestamp []string            // paths of the event time
	Fields    map[string][]string // Sigma field -> event paths
	Fallback  []string            // path patterns for other fields; {field} is the Sigma field name
}

// Source is one kind of event of a schema, with the logsource it provides.
type Source struct {
	Name   string
	Schema string
	// The logsource values the source's events have: a Sysmon registry
	// event is both registry_set and registry_event.
	Products, Categories, Services []string
	When                           *yaml.Node
	Fields                         map[string][]string
	// Alias maps a Sigma field to other Sigma fields, placed by the schema.
	Alias map[string][]string
	Set   map[string]string
}

// ParseMapping reads a mapping file.
func ParseMapping(data []byte, file string) (*Mapping, error) {
	var raw struct {
		Schemas map[string]struct {
			Timestamp stringOrList            `yaml:"timestamp"`
			Fallback  stringOrList            `yaml:"fallback"`
			Fields    map[string]stringOrList `yaml:"fields"`
		} `yaml:"schemas"`
		Sources []struct {
			Name      string                  `yaml:"name"`
			Schema    stringOrList            `yaml:"schema"`
			Logsource map[string]stringOrList `yaml:"logsource"`
			When      yaml.Node               `yaml:"when"`
			Fields    map[string]stringOrList `yaml:"fields"`
			Alias     map[string]stringOrList `yaml:"alias"`
			Set       map[string]string       `yaml:"set"`
		} `yaml:"sources"`
	}
	if err := yaml.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	m := &Mapping{Schemas: map[string]*Schema{}}
	for name, s := range raw.Schemas {
		sc := &Schema{Name: name, Timestamp: s.Timestamp, Fallback: s.Fallback, Fields: map[string][]string{}}
		if len(sc.Fallback) == 0 {
			sc.Fallback = []string{"{field}"}
		}
		for k, v := range s.Fields {
			sc.Fields[k] = v
		}
		m.Schemas[name] = sc
	}
	var run []*Source // consecutive sources naming the same schemas
	flush := func() {
		if len(run) == 0 {
			return
		}
		schemas := strings.Split(run[0].Schema, ",")
		if len(schemas) == 1 {
			m.Sources = append(m.Sources, run...)
		} else {
			for _, sc := range schemas {
				for _, src := range run {
					c := *src
					c.Name, c.Schema = src.Name+"/"+sc, sc
					m.Sources = append(m.Sources, &c)
				}
			}
		}
		run = run[:0]
	}
	for i, s := range raw.Sources {
		if s.Name == "" {
			return nil, fmt.Errorf("%s: source %d has no name", file, i+1)
		}
		if len(s.Schema) == 0 {
			return nil, fmt.Errorf("%s: source %s has no schema", file, s.Name)
		}
		schema := strings.Join(s.Schema, ",")
		src := &Source{Name: s.Name, Schema: schema, Fields: map[string][]string{}, Alias: map[string][]string{}, Set: s.Set}
		for k, v := range s.Logsource {
			for i := range v {
				v[i] = strings.ToLower(v[i])
			}
			switch k {
			case "product":
				src.Products = v
			case "category":
				src.Categories = v
			case "service":
				src.Services = v
			default:
				return nil, fmt.Errorf("%s: source %s: unknown logsource key %q", file, s.Name, k)
			}
		}
		if s.When.Kind != 0 {
			w := s.When
			src.When = &w
		}
		for k, v := range s.Fields {
			src.Fields[k] = v
		}
		for k, v := range s.Alias {
			src.Alias[k] = v
		}
		if len(run) > 0 && run[0].Schema != schema {
			flush()
		}
		run = append(run, src)
	}
	flush()
	return m, nil
}

// Merge adds other's schemas and sources to m. A source with the name of an
// existing one replaces it; new sources are tried before the existing ones,
// so that users can refine the built-in mapping.
func (m *Mapping) Merge(other *Mapping) {
	for name, s := range other.Schemas {
		if old, ok := m.Schemas[name]; ok {
			for k, v := range s.Fields {
				old.Fields[k] = v
			}
			if len(s.Timestamp) > 0 {
				old.Timestamp = s.Timestamp
			}
			if len(s.Fallback) > 0 {
				old.Fallback = s.Fallback
			}
			continue
		}
		m.Schemas[name] = s
	}
	var added []*Source
	for _, s := range other.Sources {
		replaced := false
		for i, old := range m.Sources {
			if old.Name == s.Name {
				m.Sources[i] = s
				replaced = true
			}
		}
		if !replaced {
			added = append(added, s)
		}
	}
	m.Sources = append(added, m.Sources...)
}

// Check reports mapping errors: unknown schemas, bad "when" searches.
func (m *Mapping) Check() error {
	var errs []error
	for _, s := range m.Sources {
		if _, ok := m.Schemas[s.Schema]; !ok {
			errs = append(errs, fmt.Errorf("source %s: unknown schema %q", s.Name, s.Schema))
		}
		if s.When != nil {
			if _, err := compileSearch(s.When, nil); err != nil {
				errs = append(errs, fmt.Errorf("source %s: when: %w", s.Name, err))
			}
		}
	}
	return errors.Join(errs...)
}

// paths returns where a Sigma field lies in the source's events.
func (m *Mapping) paths(src *Source, field string) []string {
	if a, ok := src.Alias[field]; ok {
		var out []string
		for _, f := range a {
			out = append(out, m.placed(src, f)...)
		}
		return out
	}
	return m.placed(src, field)
}

// placed returns where the source's fields or its schema put a field.
func (m *Mapping) placed(src *Source, field string) []string {
	if p, ok := src.Fields[field]; ok {
		return p
	}
	sc := m.Schemas[src.Schema]
	if p, ok := sc.Fields[field]; ok {
		return p
	}
	out := make([]string, len(sc.Fallback))
	for i, f := range sc.Fallback {
		out[i] = strings.ReplaceAll(f, "{field}", field)
	}
	return out
}

// provides reports whether events of src are in the logsource l.
func (src *Source) provides(l Logsource) bool {
	return (l.Product == "" || contains(src.Products, l.Product)) &&
		(l.Category == "" || contains(src.Categories, l.Category)) &&
		(l.Service == "" || contains(src.Services, l.Service))
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// stringOrList reads a YAML string or list of strings.
type stringOrList []string

func (s *stringOrList) UnmarshalYAML(n *yaml.Node) error {
	list, err := stringList(n, "value")
	*s = list
	return err
}
