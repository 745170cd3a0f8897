// Package format reads the log formats secpipe takes in (JSON Lines,
// Windows .evtx, Zeek, Suricata EVE, syslog, auditd, CSV) and turns each
// record into one event: a compact JSON object. Every format registers
// itself here, with how to recognise it, so that a reader for an input is
// chosen by name (--input-format) or from the input's first bytes.
package format

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/secpipe/secpipe/pkg/event"
)

// Format names an input format.
type Format string

// Auto asks Open to recognise the format from the input's first bytes.
const Auto Format = "auto"

// JSON is JSON Lines or concatenated JSON objects (as jq reads them).
const JSON Format = "json"

// Reader reads the events of one input.
type Reader interface {
	// Next returns the next event, a compact JSON object in Record.Raw,
	// valid until the next call. At the end of input it returns io.EOF. A
	// *event.BadRecordError reports a record that was skipped: reading may
	// go on. Any other error ends the input.
	Next() (event.Record, error)
	// Buffered reports whether Next would return without waiting for the
	// underlying reader (for a pipe whose writer pauses).
	Buffered() bool
}

// RowReader is a Reader of a format whose records are rows of named
// columns (CSV). It can hand on a row's cells of the consumer's fields
// without building the row's JSON object, for consumers that read a few
// fields of many rows (stats).
type RowReader interface {
	Reader
	// NextRow reads the next record as Next does, bad records and errors
	// alike, and returns its cells of the fields named by Options.Fields,
	// in that order: the text that the event of Next would hold at that
	// field, or nil where it would hold none. The cells are valid until
	// the next call.
	NextRow() (Row, error)
}

// Row is one record's cells of the consumer's fields (RowReader).
type Row struct {
	Cells [][]byte
	Input string
	Line  int
}

// Options are what every reader is told.
type Options struct {
	// Name names the input in messages: a path, or "<stdin>".
	Name string
	// MaxRecord caps the size of one record (0: event.DefaultMaxRecord).
	MaxRecord int
	// Ready, set by Open, reports whether the input under the reader's
	// buffer has more at hand, so that a read would not wait.
	Ready func() bool
	// Fields, when set, names the only fields the consumer reads: a reader
	// may leave the others out of its events (CSV leaves out other columns).
	Fields []string
	// Now is the clock, for formats whose timestamps leave out the year
	// (nil: time.Now).
	Now func() time.Time
}

// HeadSize is how many leading bytes of an input Detect is shown at most.
const HeadSize = 64 << 10

// spec is a registered format.
type spec struct {
	name Format
	// rank orders detection: lower ranks are tried first.
	rank int
	// detect reports whether an input whose first bytes are head (at most
	// HeadSize, fewer for a short input) and whose name is name holds this
	// format. Nil: the format is only chosen by name.
	detect func(head []byte, name string) bool
	open   func(r *bufio.Reader, opt Options) (Reader, error)
	about  string // a line for help and error messages
}

var formats []spec

// register adds a format; each format's file calls it from init.
func register(s spec) {
	formats = append(formats, s)
	sort.SliceStable(formats, func(i, j int) bool { return formats[i].rank < formats[j].rank })
}

func init() {
	register(spec{
		name:  JSON,
		rank:  100,
		about: "JSON Lines or concatenated JSON objects",
		// JSON starts with '{'; after a bad first record, some later line does.
		detect: func(head []byte, _ string) bool {
			t := bytes.TrimLeft(head, " \t\r\n")
			return len(t) > 0 && t[0] == '{' || bytes.Contains(head, []byte("\n{"))
		},
		open: func(r *bufio.Reader, opt Options) (Reader, error) {
			return event.NewReader(readyReader{r, opt.Ready}, opt.Name, opt.MaxRecord), nil
		},
	})
}

// Names lists the formats that --input-format takes, auto first.
func Names() []string {
	out := []string{string(Auto)}
	for _, s := range formats {
		out = append(out, string(s.name))
	}
	return out
}

// Parse checks a format name.
func Parse(s string) (Format, error) {
	f := Format(strings.ToLower(strings.TrimSpace(s)))
	if f == Auto || f == "" {
		return Auto, nil
	}
	for _, s := range formats {
		if s.name == f {
			return f, nil
		}
	}
	return "", fmt.Errorf("unknown input format %q (want %s)", s, strings.Join(Names(), ", "))
}

