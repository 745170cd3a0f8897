package sink_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	ck "github.com/confluentinc/confluent-kafka-go/v2/kafka"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/secpipe/secpipe/pkg/kafka"
	"github.com/secpipe/secpipe/pkg/pipeline"
	"github.com/secpipe/secpipe/pkg/sink"
)

func events(from, to int) []pipeline.Message {
	var msgs []pipeline.Message
	for i := from; i < to; i++ {
		msgs = append(msgs, pipeline.Message{Value: []byte(fmt.Sprintf(`{"seq":%d}`, i))})
	}
	return msgs
}

// syncBuffer is a bytes.Buffer safe for a writer and a reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// count reads a topic to its end and returns the number of messages.
func count(t *testing.T, cfg kafka.Config, topic string) int {
	t.Helper()
	c, err := ck.NewConsumer(cfg.ConfigMap(kafka.Prop{Key: "group.id", Value: "count"}, kafka.Prop{Key: "enable.partition.eof", Value: "true"},
		kafka.Prop{Key: "auto.offset.reset", Value: "earliest"}, kafka.Prop{Key: "enable.auto.commit", Value: "false"}))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	md, err := cfg.Connect(context.Background(), c, topic)
	if err != nil {
		t.Fatal(err)
	}
	var parts []ck.TopicPartition
	for _, p := range md.Partitions {
		parts = append(parts, ck.TopicPartition{Topic: &topic, Partition: p.ID, Offset: ck.OffsetBeginning})
	}
	c.Assign(parts)
	n, eofs := 0, 0
	deadline := time.Now().Add(10 * time.Second)
	for eofs < len(parts) && time.Now().Before(deadline) {
		switch c.Poll(100).(type) {
		case *ck.Message:
			n++
		case ck.PartitionEOF:
			eofs++
		}
	}
	return n
}

