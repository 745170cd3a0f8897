package enrich

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/secpipe/secpipe/pkg/internal/ipaddr"
)

// Problem is an indicator that was not loaded, and where it is.
type Problem struct {
	File string
	Line int // 0 when the file as a whole is meant
	What string
}

func (p Problem) Error() string {
	if p.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.What)
	}
	return p.File + ": " + p.What
}

// IntelFiles lists the indicator files of paths: files as given, folders
// walked recursively in lexical order, hidden files left out.
func IntelFiles(paths []string) ([]string, error) {
	var out []string
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("--intel: %w", err)
		}
		if !st.IsDir() {
			out = append(out, p)
			continue
		}
		var found []string
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if path != p && strings.HasPrefix(d.Name(), ".") {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			if d.Type().IsRegular() {
				found = append(found, path)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("--intel: %w", err)
		}
		sort.Strings(found)
		out = append(out, found...)
	}
	return out, nil
}

// LoadIntel reads the indicator files of paths (see IntelFiles): plain
// lists and CSV files of addresses, CIDR ranges, domains, URLs and hashes,
// MISP CSV exports, and STIX 2.1 bundles. Indicators that cannot be read
// are returned as problems and left out; the rest are loaded. STIX
// indicators that expired before now, or were revoked, are left out too.
func LoadIntel(paths []string, now time.Time) (*Index, []Problem, error) {
	files, err := IntelFiles(paths)
	if err != nil {
		return nil, nil, err
	}
	l := &loader{now: now.UnixNano()}
	for _, f := range files {
		if err := l.file(f); err != nil {
			return nil, l.problems, fmt.Errorf("--intel: %w", err)
		}
	}
	return newIndex(l.ins, l.metas), l.problems, nil
}

type loader struct {
	builder
	problems []Problem
	now      int64
	names    map[string]string // interned provider names and descriptions
}

func (l *loader) intern(s string) string {
	if l.names == nil {
		l.names = map[string]string{}
	}
	if v, ok := l.names[s]; ok {
		return v
	}
	l.names[s] = s
	return s
}

func (l *loader) bad(file string, line int, format string, args ...any) {
	l.problems = append(l.problems, Problem{File: file, Line: line, What: fmt.Sprintf(format, args...)})
}

// providerOf names a file's indicators when it does not: its base name
// without extension ("feodo" for iocs/feodo.csv).
func providerOf(file string) string {
	b := filepath.Base(file)
	return strings.TrimSuffix(b, filepath.Ext(b))
}

func (l *loader) file(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	ext := strings.ToLower(filepath.Ext(path))
	switch {
	case ext == ".json" || len(trimmed) > 0 && trimmed[0] == '{':
		l.stix(path, data)
	case ext == ".csv" || looksLikeCSV(data):
		l.csv(path, data)
	default:
		l.list(path, data)
	}
	return nil
}

// looksLikeCSV reports whether the first line that is not a comment has a
// comma.
func looksLikeCSV(data []byte) bool {
	for len(data) > 0 {
		line, rest, _ := bytes.Cut(data, []byte("\n"))
		data = rest
		line = bytes.TrimSpace(line)
		if len(line) == 0 || line[0] == '#' || line[0] == ';' {
			continue
		}
		return bytes.IndexByte(line, ',') >= 0
	}
	return false
}

// refang undoes the usual defanging of shared indicators: hxxp://,
// evil[.]example, 1.2.3[.]4.
func refang(s string) string {
	if strings.IndexByte(s, '[') < 0 && strings.IndexByte(s, '(') < 0 && !strings.HasPrefix(s, "hxxp") && !strings.HasPrefix(s, "hXXp") {
		return s
	}
	return refanger.Replace(s)
}

var refanger = strings.NewReplacer("[.]", ".", "(.)", ".", "[:]", ":", "hxxp", "http", "hXXp", "http", "[://]", "://")

