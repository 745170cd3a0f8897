// Package enrich is the enrich stage: it adds what is known of an event's
// addresses, domains, URLs and file hashes. GeoIP and ASN databases in
// MaxMind's format give source.geo.*, source.as.*, destination.geo.* and
// destination.as.*; indicator files (threat intelligence) give ECS
// threat.enrichments[] for every value an indicator matches, and raise
// event.risk_score and event.severity.
//
// As in classify, an event is not decoded and re-encoded: the fields it
// needs are read in one pass over its bytes, and the new fields are
// spliced into the objects they belong to.
//
// Indicator and database files are read again when they change (checked
// every Config.Reload); the stage switches to the new set between two
// batches, so no event is dropped or enriched twice.
package enrich

import (
	"context"
	"fmt"
	"io"
	"net/netip"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/secpipe/secpipe/pkg/event"
	"github.com/secpipe/secpipe/pkg/internal/ipaddr"
	"github.com/secpipe/secpipe/pkg/pipeline"
	"github.com/secpipe/secpipe/pkg/sigma"
)

// Config says what to enrich events with.
type Config struct {
	GeoIP []string // .mmdb files, asked in order
	Intel []string // indicator files and folders
	// Reload is how often the files are checked for changes; 0 never.
	Reload time.Duration
	// Mapping, if set, adds the event paths where its schemas place the
	// Sigma fields of addresses, domains, URLs and hashes (IpAddress,
	// QueryName, Hashes, ...), so Windows and other non-ECS events are
	// matched too.
	Mapping *sigma.Mapping
	// Now is the clock against which indicators' validity is read for
	// events without a timestamp.
	Now func() time.Time
	// Log takes problems and reload notices, each line starting with Prefix.
	Log    io.Writer
	Prefix string
}

// tables are the loaded files, swapped whole on a reload.
type tables struct {
	geo      *GeoIP
	intel    *Index
	files    int
	problems []Problem
}

// Enricher holds the loaded files and reloads them when they change.
type Enricher struct {
	cfg     Config
	cur     atomic.Pointer[tables]
	reloads atomic.Int64
	stop    chan struct{}
	done    sync.WaitGroup
	seen    map[string]fileStamp
}

type fileStamp struct {
	mtime time.Time
	size  int64
}

// maxReported bounds the problems told per load.
const maxReported = 20

// New loads the files of cfg and, with cfg.Reload, starts watching them.
// Problems with single indicators are told to cfg.Log; unreadable files
// are errors.
func New(cfg Config) (*Enricher, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	e := &Enricher{cfg: cfg, stop: make(chan struct{})}
	e.seen = e.stamps()
	t, err := e.load()
	if err != nil {
		return nil, err
	}
	e.cur.Store(t)
	e.report(t, false)
	if cfg.Reload > 0 {
		e.done.Add(1)
		go e.watch()
	}
	return e, nil
}

func (e *Enricher) load() (*tables, error) {
	t := &tables{}
	var err error
	if t.geo, err = OpenGeoIP(e.cfg.GeoIP); err != nil {
		return nil, err
	}
	if len(e.cfg.Intel) > 0 {
		files, err := IntelFiles(e.cfg.Intel)
		if err != nil {
			return nil, err
		}
		t.files = len(files)
		if t.intel, t.problems, err = LoadIntel(e.cfg.Intel, e.cfg.Now()); err != nil {
			return nil, err
		}
	}
	return t, nil
}

func (e *Enricher) report(t *tables, reload bool) {
	for i, p := range t.problems {
		if i == maxReported {
			fmt.Fprintf(e.cfg.Log, "%s: %d more indicator problems\n", e.cfg.Prefix, len(t.problems)-maxReported)
			break
		}
		fmt.Fprintf(e.cfg.Log, "%s: indicator skipped: %v\n", e.cfg.Prefix, p)
	}
	what := "loaded"
	if reload {
		what = "reloaded"
	}
	if t.intel != nil {
		skipped := ""
		if len(t.problems) > 0 {
			skipped = fmt.Sprintf("; %d skipped, as told above", len(t.problems))
		}
		fmt.Fprintf(e.cfg.Log, "%s: %s %d indicators from %d files%s\n", e.cfg.Prefix, what, t.intel.Len(), t.files, skipped)
	}
	if reload && len(e.cfg.GeoIP) > 0 {
		fmt.Fprintf(e.cfg.Log, "%s: %s %d GeoIP databases\n", e.cfg.Prefix, what, len(e.cfg.GeoIP))
	}
}

