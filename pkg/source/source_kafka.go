// The Kafka source: its options and type, connecting, Read, message and
// Close. The other source_kafka_*.go files hold the rest, one job each.

package source

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"sync"
	"time"

	ck "github.com/confluentinc/confluent-kafka-go/v2/kafka"

	"github.com/secpipe/secpipe/pkg/event"
	"github.com/secpipe/secpipe/pkg/kafka"
	"github.com/secpipe/secpipe/pkg/pipeline"
	"github.com/secpipe/secpipe/pkg/telemetry"
)

// KafkaOptions configures a Kafka source.
type KafkaOptions struct {
	Config kafka.Config
	Topics []string
	// Group is the consumer group. Without one, every partition is read
	// and no offset is committed.
	Group string
	// InstanceID makes this consumer a static group member
	// (group.instance.id): restarted with the same ID, it takes its
	// partitions back at once instead of after a rebalance.
	InstanceID string
	// Offset says where to start. Stored (the default) starts at the
	// group's committed offset, else at the beginning; any other value
	// repositions each partition the first time this source is assigned it.
	Offset kafka.StartOffset
	// ExitAtEnd ends the input once every assigned partition has reached
	// the end it had when the source started.
	ExitAtEnd bool
	// Count ends the input after this many events (0: no limit).
	Count int64
	// WithMeta wraps each event with its Kafka metadata:
	// {"topic","partition","offset","key","headers","timestamp","value"}.
	WithMeta bool
	// KcatJSON wraps each message as kcat -J does (see appendKcat).
	KcatJSON bool
	// KeyDelim, if set, makes each message "KEY<KeyDelim>VALUE", as kcat -K
	// prints it (no key: an empty one).
	KeyDelim string
	// Partitions, if set, are the only partitions read (without a group).
	Partitions []int32
	// StopAt, if set, ends each partition before its first message at or
	// after that time (kcat's -o e@MS); it implies ExitAtEnd.
	StopAt time.Time
	// ExactlyOnce leaves offset commits to a transactional sink
	// (pipeline.TransactionalSink), which asks for them with TxOffsets.
	ExactlyOnce bool
	// MaxRecord caps one message value's size (0: event.DefaultMaxRecord).
	MaxRecord int
	// Rejects handles bad messages.
	Rejects *pipeline.Rejects
	// Logs reports client errors; the source closes it.
	Logs *kafka.Logs
	// Tracer, if set, traces each message: its context comes from the
	// traceparent header (or else the event's traceparent member, which
	// is taken out), a consumer span "process <topic>" is started as its
	// child, from the read until the message's batch is acknowledged, and
	// the event carries that span's context on in Message.Trace.
	Tracer *telemetry.Tracer
	// StatsInterval, if set, has librdkafka report its statistics this
	// often, for Lag.
	StatsInterval time.Duration
}

// Kafka reads events from Kafka topics, one JSON object a message value.
//
// Delivery is at-least-once: offsets are stored only in Ack, after the
// sink has the events, as the position past the acknowledged batch in each
// partition, and committed by librdkafka's auto commit, on a rebalance and
// on Close. Bad messages (not one JSON object, invalid UTF-8, too big) are
// reported as topic[partition]@offset and skipped; their offsets are
// committed with the good events read around them. When partitions are
// taken away in a rebalance, the source first waits (up to RevokeWait) until
// every batch read so far is acknowledged, so that the next owner starts
// where this one stopped.
type Kafka struct {
	opts      KafkaOptions
	c         *ck.Consumer
	maxRecord int
	topicPtr  map[string]*string

	// Owned by the reading goroutine.
	cur     []mark // positions read by the Read in progress
	curB    *pipeline.Batch
	readCtx context.Context
	ends    map[tp]int64 // ExitAtEnd: each partition's end at start
	atEnd   map[tp]bool  // ExitAtEnd: partitions that reached it
	recheck bool         // ExitAtEnd: a partition reached its end, or the assignment changed
	atEnds  bool         // ExitAtEnd: every assigned partition reached its end
	count   int64
	scratch []byte
	hdrs    []pipeline.Header
	cutter  *telemetry.FieldCutter
	spans   []openSpan // process spans of the Read in progress

	mu       sync.Mutex
	pending  []readEntry // batches read, not yet acknowledged, in order
	idle     []mark      // positions read outside any batch
	stored   map[tp]int64
	assigned map[tp]bool
	started  map[tp]bool // partitions whose start offset was applied
	closing  bool
	acked    chan struct{}
	lag      []kafka.PartitionLag

	leaders map[tp]int32 // KcatJSON: each partition's leader
}

// timeoutMs is the connect timeout in milliseconds, for the client's
// requests that take one.
func (k *Kafka) timeoutMs() int { return int(k.opts.Config.Timeout().Milliseconds()) }

