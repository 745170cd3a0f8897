package telemetry

import (
	"context"
	"sync"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// burstProcessor hands ended spans on to the batch span processor in
// bursts. Handed on one by one, each span would wake the exporter's
// goroutine, parked between spans when few events are sampled: a thread
// wake-up per span, which costs more than the span itself. In bursts, one
// wake-up serves a few hundred spans. Spans wait at most burstDelay here.
type burstProcessor struct {
	next sdktrace.SpanProcessor
	mu   sync.Mutex
	buf  []sdktrace.ReadOnlySpan
	stop chan struct{}
	done chan struct{}
	once sync.Once
}

const (
	burstSize  = 256
	burstDelay = 200 * time.Millisecond
)

func newBurstProcessor(next sdktrace.SpanProcessor) *burstProcessor {
	p := &burstProcessor{next: next, stop: make(chan struct{}), done: make(chan struct{})}
	go p.loop()
	return p
}

func (p *burstProcessor) loop() {
	defer close(p.done)
	tick := time.NewTicker(burstDelay)
	defer tick.Stop()
	for {
		select {
		case <-tick.C:
			p.flush()
		case <-p.stop:
			return
		}
	}
}

// flush hands the spans held on.
func (p *burstProcessor) flush() {
	p.mu.Lock()
	spans := p.buf
	p.buf = make([]sdktrace.ReadOnlySpan, 0, burstSize)
	p.mu.Unlock()
	for _, s := range spans {
		p.next.OnEnd(s)
	}
}

// OnStart implements sdktrace.SpanProcessor.
func (p *burstProcessor) OnStart(ctx context.Context, s sdktrace.ReadWriteSpan) {
	p.next.OnStart(ctx, s)
}

// OnEnd implements sdktrace.SpanProcessor.
func (p *burstProcessor) OnEnd(s sdktrace.ReadOnlySpan) {
	p.mu.Lock()
	p.buf = append(p.buf, s)
	full := len(p.buf) >= burstSize
	p.mu.Unlock()
	if full {
		p.flush()
	}
}

// ForceFlush implements sdktrace.SpanProcessor.
func (p *burstProcessor) ForceFlush(ctx context.Context) error {
	p.flush()
	return p.next.ForceFlush(ctx)
}

// Shutdown implements sdktrace.SpanProcessor.
func (p *burstProcessor) Shutdown(ctx context.Context) error {
	p.once.Do(func() { close(p.stop) })
	<-p.done
	p.flush()
	return p.next.Shutdown(ctx)
}