// Indicators returns the number of indicators loaded.
func (e *Enricher) Indicators() int {
	if t := e.cur.Load(); t.intel != nil {
		return t.intel.Len()
	}
	return 0
}

// Reloads returns how often the files were loaded again.
func (e *Enricher) Reloads() int64 { return e.reloads.Load() }

// GeoIP returns the databases in use.
func (e *Enricher) GeoIP() *GeoIP { return e.cur.Load().geo }

// Close stops watching the files.
func (e *Enricher) Close() {
	select {
	case <-e.stop:
	default:
		close(e.stop)
	}
	e.done.Wait()
}

// stamps notes the modification time and size of every watched file.
func (e *Enricher) stamps() map[string]fileStamp {
	out := map[string]fileStamp{}
	files, _ := IntelFiles(e.cfg.Intel)
	for _, f := range append(files, e.cfg.GeoIP...) {
		if st, err := os.Stat(f); err == nil {
			out[f] = fileStamp{st.ModTime(), st.Size()}
		}
	}
	return out
}

func (e *Enricher) watch() {
	defer e.done.Done()
	tick := time.NewTicker(e.cfg.Reload)
	defer tick.Stop()
	for {
		select {
		case <-e.stop:
			return
		case <-tick.C:
		}
		now := e.stamps()
		if sameStamps(now, e.seen) {
			continue
		}
		e.seen = now
		t, err := e.load()
		if err != nil {
			fmt.Fprintf(e.cfg.Log, "%s: reload failed, keeping the indicators loaded before: %v\n", e.cfg.Prefix, err)
			continue
		}
		e.cur.Store(t)
		e.reloads.Add(1)
		e.report(t, true)
	}
}

func sameStamps(a, b map[string]fileStamp) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || !w.mtime.Equal(v.mtime) || w.size != v.size {
			return false
		}
	}
	return true
}

// Stats counts what a stage did.
type Stats struct {
	Events      int64
	Located     int64 // events given a place or a network
	Matched     int64 // events that matched an indicator
	Enrichments int64 // threat.enrichments written
}

// Stage enriches events; it implements pipeline.Stage. It is used by one
// goroutine.
type Stage struct {
	e      *Enricher
	cfg    Config
	paths  *event.Paths
	fields event.Fields
	sides  [2]side
	ts     int
	evObj  int
	risk   int
	sev    int
	threat int
	enrich int
	ipF    []int
	domF   []int
	urlF   []int
	hashF  []int
	urlDom int

	cur     *tables
	cache   addrCache
	geoFrag map[recordKey]int32 // 1 + index in frags
	frags   [][]byte            // rendered GeoIP members
	scratch []byte
	key     []byte
	top     []byte
	norm    []byte
	text    []byte
	ids     []int32
	matches []match
	edits   []edit
	stats   Stats
}

type side struct {
	name                     string
	obj, ip, geo, asn, field int
}

type match struct {
	id     int32
	field  string
	atomic []byte // in s.scratch... copied to an own buffer
}

type edit struct {
	at, end int    // replace raw[at:end] (at == end: insert at)
	text    []byte // what goes there
}

// NewStage returns a stage over the enricher's files.
func (e *Enricher) NewStage() *Stage {
	s := &Stage{e: e, cfg: e.cfg, paths: event.NewPaths(), geoFrag: map[recordKey]int32{}, cache: newAddrCache(addrCacheSlots)}
	p := s.paths
	for i, name := range []string{"source", "destination"} {
		s.sides[i] = side{name: name, obj: p.Add(name), ip: p.Add(name + ".ip"), geo: p.Add(name + ".geo"), asn: p.Add(name + ".as")}
	}
	s.ts = p.Add("@timestamp")
	s.evObj = p.Add("event")
	s.risk = p.Add("event.risk_score")
	s.sev = p.Add("event.severity")
	s.threat = p.Add("threat")
	s.enrich = p.Add("threat.enrichments")
	s.urlDom = p.Add("url.domain")
	f := fieldPaths(e.cfg.Mapping)
	add := func(list []string) []int {
		var slots []int
		seen := map[int]bool{}
		for _, path := range list {
			slot := p.Add(path)
			if !seen[slot] {
				seen[slot] = true
				slots = append(slots, slot)
			}
		}
		return slots
	}
	s.ipF, s.domF, s.urlF, s.hashF = add(f.ip), add(f.domain), add(f.url), add(f.hash)
	return s
}

