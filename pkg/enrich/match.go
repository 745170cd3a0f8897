package enrich

import (
	"strings"

	"github.com/secpipe/secpipe/pkg/event"
	"github.com/secpipe/secpipe/pkg/internal/ipaddr"
	"github.com/secpipe/secpipe/pkg/sigma"
)

// The event paths where each kind of value lives, ECS first (so that a
// value found twice is reported at its ECS path), then the lab's flat
// names.
var (
	ipPaths = []string{"source.ip", "destination.ip", "client.ip", "server.ip", "dns.resolved_ip",
		"source.nat.ip", "destination.nat.ip", "source_ip", "destination_ip"}
	domainPaths = []string{"dns.question.name", "url.domain", "destination.domain", "server.domain",
		"source.domain", "client.domain", "tls.client.server_name", "dns_query"}
	urlPaths  = []string{"url.full", "url.original"}
	hashPaths = func() []string {
		var out []string
		for _, obj := range []string{"file", "process", "process.parent", "dll"} {
			for _, h := range []string{"md5", "sha1", "sha256"} {
				out = append(out, obj+".hash."+h)
			}
		}
		return out
	}()
)

// The Sigma fields of each kind, placed by a field mapping in the events
// of its schemas (Windows, Zeek, Suricata, the lab's).
var (
	ipSigma     = []string{"IpAddress", "SourceIp", "DestinationIp", "src_ip", "dst_ip", "c-ip", "ClientIP", "dest_ip"}
	domainSigma = []string{"QueryName", "DestinationHostname", "cs-host", "query", "r-dns"}
	urlSigma    = []string{"c-uri", "cs-uri"}
	hashSigma   = []string{"Hashes", "Hash", "md5", "sha1", "sha256"}
)

type paths struct{ ip, domain, url, hash []string }

// fieldPaths lists the paths of each kind: the ECS ones, then those m
// places the kind's Sigma fields at.
func fieldPaths(m *sigma.Mapping) paths {
	p := paths{ip: ipPaths, domain: domainPaths, url: urlPaths, hash: hashPaths}
	if m == nil {
		return p
	}
	add := func(list []string, fields []string) []string {
		list = append([]string(nil), list...)
		for _, sc := range m.Schemas {
			for _, f := range fields {
				list = append(list, sc.Fields[f]...)
				for _, fb := range sc.Fallback {
					list = append(list, strings.ReplaceAll(fb, "{field}", f))
				}
			}
		}
		for _, src := range m.Sources {
			for _, f := range fields {
				list = append(list, src.Fields[f]...)
			}
		}
		return list
	}
	p.ip = add(p.ip, ipSigma)
	p.domain = add(p.domain, domainSigma)
	p.url = add(p.url, urlSigma)
	p.hash = add(p.hash, hashSigma)
	return p
}

// matchAll fills s.matches with the indicators the event's values match,
// once per indicator and value.
func (s *Stage) matchAll(raw []byte) {
	s.matches = s.matches[:0]
	f := &s.fields
	x := s.cur.intel
	var when int64 // the event time, read when an indicator has a window
	for _, slot := range s.ipF {
		for _, v := range f.Values(slot) {
			if v.Kind != event.String {
				continue
			}
			if addr, ok := ipaddr.Parse(v.Raw); ok {
				s.ids = s.ipIndicators(addr, s.ids[:0])
				s.take(slot, v.Raw, &when)
			}
		}
	}
	for _, slot := range s.domF {
		for _, v := range f.Values(slot) {
			if v.Kind != event.String {
				continue
			}
			var ok bool
			s.text = v.AppendText(s.text[:0])
			if s.norm, ok = normalizeDomain(s.norm, s.text); ok {
				s.key, s.ids = x.matchDomain(s.norm, s.key, s.ids[:0])
				s.take(slot, v.Raw, &when)
			}
		}
	}
	var dom []byte
	if ds := f.Values(s.urlDom); len(ds) > 0 && ds[0].Kind == event.String {
		dom = ds[0].Raw
	}
	for _, slot := range s.urlF {
		for _, v := range f.Values(slot) {
			if v.Kind != event.String || len(v.Raw) == 0 {
				continue
			}
			text := v.Text()
			if text[0] == '/' && len(dom) > 0 {
				text = string(dom) + text // a path, on the event's host
			}
			u := normalizeURL(nil, text)
			s.key, s.ids = x.matchString(KindURL, u, s.key, s.ids[:0])
			host := u
			if i := strings.IndexAny(string(u), "/?"); i >= 0 {
				host = u[:i]
			}
			if addr, ok := ipaddr.Parse(host); ok {
				s.ids = x.matchIP(addr, s.ids)
			} else if h, ok := normalizeDomain(nil, trimPort(host)); ok {
				s.key, s.ids = x.matchDomain(h, s.key, s.ids)
			}
			s.take(slot, v.Raw, &when)
		}
	}
	for _, slot := range s.hashF {
		for _, v := range f.Values(slot) {
			if v.Kind != event.String {
				continue
			}
			s.ids = s.ids[:0]
			// Sysmon's Hashes: "SHA256=...,MD5=...,IMPHASH=...".
			text := v.Raw
			for len(text) > 0 {
				part := text
				if i := indexByte(text, ','); i >= 0 {
					part, text = text[:i], text[i+1:]
				} else {
					text = nil
				}
				if i := indexByte(part, '='); i >= 0 {
					part = part[i+1:]
				}
				if k := hashKind(part); k != 0 {
					s.norm = toLower(s.norm[:0], part)
					s.key, s.ids = x.matchString(k, s.norm, s.key, s.ids)
				}
			}
			s.take(slot, v.Raw, &when)
		}
	}
}