// Detect tells the format of an input from its first bytes and its name;
// ok is false when no format recognises it.
func Detect(head []byte, name string) (f Format, ok bool) {
	for _, s := range formats {
		if s.detect != nil && s.detect(head, name) {
			return s.name, true
		}
	}
	return "", false
}

// Open returns a reader of r in format f; with Auto, the format is
// recognised from r's first bytes (and the input's name) and returned.
// Input compressed with gzip or zstd is decompressed on the way, and a
// UTF-8 byte order mark at the start is dropped. When the returned reader
// is an io.Closer, close it after use (r itself is left open).
func Open(r io.Reader, f Format, opt Options) (Reader, Format, error) {
	ready := func() bool { return true }
	if rr, ok := r.(event.Ready); ok {
		ready = rr.Ready
	}
	br, ok := r.(*bufio.Reader)
	if !ok || br.Size() < HeadSize {
		br = bufio.NewReaderSize(r, HeadSize)
	}
	br, decoder, err := decompress(br, opt.Name)
	if err != nil {
		return nil, "", err
	}
	if decoder != nil {
		ready = func() bool { return true }
	}
	opt.Ready = ready
	rd, f, err := open(br, f, opt)
	if decoder != nil {
		if err != nil {
			decoder.Close()
			return nil, "", err
		}
		if rr, ok := rd.(RowReader); ok {
			rd = closingRowReader{rr, decoder}
		} else {
			rd = closingReader{rd, decoder}
		}
	}
	return rd, f, err
}

func open(br *bufio.Reader, f Format, opt Options) (Reader, Format, error) {
	if f == Auto || f == "" {
		head, err := peekHead(br, opt.Ready)
		if err != nil {
			return nil, "", fmt.Errorf("reading %s: %w", opt.Name, err)
		}
		var known bool
		if f, known = Detect(head, opt.Name); !known {
			if len(bytes.TrimSpace(head)) > 0 {
				return nil, "", &UnknownError{Name: opt.Name, Head: head}
			}
			f = JSON // empty input: no events, whatever the format
		}
	}
	for _, s := range formats {
		if s.name == f {
			rd, err := s.open(br, opt)
			return rd, f, err
		}
	}
	return nil, "", fmt.Errorf("unknown input format %q", f)
}

// peekHead returns the first bytes of br, dropping a UTF-8 byte order
// mark: up to HeadSize, or fewer at the end of input, or once a whole line
// is in and more input is not ready at once (a pipe whose writer pauses
// must not hold back the events it did send).
func peekHead(br *bufio.Reader, ready func() bool) ([]byte, error) {
	want := 1
	for {
		head, err := br.Peek(want)
		if buffered := br.Buffered(); buffered > len(head) {
			head, _ = br.Peek(buffered)
		}
		if len(head) >= 3 && want <= 3 && len(trimBOM(head)) == 0 {
			br.Discard(3)
			continue
		}
		if err == io.EOF || len(head) >= HeadSize {
			return head, nil
		}
		if err != nil {
			return nil, err
		}
		if bytes.IndexByte(head, '\n') >= 0 && !ready() {
			return head, nil
		}
		want = len(head) + 1
	}
}

// readyReader is a buffered input that tells whether a read would wait.
type readyReader struct {
	*bufio.Reader
	ready func() bool
}

// Ready implements event.Ready.
func (r readyReader) Ready() bool { return r.Buffered() > 0 || r.ready() }

// closingReader closes the decompressor of a compressed input.
type closingReader struct {
	Reader
	io.Closer
}

// closingRowReader is a closingReader of rows.
type closingRowReader struct {
	RowReader
	io.Closer
}

// UnknownError reports an input that no format recognises.
type UnknownError struct {
	Name string
	Head []byte
}

func (e *UnknownError) Error() string {
	if len(e.Head) == 0 {
		return e.Name + ": empty input"
	}
	return fmt.Sprintf("%s: not a format secpipe reads (%s); name one with --input-format (%s)", e.Name, describe(e.Head), strings.Join(Names(), ", "))
}

// describe says what unrecognised bytes look like, for messages.
func describe(head []byte) string {
	for _, c := range head[:min(len(head), 512)] {
		if c == 0 {
			return "binary data"
		}
	}
	line, _, _ := strings.Cut(string(trimBOM(head)), "\n")
	if len(line) > 60 {
		line = line[:60] + "..."
	}
	return fmt.Sprintf("text starting %q", line)
}

// trimBOM drops a UTF-8 byte order mark.
func trimBOM(b []byte) []byte {
	if len(b) >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF {
		return b[3:]
	}
	return b
}
