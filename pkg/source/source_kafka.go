package source

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"sync"
	"time"

	ck "github.com/confluentinc/confluent-kafka-go/v2/kafka"
	"go.opentelemetry.io/otel/trace"

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
}

// ReadLinger is how long Read waits for more messages before it returns a
// partly filled batch as the end of a burst.
var ReadLinger = 5 * time.Millisecond

// CloseWait bounds how long Close waits for the consumer to leave its group.
var CloseWait = 10 * time.Second

// RevokeWait bounds how long a rebalance waits for the batches in flight
// to be acknowledged before it gives the partitions up.
var RevokeWait = 30 * time.Second

type tp struct {
	topic string
	part  int32
}

// mark is a read position: the offset after the last message read.
type mark struct {
	tp   tp
	next int64
}

type readEntry struct {
	first *pipeline.Message
	n     int
	marks []mark
	spans []openSpan // ended when the batch is acknowledged
}

// openSpan is the process span of a message read, not yet acknowledged.
type openSpan struct {
	tp   tp
	span trace.Span
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
		{Key: "auto.offset.reset", Value: reset},
		{Key: "enable.partition.eof", Value: "true"},
		{Key: "isolation.level", Value: "read_committed"},
		{Key: "partition.assignment.strategy", Value: "cooperative-sticky"},
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
		for _, p := range md.Partitions {
			parts = append(parts, ck.TopicPartition{Topic: k.topic(topic), Partition: p.ID, Offset: ck.OffsetStored})
		}
	}
	return parts, nil
}

func (k *Kafka) queryEnds(parts []ck.TopicPartition) error {
	k.ends = map[tp]int64{}
	k.atEnd = map[tp]bool{}
	k.recheck = true
	timeout := int(k.opts.Config.ConnectTimeout / time.Millisecond)
	if timeout <= 0 {
		timeout = int(kafka.DefaultConnectTimeout / time.Millisecond)
	}
	for _, p := range parts {
		lo, hi, err := k.c.QueryWatermarkOffsets(*p.Topic, p.Partition, timeout)
		if err != nil {
			return fmt.Errorf("end offset of %s[%d]: %w", *p.Topic, p.Partition, err)
		}
		t := tp{*p.Topic, p.Partition}
		k.ends[t] = hi
		if hi <= lo {
			k.atEnd[t] = true // empty: at its end already
		}
	}
	return nil
}

// startOffsets sets the start offset of partitions assigned for the first
// time, unless the group's stored offsets are wanted.
func (k *Kafka) startOffsets(parts []ck.TopicPartition) error {
	var fresh []int
	k.mu.Lock()
	for i, p := range parts {
		t := tp{*p.Topic, p.Partition}
		if !k.started[t] {
			k.started[t] = true
			fresh = append(fresh, i)
		}
	}
	k.mu.Unlock()
	o := k.opts.Offset
	if o.Kind == kafka.Stored && k.opts.Group == "" {
		o = kafka.StartOffset{Kind: kafka.Beginning}
	}
	if o.Kind == kafka.Stored || len(fresh) == 0 {
		return nil
	}
	if off, ok := o.Logical(); ok {
		for _, i := range fresh {
			parts[i].Offset = off
		}
		return nil
	}
	query := make([]ck.TopicPartition, len(fresh))
	for j, i := range fresh {
		query[j] = parts[i]
		query[j].Offset = ck.Offset(o.Time.UnixMilli())
	}
	timeout := int(k.opts.Config.ConnectTimeout / time.Millisecond)
	if timeout <= 0 {
		timeout = int(kafka.DefaultConnectTimeout / time.Millisecond)
	}
	res, err := k.c.OffsetsForTimes(query, timeout)
	if err != nil {
		return fmt.Errorf("offsets for %s: %w", o, err)
	}
	for j, i := range fresh {
		off := res[j].Offset
		if off < 0 { // nothing at or after that time
			off = ck.OffsetEnd
		}
		parts[i].Offset = off
	}
	return nil
}