// Stats returns the counts so far.
func (s *Stage) Stats() Stats { return s.stats }

// Process implements pipeline.Stage.
func (s *Stage) Process(_ context.Context, in []pipeline.Message, out *pipeline.Batch) error {
	if t := s.e.cur.Load(); t != s.cur {
		s.cur = t
		s.clearGeo()
		s.cache.forTables(t)
	}
	for i := range in {
		msg := in[i]
		s.stats.Events++
		v, err := s.event(out, msg.Value)
		if err != nil {
			return err
		}
		msg.Value = v
		out.Add(msg)
	}
	return nil
}

// Finish implements pipeline.Stage.
func (s *Stage) Finish(context.Context, *pipeline.Batch) error { return nil }

// event returns raw with its enrichment, or raw itself when there is none.
func (s *Stage) event(out *pipeline.Batch, raw []byte) ([]byte, error) {
	s.paths.Extract(raw, &s.fields)
	f := &s.fields
	s.edits = s.edits[:0]
	s.scratch = s.scratch[:0]
	s.top = s.top[:0] // new top-level members
	addTop := func(parts ...[]byte) {
		if len(s.top) > 0 {
			s.top = append(s.top, ',')
		}
		for _, p := range parts {
			s.top = append(s.top, p...)
		}
	}
	// GeoIP, for each side with an address and no place yet.
	located := false
	type pending struct {
		obj   event.Value
		hasOb bool
		start int
		end   int
		name  string
	}
	var sides [2]pending
	n := 0
	if s.cur.geo != nil && len(s.cur.geo.dbs) > 0 {
		for _, sd := range s.sides {
			ips := f.Values(sd.ip)
			if len(ips) == 0 || ips[0].Kind != event.String || len(f.Values(sd.geo)) > 0 || len(f.Values(sd.asn)) > 0 {
				continue
			}
			frag, err := s.geoFields(ips[0].Raw)
			if err != nil {
				return nil, err
			}
			if len(frag) == 0 {
				continue
			}
			located = true
			p := pending{name: sd.name, start: len(s.scratch)}
			s.scratch = append(s.scratch, frag...)
			p.end = len(s.scratch)
			if objs := f.Values(sd.obj); len(objs) == 1 && objs[0].Kind == event.Object {
				p.obj, p.hasOb = objs[0], true
			}
			sides[n] = p
			n++
		}
	}
	if located {
		s.stats.Located++
	}
	// Threat intelligence.
	score := 0
	enrStart, enrEnd := 0, 0
	if s.cur.intel != nil {
		s.matchAll(raw)
		if len(s.matches) > 0 {
			s.stats.Matched++
			enrStart = len(s.scratch)
			s.scratch = append(s.scratch, '[')
			for i, m := range s.matches {
				if i > 0 {
					s.scratch = append(s.scratch, ',')
				}
				x := s.cur.intel
				in := &x.Indicators[m.id]
				score = max(score, int(in.Score))
				s.scratch = appendEnrichment(s.scratch, in, &x.metas[in.meta], m)
			}
			s.scratch = append(s.scratch, ']')
			enrEnd = len(s.scratch)
			s.stats.Enrichments += int64(len(s.matches))
		}
	}
	// threat.enrichments is enrich's own: what an input brings is not
	// believed (it would reach classify's rules), so without a match of
	// ours it is emptied.
	forged := s.cur.intel != nil && enrEnd == 0 && len(f.Values(s.enrich)) > 0
	if n == 0 && enrEnd == 0 && !forged {
		return raw, nil
	}
	if forged {
		s.replaceArray(raw, f.Values(s.enrich), []byte("[]"))
	}
	// Everything is in s.scratch now; edits point into it.
	for _, p := range sides[:n] {
		frag := s.scratch[p.start:p.end]
		if p.hasOb {
			s.insertInto(raw, p.obj, frag)
		} else {
			addTop([]byte(`"`), []byte(p.name), []byte(`":{`), frag, []byte("}"))
		}
	}
	if enrEnd > 0 {
		arr := s.scratch[enrStart:enrEnd]
		if old := f.Values(s.enrich); len(old) > 0 {
			s.replaceArray(raw, old, arr) // enrich owns threat.enrichments
		} else if objs := f.Values(s.threat); len(objs) == 1 && objs[0].Kind == event.Object {
			s.insertInto(raw, objs[0], s.member("enrichments", arr))
		} else {
			addTop([]byte(`"threat":{"enrichments":`), arr, []byte("}"))
		}
		s.raiseRisk(raw, score, addTop)
	}
	if len(s.top) > 0 {
		s.insertTop(raw, s.top)
	}
	return s.apply(out, raw), nil
}

