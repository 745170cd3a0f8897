package pipeline

import (
	"fmt"
	"net/url"
	"strings"
)

// Spec is a parsed sink or source spec: a scheme and what follows it.
type Spec struct {
	Raw    string // as given
	Scheme string // "" for a path or "-"
	// For URL-like specs (scheme://...): the part before the first '/'
	// (a host list), the rest of the path, and the query.
	Host, Path string
	Query      url.Values
}

// ParseSpec splits a spec into its scheme and parts. A spec whose text
// before the first ':' is a registered scheme (or that has "://") is a
// URL; anything else is a path.
func ParseSpec(raw string, registered func(string) bool) (Spec, error) {
	s := Spec{Raw: raw}
	scheme, rest, ok := strings.Cut(raw, ":")
	if !ok || !(registered(scheme) || strings.HasPrefix(rest, "//")) {
		return s, nil // a path
	}
	if !registered(scheme) {
		return s, fmt.Errorf("%s: unknown scheme %q", raw, scheme)
	}
	s.Scheme = scheme
	rest = strings.TrimPrefix(rest, "//")
	rest, query, _ := strings.Cut(rest, "?")
	q, err := url.ParseQuery(query)
	if err != nil {
		return s, fmt.Errorf("%s: %v", raw, err)
	}
	s.Query = q
	if i := strings.LastIndexByte(rest, '/'); i >= 0 {
		s.Host, s.Path = rest[:i], rest[i+1:]
	} else {
		s.Path = rest
	}
	return s, nil
}
