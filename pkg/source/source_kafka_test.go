package source_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	ck "github.com/confluentinc/confluent-kafka-go/v2/kafka"

	"github.com/secpipe/secpipe/pkg/kafka"
	"github.com/secpipe/secpipe/pkg/pipeline"
	"github.com/secpipe/secpipe/pkg/sink"
	"github.com/secpipe/secpipe/pkg/source"
)

func devBroker(t *testing.T, topics ...string) kafka.Config {
	t.Helper()
	addr, stop, err := kafka.StartDevBroker(context.Background(), kafka.DevBrokerOptions{Topics: topics})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	return kafka.Config{Brokers: addr, ConnectTimeout: 5 * time.Second}
}

// memSource hands out fixed messages once.
type memSource struct {
	msgs []pipeline.Message
	done bool
}

func (m *memSource) Read(_ context.Context, b *pipeline.Batch) error {
	if m.done {
		return io.EOF
	}
	m.done = true
	b.Msgs = append(b.Msgs, m.msgs...)
	return nil
}
func (m *memSource) Ack(context.Context, []pipeline.Message) error { return nil }
func (m *memSource) Close() error                                  { return nil }

// collect is a sink keeping copies of what it gets.
type collect struct {
	msgs []pipeline.Message
}

func (c *collect) Write(_ context.Context, msgs []pipeline.Message) error {
	for _, m := range msgs {
		cp := pipeline.Message{Value: bytes.Clone(m.Value), Key: bytes.Clone(m.Key), Origin: m.Origin, Trace: m.Trace}
		for _, h := range m.Headers {
			cp.Headers = append(cp.Headers, pipeline.Header{Key: h.Key, Value: bytes.Clone(h.Value)})
		}
		c.msgs = append(c.msgs, cp)
	}
	return nil
}
func (c *collect) Flush(context.Context) error { return nil }
func (c *collect) Close() error                { return nil }

