package sink

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	ck "github.com/confluentinc/confluent-kafka-go/v2/kafka"
	"go.opentelemetry.io/otel/trace"

	"github.com/secpipe/secpipe/pkg/event"
	"github.com/secpipe/secpipe/pkg/kafka"
	"github.com/secpipe/secpipe/pkg/pipeline"
	"github.com/secpipe/secpipe/pkg/telemetry"
)

// Compressions lists the accepted compression codecs.
var Compressions = []string{"none", "gzip", "snappy", "lz4", "zstd"}

// KafkaOptions configures a Kafka sink.
type KafkaOptions struct {
	Config kafka.Config
	Topic  string
	// KeyField names the event fields, comma-separated, whose text becomes
	// the message key: the first one present with a value that is not an
	// object, array or null ("source.ip,host.name" keeps one address's, or
	// else one host's, events in order on one partition). Events with none
	// keep the key they came with.
	KeyField string
	// Partition, if set, is the partition of every message (kcat -p);
	// else the partitioner picks one from the key.
	Partition *int32
	// Headers are added to every message, after the message's own.
	Headers []pipeline.Header
	// Compression is one of Compressions ("" leaves librdkafka's default).
	Compression string
	// NoIdempotence turns off the idempotent producer (on by default:
	// retries neither duplicate nor reorder messages).
	NoIdempotence bool
	// TransactionalID turns on transactions for exactly-once: output and
	// the source's offsets are committed together (see Commit).
	TransactionalID string
	// KeepGoing lets Flush succeed when the broker rejected some messages,
	// for callers that check Err at the end instead (publish from files,
	// where nothing is acknowledged upstream).
	KeepGoing bool
	// Refused, if set, takes each message the broker (or the client's
	// size check) refused, as a bad record named by its origin (file and
	// line): reported, and kept raw in its dead-letter file, if it has one.
	// It costs a small allocation per message, and with a dead-letter file
	// each delivery report brings the message's value back.
	Refused *pipeline.Rejects
	// Logs reports client errors; the sink closes it.
	Logs *kafka.Logs
	// Tracer, if set, traces each message: a producer span "publish
	// <topic>" is started as the child of Message.Trace and ended when the
	// broker acknowledges the message (or refuses it), and its context
	// goes in the traceparent header, replacing any the message had.
	Tracer *telemetry.Tracer
}

// Kafka produces each message's value to a topic.
//
// Write hands messages to librdkafka, which batches and sends them; Flush
// returns once the broker has acknowledged every one, or reports how many
// it did not. Untraced, librdkafka reports only the messages it failed to
// deliver (delivery.report.only.error): a message that left the client's
// queue without a report was acknowledged, so a success costs no report to
// build in Go. Traced, every message's report ends its span. Reports are
// drained by one goroutine that only counts.
type Kafka struct {
	opts  KafkaOptions
	p     *ck.Producer
	topic *string

	// Writer state.
	msg      ck.Message
	hdrs     []ck.Header
	keyPaths *event.Paths
	fields   event.Fields
	keyBuf   []byte
	produced int64
	inTxn    bool
	phdrs    []pipeline.Header // tracing: the headers of the message being written

	// onlyErrors: librdkafka reports failed deliveries only, and delivered
	// counts those alone; else it counts every report.
	onlyErrors bool
	// origins names refused messages when only failures are reported;
	// else each message carries its origin as its Opaque (sentMessage).
	origins   *origins
	delivered atomic.Int64
	failed    atomic.Int64
	progress  chan struct{}
	drained   chan struct{}
	// barrier takes a channel that drain closes once it has handled every
	// report received before it.
	barrier chan chan struct{}

	mu       sync.Mutex
	firstErr error
	fatal    error
}

// offsetSource is a source whose read positions a transaction can commit
// (source.Kafka).
type offsetSource interface {
	TxOffsets(batches [][]pipeline.Message) ([]ck.TopicPartition, *ck.ConsumerGroupMetadata, error)
}