// parseValue reads one indicator value of any kind (want 0) or of kind want.
func parseValue(s string, want Kind) (Kind, string, error) {
	s = refang(strings.TrimSpace(s))
	if s == "" {
		return 0, "", fmt.Errorf("empty indicator")
	}
	isURL := strings.Contains(s, "://")
	switch {
	case (want == 0 || want == KindIP) && !isURL && (strings.IndexByte(s, ':') >= 0 || s[0] >= '0' && s[0] <= '9'):
		if strings.IndexByte(s, '/') >= 0 {
			if p, err := netip.ParsePrefix(s); err == nil {
				if p.Bits() == p.Addr().BitLen() {
					return KindIP, p.Addr().Unmap().String(), nil
				}
				return KindIP, p.Masked().String(), nil
			}
		} else if a, ok := ipaddr.Parse([]byte(s)); ok {
			if a.Is4() {
				return KindIP, s, nil // as written: a dotted quad is canonical
			}
			return KindIP, a.Unmap().String(), nil
		}
		if want == KindIP {
			return 0, "", fmt.Errorf("%q is not an IP address or CIDR range", s)
		}
	case want == KindIP:
		return 0, "", fmt.Errorf("%q is not an IP address or CIDR range", s)
	}
	if want == KindMD5 || want == KindSHA1 || want == KindSHA256 || want == 0 && !isURL {
		if k := hashKind([]byte(s)); k != 0 && (want == 0 || want == k) {
			return k, strings.ToLower(s), nil
		}
		if want != 0 {
			return 0, "", fmt.Errorf("%q is not a %s digest", s, strings.ToUpper(want.hashName()))
		}
	}
	if want == KindURL || want == 0 && (isURL || strings.Contains(s, "/")) {
		if strings.ContainsAny(s, " \t") {
			return 0, "", fmt.Errorf("%q is not a URL", s)
		}
		return KindURL, s, nil
	}
	if want == 0 || want == KindDomain {
		if d, ok := normalizeDomain(nil, []byte(s)); ok {
			return KindDomain, string(d), nil
		}
	}
	if want == KindDomain {
		return 0, "", fmt.Errorf("%q is not a domain name", s)
	}
	return 0, "", fmt.Errorf("%q is not an address, CIDR range, domain, URL or MD5/SHA1/SHA256 digest", s)
}

// list reads one indicator a line; '#' and ';' start comments, and a hosts
// file's "0.0.0.0 evil.example" is the domain.
func (l *loader) list(path string, data []byte) {
	provider := l.intern(providerOf(path))
	l.ins = slices.Grow(l.ins, bytes.Count(data, []byte("\n"))+1)
	n := 0
	for len(data) > 0 {
		n++
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		line = bytes.TrimSpace(line)
		if i := bytes.IndexAny(line, "#;"); i >= 0 && (i == 0 || line[i-1] == ' ' || line[i-1] == '\t') {
			line = bytes.TrimSpace(line[:i])
		}
		if len(line) == 0 {
			continue
		}
		v := line
		if i := bytes.IndexAny(line, " \t"); i >= 0 {
			v = line[:i]
			if first := string(v); first == "0.0.0.0" || first == "127.0.0.1" || first == "::" {
				v = bytes.TrimSpace(line[i+1:]) // a hosts file
				if j := bytes.IndexAny(v, " \t"); j >= 0 {
					v = v[:j]
				}
			}
		}
		kind, value, err := parseValue(string(v), 0)
		if err != nil {
			l.bad(path, n, "%v", err)
			continue
		}
		l.add(Record{Kind: kind, Value: value, Provider: provider, Score: DefaultScore})
	}
}

// column roles of indicator CSV files.
const (
	colNone = iota
	colValue
	colType
	colProvider
	colName
	colReference
	colScore
	colValidFrom
	colValidUntil
	colToIDs
	colKind // a column of one kind of value: its kind is in kinds
)

