// Package evtx reads Windows event log files (.evtx) as a stream: the
// 4 KiB file header, then one 64 KiB chunk at a time, so memory stays flat
// however large the file and the input can be a pipe or a decompressor.
//
// Each event comes out as one compact JSON object in the shape evtx_dump
// writes, {"Event":{"System":{...},"EventData":{...}}}, members in XML
// order, values rendered as github.com/0xrawsec/golang-evtx renders them.
// Records are decoded natively (binxml.go); a record whose value types the
// native decoder does not know goes to golang-evtx, then to
// www.velocidex.com/golang/evtx. A record or chunk that none can read is
// reported as an *event.BadRecordError and skipped.
package evtx

import (
	"bytes"
	"fmt"
	"io"

	glog "github.com/0xrawsec/golang-utils/log"

	"github.com/secpipe/secpipe/pkg/event"
)

// Magic starts every .evtx file.
const Magic = "ElfFile\x00"

const (
	fileHeaderSize = 4096
	chunkSize      = 64 << 10
	chunkMagic     = "ElfChnk\x00"
)

func init() {
	// golang-evtx logs decoding trouble through the standard logger; the
	// reader reports it as errors instead.
	glog.SetLogLevel(glog.LCritical)
}

// item is one decoded record: an event (a span of the chunk's output) or
// the error that skipped it.
type item struct {
	start, end int
	err        error
}

// Reader reads the events of one .evtx stream, in file order.
type Reader struct {
	r     io.Reader
	name  string
	chunk []byte
	// next is the index of the next chunk to read.
	next int
	dec  chunkDecoder
	// items are the current chunk's records; pos is the next to return.
	items []item
	pos   int
	// events counts the events returned, for Record.Line.
	events int
	done   bool
}

// NewReader reads the file header from r and returns a reader of its
// events. name names the input in records and errors. It fails when r
// does not start with an EVTX file header.
func NewReader(r io.Reader, name string) (*Reader, error) {
	head := make([]byte, fileHeaderSize)
	n, err := io.ReadFull(r, head)
	switch {
	case err == io.EOF:
		return nil, fmt.Errorf("%s: empty input, not an .evtx file", name)
	case n < len(Magic) || string(head[:len(Magic)]) != Magic:
		if err != nil && err != io.ErrUnexpectedEOF {
			return nil, err
		}
		return nil, fmt.Errorf("%s: not an .evtx file (no %q header)", name, Magic[:7])
	case err == io.ErrUnexpectedEOF:
		return nil, fmt.Errorf("%s: truncated .evtx file header (%d of %d bytes)", name, n, fileHeaderSize)
	case err != nil:
		return nil, err
	}
	return &Reader{r: r, name: name, chunk: make([]byte, chunkSize)}, nil
}

// Next returns the next event; Record.Line counts the events of the file
// from 1. At the end it returns io.EOF. A *event.BadRecordError (Line 0,
// Reason "chunk N, record M: ...") reports a skipped record or chunk;
// reading goes on. Any other error comes from the underlying reader.
func (r *Reader) Next() (event.Record, error) {
	for r.pos >= len(r.items) {
		if r.done {
			return event.Record{}, io.EOF
		}
		if err := r.readChunk(); err != nil {
			return event.Record{}, err
		}
	}
	it := r.items[r.pos]
	r.pos++
	if it.err != nil {
		return event.Record{}, &event.BadRecordError{Input: r.name, Reason: it.err.Error()}
	}
	r.events++
	return event.Record{Raw: r.dec.out.buf[it.start:it.end], Input: r.name, Line: r.events}, nil
}

// Buffered reports whether Next would return without reading: events of
// the current chunk remain, or the input has ended.
func (r *Reader) Buffered() bool {
	return r.pos < len(r.items) || r.done
}

// readChunk reads and decodes the next chunk into r.items.
func (r *Reader) readChunk() error {
	r.items, r.pos = r.items[:0], 0
	index := r.next
	r.next++
	n, err := io.ReadFull(r.r, r.chunk)
	switch {
	case err == io.EOF:
		r.done = true
		return nil
	case err == io.ErrUnexpectedEOF:
		// Keep the records that were read whole.
		r.done = true
		clear(r.chunk[n:])
		r.items = r.dec.decode(r.items, r.chunk, index, n)
		r.items = append(r.items, item{err: fmt.Errorf("chunk %d: truncated after %d of %d bytes; records past that are lost", index, n, chunkSize)})
		return nil
	case err != nil:
		return err
	}
	r.items = r.dec.decode(r.items, r.chunk, index, n)
	return nil
}

// allZero reports whether b holds only zero bytes: an unused chunk.
func allZero(b []byte) bool {
	return len(bytes.TrimLeft(b, "\x00")) == 0
}
