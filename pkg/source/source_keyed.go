package source

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/secpipe/secpipe/pkg/event"
	"github.com/secpipe/secpipe/pkg/pipeline"
)

// KeyedLines reads lines "KEY<delim>EVENT" from files or stdin, as kcat -P
// -K does: the key is the text before the first delim, the event (one
// JSON object) the rest; a line without delim is an event with no key.
// Bad events go to rejects and reading goes on.
type KeyedLines struct {
	names     []string
	stdin     io.Reader
	delim     []byte
	maxRecord int
	rejects   *pipeline.Rejects

	cur     *bufio.Reader
	file    *os.File
	curName string
	line    int
	next    int
	scratch []byte
}

// NewKeyedLines returns a source over the named files (stdin when names is
// empty or "-").
func NewKeyedLines(names []string, stdin io.Reader, delim string, maxRecord int, rejects *pipeline.Rejects) *KeyedLines {
	if len(names) == 0 {
		names = []string{"-"}
	}
	if maxRecord <= 0 {
		maxRecord = event.DefaultMaxRecord
	}
	return &KeyedLines{names: names, stdin: stdin, delim: []byte(delim), maxRecord: maxRecord, rejects: rejects}
}

// Read implements pipeline.Source.
func (k *KeyedLines) Read(ctx context.Context, b *pipeline.Batch) error {
	for {
		if k.cur == nil {
			if k.next >= len(k.names) {
				if len(b.Msgs) > 0 {
					return nil
				}
				return io.EOF
			}
			if err := k.open(); err != nil {
				return err
			}
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		raw, err := k.cur.ReadBytes('\n')
		if len(raw) > 0 {
			k.line++
			if err := k.add(b, bytes.TrimRight(raw, "\r\n")); err != nil {
				return err
			}
			if b.Full() || (len(b.Msgs) > 0 && k.file == nil && k.cur.Buffered() == 0) {
				return nil // a pipe's writer may pause: hand on what came
			}
		}
		if errors.Is(err, io.EOF) {
			k.closeCurrent()
		} else if err != nil {
			return fmt.Errorf("reading %s: %w", k.curName, err)
		}
	}
}

// add splits one line and adds its event to b, or rejects it.
func (k *KeyedLines) add(b *pipeline.Batch, line []byte) error {
	if len(bytes.TrimSpace(line)) == 0 {
		return nil
	}
	var key []byte
	value := line
	if i := bytes.Index(line, k.delim); i >= 0 {
		key, value = line[:i], line[i+len(k.delim):]
	}
	reason := ""
	if len(value) > k.maxRecord {
		reason = fmt.Sprintf("record exceeds the size limit of %d bytes", k.maxRecord)
	} else if v, err := event.Validate(value, k.scratch[:0]); err != nil {
		reason = err.Error()
	} else {
		value = v
	}
	if reason != "" {
		return k.rejects.Reject(&event.BadRecordError{Input: k.curName, Line: k.line, Reason: reason, Raw: line}, line)
	}
	msg := pipeline.Message{Value: b.Copy(value), Origin: pipeline.Origin{Input: k.curName, Line: k.line, Offset: -1}}
	if key != nil {
		msg.Key = b.Copy(key)
	}
	b.Add(msg)
	return nil
}

func (k *KeyedLines) open() error {
	name := k.names[k.next]
	k.next++
	k.line = 0
	if name == "-" {
		k.curName, k.cur = StdinName, bufio.NewReaderSize(k.stdin, 64<<10)
		return nil
	}
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	k.curName, k.file, k.cur = name, f, bufio.NewReaderSize(f, 64<<10)
	return nil
}

func (k *KeyedLines) closeCurrent() {
	if k.file != nil {
		k.file.Close()
		k.file = nil
	}
	k.cur = nil
}

// Ack implements pipeline.Source; files keep no read position.
func (k *KeyedLines) Ack(context.Context, []pipeline.Message) error { return nil }

// Close implements pipeline.Source.
func (k *KeyedLines) Close() error {
	k.closeCurrent()
	return nil
}