func trimPort(host []byte) []byte {
	if i := indexByte(host, ':'); i >= 0 {
		return host[:i]
	}
	return host
}

func toLower(dst, s []byte) []byte {
	for _, c := range s {
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst
}

// take adds the indicators in s.ids, matched by the value atomic at slot,
// unless already taken or not valid at the event's time.
func (s *Stage) take(slot int, atomic []byte, when *int64) {
	if len(s.ids) == 0 {
		return
	}
	x := s.cur.intel
next:
	for _, id := range s.ids {
		if m := &x.metas[x.Indicators[id].meta]; x.hasWindow && m.bounded() {
			if *when == 0 {
				*when = s.eventTime()
			}
			if !m.validAt(*when) {
				continue
			}
		}
		for _, m := range s.matches {
			if m.id == id && string(m.atomic) == string(atomic) {
				continue next
			}
		}
		s.matches = append(s.matches, match{id: id, field: s.paths.Name(slot), atomic: atomic})
	}
}

// eventTime is the event's @timestamp, else now.
func (s *Stage) eventTime() int64 {
	if ts := s.fields.Values(s.ts); len(ts) > 0 && ts[0].Kind == event.String {
		if t, ok := event.ParseTime(ts[0].Raw); ok {
			return t
		}
	}
	return s.cfg.Now().UnixNano()
}

// appendEnrichment appends one ECS threat.enrichments element.
func appendEnrichment(dst []byte, in *Indicator, md *meta, m match) []byte {
	dst = append(dst, `{"indicator":{"type":`...)
	v6 := in.Kind == KindIP && strings.IndexByte(in.Value, ':') >= 0
	dst = event.AppendString(dst, in.Kind.ECSType(v6))
	switch in.Kind {
	case KindIP:
		// A range matches an address: the address is the indicator's ip,
		// the range its name.
		dst = append(dst, `,"ip":"`...)
		dst = append(dst, m.atomic...) // an address has nothing to escape
		dst = append(dst, '"')
	case KindDomain:
		dst = append(dst, `,"url":{"domain":`...)
		dst = event.AppendString(dst, in.Value)
		dst = append(dst, '}')
	case KindURL:
		dst = append(dst, `,"url":{"full":`...)
		dst = event.AppendString(dst, in.Value)
		dst = append(dst, '}')
	default:
		dst = append(dst, `,"file":{"hash":{"`...)
		dst = append(dst, in.Kind.hashName()...)
		dst = append(dst, `":`...)
		dst = event.AppendString(dst, in.Value)
		dst = append(dst, `}}`...)
	}
	name := md.Name
	if name == "" {
		name = in.Value
	}
	dst = append(dst, `,"name":`...)
	dst = event.AppendString(dst, name)
	dst = append(dst, `,"provider":`...)
	dst = event.AppendString(dst, md.Provider)
	if md.Reference != "" {
		dst = append(dst, `,"reference":`...)
		dst = event.AppendString(dst, md.Reference)
	}
	dst = append(dst, `,"confidence":`...)
	dst = event.AppendString(dst, confidenceOf(int(in.Score)))
	dst = append(dst, `},"matched":{"atomic":"`...)
	dst = append(dst, m.atomic...) // still escaped, as in the event
	dst = append(dst, `","field":`...)
	dst = event.AppendString(dst, m.field)
	dst = append(dst, `,"type":"indicator_match_rule"}}`...)
	return dst
}

// confidenceOf names a score as ECS threat.indicator.confidence does.
func confidenceOf(score int) string {
	switch {
	case score >= 70:
		return "High"
	case score >= 30:
		return "Medium"
	}
	return "Low"
}