// rebalance runs on the reading goroutine, inside Poll.
func (k *Kafka) rebalance(c *ck.Consumer, ev ck.Event) error {
	cooperative := c.GetRebalanceProtocol() == "COOPERATIVE"
	switch e := ev.(type) {
	case ck.AssignedPartitions:
		parts := e.Partitions
		if err := k.startOffsets(parts); err != nil && k.opts.Logs != nil {
			k.opts.Logs.Printf("%v (starting from the stored offsets)", err)
		}
		k.mu.Lock()
		for _, p := range parts {
			k.assigned[tp{*p.Topic, p.Partition}] = true
		}
		k.mu.Unlock()
		k.recheck = true
		if cooperative {
			return c.IncrementalAssign(parts)
		}
		return c.Assign(parts)
	case ck.RevokedPartitions:
		lost := c.AssignmentLost()
		if !lost {
			k.waitAcked()
		}
		k.mu.Lock()
		revoked := map[tp]bool{}
		for _, p := range e.Partitions {
			t := tp{*p.Topic, p.Partition}
			revoked[t] = true
			delete(k.assigned, t)
		}
		k.mu.Unlock()
		k.dropRevoked(revoked)
		k.recheck = true
		if !lost && k.opts.Group != "" && !k.opts.ExactlyOnce {
			if _, err := c.Commit(); err != nil && !noOffset(err) && k.opts.Logs != nil {
				k.opts.Logs.Printf("committing offsets before a rebalance: %v", err)
			}
		}
		if cooperative {
			return c.IncrementalUnassign(e.Partitions)
		}
		return c.Unassign()
	}
	return nil
}

// waitAcked waits until every batch read is acknowledged, or RevokeWait.
func (k *Kafka) waitAcked() {
	deadline := time.NewTimer(RevokeWait)
	defer deadline.Stop()
	var done <-chan struct{}
	if k.readCtx != nil {
		done = k.readCtx.Done()
	}
	for {
		k.mu.Lock()
		n, closing := len(k.pending), k.closing
		k.mu.Unlock()
		if n == 0 || closing {
			return
		}
		select {
		case <-k.acked:
		case <-done:
			return
		case <-deadline.C:
			if k.opts.Logs != nil {
				k.opts.Logs.Printf("rebalance: %d batch(es) still unacknowledged after %v; their events will be read again by the partitions' next owner", n, RevokeWait)
			}
			return
		}
	}
}

// dropRevoked removes messages of revoked partitions from the batch being
// read, so that they are neither passed on nor committed here: the
// partitions' next owner reads them.
func (k *Kafka) dropRevoked(revoked map[tp]bool) {
	if b := k.curB; b != nil {
		kept := b.Msgs[:0]
		for _, m := range b.Msgs {
			if !revoked[tp{m.Origin.Input, m.Origin.Partition}] {
				kept = append(kept, m)
			} else {
				k.count--
			}
		}
		clear(b.Msgs[len(kept):])
		b.Msgs = kept
	}
	k.cur = withoutRevoked(k.cur, revoked)
	k.mu.Lock()
	k.idle = withoutRevoked(k.idle, revoked)
	k.mu.Unlock()
	kept := k.spans[:0]
	for _, s := range k.spans {
		if revoked[s.tp] {
			endSpan(s.span, errRevoked)
		} else {
			kept = append(kept, s)
		}
	}
	clear(k.spans[len(kept):])
	k.spans = kept
}

var (
	errRevoked = errors.New("partition revoked before the event was processed; its next owner reads it again")
	errUnacked = errors.New("event not delivered before the source closed; it will be read again")
)

// endSpan ends a process span, failed with err if not nil.
func endSpan(span trace.Span, err error) {
	if err != nil {
		telemetry.Fail(span, err)
	}
	span.End()
}

func withoutRevoked(ms []mark, revoked map[tp]bool) []mark {
	kept := ms[:0]
	for _, m := range ms {
		if !revoked[m.tp] {
			kept = append(kept, m)
		}
	}
	return kept
}