// NewKafka connects a producer to the brokers, checks within the connect
// timeout that they answer and that the topic exists (or is created on
// use), and readies transactions when asked.
func NewKafka(ctx context.Context, o KafkaOptions) (*Kafka, error) {
	if o.Topic == "" {
		return nil, errors.New("no topic to write to")
	}
	onlyErrors := o.Tracer == nil
	// Delivery reports carry nothing back, but a refused message's value,
	// for the dead-letter file or to find the message's origin by.
	reportFields := "none"
	if o.Refused != nil && (o.Refused.DLQ != nil || onlyErrors) {
		reportFields = "value"
	}
	defaults := []kafka.Prop{
		{Key: "enable.idempotence", Value: fmt.Sprint(!o.NoIdempotence)},
		{Key: "go.delivery.report.fields", Value: reportFields},
		{Key: "delivery.report.only.error", Value: fmt.Sprint(onlyErrors)},
		// confluent-kafka-go's defaults (a million each) cost 24 MB to
		// allocate and for the collector to scan; reports are drained as
		// they come, and the produce channel is not used.
		{Key: "go.events.channel.size", Value: "10000"},
		{Key: "go.produce.channel.size", Value: "0"},
		// librdkafka (2.11, bundled) drops its bootstrap connection once it
		// knows the brokers, and connects to them no sooner than
		// reconnect.backoff.ms/2 after it (50 ms): every produce waited
		// that long for its partition leaders. A producer talks to every
		// leader of its topic anyway.
		{Key: "enable.sparse.connections", Value: "false"},
	}
	if o.Compression != "" {
		ok := false
		for _, c := range Compressions {
			ok = ok || c == o.Compression
		}
		if !ok {
			return nil, fmt.Errorf("unknown compression %q (want %s)", o.Compression, strings.Join(Compressions, ", "))
		}
		defaults = append(defaults, kafka.Prop{Key: "compression.type", Value: o.Compression})
	}
	if o.TransactionalID != "" {
		defaults = append(defaults,
			kafka.Prop{Key: "transactional.id", Value: o.TransactionalID},
			kafka.Prop{Key: "transaction.timeout.ms", Value: "10000"})
	}
	m := o.Config.ConfigMap(defaults...)
	if o.Logs != nil {
		o.Logs.Apply(m)
	}
	p, err := ck.NewProducer(m)
	if err != nil {
		if o.Logs != nil {
			o.Logs.Close()
		}
		return nil, fmt.Errorf("kafka producer: %w", o.Config.RedactErr(err))
	}
	s := &Kafka{
		opts: o, p: p, topic: &o.Topic, onlyErrors: onlyErrors,
		progress: make(chan struct{}, 1), drained: make(chan struct{}), barrier: make(chan chan struct{}),
	}
	if o.Refused != nil && onlyErrors {
		s.origins = newOrigins()
	}
	var keys []string
	for _, f := range strings.Split(o.KeyField, ",") {
		if f = strings.TrimSpace(f); f != "" {
			keys = append(keys, f)
		}
	}
	if len(keys) > 0 {
		s.keyPaths = event.NewPaths(keys...)
	}
	go s.drain()
	fail := func(err error) (*Kafka, error) {
		p.Close()
		<-s.drained
		s.closeLogs()
		return nil, err
	}
	if err := s.checkTopic(ctx); err != nil {
		return fail(err)
	}
	if v, _ := m.Get("enable.idempotence", "false"); v == "true" && o.TransactionalID == "" {
		// An idempotent producer asks for its producer ID when a metadata
		// response finds a broker up, or else every 500 ms (librdkafka's
		// idempotence state machine). The bootstrap connection that
		// answered checkTopic is dropped once the partition leaders are
		// known, so without a second request, made once a leader's
		// connection is up, the first messages waited up to half a second.
		if _, err := p.GetMetadata(&o.Topic, false, int(o.Config.Timeout().Milliseconds())); err != nil {
			return fail(fmt.Errorf("kafka metadata: %w", o.Config.RedactErr(err)))
		}
	}
	if o.Logs != nil {
		o.Logs.Start()
	}
	if o.TransactionalID != "" {
		tctx, cancel := context.WithTimeout(ctx, o.Config.Timeout())
		err := p.InitTransactions(tctx)
		cancel()
		if err != nil {
			return fail(fmt.Errorf("starting transactions: %w", o.Config.RedactErr(err)))
		}
	}
	return s, nil
}