// ReadLinger is how long Read waits for more messages before it returns a
// partly filled batch as the end of a burst.
var ReadLinger = 5 * time.Millisecond

// CloseWait bounds how long Close waits for the consumer to leave its group.
var CloseWait = 10 * time.Second

type tp struct {
	topic string
	part  int32
}

// NewKafka connects to the brokers, checks that they answer within the
// configured connect timeout, and joins the group (or assigns every
// partition when there is no group).
func NewKafka(ctx context.Context, o KafkaOptions) (*Kafka, error) {
	if len(o.Topics) == 0 {
		return nil, errors.New("no topic to read")
	}
	if o.Rejects == nil {
		o.Rejects = &pipeline.Rejects{}
	}
	if !o.StopAt.IsZero() {
		o.ExitAtEnd = true
	}
	k := &Kafka{
		opts: o, maxRecord: o.MaxRecord, topicPtr: map[string]*string{},
		stored: map[tp]int64{}, assigned: map[tp]bool{}, started: map[tp]bool{},
		acked: make(chan struct{}, 1),
	}
	if k.maxRecord <= 0 {
		k.maxRecord = event.DefaultMaxRecord
	}
	group := o.Group
	autoCommit := group != "" && !o.ExactlyOnce
	if group == "" {
		group = "secpipe-nogroup" // librdkafka wants one; nothing is committed
	}
	reset := "earliest"
	if o.Offset.Kind == kafka.End {
		reset = "latest"
	}
	defaults := []kafka.Prop{
		{Key: "group.id", Value: group},
		{Key: "enable.auto.offset.store", Value: "false"},
		{Key: "enable.auto.commit", Value: strconv.FormatBool(autoCommit)},
		{Key: "auto.commit.interval.ms", Value: "1000"},
		// A member that dies (SIGKILL, a lost host) loses its partitions to
		// the others within 10 s rather than librdkafka's 45 s; 10 s stays
		// above a broker's default group.min.session.timeout.ms (6 s).
		{Key: "session.timeout.ms", Value: "10000"},
		{Key: "heartbeat.interval.ms", Value: "3000"},
		{Key: "auto.offset.reset", Value: reset},
		{Key: "enable.partition.eof", Value: "true"},
		{Key: "isolation.level", Value: "read_committed"},
		{Key: "partition.assignment.strategy", Value: "cooperative-sticky"},
		// Once a partition's prefetched messages pass queued.min.messages,
		// librdkafka (2.4 and later) waits this long before fetching it
		// again; its 1000 ms default left a reader that drains 100,000
		// messages in well under a second idle for the rest of it (reading
		// 500,000 events from the dev broker took 2.2 to 3.9 s instead of
		// 1.0 to 1.3).
		{Key: "fetch.queue.backoff.ms", Value: "10"},
		// A fetch the broker holds for want of new data holds back the
		// partitions assigned meanwhile: a group member is given its
		// partitions one by one, and with librdkafka's 500 ms the last
		// ones waited half a second to start (consume --group
		// --exit-at-end of 1,000 events took 0.7 s a third of the time).
		{Key: "fetch.wait.max.ms", Value: "100"},
	}
	if o.InstanceID != "" && o.Group != "" {
		defaults = append(defaults, kafka.Prop{Key: "group.instance.id", Value: o.InstanceID})
	}
	if o.StatsInterval > 0 {
		defaults = append(defaults, kafka.Prop{Key: "statistics.interval.ms", Value: strconv.FormatInt(max(o.StatsInterval.Milliseconds(), 1), 10)})
	}
	if o.Tracer != nil {
		k.cutter = telemetry.NewFieldCutter()
	}
	m := o.Config.ConfigMap(defaults...)
	if o.Logs != nil {
		o.Logs.Apply(m)
	}
	c, err := ck.NewConsumer(m)
	if err != nil {
		k.closeLogs()
		return nil, fmt.Errorf("kafka consumer: %w", o.Config.RedactErr(err))
	}
	k.c = c
	fail := func(err error) (*Kafka, error) {
		c.Close()
		k.closeLogs()
		return nil, err
	}
	md, err := o.Config.Connect(ctx, c, o.Topics[0])
	if err != nil {
		return fail(err)
	}
	if o.Logs != nil {
		o.Logs.Start()
	}
	if o.ExitAtEnd || o.Group == "" {
		parts, err := k.partitions(ctx, md)
		if err != nil {
			return fail(err)
		}
		if o.ExitAtEnd {
			if err := k.queryEnds(parts); err != nil {
				return fail(err)
			}
		}
		if o.Group == "" {
			if err := k.startOffsets(parts); err != nil {
				return fail(err)
			}
			k.mu.Lock()
			for _, p := range parts {
				k.assigned[tp{*p.Topic, p.Partition}] = true
			}
			k.mu.Unlock()
			if err := c.Assign(parts); err != nil {
				return fail(err)
			}
			return k, nil
		}
	}
	if err := c.SubscribeTopics(o.Topics, k.rebalance); err != nil {
		return fail(err)
	}
	return k, nil
}