func noOffset(err error) bool {
	var ke ck.Error
	return errors.As(err, &ke) && ke.Code() == ck.ErrNoOffset
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

// ended reports whether --count or --exit-at-end ends the input.
func (k *Kafka) ended() bool {
	if k.opts.Count > 0 && k.count >= k.opts.Count {
		return true
	}
	if !k.opts.ExitAtEnd || !k.recheck {
		return k.atEnds
	}
	k.recheck = false
	k.mu.Lock()
	defer k.mu.Unlock()
	if len(k.assigned) == 0 {
		return false
	}
	for t := range k.assigned {
		if _, ok := k.ends[t]; ok && !k.atEnd[t] { // partitions created since the start do not count
			return false
		}
	}
	k.atEnds = true
	return true
}

// reached records the position reached in a partition, for ExitAtEnd.
func (k *Kafka) reached(t tp, next int64) {
	if k.ends == nil || k.atEnd[t] {
		return
	}
	if end, ok := k.ends[t]; ok && next >= end {
		k.atEnd[t] = true
		k.recheck = true
	}
}

// finish ends a Read: a batch with messages is queued for Ack with the
// positions it covers.
func (k *Kafka) finish(b *pipeline.Batch, more bool, err error) error {
	if len(b.Msgs) == 0 {
		k.settleIdle()
		if err == nil {
			err = io.EOF
		}
		return err
	}
	b.More = more
	var spans []openSpan
	if len(k.spans) > 0 {
		spans = slices.Clone(k.spans)
		clear(k.spans)
		k.spans = k.spans[:0]
	}
	k.mu.Lock()
	marks := append(k.idle, k.cur...)
	k.idle = nil
	k.pending = append(k.pending, readEntry{first: &b.Msgs[0], n: len(b.Msgs), marks: mergeMarks(marks), spans: spans})
	k.mu.Unlock()
	k.cur = k.cur[:0]
	if err == io.EOF {
		err = nil // the next Read reports the end
	}
	return err
}

// settleIdle keeps positions read outside any batch (bad messages, ends of
// partitions); with nothing in flight they are stored at once.
func (k *Kafka) settleIdle() {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.idle = append(k.idle, k.cur...)
	k.cur = k.cur[:0]
	if len(k.pending) == 0 && len(k.idle) > 0 && k.opts.Group != "" && !k.opts.ExactlyOnce {
		k.store(mergeMarks(k.idle))
		k.idle = nil
	}
}

func (k *Kafka) addMark(t tp, next int64) {
	for i := len(k.cur) - 1; i >= 0; i-- {
		if k.cur[i].tp == t {
			if next > k.cur[i].next {
				k.cur[i].next = next
			}
			return
		}
	}
	k.cur = append(k.cur, mark{t, next})
}

// mergeMarks keeps the furthest position of each partition.
func mergeMarks(ms []mark) []mark {
	out := make([]mark, 0, len(ms))
next:
	for _, m := range ms {
		for i := range out {
			if out[i].tp == m.tp {
				if m.next > out[i].next {
					out[i].next = m.next
				}
				continue next
			}
		}
		out = append(out, m)
	}
	return out
}

// message validates one message and adds it to b, or rejects it.
func (k *Kafka) message(m *ck.Message, b *pipeline.Batch) error {
	topic := topicName(m.TopicPartition)
	origin := pipeline.Origin{Input: topic, Partition: m.TopicPartition.Partition, Offset: int64(m.TopicPartition.Offset)}
	t := tp{topic, origin.Partition}
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
	if k.opts.WithMeta {
		msg.Value = appendMeta(b, m, origin, value)
	}
	b.Add(msg)
	k.count++
	k.addMark(t, origin.Offset+1)
	k.reached(t, origin.Offset+1)
	return nil
}

// trace extracts a message's trace context, starts its process span and
// returns its value without the trace field.
func (k *Kafka) trace(msg *pipeline.Message, t tp) []byte {
	parent := k.opts.Tracer.Extract(k.readCtx, &msg.Headers)
	inValue, value := k.cutter.Cut(msg.Value)
	if !parent.IsValid() {
		parent = inValue
	}
	msg.Value = value
	span, sc := k.opts.Tracer.Process(k.readCtx, parent, t.topic, t.part, msg.Origin.Offset, k.opts.Group)
	if span != nil {
		k.spans = append(k.spans, openSpan{t, span})
	}
	msg.Trace = sc
	return value
}

// traceBad records a bad message in a failed process span, if its trace
// is sampled: the trace shows where the event was lost.
func (k *Kafka) traceBad(m *ck.Message, o pipeline.Origin, err error) {
	var hdrs []pipeline.Header
	for _, h := range m.Headers {
		hdrs = append(hdrs, pipeline.Header{Key: h.Key, Value: h.Value})
	}
	parent := k.opts.Tracer.Extract(k.readCtx, &hdrs)
	if span, _ := k.opts.Tracer.Process(k.readCtx, parent, o.Input, o.Partition, o.Offset, k.opts.Group); span != nil {
		endSpan(span, err)
	}
}

// sameArray reports whether a and b share their backing array.
func sameArray(a, b []byte) bool {
	if cap(a) == 0 || cap(b) == 0 {
		return false
	}
	return &a[:cap(a)][cap(a)-1] == &b[:cap(b)][cap(b)-1]
}

// appendMeta wraps value with the message's metadata, in b's storage.
func appendMeta(b *pipeline.Batch, m *ck.Message, o pipeline.Origin, value []byte) []byte {
	size := 128 + len(o.Input) + 2*len(m.Key) + len(value)
	for _, h := range m.Headers {
		size += len(h.Key) + 2*len(h.Value) + 8
	}
	buf := b.Alloc(size)[:0]
	buf = append(buf, `{"topic":`...)
	buf = event.AppendString(buf, o.Input)
	buf = append(buf, `,"partition":`...)
	buf = strconv.AppendInt(buf, int64(o.Partition), 10)
	buf = append(buf, `,"offset":`...)
	buf = strconv.AppendInt(buf, o.Offset, 10)
	buf = append(buf, `,"key":`...)
	if m.Key == nil {
		buf = append(buf, "null"...)
	} else {
		buf = event.AppendString(buf, string(m.Key))
	}
	buf = append(buf, `,"headers":{`...)
	for i, h := range m.Headers {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = event.AppendString(buf, h.Key)
		buf = append(buf, ':')
		buf = event.AppendString(buf, string(h.Value))
	}
	buf = append(buf, `},"timestamp":`...)
	if m.Timestamp.IsZero() || m.TimestampType == ck.TimestampNotAvailable {
		buf = append(buf, "null"...)
	} else {
		buf = append(buf, '"')
		buf = m.Timestamp.UTC().AppendFormat(buf, "2006-01-02T15:04:05.000Z07:00")
		buf = append(buf, '"')
	}
	buf = append(buf, `,"value":`...)
	buf = append(buf, value...)
	return append(buf, '}')
}

// BadMessageError describes a message whose value is not one valid JSON object.
type BadMessageError struct {
	Origin pipeline.Origin
	Reason string
}

func (e *BadMessageError) Error() string { return e.Origin.String() + ": " + e.Reason }

// Ack implements pipeline.Source: it stores, for each partition, the offset
// past the acknowledged batch, to be committed.
func (k *Kafka) Ack(_ context.Context, msgs []pipeline.Message) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if len(k.pending) > 0 && len(msgs) > 0 && k.pending[0].first == &msgs[0] {
		for _, s := range k.pending[0].spans {
			s.span.End()
		}
	}
	marks := k.take(msgs, true)
	if k.opts.Group != "" && !k.opts.ExactlyOnce {
		k.store(marks)
		if len(k.pending) == 0 && len(k.idle) > 0 {
			k.store(mergeMarks(k.idle))
			k.idle = nil
		}
	}
	select {
	case k.acked <- struct{}{}:
	default:
	}
	return nil
}