var columnRoles = map[string]int{
	"indicator": colValue, "value": colValue, "ioc": colValue, "observable": colValue, "ioc_value": colValue,
	"type": colType, "indicator_type": colType, "ioc_type": colType, "attribute_type": colType,
	"provider": colProvider, "source": colProvider, "feed": colProvider,
	"description": colName, "comment": colName, "name": colName, "threat": colName, "malware": colName, "malware_printable": colName,
	"reference": colReference, "link": colReference, "urlhaus_link": colReference,
	"score": colScore, "confidence": colScore, "risk_score": colScore,
	"valid_from": colValidFrom, "valid_until": colValidUntil, "to_ids": colToIDs,
}

var columnKinds = map[string]Kind{
	"ip": KindIP, "ip_address": KindIP, "ipaddress": KindIP, "dst_ip": KindIP, "src_ip": KindIP, "cidr": KindIP,
	"domain": KindDomain, "hostname": KindDomain, "domain_name": KindDomain,
	"url": KindURL,
	"md5": KindMD5, "md5_hash": KindMD5, "sha1": KindSHA1, "sha1_hash": KindSHA1, "sha256": KindSHA256, "sha256_hash": KindSHA256,
}

// mispTypes maps MISP attribute types to kinds; a composite type
// ("filename|md5") takes the part of its value after the '|' when the
// kind names the second part.
var mispTypes = map[string]Kind{
	"ip-src": KindIP, "ip-dst": KindIP, "ip": KindIP, "ip-src|port": KindIP, "ip-dst|port": KindIP,
	"domain": KindDomain, "hostname": KindDomain, "domain|ip": KindDomain, "hostname|port": KindDomain, "fqdn": KindDomain,
	"url": KindURL, "uri": KindURL, "link": KindURL,
	"md5": KindMD5, "sha1": KindSHA1, "sha256": KindSHA256,
	"filename|md5": KindMD5, "filename|sha1": KindSHA1, "filename|sha256": KindSHA256,
	"ipv4-addr": KindIP, "ipv6-addr": KindIP, "domain-name": KindDomain,
	"file": 0, "hash": 0,
}

// csv reads an indicator CSV file: with a header (also a commented one,
// as abuse.ch writes), its columns are read by name (a MISP export's
// type and value; a feed's dst_ip or url; md5, sha1, sha256 columns);
// without one, the first column is the indicator.
func (l *loader) csv(path string, data []byte) {
	provider := l.intern(providerOf(path))
	lines := bytes.Split(data, []byte("\n"))
	l.ins = slices.Grow(l.ins, len(lines))
	var roles []int
	var kinds []Kind
	start := 0
	// The header: the first line that is not a comment, or the last
	// comment line before it, when it names a known column.
	for i, raw := range lines {
		line := bytes.TrimSpace(raw)
		if len(line) == 0 {
			continue
		}
		comment := line[0] == '#' || line[0] == ';'
		text := line
		if comment {
			text = bytes.TrimSpace(line[1:])
		}
		if r, k, ok := header(text); ok {
			roles, kinds, start = r, k, i+1
			if !comment {
				break
			}
			continue
		}
		if !comment {
			break
		}
	}
	hasValue, hasKind := false, false
	for _, r := range roles {
		hasValue = hasValue || r == colValue
		hasKind = hasKind || r == colKind
	}
	if roles != nil && !hasValue && !hasKind {
		l.bad(path, start, "no column of indicators (want one named indicator, value, ip, domain, url, md5, sha1 or sha256)")
		return
	}
	for i := start; i < len(lines); i++ {
		line := bytes.TrimSpace(lines[i])
		if len(line) == 0 || line[0] == '#' || line[0] == ';' {
			continue
		}
		rec, err := readCSVLine(line)
		if err != nil {
			l.bad(path, i+1, "%v", err)
			continue
		}
		if roles == nil {
			kind, value, err := parseValue(rec[0], 0)
			if err != nil {
				l.bad(path, i+1, "%v", err)
				continue
			}
			l.add(Record{Kind: kind, Value: value, Provider: provider, Score: DefaultScore})
			continue
		}
		l.csvRecord(path, i+1, provider, roles, kinds, rec)
	}
}