// partitions lists the partitions of the topics, which must exist.
func (k *Kafka) partitions(ctx context.Context, first *ck.TopicMetadata) ([]ck.TopicPartition, error) {
	var parts []ck.TopicPartition
	for i, topic := range k.opts.Topics {
		md := first
		if i > 0 {
			var err error
			if md, err = k.opts.Config.Connect(ctx, k.c, topic); err != nil {
				return nil, err
			}
		}
		if kafka.UnknownTopic(md) || len(md.Partitions) == 0 {
			return nil, fmt.Errorf("topic %q does not exist", topic)
		}
		if len(k.opts.Partitions) > 0 {
			for _, want := range k.opts.Partitions {
				if !slices.ContainsFunc(md.Partitions, func(p ck.PartitionMetadata) bool { return p.ID == want }) {
					return nil, fmt.Errorf("topic %q has no partition %d (it has %d)", topic, want, len(md.Partitions))
				}
			}
		}
		for _, p := range md.Partitions {
			if len(k.opts.Partitions) > 0 && !slices.Contains(k.opts.Partitions, p.ID) {
				continue
			}
			parts = append(parts, ck.TopicPartition{Topic: k.topic(topic), Partition: p.ID, Offset: ck.OffsetStored})
		}
	}
	return parts, nil
}

// Read implements pipeline.Source.
func (k *Kafka) Read(ctx context.Context, b *pipeline.Batch) error {
	k.cur = k.cur[:0]
	k.curB = b
	k.readCtx = ctx
	defer func() { k.curB = nil }()
	var lingerUntil time.Time
	for {
		if k.ended() {
			return k.finish(b, false, io.EOF)
		}
		if err := ctx.Err(); err != nil {
			return k.finish(b, false, err)
		}
		timeout := 0
		switch {
		case len(b.Msgs) == 0:
			timeout = 100
		case !lingerUntil.IsZero():
			timeout = 1
		}
		switch e := k.c.Poll(timeout).(type) {
		case nil:
			if len(b.Msgs) > 0 {
				// Messages come in fetch-sized bursts: wait a little for
				// the next one before calling the input paused, so that
				// batches stay large and the sink is not flushed at
				// every burst.
				if lingerUntil.IsZero() {
					lingerUntil = time.Now().Add(ReadLinger)
					continue
				}
				if time.Now().Before(lingerUntil) {
					continue
				}
				return k.finish(b, false, nil)
			}
			k.settleIdle()
		case *ck.Message:
			if e.TopicPartition.Error != nil {
				k.logf("%s[%d]: %v", topicName(e.TopicPartition), e.TopicPartition.Partition, e.TopicPartition.Error)
				continue
			}
			if err := k.message(e, b); err != nil {
				return k.finish(b, false, err)
			}
			if b.Full() {
				return k.finish(b, true, nil)
			}
		case *ck.Stats:
			k.readStats(e.String())
		case ck.PartitionEOF:
			if e.Topic != nil && e.Offset >= 0 {
				t := tp{*e.Topic, e.Partition}
				k.addMark(t, int64(e.Offset))
				k.reached(t, int64(e.Offset))
			}
		case ck.Error:
			if e.IsFatal() {
				return k.finish(b, false, fmt.Errorf("kafka: %w", k.opts.Config.RedactErr(e)))
			}
			if e.Code() == ck.ErrUnknownTopicOrPart {
				k.logf("waiting for the topic to be created (%v)", e)
				continue
			}
			k.logf("%v", e)
		}
	}
}

func topicName(p ck.TopicPartition) string {
	if p.Topic == nil {
		return ""
	}
	return *p.Topic
}

func (k *Kafka) logf(format string, args ...any) {
	if k.opts.Logs != nil {
		k.opts.Logs.Printf(format, args...)
	}
}