// member renders `"name":value` into s.scratch and returns it.
func (s *Stage) member(name string, value []byte) []byte {
	start := len(s.scratch)
	s.scratch = append(s.scratch, '"')
	s.scratch = append(s.scratch, name...)
	s.scratch = append(s.scratch, `":`...)
	s.scratch = append(s.scratch, value...)
	return s.scratch[start:]
}

// raiseRisk sets event.risk_score and event.severity to at least the
// score's, keeping higher values the event has.
func (s *Stage) raiseRisk(raw []byte, score int, addTop func(...[]byte)) {
	f := &s.fields
	sev := severityOf(score)
	start := len(s.scratch)
	s.scratch = strconv.AppendInt(s.scratch, int64(score), 10)
	scoreText := s.scratch[start:]
	start = len(s.scratch)
	s.scratch = strconv.AppendInt(s.scratch, int64(sev), 10)
	sevText := s.scratch[start:]
	objs := f.Values(s.evObj)
	if len(objs) != 1 || objs[0].Kind != event.Object {
		addTop([]byte(`"event":{"risk_score":`), scoreText, []byte(`,"severity":`), sevText, []byte("}"))
		return
	}
	addStart := len(s.scratch)
	for _, fld := range []struct {
		slot int
		name string
		v    int
		text []byte
	}{{s.risk, "risk_score", score, scoreText}, {s.sev, "severity", sev, sevText}} {
		old := f.Values(fld.slot)
		if len(old) == 0 {
			if len(s.scratch) > addStart {
				s.scratch = append(s.scratch, ',')
			}
			s.member(fld.name, fld.text)
			continue
		}
		if have, ok := old[0].Float(); !ok || have < float64(fld.v) {
			s.replace(raw, old[0], fld.text)
		}
	}
	add := s.scratch[addStart:]
	if len(add) > 0 {
		s.insertInto(raw, objs[0], add)
	}
}

// severityOf maps a risk score to ECS event.severity as Elastic's rules
// use it: 21 low, 47 medium, 73 high, 99 critical.
func severityOf(score int) int {
	switch {
	case score >= 90:
		return 99
	case score >= 70:
		return 73
	case score >= 40:
		return 47
	}
	return 21
}

// offset returns where v lies in raw.
func offset(raw []byte, v []byte) int { return cap(raw) - cap(v) }

// insertInto adds members (without a leading comma) at the end of obj.
func (s *Stage) insertInto(raw []byte, obj event.Value, members []byte) {
	end := offset(raw, obj.Raw) + len(obj.Raw) - 1 // the closing brace
	empty := true
	for i := end - 1; i >= 0; i-- {
		if c := raw[i]; c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			empty = c == '{'
			break
		}
	}
	if !empty {
		start := len(s.scratch)
		s.scratch = append(s.scratch, ',')
		s.scratch = append(s.scratch, members...)
		members = s.scratch[start:]
	}
	s.edits = append(s.edits, edit{at: end, end: end, text: members})
}

// replace puts text in place of the value v.
func (s *Stage) replace(raw []byte, v event.Value, text []byte) {
	at := offset(raw, v.Raw)
	end := at + len(v.Raw)
	if v.Kind == event.String { // Raw is within the quotes
		at, end = at-1, end+1
	}
	s.edits = append(s.edits, edit{at: at, end: end, text: text})
}

// replaceArray puts text in place of the array whose elements (or, when
// empty, itself) are elems: the extractor gives an array's elements.
func (s *Stage) replaceArray(raw []byte, elems []event.Value, text []byte) {
	if len(elems) == 1 && elems[0].Kind == event.Array {
		s.replace(raw, elems[0], text)
		return
	}
	first, last := elems[0], elems[len(elems)-1]
	at := offset(raw, first.Raw)
	end := offset(raw, last.Raw) + len(last.Raw)
	if first.Kind == event.String {
		at--
	}
	if last.Kind == event.String {
		end++
	}
	for at > 0 && raw[at] != '[' {
		at--
	}
	for end < len(raw) && raw[end-1] != ']' {
		end++
	}
	s.edits = append(s.edits, edit{at: at, end: end, text: text})
}

