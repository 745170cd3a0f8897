package pipeline

import (
	"fmt"
	"io"
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
		if _, werr := r.DLQ.Write(append(raw[:len(raw):len(raw)], '\n')); werr != nil {
			return fmt.Errorf("writing dead-letter file: %w", werr)
		}
	}
	return nil
}

// Count returns the number of bad records seen.
func (r *Rejects) Count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.count
}
