package sink

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/secpipe/secpipe/pkg/event"
	"github.com/secpipe/secpipe/pkg/pipeline"
)

// DeliveryOptions are the settings of sinks that deliver messages one by
// one to a service (webhooks, syslog): how a message is rendered, how
// failures are retried, and where the ones that cannot be delivered go.
type DeliveryOptions struct {
	// Render turns a message's value into what is sent: a request body, a
	// syslog MSG. Nil sends the value as it is.
	Render func(value []byte) ([]byte, error)
	// Header is added to every HTTP request (an Authorization token).
	Header map[string]string
	// Severity gives a syslog message's severity (0 emergency ... 7
	// debug); nil: 5, notice.
	Severity func(value []byte) int
	// Facility is the syslog facility (default 4, security/authorization).
	Facility int
	// AppName and Hostname are the syslog header's (defaults: secpipe and
	// the machine's name).
	AppName, Hostname string
	Retry             Retry
	// DLQ takes the messages a service refused for good (an HTTP 4xx
	// other than 408 and 429), one JSON line each with the reason. Without
	// it such a refusal stops the run.
	DLQ io.Writer
	// Log takes retry notices, each line starting with Prefix.
	Log    io.Writer
	Prefix string
}

// Retry says how failed deliveries are tried again: after Initial, then
// twice as long each time up to Max, each wait drawn at random between its
// half and its whole (jitter), or as long as a 429's or 503's Retry-After
// says; after GiveUp of failures the run stops (nothing more is
// acknowledged, so a restart delivers again).
type Retry struct {
	Initial, Max, GiveUp time.Duration
	// Sleep waits d or until ctx is done; nil uses a timer.
	Sleep func(ctx context.Context, d time.Duration) error
}

// DefaultRetry suits chat and SIEM webhooks.
var DefaultRetry = Retry{Initial: 500 * time.Millisecond, Max: 30 * time.Second, GiveUp: 10 * time.Minute}

// deliveryError is a failed attempt: temporary ones are retried, after
// wait when the service said how long.
type deliveryError struct {
	err       error
	temporary bool
	wait      time.Duration
}

func (e *deliveryError) Error() string { return e.err.Error() }

// deliverer holds messages written until Flush sends them one by one.
type deliverer struct {
	opt     DeliveryOptions
	send    func(ctx context.Context, payload []byte, value []byte) error
	name    string // the destination, secrets left out
	pending [][]byte
	mu      sync.Mutex
	rng     *rand.Rand
}

func newDeliverer(name string, opt DeliveryOptions, send func(ctx context.Context, payload, value []byte) error) *deliverer {
	if opt.Retry.Initial <= 0 {
		opt.Retry = DefaultRetry
	}
	if opt.Retry.Max < opt.Retry.Initial {
		opt.Retry.Max = opt.Retry.Initial
	}
	if opt.Log == nil {
		opt.Log = io.Discard
	}
	return &deliverer{opt: opt, send: send, name: name, rng: rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))}
}

// Write implements pipeline.Sink.
func (d *deliverer) Write(_ context.Context, msgs []pipeline.Message) error {
	for _, m := range msgs {
		d.pending = append(d.pending, append([]byte(nil), m.Value...))
	}
	return nil
}

// Flush implements pipeline.Sink: it returns once every message written is
// delivered or dead-lettered.
func (d *deliverer) Flush(ctx context.Context) error {
	for len(d.pending) > 0 {
		if err := d.deliver(ctx, d.pending[0]); err != nil {
			return err
		}
		d.pending = d.pending[1:]
	}
	d.pending = nil
	return nil
}

// Close implements pipeline.Sink.
func (d *deliverer) Close() error { return nil }

func (d *deliverer) deliver(ctx context.Context, value []byte) error {
	payload := value
	if d.opt.Render != nil {
		var err error
		if payload, err = d.opt.Render(value); err != nil {
			return d.dead(value, err)
		}
	}
	r := d.opt.Retry
	wait := r.Initial
	start := time.Now()
	for attempt := 1; ; attempt++ {
		err := d.send(ctx, payload, value)
		if err == nil {
			return nil
		}
		var de *deliveryError
		if !errors.As(err, &de) || !de.temporary {
			return d.dead(value, err)
		}
		if ctx.Err() != nil {
			return fmt.Errorf("%s: %w", d.name, ctx.Err())
		}
		if time.Since(start) >= r.GiveUp {
			return fmt.Errorf("%s: giving up after %d attempts in %v: %w", d.name, attempt, time.Since(start).Round(time.Millisecond), err)
		}
		// Full wait or Retry-After; jitter keeps many senders from
		// returning at once.
		sleep := wait/2 + time.Duration(d.rng.Int64N(int64(wait/2)+1))
		if de.wait > 0 {
			sleep = de.wait
		}
		fmt.Fprintf(d.opt.Log, "%s: %s: %v; retrying in %v\n", d.opt.Prefix, d.name, err, sleep.Round(time.Millisecond))
		if err := d.sleep(ctx, sleep); err != nil {
			return fmt.Errorf("%s: %w (while retrying: %v)", d.name, err, de.err)
		}
		wait = min(wait*2, r.Max)
	}
}

func (d *deliverer) sleep(ctx context.Context, dur time.Duration) error {
	if d.opt.Retry.Sleep != nil {
		return d.opt.Retry.Sleep(ctx, dur)
	}
	t := time.NewTimer(dur)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// dead writes a refused message to the dead-letter file, or fails.
func (d *deliverer) dead(value []byte, err error) error {
	if d.opt.DLQ == nil {
		return fmt.Errorf("%s: %w (no --dlq to keep it)", d.name, err)
	}
	line := []byte(`{"error":`)
	line = event.AppendString(line, d.name+": "+err.Error())
	line = append(line, `,"message":`...)
	if len(value) > 0 && (value[0] == '{' || value[0] == '[') {
		line = append(line, value...)
	} else {
		line = event.AppendString(line, string(value))
	}
	line = append(line, "}\n"...)
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, werr := d.opt.DLQ.Write(line); werr != nil {
		return fmt.Errorf("%s: %v; writing it to the dead-letter file: %w", d.name, err, werr)
	}
	fmt.Fprintf(d.opt.Log, "%s: %s: %v; dead-lettered\n", d.opt.Prefix, d.name, err)
	return nil
}

// redact replaces every occurrence of secret in s by shown.
func redact(s, secret, shown string) string {
	if secret == "" {
		return s
	}
	return strings.ReplaceAll(s, secret, shown)
}
