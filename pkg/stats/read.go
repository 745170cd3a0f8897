package stats

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/secpipe/secpipe/pkg/ecs"
	"github.com/secpipe/secpipe/pkg/event"
	"github.com/secpipe/secpipe/pkg/pipeline"
)

// RowError reports a bad input row, which is skipped.
type RowError struct {
	Input  string
	Line   int
	Reason string
}

func (e *RowError) Error() string { return fmt.Sprintf("%s:%d: %s", e.Input, e.Line, e.Reason) }

// HeaderError reports a CSV input whose header lacks a needed column.
type HeaderError struct {
	Input  string
	Reason string
}

func (e *HeaderError) Error() string { return e.Input + ": " + e.Reason }

// Input says how to read: where bad rows go and the record size limit.
type Input struct {
	Rejects   *pipeline.Rejects
	MaxRecord int // 0: event.DefaultMaxRecord
	// Progress, if set, is told of the bytes read as they are read, for a
	// progress bar; it may be called from several goroutines at once.
	Progress func(n int)
}

// reader returns r, counting its bytes for Progress.
func (in Input) reader(r io.Reader) io.Reader {
	if in.Progress == nil {
		return r
	}
	return progressReader{r, in.Progress}
}

type progressReader struct {
	r    io.Reader
	tell func(int)
}

func (p progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.tell(n)
	return n, err
}

func (in Input) maxRecord() int {
	if in.MaxRecord > 0 {
		return in.MaxRecord
	}
	return event.DefaultMaxRecord
}

// reject hands a bad row to the rejects; an error means stop (--strict).
func (in Input) reject(err error, raw []byte) error {
	if in.Rejects == nil {
		return nil
	}
	return in.Rejects.Reject(err, raw)
}

// checkEvery is how many rows go by between checks of the context.
const checkEvery = 1 << 16

// Read adds the events of one input to a: classified JSON (first non-blank
// byte '{') or CSV with a header naming its columns.
func (a *Agg) Read(ctx context.Context, r io.Reader, name string, in Input) error {
	br := bufio.NewReaderSize(in.reader(r), 1<<20)
	for n := 1; ; n++ {
		head, err := br.Peek(n)
		if len(head) < n {
			if err == io.EOF || err == nil {
				return nil // blank input
			}
			return fmt.Errorf("reading %s: %w", name, err)
		}
		switch head[n-1] {
		case ' ', '\t', '\r', '\n':
			continue
		case '{':
			return a.ReadJSON(ctx, br, name, in)
		}
		return a.ReadCSV(ctx, br, name, in)
	}
}

// csvColumns are the columns stats reads, by accepted header names.
var csvColumns = [...][]string{
	colID:       {"event_id", "event.id"},
	colTime:     {"timestamp", "@timestamp"},
	colUser:     {"user", "user.name"},
	colHost:     {"host", "host.name"},
	colIP:       {"source_ip", "source.ip"},
	colTactic:   {"mitre_tactic", "threat.tactic.id"},
	colTech:     {"mitre_technique", "threat.technique.id"},
	colTactName: {"tactic_name", "threat.tactic.name"},
	colTechName: {"technique_name", "threat.technique.name"},
}

const (
	colID = iota
	colTime
	colUser
	colHost
	colIP
	colTactic
	colTech
	colTactName
	colTechName
	numCols
)

// layout maps the columns stats reads to their positions in a CSV (-1: absent).
type layout struct {
	pos   [numCols]int
	width int // the header's column count
}

func readLayout(header [][]byte, name string) (layout, error) {
	var l layout
	l.width = len(header)
	for i := range l.pos {
		l.pos[i] = -1
	}
	for i, h := range header {
		if i == 0 {
			h = bytes.TrimPrefix(h, []byte("\xef\xbb\xbf"))
		}
		hs := strings.ToLower(strings.TrimSpace(string(h)))
		for c, names := range csvColumns {
			for _, n := range names {
				if hs == n && l.pos[c] < 0 {
					l.pos[c] = i
				}
			}
		}
	}
	if l.pos[colTactic] < 0 {
		shown := string(bytes.Join(header, []byte(",")))
		if len(shown) > 200 {
			shown = shown[:200] + "..."
		}
		return l, &HeaderError{Input: name, Reason: "not a classified events CSV: no mitre_tactic column in the header (" + shown + ")"}
	}
	return l, nil
}

