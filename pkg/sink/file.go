package sink

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/secpipe/secpipe/pkg/attack"
	"github.com/secpipe/secpipe/pkg/pipeline"
	"github.com/secpipe/secpipe/pkg/store"
)

// Format is the format of a file or stream sink.
type Format string

// The sink formats.
const (
	CSV   Format = "csv"   // store's table: one row per event and tactic/technique pair
	JSONL Format = "jsonl" // the events as they are, one a line
	// LabCSV is the course lab's classified_packets.csv: its 8 columns, one
	// row per event with its first tactic and technique.
	LabCSV Format = "lab"
)

// Extensions lists the file extensions the format is told from, for messages.
const Extensions = ".csv, .jsonl, .ndjson or .json"

// ParseFormat checks a format name.
func ParseFormat(s string) (Format, error) {
	switch strings.ToLower(s) {
	case "csv":
		return CSV, nil
	case "jsonl", "ndjson", "json":
		return JSONL, nil
	case "lab":
		return LabCSV, nil
	}
	return "", fmt.Errorf("unknown format %q (want csv, jsonl or lab)", s)
}

// FormatOf tells the format of a file from its extension: .csv is CSV;
// .jsonl, .ndjson and .json are JSON Lines.
func FormatOf(path string) (Format, error) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".csv":
		return CSV, nil
	case ".jsonl", ".ndjson", ".json":
		return JSONL, nil
	}
	return "", fmt.Errorf("cannot tell the format of %q from its extension: use a %s file, or --format csv|jsonl", path, Extensions)
}

// Counts tells what a sink wrote.
type Counts struct {
	Events  int // events written
	Rows    int // CSV rows (one per event in JSON Lines)
	Matched int // events that matched a rule, tactic or technique
}

func (c *Counts) plus(o Counts) {
	c.Events += o.Events
	c.Rows += o.Rows
	c.Matched += o.Matched
}

func (c *Counts) add(rows int, matched bool) {
	c.Events++
	c.Rows += rows
	if matched {
		c.Matched++
	}
}

// Counter is a sink that counts what it wrote.
type Counter interface {
	pipeline.Sink
	Counts() Counts
}

// OpenFile opens path for appending events in format f and returns its
// sink. A new or empty CSV file gets the header; an existing one must start
// with it, so that one file never mixes two layouts.
func OpenFile(path string, f Format, cat *attack.Catalog) (Counter, error) {
	file, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	st, err := file.Stat()
	if err != nil {
		file.Close()
		return nil, err
	}
	var lead []byte // a line end to add after a last line without one
	fresh := true
	if st.Mode().IsRegular() && st.Size() > 0 {
		fresh = false
		if err := checkExisting(file, path, st.Size(), f); err != nil {
			file.Close()
			return nil, err
		}
		var last [1]byte
		if _, err := file.ReadAt(last[:], st.Size()-1); err == nil && last[0] != '\n' {
			lead = []byte{'\n'}
		}
	}
	if f == JSONL {
		s := NewJSONLSink(file, file)
		s.buf = append(s.buf, lead...)
		if st.Mode().IsRegular() {
			s.writesFile(file, st.Size())
		}
		return s, nil
	}
	s := newCSVSink(file, file, cat, fresh, f == LabCSV)
	s.buf = append(s.buf, lead...)
	if st.Mode().IsRegular() {
		s.writesFile(file, st.Size())
	}
	return s, nil
}

// checkExisting makes sure an existing file holds the format being appended.
func checkExisting(file *os.File, path string, size int64, f Format) error {
	head := make([]byte, min(size, 64<<10))
	n, err := file.ReadAt(head, 0)
	if err != nil && err != io.EOF {
		return err
	}
	head = head[:n]
	if f == JSONL {
		if t := bytes.TrimLeft(head, " \t\r\n"); len(t) > 0 && t[0] != '{' {
			return fmt.Errorf("%s exists and does not hold JSON Lines; not appending to it", path)
		}
		return nil
	}
	line, _, _ := bytes.Cut(head, []byte{'\n'})
	line = bytes.TrimSuffix(bytes.TrimPrefix(line, []byte("\xef\xbb\xbf")), []byte{'\r'})
	want := store.HeaderLine
	if f == LabCSV {
		want = store.LabHeaderLine
	}
	if string(line) != want {
		shown := string(line)
		if len(shown) > 200 {
			shown = shown[:200] + "..."
		}
		return fmt.Errorf("%s exists with other columns than secpipe store's; not appending to it (write to a new file)\n  its header: %s\n  ours:       %s", path, shown, want)
	}
	return nil
}