func produce(t *testing.T, cfg kafka.Config, topic string, opts sink.KafkaOptions, msgs []pipeline.Message) {
	t.Helper()
	opts.Config, opts.Topic = cfg, topic
	s, err := sink.NewKafka(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := pipeline.Run(context.Background(), &memSource{msgs: msgs}, nil, s, pipeline.DefaultPolicy); err != nil {
		t.Fatal(err)
	}
	if p, acked, failed := s.Stats(); p != int64(len(msgs)) || acked != p || failed != 0 {
		t.Fatalf("produced %d, acked %d, failed %d; want %d", p, acked, failed, len(msgs))
	}
}

// seqMessages returns n events {"seq":i}.
func seqMessages(n int) []pipeline.Message {
	msgs := make([]pipeline.Message, n)
	for i := range msgs {
		msgs[i] = pipeline.Message{Value: []byte(fmt.Sprintf(`{"seq":%d}`, i))}
	}
	return msgs
}

func consume(t *testing.T, o source.KafkaOptions) ([]pipeline.Message, *pipeline.Rejects, string) {
	t.Helper()
	var log bytes.Buffer
	o.Rejects = &pipeline.Rejects{Log: &log, Prefix: "test", MaxLogged: 1000}
	src, err := source.NewKafka(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	out := &collect{}
	if err := pipeline.Run(context.Background(), src, nil, out, pipeline.DefaultPolicy); err != nil {
		t.Fatal(err)
	}
	return out.msgs, o.Rejects, log.String()
}

// TestKafkaRoundTrip publishes events with keys and headers and reads them
// back: every event once, with its key, headers and partition order.
func TestKafkaRoundTrip(t *testing.T) {
	n := 100000
	if testing.Short() {
		n = 10000
	}
	cfg := devBroker(t)
	msgs := make([]pipeline.Message, n)
	for i := range msgs {
		ip := fmt.Sprintf("10.0.%d.%d", i%7, i%13)
		msgs[i] = pipeline.Message{
			Value:   []byte(fmt.Sprintf(`{"seq":%d,"source":{"ip":%q},"msg":"event number %d"}`, i, ip, i)),
			Headers: []pipeline.Header{{Key: "seq", Value: []byte(fmt.Sprint(i))}},
		}
	}
	produce(t, cfg, "events", sink.KafkaOptions{
		KeyField: "source.ip", Compression: "lz4",
		Headers: []pipeline.Header{{Key: "origin", Value: []byte("test")}},
	}, msgs)

	got, rejects, _ := consume(t, source.KafkaOptions{Config: cfg, Topics: []string{"events"}, Group: "g", ExitAtEnd: true})
	if rejects.Count() != 0 {
		t.Fatalf("%d rejects", rejects.Count())
	}
	if len(got) != n {
		t.Fatalf("read %d events, want %d", len(got), n)
	}
	seen := make([]bool, n)
	lastSeq := map[string]int{} // per key: events of one key stay in order
	partOf := map[string]int32{}
	for _, m := range got {
		var seq int
		var ip string
		if _, err := fmt.Sscanf(string(m.Value), `{"seq":%d,"source":{"ip":%q}`, &seq, &ip); err != nil {
			t.Fatalf("%s: %v", m.Value, err)
		}
		if !bytes.Equal(m.Value, msgs[seq].Value) {
			t.Fatalf("event %d changed: %s", seq, m.Value)
		}
		if seen[seq] {
			t.Fatalf("event %d read twice", seq)
		}
		seen[seq] = true
		if string(m.Key) != ip {
			t.Fatalf("event %d: key %q, want %q", seq, m.Key, ip)
		}
		if len(m.Headers) != 2 || m.Headers[0].Key != "seq" || string(m.Headers[0].Value) != fmt.Sprint(seq) ||
			m.Headers[1].Key != "origin" || string(m.Headers[1].Value) != "test" {
			t.Fatalf("event %d: headers %v", seq, m.Headers)
		}
		if last, ok := lastSeq[ip]; ok && seq < last {
			t.Fatalf("key %s: event %d after %d", ip, seq, last)
		}
		lastSeq[ip] = seq
		if p, ok := partOf[ip]; ok && p != m.Origin.Partition {
			t.Fatalf("key %s on partitions %d and %d", ip, p, m.Origin.Partition)
		}
		partOf[ip] = m.Origin.Partition
	}

	// The group committed everything: a second run from the stored offsets
	// finds nothing, and the lag is zero.
	again, _, _ := consume(t, source.KafkaOptions{Config: cfg, Topics: []string{"events"}, Group: "g", ExitAtEnd: true})
	if len(again) != 0 {
		t.Fatalf("second run read %d events, want 0", len(again))
	}
	lag, err := kafka.Lag(context.Background(), cfg, "g", nil)
	if err != nil {
		t.Fatal(err)
	}
	if lag.Total != 0 || len(lag.Partitions) != kafka.DefaultDevPartitions {
		t.Fatalf("lag %+v, want 0 on %d partitions", lag, kafka.DefaultDevPartitions)
	}
}

// TestKafkaBadMessages checks that bad values are named by topic, partition
// and offset, skipped, and committed past with the good ones.
func TestKafkaBadMessages(t *testing.T) {
	cfg := devBroker(t, "mixed")
	p, err := ck.NewProducer(cfg.ConfigMap())
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		for range p.Events() { // Flush counts undrained reports as pending
		}
	}()
	topic := "mixed"
	values := []string{`{"a":1}`, `{"a":`, `"str"`, "{\"a\":\"\xff\"}", `{ "b" : 2 }`, `not json`}
	for _, v := range values {
		if err := p.Produce(&ck.Message{TopicPartition: ck.TopicPartition{Topic: &topic, Partition: 0}, Value: []byte(v)}, nil); err != nil {
			t.Fatal(err)
		}
	}
	if n := p.Flush(5000); n != 0 {
		t.Fatalf("%d unflushed", n)
	}
	p.Close()

	got, rejects, log := consume(t, source.KafkaOptions{Config: cfg, Topics: []string{topic}, Group: "g", ExitAtEnd: true})
	if len(got) != 2 || string(got[0].Value) != `{"a":1}` || string(got[1].Value) != `{"b":2}` {
		t.Fatalf("got %v", got)
	}
	if rejects.Count() != 4 {
		t.Fatalf("%d rejects, want 4", rejects.Count())
	}
	for _, want := range []string{
		"mixed[0]@1: invalid JSON: unexpected end of input (skipped)",
		"mixed[0]@2: not a JSON object but a string (skipped)",
		"mixed[0]@3: column 7: invalid UTF-8 in string (skipped)",
		"mixed[0]@5: invalid JSON: column 2: invalid character 'o' in literal null (skipped)",
	} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
	// The offset moved past the trailing bad message too.
	lag, err := kafka.Lag(context.Background(), cfg, "g", []string{topic})
	if err != nil {
		t.Fatal(err)
	}
	for _, pl := range lag.Partitions {
		if pl.Partition == 0 && (pl.Committed == nil || *pl.Committed != 6) {
			t.Fatalf("partition 0: %+v, want committed 6", pl)
		}
	}

	// --with-meta wraps the value; without a group every partition is read.
	got, _, _ = consume(t, source.KafkaOptions{Config: cfg, Topics: []string{topic}, ExitAtEnd: true, WithMeta: true, Count: 1})
	if len(got) != 1 || !strings.HasPrefix(string(got[0].Value), `{"topic":"mixed","partition":0,"offset":0,"key":null,"headers":{},"timestamp":"`) ||
		!strings.HasSuffix(string(got[0].Value), `","value":{"a":1}}`) {
		t.Fatalf("with meta: %v", got)
	}
}

// TestKafkaGroupStart checks where a group's partitions start: a new group
// at auto.offset.reset (the beginning by default, the end when -X says
// latest), a group with committed offsets at them, each event once.
func TestKafkaGroupStart(t *testing.T) {
	cfg := devBroker(t)
	n := 300
	produce(t, cfg, "events", sink.KafkaOptions{}, seqMessages(n))
	seqs := func(got []pipeline.Message) map[int]bool {
		t.Helper()
		seen := map[int]bool{}
		for _, m := range got {
			var seq int
			if _, err := fmt.Sscanf(string(m.Value), `{"seq":%d}`, &seq); err != nil {
				t.Fatalf("%s: %v", m.Value, err)
			}
			if seen[seq] {
				t.Fatalf("event %d read twice", seq)
			}
			seen[seq] = true
		}
		return seen
	}

	first, _, _ := consume(t, source.KafkaOptions{Config: cfg, Topics: []string{"events"}, Group: "g", Count: 100})
	if len(first) != 100 {
		t.Fatalf("--count 100 read %d events", len(first))
	}
	rest, _, _ := consume(t, source.KafkaOptions{Config: cfg, Topics: []string{"events"}, Group: "g", ExitAtEnd: true})
	seen := seqs(append(first, rest...))
	if len(seen) != n {
		t.Fatalf("the group read %d of %d events over two runs (%d, then %d)", len(seen), n, len(first), len(rest))
	}

	all, _, _ := consume(t, source.KafkaOptions{Config: cfg, Topics: []string{"events"}, Group: "new", ExitAtEnd: true})
	if len(seqs(all)) != n {
		t.Fatalf("a new group read %d of %d events", len(all), n)
	}
	latest := cfg
	latest.Props = []kafka.Prop{{Key: "auto.offset.reset", Value: "latest"}}
	none, _, _ := consume(t, source.KafkaOptions{Config: latest, Topics: []string{"events"}, Group: "newest", ExitAtEnd: true})
	if len(none) != 0 {
		t.Fatalf("a new group with auto.offset.reset=latest read %d events, want 0", len(none))
	}
}

// TestKafkaLostPartitionsCommitAgain reads and acknowledges every event
// (stored, not yet committed), then stops reading for longer than
// max.poll.interval.ms: the client leaves the group and its partitions are
// lost, so what it stored is never committed. When it reads again, the
// group gives them back and the events come again from the committed
// offsets; once they are acknowledged, closing commits past them, and the
// group has no lag.
func TestKafkaLostPartitionsCommitAgain(t *testing.T) {
	cfg := devBroker(t)
	n := 300
	produce(t, cfg, "events", sink.KafkaOptions{}, seqMessages(n))
	group := cfg
	group.Props = []kafka.Prop{
		{Key: "session.timeout.ms", Value: "1000"}, {Key: "heartbeat.interval.ms", Value: "100"},
		{Key: "max.poll.interval.ms", Value: "1500"}, {Key: "auto.commit.interval.ms", Value: "600000"},
	}
	src, err := source.NewKafka(context.Background(), source.KafkaOptions{Config: group, Topics: []string{"events"}, Group: "g"})
	if err != nil {
		t.Fatal(err)
	}
	// readAll reads and acknowledges batches until n distinct events came
	// in this round, and returns how many came again from the last round.
	seen := map[string]bool{}
	readAll := func() (again int) {
		t.Helper()
		round := map[string]bool{}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		for len(round) < n {
			b := &pipeline.Batch{Limit: 1000}
			if err := src.Read(ctx, b); err != nil {
				t.Fatalf("read %d of %d events: %v", len(round), n, err)
			}
			for _, m := range b.Msgs {
				v := string(m.Value)
				round[v] = true
				if seen[v] {
					again++
				}
				seen[v] = true
			}
			if err := src.Ack(ctx, b.Msgs); err != nil {
				t.Fatal(err)
			}
		}
		return again
	}
	readAll()
	time.Sleep(3 * time.Second) // past max.poll.interval.ms: the partitions are lost
	if again := readAll(); again == 0 {
		t.Fatal("the events did not come again: the partitions were not lost")
	}
	if err := src.Close(); err != nil {
		t.Fatal(err)
	}
	lag, err := kafka.Lag(context.Background(), cfg, "g", []string{"events"})
	if err != nil {
		t.Fatal(err)
	}
	if lag.Total != 0 {
		t.Fatalf("after the events came again and were acknowledged, the group's lag is %d, want 0", lag.Total)
	}
}