// take returns the positions past msgs, a batch read earlier, popping its
// queue entry when pop is set. Batches are acknowledged in the order read;
// messages not matching the oldest entry are accounted for by themselves.
func (k *Kafka) take(msgs []pipeline.Message, pop bool) []mark {
	if len(k.pending) > 0 && len(msgs) > 0 && k.pending[0].first == &msgs[0] {
		e := k.pending[0]
		if pop {
			k.pending[0] = readEntry{}
			k.pending = k.pending[1:]
		}
		return e.marks
	}
	return marksOf(msgs)
}

// marksOf returns the positions past msgs, from their origins.
func marksOf(msgs []pipeline.Message) []mark {
	var ms []mark
	for _, m := range msgs {
		if m.Origin.Offset >= 0 {
			ms = append(ms, mark{tp{m.Origin.Input, m.Origin.Partition}, m.Origin.Offset + 1})
		}
	}
	return mergeMarks(ms)
}

// store records positions to be committed, never moving one back, for the
// partitions still assigned.
func (k *Kafka) store(marks []mark) {
	var offs []ck.TopicPartition
	for _, m := range marks {
		if !k.assigned[m.tp] || m.next <= k.stored[m.tp] {
			continue
		}
		k.stored[m.tp] = m.next
		offs = append(offs, ck.TopicPartition{Topic: k.topic(m.tp.topic), Partition: m.tp.part, Offset: ck.Offset(m.next)})
	}
	if len(offs) == 0 {
		return
	}
	if _, err := k.c.StoreOffsets(offs); err != nil {
		k.logf("storing offsets: %v", err)
	}
}

