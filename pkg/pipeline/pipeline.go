// Package pipeline runs events from a source through a stage into a sink,
// in batches, with at-least-once delivery: a source is told that its events
// are delivered (Ack) only after the sink has flushed them.
package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"go.opentelemetry.io/otel/trace"
)

// Message is one event moving through a pipeline.
type Message struct {
	// Value is the event: one JSON object, compact; nil when Row holds
	// the event.
	Value []byte
	// Row, when not nil, holds the event instead of Value: the values of
	// the fields a consumer named, in its order, packed by Batch.AddRow
	// and read back by RowCells. Only a source asked for rows gives them
	// (source.Options.Rows), and only from inputs of a format with
	// columns (CSV).
	Row []byte
	// Parts, when not nil, holds a whole input instead of one event: a
	// source asked for them (source.Options.Parts) offers a large file to
	// be read in parallel parts by the sink.
	Parts   Parts
	Key     []byte
	Headers []Header
	Origin  Origin
	// Trace is the event's trace context, set only when tracing is on: by
	// the source (from a Kafka header or the event's "traceparent" field),
	// then by each span started for the event; sinks write it out. It may
	// be unsampled: the decision not to trace the event travels with it.
	Trace trace.SpanContext
	// Prepared is what the stage found in Value on the read-ahead
	// goroutine (Preparer), for its Process; nil when it found nothing.
	Prepared any
}

// Header is a message header, as carried by Kafka records.
type Header struct {
	Key   string
	Value []byte
}

// Origin tells where a message was read, for messages about it.
type Origin struct {
	Input     string // a file path, "<stdin>", or a topic
	Line      int    // line in a text input
	Partition int32  // partition of a topic
	Offset    int64  // offset in a partition, -1 when not from a topic
}

// String formats the origin as "file:line" or "topic[partition]@offset".
func (o Origin) String() string {
	if o.Offset >= 0 && o.Line == 0 && o.Input != "" {
		return o.Input + "[" + strconv.Itoa(int(o.Partition)) + "]@" + strconv.FormatInt(o.Offset, 10)
	}
	if o.Line > 0 {
		return o.Input + ":" + strconv.Itoa(o.Line)
	}
	return o.Input
}

// Source produces messages.
type Source interface {
	// Read appends messages to b: at least one, waiting until one is ready,
	// then as many more as are ready without waiting, up to b.Limit. It sets
	// b.More when more input is ready at once. At the end of input it returns
	// io.EOF (with no messages); when ctx is done, ctx.Err(). The messages'
	// bytes must stay valid until b is reset, not only until the next Read:
	// the pipeline reads the next batch while it processes this one.
	Read(ctx context.Context, b *Batch) error
	// Ack records that msgs, read earlier and passed on in order, have been
	// delivered by the sink, so that a restart does not read them again.
	// Run calls it on its own goroutine while a Read of the next batch may
	// be in progress on the read-ahead goroutine: a source that keeps
	// positions must guard them. An error stops the run.
	Ack(ctx context.Context, msgs []Message) error
	Close() error
}

// Sink consumes messages.
type Sink interface {
	// Write takes messages; it may buffer them. It must not keep references
	// to their bytes after it returns.
	Write(ctx context.Context, msgs []Message) error
	// Flush returns once every message written so far is delivered: written
	// out, or acknowledged by the broker.
	Flush(ctx context.Context) error
	Close() error
}

// TransactionalSink is a sink that delivers its output and records the
// source's read position in one step, all or nothing: a Kafka producer whose
// transaction also commits the consumer's offsets (exactly-once). Run calls
// Commit where it would call Flush, then Ack on the source as usual.
type TransactionalSink interface {
	Sink
	// Commit delivers every message written so far together with the read
	// positions past batches (input read from src, in order), atomically.
	// On error none of it is visible to read_committed readers and the
	// input will be read again from the last commit; the run stops.
	Commit(ctx context.Context, src Source, batches [][]Message) error
}

// Stage transforms messages.
type Stage interface {
	// Process appends the output for in to out. Output may point into the
	// input or into the stage's own buffers until the next call. An error
	// stops the run: nothing of in is acknowledged, so that a source with
	// positions (a topic) reads it again on restart. A bad event is not an
	// error: a stage reports it (pipeline.Rejects) and goes on.
	Process(ctx context.Context, in []Message, out *Batch) error
	// Finish appends anything held back, once the input has ended.
	Finish(ctx context.Context, out *Batch) error
}

