package enrich

import (
	"encoding/binary"
	"hash/maphash"
	"net/netip"
	"slices"
	"strings"
)

// Kind is the kind of value an indicator is.
type Kind uint8

// The indicator kinds.
const (
	KindIP     Kind = iota + 1 // an address or a CIDR range
	KindDomain                 // a domain name: matches it and its subdomains
	KindURL
	KindMD5
	KindSHA1
	KindSHA256
)

// ECSType is the kind's threat.indicator.type.
func (k Kind) ECSType(v6 bool) string {
	switch k {
	case KindIP:
		if v6 {
			return "ipv6-addr"
		}
		return "ipv4-addr"
	case KindDomain:
		return "domain-name"
	case KindURL:
		return "url"
	}
	return "file"
}

// hashName is the file.hash.* member of a hash kind.
func (k Kind) hashName() string {
	switch k {
	case KindMD5:
		return "md5"
	case KindSHA1:
		return "sha1"
	case KindSHA256:
		return "sha256"
	}
	return ""
}

// Record describes one indicator of compromise, as its file gives it.
type Record struct {
	Kind Kind
	// Value is the indicator as given (refanged): an address or CIDR, a
	// lower-case domain, a URL, a lower-case hex digest.
	Value    string
	Provider string
	// Name says what the indicator stands for (a STIX name, a CSV
	// description, a MISP comment); may be empty.
	Name      string
	Reference string
	// Score (1-100) is how sure the provider is; it becomes the event's
	// risk score.
	Score int
	// ValidFrom and ValidUntil bound when it holds, as Unix nanoseconds
	// (0: unbounded).
	ValidFrom, ValidUntil int64
}

// Indicator is a loaded indicator, compact: what many indicators share
// (provider, name, reference, validity) is kept once, in the index's
// metas.
type Indicator struct {
	Value string
	// key is the value as matched: Value, but a URL without its scheme,
	// default port and fragment, its host in lower case.
	key   string
	meta  uint32
	Kind  Kind
	Score uint8
}

// meta is what indicators of one file row, feed or STIX object share.
type meta struct {
	Provider, Name, Reference string
	ValidFrom, ValidUntil     int64
}

// validAt reports whether the indicator holds at t (Unix nanoseconds).
func (m *meta) validAt(t int64) bool {
	return (m.ValidFrom == 0 || t >= m.ValidFrom) && (m.ValidUntil == 0 || t < m.ValidUntil)
}

func (m *meta) bounded() bool { return m.ValidFrom != 0 || m.ValidUntil != 0 }

// builder turns records into compact indicators, sharing their metas.
type builder struct {
	ins     []Indicator
	metas   []meta
	metaIDs map[meta]uint32
}

func (b *builder) add(r Record) {
	m := meta{Provider: r.Provider, Name: r.Name, Reference: r.Reference, ValidFrom: r.ValidFrom, ValidUntil: r.ValidUntil}
	id, ok := b.metaIDs[m]
	if !ok {
		if b.metaIDs == nil {
			b.metaIDs = map[meta]uint32{}
		}
		id = uint32(len(b.metas))
		b.metas = append(b.metas, m)
		b.metaIDs[m] = id
	}
	b.ins = append(b.ins, Indicator{Value: r.Value, meta: id, Kind: r.Kind, Score: uint8(min(max(r.Score, 0), 100))})
}

// Record returns indicator i as its file gave it.
func (x *Index) Record(i int) Record {
	in, m := &x.Indicators[i], &x.metas[x.Indicators[i].meta]
	return Record{Kind: in.Kind, Value: in.Value, Provider: m.Provider, Name: m.Name, Reference: m.Reference,
		Score: int(in.Score), ValidFrom: m.ValidFrom, ValidUntil: m.ValidUntil}
}

// DefaultScore is the risk score of an indicator whose file gives none.
const DefaultScore = 75

// Index holds indicators in compact structures built for lookups:
// addresses and CIDR ranges in sorted arrays (one per prefix length, so a
// lookup is one binary search per length in use), and every other kind
// in one hash table of 64-bit hashes, checked against the value. Two
// bitmaps in front answer most values that match nothing with one bit:
// v4Nets marks the /24 networks holding an IPv4 indicator, strBits the
// string indicators' hashes (a Bloom filter, two bits in one word).
type Index struct {
	Indicators []Indicator
	metas      []meta
	v4         []prefixTable[uint32] // by prefix length present, longest first
	v6         []prefixTable[[2]uint64]
	seed       maphash.Seed
	strs       map[uint64]int32 // hash of kind+value -> first indicator
	next       []int32          // next indicator with the same hash, -1 ends
	hasWindow  bool
	v4Nets     []uint64 // 2^24 bits, or nil without IPv4 indicators
	strBits    []uint64
	strMask    uint64 // word numbers of strBits
}

type prefixTable[K any] struct {
	bits int
	keys []K     // network addresses, sorted (repeated for several indicators)
	ids  []int32 // indicator of each key
}