func (k *Kafka) topic(name string) *string {
	p, ok := k.topicPtr[name]
	if !ok {
		p = &name
		k.topicPtr[name] = p
	}
	return p
}

// TxOffsets returns the offsets to commit in a transaction that holds the
// output of batches, and the consumer's group metadata. It fails when a
// partition of the batches was taken away meanwhile: committing its offsets
// could duplicate the new owner's output.
func (k *Kafka) TxOffsets(batches [][]pipeline.Message) ([]ck.TopicPartition, *ck.ConsumerGroupMetadata, error) {
	k.mu.Lock()
	var all []mark
	for i, msgs := range batches {
		// Ack pops the entries once the transaction is committed.
		if i < len(k.pending) && len(msgs) > 0 && k.pending[i].first == &msgs[0] {
			all = append(all, k.pending[i].marks...)
			continue
		}
		all = append(all, marksOf(msgs)...)
	}
	if len(k.pending) == len(batches) && len(k.idle) > 0 {
		// Nothing newer is in flight: the positions read since can go too.
		all = append(all, k.idle...)
	}
	var offs []ck.TopicPartition
	for _, m := range mergeMarks(all) {
		if !k.assigned[m.tp] {
			k.mu.Unlock()
			return nil, nil, fmt.Errorf("partition %s[%d] was reassigned before its events were committed", m.tp.topic, m.tp.part)
		}
		offs = append(offs, ck.TopicPartition{Topic: k.topic(m.tp.topic), Partition: m.tp.part, Offset: ck.Offset(m.next)})
	}
	k.mu.Unlock()
	if k.opts.Group == "" {
		return nil, nil, errors.New("exactly-once needs a consumer group")
	}
	meta, err := k.c.GetConsumerGroupMetadata()
	if err != nil {
		return nil, nil, err
	}
	return offs, meta, nil
}

// Close implements pipeline.Source. It commits the offsets stored by Ack,
// and only those, then leaves the group.
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
	// Committing and leaving the group wait for the coordinator; one that
	// does not answer must not hold the command for long. Offsets not
	// committed only mean that events are read again.
	closed := make(chan error, 1)
	go func() {
		var err error
		if k.opts.Group != "" && !k.opts.ExactlyOnce {
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

// Lag returns the consumer lag of the partitions assigned, as librdkafka
// last reported it (see KafkaOptions.StatsInterval): the messages after
// the position acknowledged (or committed). It is safe to call at any time.
func (k *Kafka) Lag() []kafka.PartitionLag {
	k.mu.Lock()
	defer k.mu.Unlock()
	return slices.Clone(k.lag)
}

// rdStats is the part of librdkafka's statistics that Lag reads.
type rdStats struct {
	Topics map[string]struct {
		Partitions map[string]struct {
			Partition         int32 `json:"partition"`
			ConsumerLag       int64 `json:"consumer_lag"`
			ConsumerLagStored int64 `json:"consumer_lag_stored"`
			CommittedOffset   int64 `json:"committed_offset"`
			LoOffset          int64 `json:"lo_offset"`
			LsOffset          int64 `json:"ls_offset"`
		} `json:"partitions"`
	} `json:"topics"`
}

// readStats keeps the lag of the assigned partitions from a statistics event.
func (k *Kafka) readStats(js string) {
	var st rdStats
	if err := json.Unmarshal([]byte(js), &st); err != nil {
		return
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	k.lag = k.lag[:0]
	for topic, t := range st.Topics {
		for _, p := range t.Partitions {
			lag := p.ConsumerLagStored
			if lag < 0 {
				lag = p.ConsumerLag
			}
			if p.Partition < 0 || lag < 0 || !k.assigned[tp{topic, p.Partition}] {
				continue
			}
			pl := kafka.PartitionLag{Topic: topic, Partition: p.Partition, Start: p.LoOffset, End: p.LsOffset, Lag: lag}
			if p.CommittedOffset >= 0 {
				c := p.CommittedOffset
				pl.Committed = &c
			}
			k.lag = append(k.lag, pl)
		}
	}
	slices.SortFunc(k.lag, func(a, b kafka.PartitionLag) int {
		return cmp.Or(cmp.Compare(a.Topic, b.Topic), cmp.Compare(a.Partition, b.Partition))
	})
}