// need returns how many leading fields hold every column read.
func (l *layout) need() int {
	n := 0
	for _, p := range l.pos {
		n = max(n, p+1)
	}
	return n
}

func (l *layout) field(fields [][]byte, c int) []byte {
	if p := l.pos[c]; p >= 0 {
		return fields[p]
	}
	return nil
}

// ReadCSV adds the rows of a CSV with a header: the store's, the lab's
// classified_packets.csv, or any with a mitre_tactic column. Rows of one
// event are adjacent (store writes one per tactic/technique pair): a new
// event starts where event_id changes, and at every row without one.
func (a *Agg) ReadCSV(ctx context.Context, r io.Reader, name string, in Input) error {
	cr := newCSVReader(r, in.maxRecord())
	var l layout
	for {
		header, _, err := cr.next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading %s: %w", name, err)
		}
		if l, err = readLayout(header, name); err != nil {
			return err
		}
		break
	}
	_, err := a.readRows(ctx, cr, &l, name, in, nil)
	return err
}

// rowState carries the event being read across rows.
type rowState struct {
	id, ts []byte
	ns     int64
	dated  bool
}

// readRows reads the data rows of a CSV until the end of cr. With bad set,
// bad rows are collected there instead of going to the rejects.
func (a *Agg) readRows(ctx context.Context, cr *csvReader, l *layout, name string, in Input, bad *badRows) (lines int, err error) {
	var st rowState
	var tc timeCache
	defer a.End()
	cr.need = l.need()
	for n := 0; ; n++ {
		if n%checkEvery == 0 && ctx.Err() != nil {
			return cr.line, ctx.Err()
		}
		fields, line, err := cr.next()
		if err != nil {
			if err == io.EOF {
				return cr.line, nil
			}
			if err == errBadQuote || err == errTooLong {
				if rerr := a.bad(in, bad, &RowError{Input: name, Line: line, Reason: err.Error()}, cr.lastRaw); rerr != nil {
					return cr.line, rerr
				}
				continue
			}
			return cr.line, fmt.Errorf("reading %s: %w", name, err)
		}
		if cr.count != l.width {
			reason := fmt.Sprintf("%d columns where the header has %d", cr.count, l.width)
			if rerr := a.bad(in, bad, &RowError{Input: name, Line: line, Reason: reason}, cr.lastRaw); rerr != nil {
				return cr.line, rerr
			}
			continue
		}
		a.rows++
		id := l.field(fields, colID)
		ts := l.field(fields, colTime)
		newEvent := !a.open || len(id) == 0 || !bytes.Equal(id, st.id)
		if newEvent || !bytes.Equal(ts, st.ts) {
			ns, dated := int64(0), len(ts) > 0
			if dated {
				var ok bool
				if ns, ok = tc.parse(ts); !ok {
					a.rows--
					if rerr := a.bad(in, bad, &RowError{Input: name, Line: line, Reason: fmt.Sprintf("unparsable timestamp %q", ts)}, cr.lastRaw); rerr != nil {
						return cr.line, rerr
					}
					continue
				}
			}
			if newEvent {
				st.ns, st.dated = ns, dated
				st.id = append(st.id[:0], id...)
				st.ts = append(st.ts[:0], ts...)
				a.Begin(ns, dated, l.field(fields, colUser), l.field(fields, colHost), l.field(fields, colIP))
			}
		}
		a.Tag(l.field(fields, colTactic), l.field(fields, colTech), l.field(fields, colTactName), l.field(fields, colTechName))
	}
}

// badRows collects the bad rows of a chunk read in parallel, to be
// reported in order once the line numbers before the chunk are known.
type badRows struct {
	errs  []*RowError
	raws  [][]byte
	extra int // bad rows past the ones kept
}

const keepBad = 101

func (a *Agg) bad(in Input, b *badRows, e *RowError, raw []byte) error {
	if b == nil {
		return in.reject(e, raw)
	}
	if len(b.errs) < keepBad {
		b.errs = append(b.errs, e)
		b.raws = append(b.raws, append([]byte(nil), raw...))
	} else {
		b.extra++
	}
	return nil
}

// jsonPaths are the fields stats reads from JSON events.
type jsonPaths struct {
	p                                 *event.Paths
	ts, user, host, ip                []int
	tactic, tech, sub, labTact, labTq int
	tacticName                        int
}