// message validates one message and adds it to b, or rejects it.
func (k *Kafka) message(m *ck.Message, b *pipeline.Batch) error {
	topic := topicName(m.TopicPartition)
	origin := pipeline.Origin{Input: topic, Partition: m.TopicPartition.Partition, Offset: int64(m.TopicPartition.Offset)}
	t := tp{topic, origin.Partition}
	if !k.opts.StopAt.IsZero() {
		if end, ok := k.ends[t]; ok && origin.Offset >= end {
			k.addMark(t, origin.Offset+1) // at or past the e@ time: not read
			k.reached(t, origin.Offset+1)
			return nil
		}
	}
	var value []byte
	var reason string
	if len(m.Value) > k.maxRecord {
		reason = fmt.Sprintf("record exceeds the size limit of %d bytes", k.maxRecord)
	} else {
		v, err := event.Validate(m.Value, k.scratch[:0])
		if err != nil {
			reason = err.Error()
		} else if sameArray(v, m.Value) {
			value = v // the message's own bytes: nobody else holds them
		} else {
			k.scratch = v[:0]
			value = b.Copy(v)
		}
	}
	if reason != "" {
		err := &BadMessageError{Origin: origin, Reason: reason}
		if k.opts.Tracer != nil {
			k.traceBad(m, origin, err)
		}
		if rerr := k.opts.Rejects.Reject(err, m.Value); rerr != nil {
			return rerr // strict: the bad message's offset is not passed
		}
		k.addMark(t, origin.Offset+1)
		return nil
	}
	msg := pipeline.Message{Value: value, Key: m.Key, Origin: origin}
	if len(m.Headers) > 0 {
		start := len(k.hdrs)
		if cap(k.hdrs)-start < len(m.Headers) {
			k.hdrs = make([]pipeline.Header, 0, max(1024, 2*len(m.Headers)))
			start = 0
		}
		for _, h := range m.Headers {
			k.hdrs = append(k.hdrs, pipeline.Header{Key: h.Key, Value: h.Value})
		}
		msg.Headers = k.hdrs[start:len(k.hdrs):len(k.hdrs)]
	}
	if k.opts.Tracer != nil {
		value = k.trace(&msg, t)
	}
	switch {
	case k.opts.KcatJSON:
		msg.Value = appendKcat(b, m, origin, k.leader(t))
	case k.opts.WithMeta:
		msg.Value = appendMeta(b, m, origin, value)
	case k.opts.KeyDelim != "":
		buf := b.Alloc(len(m.Key) + len(k.opts.KeyDelim) + len(value))[:0]
		msg.Value = append(append(append(buf, m.Key...), k.opts.KeyDelim...), value...)
	}
	b.Add(msg)
	k.count++
	k.addMark(t, origin.Offset+1)
	k.reached(t, origin.Offset+1)
	return nil
}

// sameArray reports whether a and b share their backing array.
func sameArray(a, b []byte) bool {
	if cap(a) == 0 || cap(b) == 0 {
		return false
	}
	return &a[:cap(a)][cap(a)-1] == &b[:cap(b)][cap(b)-1]
}

// BadMessageError describes a message whose value is not one valid JSON object.
type BadMessageError struct {
	Origin pipeline.Origin
	Reason string
}

func (e *BadMessageError) Error() string { return e.Origin.String() + ": " + e.Reason }

func (k *Kafka) topic(name string) *string {
	p, ok := k.topicPtr[name]
	if !ok {
		p = &name
		k.topicPtr[name] = p
	}
	return p
}

// Close implements pipeline.Source. In a group, it commits the offsets
// stored by Ack, and only those, then leaves the group.
func (k *Kafka) Close() error {
	k.mu.Lock()
	k.closing = true
	for _, e := range k.pending {
		for _, s := range e.spans {
			endSpan(s.span, errUnacked)
		}
	}
	k.mu.Unlock()
	for _, s := range k.spans {
		endSpan(s.span, errUnacked)
	}
	k.spans = nil
	if k.opts.Group == "" {
		// Nothing to commit and no group to leave: the client is closed in
		// the background, as confluent-kafka-go's log poller would hold
		// Close for up to 100 ms with nothing left to do.
		go func() {
			k.c.Close()
			k.closeLogs()
		}()
		return nil
	}
	// Committing and leaving the group wait for the coordinator; one that
	// does not answer must not hold the command for long. Offsets not
	// committed only mean that events are read again.
	closed := make(chan error, 1)
	go func() {
		var err error
		if !k.opts.ExactlyOnce {
			if _, cerr := k.c.Commit(); cerr != nil && !noOffset(cerr) {
				err = fmt.Errorf("committing offsets: %w", k.opts.Config.RedactErr(cerr))
			}
		}
		if cerr := k.c.Close(); err == nil && cerr != nil {
			err = cerr
		}
		closed <- err
	}()
	select {
	case err := <-closed:
		k.closeLogs()
		return err
	case <-time.After(CloseWait):
		k.logf("committing offsets and leaving the group take longer than %v; not waiting (uncommitted events will be read again)", CloseWait)
		return nil
	}
}

func (k *Kafka) closeLogs() {
	if k.opts.Logs != nil {
		k.opts.Logs.Close()
	}
}

// Count returns the number of events read; call it after the run.
func (k *Kafka) Count() int64 { return k.count }