// NewIndex builds an index of records.
func NewIndex(records []Record) *Index {
	var b builder
	for _, r := range records {
		b.add(r)
	}
	return newIndex(b.ins, b.metas)
}

func newIndex(ins []Indicator, metas []meta) *Index {
	x := &Index{Indicators: ins, metas: metas, seed: maphash.MakeSeed(), strs: make(map[uint64]int32, len(ins)), next: make([]int32, len(ins))}
	v4 := map[int]*prefixTable[uint32]{}
	v6 := map[int]*prefixTable[[2]uint64]{}
	var key []byte
	for i := range ins {
		in := &ins[i]
		x.next[i] = -1
		if metas[in.meta].bounded() {
			x.hasWindow = true
		}
		if in.Kind != KindIP {
			if in.key == "" {
				in.key = in.Value
				if in.Kind == KindURL {
					in.key = string(normalizeURL(nil, in.Value))
				}
			}
			key = append(append(key[:0], byte(in.Kind)), in.key...)
			h := maphash.Bytes(x.seed, key)
			if first, ok := x.strs[h]; ok {
				// Chain after the first, keeping file order.
				j := first
				for x.next[j] >= 0 {
					j = x.next[j]
				}
				x.next[j] = int32(i)
			} else {
				x.strs[h] = int32(i)
			}
			continue
		}
		p, err := netip.ParsePrefix(in.Value)
		if err != nil {
			a, err := netip.ParseAddr(in.Value)
			if err != nil {
				continue // the loaders give only valid values
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		p = p.Masked()
		if p.Addr().Is4() {
			t := v4[p.Bits()]
			if t == nil {
				t = &prefixTable[uint32]{bits: p.Bits()}
				v4[p.Bits()] = t
			}
			t.keys = append(t.keys, v4key(p.Addr()))
			t.ids = append(t.ids, int32(i))
		} else {
			t := v6[p.Bits()]
			if t == nil {
				t = &prefixTable[[2]uint64]{bits: p.Bits()}
				v6[p.Bits()] = t
			}
			t.keys = append(t.keys, v6key(p.Addr()))
			t.ids = append(t.ids, int32(i))
		}
	}
	for _, t := range v4 {
		sortTable(t, func(a, b uint32) int {
			switch {
			case a < b:
				return -1
			case a > b:
				return 1
			}
			return 0
		})
		x.v4 = append(x.v4, *t)
	}
	for _, t := range v6 {
		sortTable(t, cmpV6)
		x.v6 = append(x.v6, *t)
	}
	slices.SortFunc(x.v4, func(a, b prefixTable[uint32]) int { return b.bits - a.bits })
	slices.SortFunc(x.v6, func(a, b prefixTable[[2]uint64]) int { return b.bits - a.bits })
	x.markNets()
	x.markStrings()
	return x
}

// markNets sets the bits of v4Nets for every /24 network an IPv4
// indicator covers.
func (x *Index) markNets() {
	if len(x.v4) == 0 {
		return
	}
	x.v4Nets = make([]uint64, 1<<24/64)
	for _, t := range x.v4 {
		span := uint32(1)
		if t.bits < 24 {
			span = 1 << (24 - t.bits)
		}
		for _, k := range t.keys {
			for n := k >> 8; n < k>>8+span; n++ {
				x.v4Nets[n/64] |= 1 << (n % 64)
			}
		}
	}
}

// markStrings sizes strBits at 16 bits or more per string indicator and
// sets two bits of one word for each: a value that matches nothing then
// finds both set one time in fifty or fewer, for one memory access.
func (x *Index) markStrings() {
	words := uint64(1 << 10)
	for 64*words < 16*uint64(len(x.strs)) {
		words <<= 1
	}
	x.strBits, x.strMask = make([]uint64, words), words-1
	for h := range x.strs {
		x.strBits[(h>>12)&x.strMask] |= strBitsOf(h)
	}
}

// strBitsOf returns the two bits of strBits a hash sets.
func strBitsOf(h uint64) uint64 { return 1<<(h&63) | 1<<((h>>6)&63) }

func cmpV6(a, b [2]uint64) int {
	switch {
	case a[0] < b[0]:
		return -1
	case a[0] > b[0]:
		return 1
	case a[1] < b[1]:
		return -1
	case a[1] > b[1]:
		return 1
	}
	return 0
}

// sortTable sorts a table's keys, and its ids with them (stably, so that
// indicators of one key stay in file order).
func sortTable[K any](t *prefixTable[K], cmp func(a, b K) int) {
	order := make([]int32, len(t.keys))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortStableFunc(order, func(a, b int32) int { return cmp(t.keys[a], t.keys[b]) })
	keys := make([]K, len(t.keys))
	ids := make([]int32, len(t.ids))
	for i, o := range order {
		keys[i], ids[i] = t.keys[o], t.ids[o]
	}
	t.keys, t.ids = keys, ids
}

func v4key(a netip.Addr) uint32 {
	b := a.As4()
	return binary.BigEndian.Uint32(b[:])
}

func v6key(a netip.Addr) [2]uint64 {
	b := a.As16()
	return [2]uint64{binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:])}
}