// TestKafkaBrokerOutage stops the broker while events are being produced
// and starts it again: librdkafka keeps them queued and every one arrives.
func TestKafkaBrokerOutage(t *testing.T) {
	dir := t.TempDir()
	opts := kafka.DevBrokerOptions{Listen: "127.0.0.1:0", DataDir: dir, Topics: []string{"events"}}
	addr, stop, err := kafka.StartDevBroker(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	cfg := kafka.Config{Brokers: addr, ConnectTimeout: 5 * time.Second, Props: []kafka.Prop{{Key: "log_level", Value: "0"}}}
	var logs syncBuffer
	s, err := sink.NewKafka(context.Background(), sink.KafkaOptions{Config: cfg, Topic: "events", Logs: kafka.NewLogs(&logs, "test", cfg)})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := s.Write(ctx, events(0, 1000)); err != nil {
		t.Fatal(err)
	}
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	stop()
	if err := s.Write(ctx, events(1000, 2000)); err != nil {
		t.Fatal(err)
	}
	// The producer has found the broker gone before it comes back.
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(logs.String(), "brokers are down") {
		if time.Now().After(deadline) {
			t.Fatalf("the producer did not report the broker down; its log:\n%s", logs.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	opts.Listen = addr
	_, stop, err = kafka.StartDevBroker(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	if err := s.Flush(ctx); err != nil {
		t.Fatalf("flush after the outage: %v", err)
	}
	if p, acked, failed := s.Stats(); p != 2000 || acked != 2000 || failed != 0 {
		t.Fatalf("produced %d, acked %d, failed %d", p, acked, failed)
	}
	s.Close()
	if n := count(t, cfg, "events"); n != 2000 {
		t.Fatalf("topic holds %d events, want 2000", n)
	}
}

// TestKafkaUndelivered checks that events the broker never acknowledges
// fail Flush, which says how many.
func TestKafkaUndelivered(t *testing.T) {
	addr, stop, err := kafka.StartDevBroker(context.Background(), kafka.DevBrokerOptions{Topics: []string{"events"}})
	if err != nil {
		t.Fatal(err)
	}
	cfg := kafka.Config{Brokers: addr, ConnectTimeout: 5 * time.Second,
		Props: []kafka.Prop{{Key: "message.timeout.ms", Value: "300"}, {Key: "log_level", Value: "0"}}}
	s, err := sink.NewKafka(context.Background(), sink.KafkaOptions{Config: cfg, Topic: "events"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	stop()
	if err := s.Write(context.Background(), events(0, 10)); err != nil {
		t.Fatal(err)
	}
	err = s.Flush(context.Background())
	var de *sink.DeliveryError
	if !errors.As(err, &de) || de.Failed != 10 || de.Produced != 10 {
		t.Fatalf("Flush: %v", err)
	}
	if want := "10 of 10 event(s) not acknowledged by the broker: "; err.Error()[:len(want)] != want {
		t.Fatalf("message: %v", err)
	}
}

// TestKafkaKeyAndHeaders checks the key taken from the first of the key
// fields an event has, and the headers added to every message.
func TestKafkaKeyAndHeaders(t *testing.T) {
	addr, stop, err := kafka.StartDevBroker(context.Background(), kafka.DevBrokerOptions{Topics: []string{"events"}})
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	cfg := kafka.Config{Brokers: addr, ConnectTimeout: 5 * time.Second}
	s, err := sink.NewKafka(context.Background(), sink.KafkaOptions{Config: cfg, Topic: "events", KeyField: "source.ip, host.name",
		Headers: []pipeline.Header{{Key: "origin", Value: []byte("lab")}}, Compression: "zstd"})
	if err != nil {
		t.Fatal(err)
	}
	msgs := []pipeline.Message{
		{Value: []byte(`{"source":{"ip":"10.0.0.1"}}`), Headers: []pipeline.Header{{Key: "trace", Value: []byte("t1")}}},
		{Value: []byte(`{"source.ip":"10.0.0.2"}`)},
		{Value: []byte(`{"other":1}`), Key: []byte("kept")},
		{Value: []byte(`{"source":{"ip":null}}`)},
		{Value: []byte(`{"host":{"name":"ws-1"},"process":{}}`)},
		{Value: []byte(`{"source":{"ip":{"v":4}},"host":{"name":"ws-2"}}`)},
	}
	if err := s.Write(context.Background(), msgs); err != nil {
		t.Fatal(err)
	}
	if err := s.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	s.Close()

	c, err := ck.NewConsumer(cfg.ConfigMap(kafka.Prop{Key: "group.id", Value: "g"}, kafka.Prop{Key: "auto.offset.reset", Value: "earliest"}))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Subscribe("events", nil)
	keys := map[string]string{}
	for len(keys) < len(msgs) {
		m, err := c.ReadMessage(10 * time.Second)
		if err != nil {
			t.Fatal(err)
		}
		hdrs := ""
		for _, h := range m.Headers {
			hdrs += h.Key + "=" + string(h.Value) + ";"
		}
		key := "<nil>"
		if m.Key != nil {
			key = string(m.Key)
		}
		keys[string(m.Value)] = key + " " + hdrs
	}
	want := map[string]string{
		`{"source":{"ip":"10.0.0.1"}}`:                     "10.0.0.1 trace=t1;origin=lab;",
		`{"source.ip":"10.0.0.2"}`:                         "10.0.0.2 origin=lab;",
		`{"other":1}`:                                      "kept origin=lab;",
		`{"source":{"ip":null}}`:                           "<nil> origin=lab;",
		`{"host":{"name":"ws-1"},"process":{}}`:            "ws-1 origin=lab;",
		`{"source":{"ip":{"v":4}},"host":{"name":"ws-2"}}`: "ws-2 origin=lab;",
	}
	for v, w := range want {
		if keys[v] != w {
			t.Errorf("%s: got %q, want %q", v, keys[v], w)
		}
	}
}

// A message the broker refuses (over the topic's size limit) is named by
// its origin and kept whole in the dead-letter file; the others arrive.
func TestKafkaRefusedNamed(t *testing.T) {
	c, err := kfake.NewCluster(kfake.SeedTopics(1, "small"), kfake.BrokerConfigs(map[string]string{"message.max.bytes": "2000"}))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	cfg := kafka.Config{Brokers: strings.Join(c.ListenAddrs(), ","), ConnectTimeout: 5 * time.Second, Props: []kafka.Prop{{Key: "log_level", Value: "0"}}}
	var log, dlq bytes.Buffer
	rejects := &pipeline.Rejects{Log: &log, Prefix: "secpipe publish", DLQ: &dlq}
	s, err := sink.NewKafka(context.Background(), sink.KafkaOptions{Config: cfg, Topic: "small", KeepGoing: true, Refused: rejects})
	if err != nil {
		t.Fatal(err)
	}
	big := `{"message":"` + strings.Repeat("x", 5000) + `"}`
	ctx := context.Background()
	for i, v := range []string{`{"seq":1}`, big, `{"seq":3}`} {
		msg := pipeline.Message{Value: []byte(v), Origin: pipeline.Origin{Input: "in.jsonl", Line: i + 1, Offset: -1}}
		if err := s.Write(ctx, []pipeline.Message{msg}); err != nil {
			t.Fatal(err)
		}
		if err := s.Flush(ctx); err != nil { // one message a request: the broker judges each alone
			t.Fatal(err)
		}
	}
	var de *sink.DeliveryError
	if err := s.Err(); !errors.As(err, &de) || de.Failed != 1 {
		t.Errorf("Err() = %v, want one message not acknowledged", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(log.String(), "in.jsonl:2: refused by Kafka") || rejects.Count() != 1 {
		t.Errorf("rejects log (%d):\n%s", rejects.Count(), log.String())
	}
	if dlq.String() != big+"\n" {
		t.Errorf("dead-letter file holds %d bytes, want the refused event whole", dlq.Len())
	}
	if n := count(t, cfg, "small"); n != 2 {
		t.Errorf("%d messages on the topic, want 2", n)
	}
}

// Refused messages sent together, two of them alike, are each named by
// their own line, without a dead-letter file (only failures are reported,
// and the report's value finds the line).
func TestKafkaRefusedNamedInOneBatch(t *testing.T) {
	c, err := kfake.NewCluster(kfake.SeedTopics(1, "small"), kfake.BrokerConfigs(map[string]string{"message.max.bytes": "2000"}))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	cfg := kafka.Config{Brokers: strings.Join(c.ListenAddrs(), ","), ConnectTimeout: 5 * time.Second,
		Props: []kafka.Prop{{Key: "log_level", Value: "0"}, {Key: "linger.ms", Value: "100"}}}
	var log bytes.Buffer
	rejects := &pipeline.Rejects{Log: &log, Prefix: "secpipe publish"}
	s, err := sink.NewKafka(context.Background(), sink.KafkaOptions{Config: cfg, Topic: "small", KeepGoing: true, Refused: rejects})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	big := `{"message":"` + strings.Repeat("x", 1500) + `"}`
	var msgs []pipeline.Message
	for i, v := range []string{big, `{"seq":2}`, big} { // one request, over the broker's limit: all three refused
		msgs = append(msgs, pipeline.Message{Value: []byte(v), Origin: pipeline.Origin{Input: "in.jsonl", Line: i + 1, Offset: -1}})
	}
	ctx := context.Background()
	if err := s.Write(ctx, msgs); err != nil {
		t.Fatal(err)
	}
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if _, acked, failed := s.Stats(); acked != 0 || failed != 3 {
		t.Fatalf("acked %d, failed %d; want all 3 refused", acked, failed)
	}
	for _, line := range []string{"in.jsonl:1: refused by Kafka", "in.jsonl:2: refused by Kafka", "in.jsonl:3: refused by Kafka"} {
		if strings.Count(log.String(), line) != 1 {
			t.Errorf("want %q once in the rejects log:\n%s", line, log.String())
		}
	}
}

// A long run that names refused messages keeps no state per acknowledged
// message: its heap grows no more than that of a run that names none (the
// broker, in this process, holds the messages of both).
func TestKafkaHeapFlatWhileNaming(t *testing.T) {
	addr, stop, err := kafka.StartDevBroker(context.Background(), kafka.DevBrokerOptions{Topics: []string{"events"}})
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	cfg := kafka.Config{Brokers: addr, ConnectTimeout: 5 * time.Second}
	batch := events(0, 4096)
	for i := range batch {
		batch[i].Origin = pipeline.Origin{Input: "in.jsonl", Line: i + 1, Offset: -1}
	}
	heap := func() uint64 {
		var m runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	growth := func(rejects *pipeline.Rejects) uint64 {
		s, err := sink.NewKafka(context.Background(), sink.KafkaOptions{Config: cfg, Topic: "events", Refused: rejects})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		ctx := context.Background()
		send := func(batches int) {
			for range batches {
				if err := s.Write(ctx, batch); err != nil {
					t.Fatal(err)
				}
				if err := s.Flush(ctx); err != nil {
					t.Fatal(err)
				}
			}
		}
		send(5)
		before := heap()
		send(50) // 204,800 messages
		after := heap()
		if p, acked, failed := s.Stats(); acked != p || failed != 0 {
			t.Errorf("produced %d, acked %d, failed %d", p, acked, failed)
		}
		return after - min(after, before)
	}
	plain := growth(nil)
	named := growth(&pipeline.Rejects{Log: io.Discard})
	// Keeping a message's origin until its delivery report cost 125 bytes
	// a message, 25 MiB here; the dev broker holds the messages in this
	// same heap, which makes both figures vary by a few MiB.
	if named > plain+8<<20 {
		t.Errorf("over 204,800 acknowledged messages the heap grew by %d KiB naming refused ones, %d KiB not naming them", named>>10, plain>>10)
	}
}

// confluent-kafka-go's own settings that take numbers can be given with -X.
func TestKafkaClientChannelSize(t *testing.T) {
	addr, stop, err := kafka.StartDevBroker(context.Background(), kafka.DevBrokerOptions{Topics: []string{"events"}})
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	cfg := kafka.Config{Brokers: addr, ConnectTimeout: 5 * time.Second, Props: []kafka.Prop{{Key: "go.events.channel.size", Value: "10"}}}
	s, err := sink.NewKafka(context.Background(), sink.KafkaOptions{Config: cfg, Topic: "events"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Write(context.Background(), events(0, 100)); err != nil {
		t.Fatal(err)
	}
	if err := s.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if n := count(t, cfg, "events"); n != 100 {
		t.Fatalf("topic holds %d events, want 100", n)
	}
}