func newJSONPaths() *jsonPaths {
	j := &jsonPaths{p: event.NewPaths()}
	slots := func(paths []string) []int {
		var s []int
		for _, p := range paths {
			s = append(s, j.p.Add(p))
		}
		return s
	}
	j.ts, j.user, j.host, j.ip = slots(ecs.Timestamp), slots(ecs.User), slots(ecs.Host), slots(ecs.SourceIP)
	j.tactic, j.labTact = j.p.Add(ecs.TacticID[0]), j.p.Add(ecs.TacticID[1])
	j.tech, j.labTq = j.p.Add(ecs.TechID[0]), j.p.Add(ecs.TechID[1])
	j.sub = j.p.Add(ecs.SubTechID[0])
	j.tacticName = j.p.Add(ecs.TacticName[0])
	return j
}

// first returns the text of the first string or number at the slots.
func first(f *event.Fields, dst []byte, slots []int) []byte {
	for _, s := range slots {
		for _, v := range f.Values(s) {
			if v.Kind == event.String || v.Kind == event.Number {
				return v.AppendText(dst)
			}
		}
	}
	return dst
}

func strs(f *event.Fields, slots ...int) []string {
	var out []string
	for _, s := range slots {
		for _, v := range f.Values(s) {
			if v.Kind == event.String && len(v.Raw) > 0 {
				out = append(out, v.Text())
			}
		}
	}
	return out
}

// ReadJSON adds classified events read as JSON Lines (or concatenated JSON
// objects): each is one event, its tactics and techniques taken from the
// ECS threat fields, or the lab classifier's mitre_tactic/mitre_technique.
func (a *Agg) ReadJSON(ctx context.Context, r io.Reader, name string, in Input) error {
	rd := event.NewReader(r, name, in.maxRecord())
	j := newJSONPaths()
	var f event.Fields
	var ts, user, host, ip []byte
	var tc timeCache
	defer a.End()
	for n := 0; ; n++ {
		if n%checkEvery == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		rec, err := rd.Next()
		if err != nil {
			if err == io.EOF {
				return nil
			}
			var bad *event.BadRecordError
			if errors.As(err, &bad) {
				if rerr := in.reject(bad, bad.Raw); rerr != nil {
					return rerr
				}
				continue
			}
			return fmt.Errorf("reading %s: %w", name, err)
		}
		j.p.Extract(rec.Raw, &f)
		ts = first(&f, ts[:0], j.ts)
		ns, dated := int64(0), len(ts) > 0
		if dated {
			var ok bool
			if ns, ok = tc.parse(ts); !ok {
				if rerr := in.reject(&RowError{Input: name, Line: rec.Line, Reason: fmt.Sprintf("unparsable timestamp %q", ts)}, rec.Raw); rerr != nil {
					return rerr
				}
				continue
			}
		}
		a.rows++
		user, host, ip = first(&f, user[:0], j.user), first(&f, host[:0], j.host), first(&f, ip[:0], j.ip)
		a.Begin(ns, dated, user, host, ip)
		tactics := strs(&f, j.tactic)
		if len(tactics) == 0 {
			tactics = strs(&f, j.labTact)
		}
		techs := strs(&f, j.tech, j.sub)
		if len(techs) == 0 {
			techs = strs(&f, j.labTq)
		}
		if len(tactics) == 0 && len(techs) == 0 {
			continue
		}
		names := strs(&f, j.tacticName)
		for _, p := range ecs.Pairs(tactics, techs, a.cat) {
			var tname []byte
			for i, t := range tactics {
				if t == p.Tactic && i < len(names) {
					tname = []byte(names[i])
				}
			}
			a.Tag([]byte(p.Tactic), []byte(p.Technique), tname, nil)
		}
	}
}

// ReadFile adds the events of a file, as Read does. A large CSV file is
// read in parallel parts, one per core.
func (a *Agg) ReadFile(ctx context.Context, path string, in Input) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() && st.Size() >= 2*minPart && !isJSON(f) {
		done, err := a.readCSVFile(ctx, f, st.Size(), path, in)
		if done || err != nil {
			return err
		}
	}
	return a.Read(ctx, f, path, in)
}

// isJSON tells whether a file's first non-blank byte is '{'.
func isJSON(f *os.File) bool {
	var buf [4096]byte
	for off := int64(0); ; {
		n, _ := f.ReadAt(buf[:], off)
		if n == 0 {
			return false
		}
		if t := bytes.TrimLeft(buf[:n], " \t\r\n"); len(t) > 0 {
			return t[0] == '{'
		}
		off += int64(n)
	}
}
