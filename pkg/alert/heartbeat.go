package alert

import (
	"context"
	"sync"
	"time"

	"github.com/secpipe/secpipe/pkg/pipeline"
)

// Heartbeat returns src with an empty message (nil Value) added whenever
// no input came for every, so that the stage runs while the input is quiet
// and sends the digests of windows that closed by the clock. Heartbeats
// are not acknowledged to src. src is read on a goroutine of its own, one
// batch ahead; its messages are copied into the pipeline's batches.
func Heartbeat(src pipeline.Source, every time.Duration) pipeline.Source {
	return &heartbeat{src: src, every: every, results: make(chan heartbeatRead, 1), free: make(chan *pipeline.Batch, 1)}
}

type heartbeat struct {
	src     pipeline.Source
	every   time.Duration
	results chan heartbeatRead
	free    chan *pipeline.Batch // the read batch, back from the copier
	once    sync.Once
	stop    context.CancelFunc
	done    chan struct{}
}

type heartbeatRead struct {
	b   *pipeline.Batch
	err error
}

func (h *heartbeat) start(ctx context.Context, limit int) {
	ctx, h.stop = context.WithCancel(ctx)
	h.done = make(chan struct{})
	h.free <- &pipeline.Batch{Limit: limit}
	go func() {
		defer close(h.done)
		for {
			var b *pipeline.Batch
			select {
			case b = <-h.free:
			case <-ctx.Done():
				return
			}
			b.Reset()
			err := h.src.Read(ctx, b)
			select {
			case h.results <- heartbeatRead{b, err}:
			case <-ctx.Done():
				return
			}
			if err != nil {
				return
			}
		}
	}()
}

// Read implements pipeline.Source.
func (h *heartbeat) Read(ctx context.Context, b *pipeline.Batch) error {
	h.once.Do(func() { h.start(ctx, b.Limit) })
	t := time.NewTimer(h.every)
	defer t.Stop()
	select {
	case r := <-h.results:
		for _, m := range r.b.Msgs {
			m.Value = b.Copy(m.Value)
			m.Key = b.Copy(m.Key)
			b.Add(m)
		}
		b.More = r.b.More
		if r.err == nil {
			h.free <- r.b
		}
		return r.err
	case <-t.C:
		b.Add(pipeline.Message{Origin: pipeline.Origin{Input: "<heartbeat>", Offset: -1}})
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Ack implements pipeline.Source: heartbeats left out.
func (h *heartbeat) Ack(ctx context.Context, msgs []pipeline.Message) error {
	real := msgs[:0:0]
	for _, m := range msgs {
		if m.Value != nil {
			real = append(real, m)
		}
	}
	if len(real) == 0 {
		return nil
	}
	return h.src.Ack(ctx, real)
}

// Close implements pipeline.Source.
func (h *heartbeat) Close() error {
	if h.stop != nil {
		h.stop()
		<-h.done
	}
	return h.src.Close()
}