func readCSVLine(line []byte) ([]string, error) {
	r := csv.NewReader(bytes.NewReader(line))
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	r.TrimLeadingSpace = true
	rec, err := r.Read()
	if err == io.EOF {
		return nil, fmt.Errorf("empty record")
	}
	if err != nil {
		if pe, ok := err.(*csv.ParseError); ok {
			err = pe.Err
		}
		return nil, err
	}
	return rec, nil
}

// header reads a header line; ok is false when no column is known.
func header(line []byte) ([]int, []Kind, bool) {
	rec, err := readCSVLine(line)
	if err != nil || len(rec) < 2 {
		return nil, nil, false
	}
	roles := make([]int, len(rec))
	kinds := make([]Kind, len(rec))
	known := false
	for i, name := range rec {
		n := strings.ToLower(strings.TrimSpace(name))
		if r, ok := columnRoles[n]; ok {
			roles[i], known = r, true
		} else if k, ok := columnKinds[n]; ok {
			roles[i], kinds[i], known = colKind, k, true
		}
	}
	return roles, kinds, known
}

func (l *loader) csvRecord(path string, line int, provider string, roles []int, kinds []Kind, rec []string) {
	base := Record{Provider: provider, Score: DefaultScore}
	var typ, value string
	for i, v := range rec {
		if i >= len(roles) {
			break
		}
		v = strings.TrimSpace(v)
		switch roles[i] {
		case colValue:
			value = v
		case colType:
			typ = strings.ToLower(v)
		case colProvider:
			if v != "" {
				base.Provider = l.intern(v)
			}
		case colName:
			if v != "" && base.Name == "" {
				base.Name = l.intern(v)
			}
		case colReference:
			base.Reference = v
		case colScore:
			if v == "" {
				continue
			}
			s, err := strconv.ParseFloat(v, 64)
			if err != nil || s < 0 || s > 100 {
				l.bad(path, line, "score %q: want a number from 0 to 100", v)
				return
			}
			base.Score = max(1, int(s+0.5))
		case colValidFrom, colValidUntil:
			if v == "" {
				continue
			}
			t, err := parseTime(v)
			if err != nil {
				l.bad(path, line, "%v", err)
				return
			}
			if roles[i] == colValidFrom {
				base.ValidFrom = t
			} else {
				base.ValidUntil = t
			}
		case colToIDs:
			if v == "0" || strings.EqualFold(v, "false") {
				return // MISP: not meant for detection
			}
		}
	}
	if base.ValidUntil != 0 && base.ValidUntil <= l.now {
		return // expired
	}
	if value != "" {
		kind, ok := Kind(0), true
		if typ != "" {
			kind, ok = mispTypes[typ]
			if !ok {
				return // a type secpipe does not match (email, registry key, ...)
			}
			if strings.Contains(typ, "|") {
				a, b, _ := strings.Cut(value, "|")
				if strings.HasPrefix(typ, "filename|") || kind == 0 {
					value = b
				} else {
					value = a
				}
			}
		}
		k, v, err := parseValue(value, kind)
		if err != nil {
			l.bad(path, line, "%v", err)
			return
		}
		in := base
		in.Kind, in.Value = k, v
		l.add(in)
	}
	for i, v := range rec {
		if i >= len(roles) || roles[i] != colKind || strings.TrimSpace(v) == "" {
			continue
		}
		k, val, err := parseValue(v, kinds[i])
		if err != nil {
			l.bad(path, line, "%v", err)
			continue
		}
		in := base
		in.Kind, in.Value = k, val
		l.add(in)
	}
}

func parseTime(s string) (int64, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UnixNano(), nil
		}
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && n > 0 {
		return n * int64(time.Second), nil // a Unix time, as MISP writes
	}
	return 0, fmt.Errorf("time %q: want RFC 3339 (2026-01-15T07:00:00Z), a date or a Unix time", s)
}