// Preparer is a stage with work on each event that needs no state from
// the events before it (pulling out the fields its rules read). Run calls
// Prepare on the read-ahead goroutine for each batch read, before Process
// is given the batch, so that the work overlaps with processing the batch
// before. Prepare sets each message's Prepared; what it points to may live
// in the batch's Prepared, which goes with the batch when it is reused.
// While the stage has yet to take a prepared batch, Run calls Ahead for
// a step more of the stage's work on it (a few events' worth), until Ahead
// reports there is no more or the stage takes the batch.
type Preparer interface {
	Stage
	Prepare(b *Batch)
	Ahead(b *Batch) bool
}

// Policy says when the pipeline flushes the sink and acknowledges the
// source, and who watches it.
type Policy struct {
	// MaxBatch caps the messages read at once.
	MaxBatch int
	// FlushInterval bounds how long delivered output waits in buffers while
	// input keeps arriving; when input pauses, output is flushed at once.
	FlushInterval time.Duration
	// Observer, if set, is told about every batch (metrics, progress bars).
	Observer Observer
	// DrainTimeout bounds the drain after a cancellation: delivering what
	// was read, flushing and acknowledging it.
	DrainTimeout time.Duration
}

// Observer watches a run batch by batch. It is called on the run's
// goroutine, once per batch, and must not block or keep the messages.
type Observer interface {
	// Batch reports that the messages in, read from the source, were
	// turned by the stage into out and written to the sink, which took d
	// in all. The stage's held output at the end comes with no input.
	Batch(in, out []Message, d time.Duration)
}

// DefaultPolicy suits both interactive pipes and bulk runs.
var DefaultPolicy = Policy{MaxBatch: 4096, FlushInterval: 200 * time.Millisecond, DrainTimeout: 30 * time.Second}

// ErrInterrupted reports that the pipeline stopped early because its context
// was cancelled (by SIGINT or SIGTERM), after draining cleanly.
var ErrInterrupted = errors.New("interrupted")