// Len returns the number of indicators.
func (x *Index) Len() int { return len(x.Indicators) }

// matchIP appends the indicators holding addr to ids.
func (x *Index) matchIP(addr netip.Addr, ids []int32) []int32 {
	addr = addr.Unmap()
	if addr.Is4() {
		k := v4key(addr)
		if n := k >> 8; x.v4Nets == nil || x.v4Nets[n/64]&(1<<(n%64)) == 0 {
			return ids
		}
		for i := range x.v4 {
			t := &x.v4[i]
			m := k
			if t.bits < 32 {
				m &^= 1<<(32-t.bits) - 1
			}
			ids = findAll(t, m, ids, func(a, b uint32) int {
				if a < b {
					return -1
				} else if a > b {
					return 1
				}
				return 0
			})
		}
		return ids
	}
	k := v6key(addr)
	for i := range x.v6 {
		t := &x.v6[i]
		ids = findAll(t, mask6(k, t.bits), ids, cmpV6)
	}
	return ids
}

func mask6(k [2]uint64, bits int) [2]uint64 {
	switch {
	case bits >= 128:
		return k
	case bits >= 64:
		if bits < 128 {
			k[1] &^= 1<<(128-bits) - 1
		}
		return k
	case bits == 0:
		return [2]uint64{}
	}
	k[0] &^= 1<<(64-bits) - 1
	k[1] = 0
	return k
}

func findAll[K any](t *prefixTable[K], k K, ids []int32, cmp func(a, b K) int) []int32 {
	i, ok := slices.BinarySearchFunc(t.keys, k, cmp)
	if !ok {
		return ids
	}
	for ; i < len(t.keys) && cmp(t.keys[i], k) == 0; i++ {
		ids = append(ids, t.ids[i])
	}
	return ids
}

// matchString appends the indicators of kind whose value is v (normalised
// by the caller) to ids. key is scratch space; it is returned for reuse.
func (x *Index) matchString(kind Kind, v []byte, key []byte, ids []int32) ([]byte, []int32) {
	key = append(append(key[:0], byte(kind)), v...)
	h := maphash.Bytes(x.seed, key)
	if bits := strBitsOf(h); x.strBits[(h>>12)&x.strMask]&bits != bits {
		return key, ids
	}
	j, ok := x.strs[h]
	if !ok {
		return key, ids
	}
	for ; j >= 0; j = x.next[j] {
		in := &x.Indicators[j]
		if in.Kind == kind && in.key == string(v) {
			ids = append(ids, j)
		}
	}
	return key, ids
}

// matchDomain appends the indicators of d (lower case, no final dot) and of
// the domains it is under to ids: evil.example matches www.evil.example.
func (x *Index) matchDomain(d []byte, key []byte, ids []int32) ([]byte, []int32) {
	for {
		key, ids = x.matchString(KindDomain, d, key, ids)
		i := indexByte(d, '.')
		if i < 0 {
			return key, ids
		}
		d = d[i+1:]
		if indexByte(d, '.') < 0 {
			return key, ids // a top-level domain alone is no indicator
		}
	}
}

func indexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}

// normalizeDomain lower-cases a domain name into dst and drops a final
// dot; it reports false for what is not a domain name.
func normalizeDomain(dst, s []byte) ([]byte, bool) {
	dst = dst[:0]
	if len(s) > 0 && s[len(s)-1] == '.' {
		s = s[:len(s)-1]
	}
	if len(s) == 0 || len(s) > 253 {
		return dst, false
	}
	dots := 0
	for _, c := range s {
		switch {
		case c >= 'A' && c <= 'Z':
			c += 'a' - 'A'
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '-', c == '_':
		case c == '.':
			dots++
		default:
			return dst, false
		}
		dst = append(dst, c)
	}
	return dst, dots > 0
}

// normalizeURL writes a URL as indicators are keyed: the scheme dropped,
// the host lower-cased, a default port and the fragment dropped. An
// indicator "evil.example/x" and an event's "HTTP://Evil.example:80/x#a"
// both become "evil.example/x".
func normalizeURL(dst []byte, s string) []byte {
	dst = dst[:0]
	if i := strings.Index(s, "://"); i > 0 {
		s = s[i+3:]
	}
	if i := strings.IndexByte(s, '#'); i >= 0 {
		s = s[:i]
	}
	host, rest := s, ""
	if i := strings.IndexAny(s, "/?"); i >= 0 {
		host, rest = s[:i], s[i:]
	}
	if i := strings.LastIndexByte(host, '@'); i >= 0 {
		host = host[i+1:] // user info
	}
	host = strings.TrimSuffix(strings.TrimSuffix(host, ":80"), ":443")
	for i := 0; i < len(host); i++ {
		c := host[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	if rest == "/" {
		rest = ""
	}
	return append(dst, rest...)
}

// hashKind tells a hex digest's kind by its length.
func hashKind(s []byte) Kind {
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return 0
		}
	}
	switch len(s) {
	case 32:
		return KindMD5
	case 40:
		return KindSHA1
	case 64:
		return KindSHA256
	}
	return 0
}