// checkTopic waits for the brokers, and for the topic to exist: a producer's
// metadata request creates it where the brokers allow that.
func (s *Kafka) checkTopic(ctx context.Context) error {
	deadline := time.Now().Add(s.opts.Config.Timeout())
	for {
		md, err := s.opts.Config.Connect(ctx, s.p, s.opts.Topic)
		if err != nil {
			return err
		}
		if !kafka.UnknownTopic(md) && len(md.Partitions) > 0 {
			if p := s.opts.Partition; p != nil && (*p < 0 || int(*p) >= len(md.Partitions)) {
				return fmt.Errorf("topic %q has no partition %d (it has %d)", s.opts.Topic, *p, len(md.Partitions))
			}
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("topic %q does not exist, and the brokers do not create topics on use: create it first", s.opts.Topic)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// drain counts delivery reports until the producer is closed.
func (s *Kafka) drain() {
	defer close(s.drained)
	events := s.p.Events()
	for {
		select {
		case ev, ok := <-events:
			if !ok {
				return
			}
			s.report(ev, len(events) == 0)
		case done := <-s.barrier:
			close(done)
		}
	}
}

// report counts one event of the producer; last tells that no other is
// waiting behind it.
func (s *Kafka) report(ev ck.Event, last bool) {
	switch e := ev.(type) {
	case *ck.Message:
		span, _ := e.Opaque.(trace.Span)
		sent, named := e.Opaque.(*sentMessage)
		if named {
			span = sent.span
		}
		if span != nil {
			telemetry.Delivered(span, e.TopicPartition.Partition, int64(e.TopicPartition.Offset), e.TopicPartition.Error)
		}
		if err := e.TopicPartition.Error; err != nil {
			s.failed.Add(1)
			switch {
			case named:
				s.opts.Refused.Reject(&RefusedError{Origin: sent.origin, Err: s.opts.Config.RedactErr(err)}, e.Value)
			case s.origins != nil:
				origin := s.origins.claim(e.Value, s.opts.Topic)
				s.opts.Refused.Reject(&RefusedError{Origin: origin, Err: s.opts.Config.RedactErr(err)}, e.Value)
			}
			s.mu.Lock()
			if s.firstErr == nil {
				s.firstErr = s.opts.Config.RedactErr(err)
			}
			s.mu.Unlock()
		}
		s.delivered.Add(1)
		if last {
			s.signal()
		}
	case ck.Error:
		if e.IsFatal() {
			s.mu.Lock()
			if s.fatal == nil {
				s.fatal = fmt.Errorf("kafka producer: %w", s.opts.Config.RedactErr(e))
			}
			s.mu.Unlock()
			s.signal()
		} else if s.opts.Logs != nil {
			s.opts.Logs.Printf("%v", e)
		}
	}
}

func (s *Kafka) signal() {
	select {
	case s.progress <- struct{}{}:
	default:
	}
}

func (s *Kafka) fatalErr() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fatal
}

// Write implements pipeline.Sink. librdkafka copies each message, so the
// messages' bytes are free again when Write returns.
func (s *Kafka) Write(ctx context.Context, msgs []pipeline.Message) error {
	if len(msgs) == 0 {
		return nil
	}
	if err := s.fatalErr(); err != nil {
		return err
	}
	if s.opts.TransactionalID != "" && !s.inTxn {
		if err := s.p.BeginTransaction(); err != nil {
			return fmt.Errorf("beginning a transaction: %w", err)
		}
		s.inTxn = true
	}
	km := &s.msg
	km.TopicPartition = ck.TopicPartition{Topic: s.topic, Partition: ck.PartitionAny}
	if s.opts.Partition != nil {
		km.TopicPartition.Partition = *s.opts.Partition
	}
	for i := range msgs {
		m := &msgs[i]
		km.Value = m.Value
		km.Key = m.Key
		if s.keyPaths != nil {
			if key := s.key(m.Value); key != nil {
				km.Key = key
			}
		}
		km.Headers = nil
		km.Opaque = nil
		var span trace.Span
		if s.opts.Tracer != nil {
			span = s.traceMsg(ctx, m, km)
		} else if len(m.Headers)+len(s.opts.Headers) > 0 {
			s.hdrs = s.hdrs[:0]
			for _, h := range m.Headers {
				s.hdrs = append(s.hdrs, ck.Header{Key: h.Key, Value: h.Value})
			}
			for _, h := range s.opts.Headers {
				s.hdrs = append(s.hdrs, ck.Header{Key: h.Key, Value: h.Value})
			}
			km.Headers = s.hdrs
		}
		recorded := false
		if s.origins != nil {
			recorded = s.origins.add(m)
		} else if s.opts.Refused != nil {
			km.Opaque = &sentMessage{span: span, origin: m.Origin}
		}
		unsent := func() {
			if recorded {
				s.origins.unadd()
			}
		}
		for {
			err := s.p.Produce(km, nil)
			if err == nil {
				s.produced++
				break
			}
			var ke ck.Error
			if errors.As(err, &ke) && ke.Code() == ck.ErrMsgSizeTooLarge && s.opts.KeepGoing {
				// Refused before sending: count it as not acknowledged.
				unsent()
				if span != nil {
					telemetry.Delivered(span, 0, 0, err)
				}
				s.produced++
				s.failed.Add(1)
				s.delivered.Add(1)
				if s.opts.Refused != nil {
					s.opts.Refused.Reject(&RefusedError{Origin: m.Origin, Err: err}, m.Value)
				}
				s.mu.Lock()
				if s.firstErr == nil {
					s.firstErr = fmt.Errorf("%v: %v (%d bytes)", m.Origin, err, len(km.Value))
				}
				s.mu.Unlock()
				break
			}
			if !errors.As(err, &ke) || ke.Code() != ck.ErrQueueFull {
				unsent()
				if span != nil {
					telemetry.Delivered(span, 0, 0, err)
				}
				return fmt.Errorf("producing to %s: %w", s.opts.Topic, s.opts.Config.RedactErr(err))
			}
			// The local queue is full: wait for deliveries to make room.
			select {
			case <-s.progress:
			case <-time.After(s.pollInterval()):
			case <-ctx.Done():
				unsent()
				if span != nil {
					telemetry.Delivered(span, 0, 0, ctx.Err())
				}
				return ctx.Err()
			}
			if err := s.fatalErr(); err != nil {
				unsent()
				if span != nil {
					telemetry.Delivered(span, 0, 0, err)
				}
				return err
			}
		}
	}
	km.Value, km.Key, km.Headers, km.Opaque = nil, nil, nil, nil
	return nil
}

// traceMsg starts the producer span of m, if its trace is sampled, and
// sets km's headers: m's, the sink's, and the trace context.
func (s *Kafka) traceMsg(ctx context.Context, m *pipeline.Message, km *ck.Message) trace.Span {
	span, sc := s.opts.Tracer.Publish(ctx, m.Trace, s.opts.Topic, km.Key, len(km.Value))
	s.phdrs = append(append(s.phdrs[:0], m.Headers...), s.opts.Headers...)
	if sc.IsValid() {
		s.opts.Tracer.Inject(ctx, sc, &s.phdrs)
	}
	s.hdrs = s.hdrs[:0]
	for _, h := range s.phdrs {
		s.hdrs = append(s.hdrs, ck.Header{Key: h.Key, Value: h.Value})
	}
	if len(s.hdrs) > 0 {
		km.Headers = s.hdrs
	}
	if span != nil {
		km.Opaque = span
	}
	return span
}

// key returns the text of the first key field present in raw, or nil.
func (s *Kafka) key(raw []byte) []byte {
	s.keyPaths.Extract(raw, &s.fields)
	for slot := 0; slot < s.keyPaths.Len(); slot++ {
		vals := s.fields.Values(slot)
		if len(vals) == 0 {
			continue
		}
		switch vals[0].Kind {
		case event.Null, event.Object, event.Array:
			continue
		}
		s.keyBuf = vals[0].AppendText(s.keyBuf[:0])
		return s.keyBuf
	}
	return nil
}

// Flush implements pipeline.Sink: it waits until the broker acknowledged
// every message written, and fails if any was not.
func (s *Kafka) Flush(ctx context.Context) error {
	return s.wait(ctx)
}

func (s *Kafka) wait(ctx context.Context) error {
	for {
		if err := s.fatalErr(); err != nil {
			return err
		}
		if s.settled() {
			break
		}
		select {
		case <-s.progress:
		case <-time.After(s.pollInterval()):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if s.opts.KeepGoing {
		return nil
	}
	return s.Err()
}

// settled reports whether every message produced was acknowledged or its
// failure counted.
func (s *Kafka) settled() bool {
	if !s.onlyErrors {
		return s.delivered.Load() >= s.produced
	}
	// Len counts messages not yet acknowledged and reports not yet taken
	// by drain; a message leaves it only once its report, if any, was
	// handed to the events channel. The barrier then waits for drain to
	// finish counting the report it took last.
	if s.p.Len() > 0 {
		return false
	}
	done := make(chan struct{})
	select {
	case s.barrier <- done:
		<-done
	case <-s.drained:
	}
	if s.origins != nil {
		s.origins.reset()
	}
	return true
}

// pollInterval is how often waits look again: reports wake them when
// every message is reported, but acknowledgements must be polled for when
// only failures are.
func (s *Kafka) pollInterval() time.Duration {
	if s.onlyErrors {
		return time.Millisecond
	}
	return 50 * time.Millisecond
}

// Err returns a *DeliveryError if the broker did not acknowledge some
// messages confirmed so far, else nil.
func (s *Kafka) Err() error {
	if n := s.failed.Load(); n > 0 {
		s.mu.Lock()
		err := s.firstErr
		s.mu.Unlock()
		return &DeliveryError{Failed: n, Produced: s.produced, Err: err}
	}
	return nil
}

// sentMessage is what a produced message carries to its delivery report
// when refused messages are named (KafkaOptions.Refused).
type sentMessage struct {
	span   trace.Span
	origin pipeline.Origin
}

// RefusedError reports an event the broker (or the client) refused.
type RefusedError struct {
	Origin pipeline.Origin
	Err    error
}

func (e *RefusedError) Error() string {
	return fmt.Sprintf("%v: refused by Kafka: %v", e.Origin, e.Err)
}

func (e *RefusedError) Unwrap() error { return e.Err }

// DeliveryError reports messages the broker did not acknowledge.
type DeliveryError struct {
	Failed, Produced int64
	Err              error // the first failure
}

func (e *DeliveryError) Error() string {
	return fmt.Sprintf("%d of %d event(s) not acknowledged by the broker: %v", e.Failed, e.Produced, e.Err)
}

func (e *DeliveryError) Unwrap() error { return e.Err }

// Commit implements pipeline.TransactionalSink: the messages written since
// the last commit and the source's offsets past batches are committed in
// one transaction. On failure the transaction is aborted, so that
// read_committed readers see none of it, and the error stops the run; the
// input is read again from the last commit.
func (s *Kafka) Commit(ctx context.Context, src pipeline.Source, batches [][]pipeline.Message) error {
	if s.opts.TransactionalID == "" {
		return s.wait(ctx)
	}
	var offs []ck.TopicPartition
	var meta *ck.ConsumerGroupMetadata
	if os, ok := src.(offsetSource); ok && len(batches) > 0 {
		var err error
		if offs, meta, err = os.TxOffsets(batches); err != nil {
			return s.abort(ctx, err)
		}
	}
	if !s.inTxn && len(offs) == 0 {
		return nil
	}
	if !s.inTxn {
		if err := s.p.BeginTransaction(); err != nil {
			return fmt.Errorf("beginning a transaction: %w", err)
		}
		s.inTxn = true
	}
	if len(offs) > 0 {
		if err := s.p.SendOffsetsToTransaction(ctx, offs, meta); err != nil {
			return s.abort(ctx, fmt.Errorf("adding offsets to the transaction: %w", err))
		}
	}
	for tries := 0; ; tries++ {
		err := s.p.CommitTransaction(ctx)
		if err == nil {
			break
		}
		var ke ck.Error
		if errors.As(err, &ke) && ke.IsRetriable() && tries < 5 && ctx.Err() == nil {
			continue
		}
		return s.abort(ctx, fmt.Errorf("committing the transaction: %w", err))
	}
	s.inTxn = false
	return s.wait(ctx)
}

// abort aborts the open transaction and returns err.
func (s *Kafka) abort(ctx context.Context, err error) error {
	if s.inTxn {
		actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		if aerr := s.p.AbortTransaction(actx); aerr != nil {
			err = fmt.Errorf("%w (aborting: %v)", err, aerr)
		}
		cancel()
		s.inTxn = false
	}
	return s.opts.Config.RedactErr(err)
}

// Stats returns the messages produced, acknowledged and failed so far.
func (s *Kafka) Stats() (produced, acked, failed int64) {
	d, f := s.delivered.Load(), s.failed.Load()
	if s.onlyErrors {
		// Every message out of the client's queue was reported (a failure) or acknowledged.
		return s.produced, max(s.produced-int64(s.p.Len())-f, 0), f
	}
	return s.produced, d - f, f
}

// Close implements pipeline.Sink. An open transaction is aborted. When
// every message is confirmed, the client is closed in the background:
// its poller would hold Close for up to 100 ms with nothing left to do.
func (s *Kafka) Close() error {
	if s.inTxn {
		s.abort(context.Background(), nil)
	}
	if s.settled() {
		go func() {
			s.p.Close()
			<-s.drained
			s.closeLogs()
		}()
		return nil
	}
	s.p.Close()
	<-s.drained
	s.closeLogs()
	return nil
}

func (s *Kafka) closeLogs() {
	if s.opts.Logs != nil {
		s.opts.Logs.Close()
	}
}
