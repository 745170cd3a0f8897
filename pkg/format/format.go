// Package format reads the log formats secpipe takes in (JSON Lines,
// Windows .evtx, Zeek, Suricata EVE, syslog, auditd, CSV) and turns each
// record into one event: a compact JSON object. Every format registers
// itself here, with how to recognise it, so that a reader for an input is
// chosen by name (--input-format) or from the input's first bytes.
package format

import (
	"bufio"
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

// Options are what every reader is told.
type Options struct {
	// Name names the input in messages: a path, or "<stdin>".
	Name string
	// MaxRecord caps the size of one record (0: event.DefaultMaxRecord).
	MaxRecord int
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
		detect: func(head []byte, _ string) bool {
			t := trimBOM(head)
			for _, c := range t {
				switch c {
				case ' ', '\t', '\r', '\n':
					continue
				}
				return c == '{'
			}
			return false
		},
		open: func(r *bufio.Reader, opt Options) (Reader, error) {
			return event.NewReader(r, opt.Name, opt.MaxRecord), nil
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
// A UTF-8 byte order mark at the start is dropped.
func Open(r io.Reader, f Format, opt Options) (Reader, Format, error) {
	br, ok := r.(*bufio.Reader)
	if !ok || br.Size() < HeadSize {
		br = bufio.NewReaderSize(r, HeadSize)
	}
	if bom, _ := br.Peek(3); len(trimBOM(bom)) == 0 && len(bom) == 3 {
		br.Discard(3)
	}
	if f == Auto || f == "" {
		head, err := br.Peek(HeadSize)
		if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
			return nil, "", err
		}
		var known bool
		if f, known = Detect(head, opt.Name); !known {
			return nil, "", &UnknownError{Name: opt.Name, Head: head}
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