// Run moves messages from src through stage (nil passes them unchanged) to
// sink until the input ends or ctx is cancelled, then drains: the stage's
// held output is written, the sink flushed and closed, the source
// acknowledged and closed. It returns ErrInterrupted after a cancellation.
//
// ctx stops the reading only: what was read is processed, written, flushed
// and acknowledged on a context that its cancellation does not cancel,
// within p.DrainTimeout of it.
//
// The source is read one batch ahead on a goroutine of its own, so that
// parsing input overlaps with the stage's work.
func Run(ctx context.Context, src Source, stage Stage, sink Sink, p Policy) (err error) {
	if p.MaxBatch <= 0 {
		p.MaxBatch = DefaultPolicy.MaxBatch
	}
	if p.FlushInterval <= 0 {
		p.FlushInterval = DefaultPolicy.FlushInterval
	}
	if p.DrainTimeout <= 0 {
		p.DrainTimeout = DefaultPolicy.DrainTimeout
	}
	work, cancelWork := context.WithCancelCause(context.WithoutCancel(ctx))
	defer cancelWork(nil)
	stopDrainTimer := context.AfterFunc(ctx, func() {
		t := time.NewTimer(p.DrainTimeout)
		defer t.Stop()
		select {
		case <-t.C:
			cancelWork(fmt.Errorf("the drain took longer than %v", p.DrainTimeout))
		case <-work.Done():
		}
	})
	defer stopDrainTimer()
	readCtx, stopReading := context.WithCancel(ctx)
	prep, _ := stage.(Preparer)
	reads := readAhead(readCtx, src, p.MaxBatch, prep)
	defer func() {
		if err != nil && work.Err() != nil { // the drain timed out
			err = fmt.Errorf("%w (%v)", err, context.Cause(work))
		}
		stopReading()
		for range reads { // let the reader finish before closing the source
		}
		if cerr := sink.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("closing output: %w", cerr)
		}
		if cerr := src.Close(); err == nil && cerr != nil {
			err = cerr
			if !errors.As(cerr, new(*NoValidRecordError)) {
				err = fmt.Errorf("closing input: %w", cerr)
			}
		}
	}()
	out := &Batch{Limit: p.MaxBatch}
	lastFlush := time.Now()
	var unacked []*readResult // delivered to the sink, not yet flushed
	txSink, transactional := sink.(TransactionalSink)
	var batches [][]Message
	flush := func(c context.Context) error {
		if transactional {
			batches = batches[:0]
			for _, r := range unacked {
				batches = append(batches, r.batch.Msgs)
			}
			if err := txSink.Commit(c, src, batches); err != nil {
				return fmt.Errorf("writing output: %w", err)
			}
		} else if err := sink.Flush(c); err != nil {
			return fmt.Errorf("writing output: %w", err)
		}
		for _, r := range unacked {
			if err := src.Ack(c, r.batch.Msgs); err != nil {
				return fmt.Errorf("acknowledging input: %w", err)
			}
			r.release()
		}
		unacked = unacked[:0]
		lastFlush = time.Now()
		return nil
	}
	// When input stalls with output unflushed (a source that said more was
	// ready, then waited), the output is flushed after FlushInterval.
	idle := time.NewTimer(p.FlushInterval)
	defer idle.Stop()
	var readErr error
	for {
		var r *readResult
		if len(unacked) == 0 {
			r = <-reads
		} else {
			idle.Reset(p.FlushInterval - time.Since(lastFlush))
			select {
			case r = <-reads:
			case <-idle.C:
				if err := flush(work); err != nil {
					return err
				}
				continue
			}
		}
		if r == nil {
			break // reads closed
		}
		in := r.batch
		if len(in.Msgs) > 0 {
			start := time.Now()
			out.Reset()
			written := in.Msgs // no stage: the input as it is
			if stage != nil {
				if err := stage.Process(work, in.Msgs, out); err != nil {
					return err
				}
				written = out.Msgs
			}
			if err := sink.Write(work, written); err != nil {
				return fmt.Errorf("writing output: %w", err)
			}
			if p.Observer != nil {
				p.Observer.Batch(in.Msgs, written, time.Since(start))
			}
			unacked = append(unacked, r)
			if !in.More || len(unacked) >= readAheadBatches || time.Since(lastFlush) >= p.FlushInterval {
				if err := flush(work); err != nil {
					return err
				}
			}
		} else {
			r.release()
		}
		if r.err != nil {
			readErr = r.err
			break
		}
	}
	interrupted := ctx.Err() != nil
	if readErr != io.EOF && !interrupted {
		// Deliver what was processed before the failure, then report it.
		if len(unacked) > 0 {
			_ = flush(work)
		}
		return readErr
	}
	if stage != nil {
		start := time.Now()
		out.Reset()
		if err := stage.Finish(work, out); err != nil {
			return err
		}
		if err := sink.Write(work, out.Msgs); err != nil {
			return fmt.Errorf("writing output: %w", err)
		}
		if p.Observer != nil && len(out.Msgs) > 0 {
			p.Observer.Batch(nil, out.Msgs, time.Since(start))
		}
	}
	if err := flush(work); err != nil {
		return err
	}
	if interrupted {
		return ErrInterrupted
	}
	return nil
}

// readAheadBatches bounds the batches read but not yet acknowledged.
const readAheadBatches = 4

// handOver sends r on reads, doing the stage's work ahead on its batch
// while the stage is busy.
func handOver(reads chan<- *readResult, r *readResult, prep Preparer) {
	for {
		select {
		case reads <- r:
			return
		default:
		}
		if !prep.Ahead(r.batch) {
			reads <- r
			return
		}
	}
}

type readResult struct {
	batch *Batch
	err   error
	free  chan *Batch // the pool batch came from; nil for a batch of its own
}

// release gives the batch back to its pool. The pool's channel holds every
// batch of the pool, so this never blocks.
func (r *readResult) release() {
	if r.free != nil {
		r.free <- r.batch
	}
}

// readAhead reads batches from src on a goroutine until an error (io.EOF
// included), which comes with the last batch; then it closes the channel.
// A prep (nil: none) prepares each batch there.
func readAhead(ctx context.Context, src Source, limit int, prep Preparer) <-chan *readResult {
	free := make(chan *Batch, readAheadBatches+2)
	for i := 0; i < cap(free); i++ {
		free <- &Batch{Limit: limit, Msgs: make([]Message, 0, min(limit, 1<<14))}
	}
	reads := make(chan *readResult, 1)
	go func() {
		defer close(reads)
		for {
			var b *Batch
			select {
			case b = <-free:
			case <-ctx.Done():
				// An empty batch outside the pool: the pool may be full.
				reads <- &readResult{batch: &Batch{}, err: ctx.Err()}
				return
			}
			b.Reset()
			err := src.Read(ctx, b)
			r := &readResult{batch: b, err: err, free: free}
			if prep != nil && len(b.Msgs) > 0 {
				prep.Prepare(b)
				handOver(reads, r, prep)
			} else {
				reads <- r
			}
			if err != nil {
				return
			}
		}
	}()
	return reads
}