// insertTop adds members at the end of the event.
func (s *Stage) insertTop(raw []byte, members []byte) {
	end := len(raw) - 1
	for end > 0 && raw[end] != '}' {
		end--
	}
	obj := event.Value{Kind: event.Object, Raw: raw[:end+1]}
	s.insertInto(raw, obj, members)
}

// apply writes raw with s.edits made.
func (s *Stage) apply(out *pipeline.Batch, raw []byte) []byte {
	size := len(raw)
	for _, e := range s.edits {
		size += len(e.text) - (e.end - e.at)
	}
	// Edits are few: sort them by position by insertion.
	for i := 1; i < len(s.edits); i++ {
		for j := i; j > 0 && s.edits[j].at < s.edits[j-1].at; j-- {
			s.edits[j], s.edits[j-1] = s.edits[j-1], s.edits[j]
		}
	}
	buf := out.Alloc(size)[:0]
	prev := 0
	for _, e := range s.edits {
		buf = append(buf, raw[prev:e.at]...)
		buf = append(buf, e.text...)
		prev = e.end
	}
	return append(buf, raw[prev:]...)
}

// geoFields returns the geo and as members of the address text, from
// the address cache or else rendered.
func (s *Stage) geoFields(text []byte) ([]byte, error) {
	addr, ok := ipaddr.Parse(text)
	if !ok {
		return nil, nil
	}
	s.cache.lookups++
	sl := s.cache.slot(addr)
	if sl.state&geoKnown != 0 {
		s.cache.hits++
	} else {
		i, cacheable, err := s.renderGeo(addr)
		if err != nil {
			return nil, err
		}
		if !cacheable {
			if i == 0 {
				return nil, nil
			}
			return s.frags[i-1], nil
		}
		sl = s.cache.slot(addr) // renderGeo may have emptied the cache
		sl.geo, sl.state = i, sl.state|geoKnown
	}
	if sl.geo == 0 {
		return nil, nil
	}
	return s.frags[sl.geo-1], nil
}

// renderGeo returns 1 + the index in s.frags of addr's geo and as members
// (0 when the databases know nothing of it); the members are shared by
// addresses of the same records. cacheable is false when they belong to
// this address alone (more than four databases).
func (s *Stage) renderGeo(addr netip.Addr) (i int32, cacheable bool, err error) {
	k, found, cacheable, err := s.cur.geo.key(addr)
	if err != nil || !found {
		return 0, cacheable, err
	}
	if cacheable {
		if i, ok := s.geoFrag[k]; ok {
			return i, true, nil
		}
	}
	var place Place
	if cacheable {
		place, found, err = s.cur.geo.place(k)
	} else {
		place, found, err = s.cur.geo.Lookup(addr)
	}
	if err != nil || !found {
		return 0, cacheable, err
	}
	if len(s.frags) >= 1<<16 {
		s.clearGeo() // the cache's slots point into frags
		s.cache.reset()
	}
	s.frags = append(s.frags, place.appendFields(nil))
	i = int32(len(s.frags))
	if cacheable {
		s.geoFrag[k] = i
	}
	return i, cacheable, nil
}

// clearGeo forgets the rendered GeoIP members.
func (s *Stage) clearGeo() {
	clear(s.geoFrag)
	clear(s.frags)
	s.frags = s.frags[:0]
}

// ipIndicators appends the IP indicators holding addr to ids, from the
// address cache or else from the index.
func (s *Stage) ipIndicators(addr netip.Addr, ids []int32) []int32 {
	s.cache.lookups++
	sl := s.cache.slot(addr)
	if sl.state&intelKnown != 0 && sl.nids >= 0 {
		s.cache.hits++
		return append(ids, sl.ids[:sl.nids]...)
	}
	start := len(ids)
	ids = s.cur.intel.matchIP(addr, ids)
	if n := len(ids) - start; n <= len(sl.ids) {
		sl.nids = int8(copy(sl.ids[:], ids[start:]))
	} else {
		sl.nids = -1
	}
	sl.state |= intelKnown
	return ids
}
