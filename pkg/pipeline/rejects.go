package pipeline

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
)

// Rejects handles bad input: each bad record is reported on the log with
// where it is, written raw to the dead-letter output if there is one, and
// skipped, so that every good record around it still flows. In strict mode
// the first bad record stops the pipeline instead.
type Rejects struct {
	Log    io.Writer // where messages go (stderr)
	Prefix string    // program name for messages, such as "secpipe classify"
	DLQ    io.Writer // optional: receives each bad record's raw bytes and a newline
	Strict bool
	// MaxLogged caps the messages written to Log; the count goes on. 0 means 100.
	MaxLogged int

	mu    sync.Mutex
	count int
}

// StrictError reports the bad record that stopped a strict run.
type StrictError struct{ Err error }

func (e *StrictError) Error() string { return e.Err.Error() + " (stopping: --strict)" }
func (e *StrictError) Unwrap() error { return e.Err }

// Reject records one bad record. err describes it and where it is; raw is
// the record as read. It returns an error only in strict mode.
func (r *Rejects) Reject(err error, raw []byte) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.count++
	if r.Strict {
		return &StrictError{Err: err}
	}
	max := r.MaxLogged
	if max == 0 {
		max = 100
	}
	if r.Log != nil {
		switch {
		case r.count <= max:
			fmt.Fprintf(r.Log, "%s: %v (skipped)\n", r.Prefix, err)
		case r.count == max+1:
			fmt.Fprintf(r.Log, "%s: more bad records; only the count is reported from here on\n", r.Prefix)
		}
	}
	if r.DLQ != nil {
		if werr := r.writeDead(err, raw); werr != nil {
			return fmt.Errorf("writing dead-letter file: %w", werr)
		}
	}
	return nil
}

// RawRester is a bad-record error whose raw bytes go on past those given
// to Reject (a record over the size limit, streamed from its input).
type RawRester interface{ RawRest() io.Reader }

// writeDead writes a bad record whole to the dead-letter output, and a
// newline after it.
func (r *Rejects) writeDead(err error, raw []byte) error {
	var rr RawRester
	if !errors.As(err, &rr) || rr.RawRest() == nil {
		_, werr := r.DLQ.Write(append(raw[:len(raw):len(raw)], '\n'))
		return werr
	}
	if _, werr := r.DLQ.Write(raw); werr != nil {
		return werr
	}
	lw := &lastByte{w: r.DLQ}
	if _, werr := io.Copy(lw, rr.RawRest()); werr != nil {
		return werr
	}
	if lw.last == '\n' {
		return nil
	}
	_, werr := r.DLQ.Write([]byte{'\n'})
	return werr
}

// lastByte passes writes on and remembers the last byte written.
type lastByte struct {
	w    io.Writer
	last byte
}

func (l *lastByte) Write(p []byte) (int, error) {
	n, err := l.w.Write(p)
	if n > 0 {
		l.last = p[n-1]
	}
	return n, err
}

// Count returns the number of bad records seen.
func (r *Rejects) Count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.count
}

// NoValidRecordError reports inputs that held records but not one valid
// one: most likely not the format they were read as. A source returns it
// from Close, once every good input was delivered.
type NoValidRecordError struct {
	Inputs []string // "NAME (N bad records, read as FORMAT)"
}

func (e *NoValidRecordError) Error() string {
	return "no valid record in " + strings.Join(e.Inputs, ", ") + ": is it the format it was read as? (--input-format names one)"
}
