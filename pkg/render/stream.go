package render

import (
	"encoding/json"
	"io"
)

// StreamChunk is how many rows a text or Markdown stream holds before it
// writes them as one table block.
const StreamChunk = 500

// Stream writes a table whose rows come one by one, without holding them
// all: CSV row by row (one header), JSON as JSON Lines (one object a row,
// keyed by Keys), text and Markdown as table blocks of at most
// StreamChunk rows.
type Stream struct {
	w      io.Writer
	f      Format
	header []string
	keys   []string
	rows   [][]string
	wrote  bool
	obj    map[string]string
	enc    *json.Encoder
}

// NewStream returns a stream of rows under header; keys name the columns
// in JSON Lines.
func NewStream(w io.Writer, f Format, header, keys []string) *Stream {
	s := &Stream{w: w, f: f, header: header, keys: keys}
	if f == JSON {
		s.enc = json.NewEncoder(w)
		s.enc.SetEscapeHTML(false)
		s.obj = make(map[string]string, len(keys))
	}
	return s
}

// Row adds a row (cells in header order).
func (s *Stream) Row(cells []string) error {
	switch s.f {
	case JSON:
		for i, k := range s.keys {
			if i < len(cells) {
				s.obj[k] = cells[i]
			}
		}
		return s.enc.Encode(s.obj)
	case CSV:
		t := Table{Rows: [][]string{cells}}
		if !s.wrote {
			t.Header = s.header
			s.wrote = true
			return writeCSV(s.w, t, false)
		}
		return writeCSVRows(s.w, t.Rows)
	}
	s.rows = append(s.rows, append([]string(nil), cells...))
	if len(s.rows) >= StreamChunk {
		return s.Flush()
	}
	return nil
}

// Flush writes the rows held (text and Markdown).
func (s *Stream) Flush() error {
	if len(s.rows) == 0 {
		return nil
	}
	err := Tables(s.w, s.f, Table{Header: s.header, Rows: s.rows})
	s.rows = s.rows[:0]
	s.wrote = true
	return err
}

// Wrote reports whether any row was written.
func (s *Stream) Wrote() bool { return s.wrote || len(s.rows) > 0 }
