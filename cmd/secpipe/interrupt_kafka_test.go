package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	ck "github.com/confluentinc/confluent-kafka-go/v2/kafka"

	"github.com/secpipe/secpipe/pkg/kafka"
)

// record is one message of a topic: its seq and where it lies.
type record struct {
	seq       int
	partition int32
	offset    int64
}

// readToEnd reads topic, read_committed, from the beginning to the end
// offsets its partitions have when it is called.
func readToEnd(t *testing.T, cfg kafka.Config, topic string) []record {
	t.Helper()
	c, err := ck.NewConsumer(cfg.ConfigMap(
		kafka.Prop{Key: "group.id", Value: "test-read-to-end"},
		kafka.Prop{Key: "enable.auto.commit", Value: "false"},
		kafka.Prop{Key: "enable.partition.eof", Value: "true"},
		kafka.Prop{Key: "isolation.level", Value: "read_committed"},
		kafka.Prop{Key: "log_level", Value: "0"},
	))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	md, err := cfg.Connect(context.Background(), c, topic)
	if err != nil {
		t.Fatal(err)
	}
	ends := map[int32]int64{}
	var parts []ck.TopicPartition
	for _, p := range md.Partitions {
		_, high, err := c.QueryWatermarkOffsets(topic, p.ID, 5000)
		if err != nil {
			t.Fatal(err)
		}
		if high > 0 {
			ends[p.ID] = high
			parts = append(parts, ck.TopicPartition{Topic: &topic, Partition: p.ID, Offset: ck.OffsetBeginning})
		}
	}
	if err := c.Assign(parts); err != nil {
		t.Fatal(err)
	}
	var recs []record
	deadline := time.Now().Add(30 * time.Second)
	for len(ends) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%s: partitions %v not read to their end within 30 s", topic, ends)
		}
		switch e := c.Poll(100).(type) {
		case *ck.Message:
			p, off := e.TopicPartition.Partition, int64(e.TopicPartition.Offset)
			if sub := seqRE.FindSubmatch(e.Value); sub != nil {
				n, _ := strconv.Atoi(string(sub[1]))
				recs = append(recs, record{seq: n, partition: p, offset: off})
			}
			if off+1 >= ends[p] {
				delete(ends, p)
			}
		case ck.PartitionEOF:
			if int64(e.Offset) >= ends[e.Partition] {
				delete(ends, e.Partition)
			}
		}
	}
	return recs
}

// TestKafkaPublishInterrupted sends SIGINT to publish mid-stream: it
// delivers what it had sent, exits 130, and the topic holds exactly the
// events it reports acknowledged, the first ones of its input.
func TestKafkaPublishInterrupted(t *testing.T) {
	addr, stopBroker, err := kafka.StartDevBroker(context.Background(), kafka.DevBrokerOptions{Topics: []string{"events"}})
	if err != nil {
		t.Fatal(err)
	}
	defer stopBroker()
	cfg := kafka.Config{Brokers: addr, ConnectTimeout: 5 * time.Second}
	const n = 1000000
	input := filepath.Join(t.TempDir(), "events.jsonl")
	f, err := os.Create(input)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	for i := 0; i < n; i++ {
		fmt.Fprintf(w, `{"seq":%d,"host":"h%d","event_type":"heartbeat"}`+"\n", i, i%17)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	f.Close()

	out := countSeqs(t, cfg, "events")
	s := startStage(t, "publish", "--brokers", addr, "--topic", "events", input)
	waitFor(t, "the first events on the topic", 20*time.Second, func() bool { d, _ := out.distinct(); return d > 0 })
	s.cmd.Process.Signal(os.Interrupt)
	err = s.cmd.Wait()
	out.close()
	stderr := s.stderr.String()
	if code := s.cmd.ProcessState.ExitCode(); code != 130 {
		t.Fatalf("exit code %d (%v), want 130; stderr:\n%s", code, err, stderr)
	}
	m := regexp.MustCompile(`(\d+) events → events, (\d+) acknowledged\n`).FindStringSubmatch(stderr)
	if m == nil {
		t.Fatalf("no summary with every event acknowledged; stderr:\n%s", stderr)
	}
	acked, _ := strconv.Atoi(m[2])
	if m[1] != m[2] || acked == n {
		t.Fatalf("%s events produced, %d acknowledged, of %d: want all produced acknowledged, and an interrupted run", m[1], acked, n)
	}
	seen := map[int]bool{}
	for _, r := range readToEnd(t, cfg, "events") {
		seen[r.seq] = true
	}
	if len(seen) != acked {
		t.Fatalf("the topic holds %d distinct events, %d acknowledged", len(seen), acked)
	}
	for i := 0; i < acked; i++ {
		if !seen[i] {
			t.Fatalf("event %d acknowledged, not on the topic", i)
		}
	}
}

// TestKafkaClassifyInterrupted sends SIGINT to a topic-to-topic classify
// mid-stream: it exits 130, and every input event whose offset its group
// committed is in the output topic.
func TestKafkaClassifyInterrupted(t *testing.T) {
	addr, stopBroker, err := kafka.StartDevBroker(context.Background(), kafka.DevBrokerOptions{Topics: []string{"events", "classified"}})
	if err != nil {
		t.Fatal(err)
	}
	defer stopBroker()
	cfg := kafka.Config{Brokers: addr, ConnectTimeout: 5 * time.Second}
	const n = 200000
	publishSeq(t, cfg, "events", 0, n)
	out := countSeqs(t, cfg, "classified")
	s := startStage(t, "classify", "--brokers", addr, "--from-topic", "events", "--group", "g", "--to-topic", "classified")
	waitFor(t, "the first events in the output", 20*time.Second, func() bool { d, _ := out.distinct(); return d > 0 })
	s.cmd.Process.Signal(os.Interrupt)
	err = s.cmd.Wait()
	out.close()
	if code := s.cmd.ProcessState.ExitCode(); code != 130 {
		t.Fatalf("exit code %d (%v), want 130; stderr:\n%s", code, err, s.stderr.String())
	}
	lag, err := kafka.Lag(context.Background(), cfg, "g", []string{"events"})
	if err != nil {
		t.Fatal(err)
	}
	committed := map[int32]int64{}
	for _, p := range lag.Partitions {
		if p.Committed != nil {
			committed[p.Partition] = *p.Committed
		}
	}
	output := map[int]bool{}
	for _, r := range readToEnd(t, cfg, "classified") {
		output[r.seq] = true
	}
	done := 0
	for _, r := range readToEnd(t, cfg, "events") {
		if r.offset < committed[r.partition] {
			done++
			if !output[r.seq] {
				t.Fatalf("event %d (partition %d, offset %d) committed, not in the output", r.seq, r.partition, r.offset)
			}
		}
	}
	if done == 0 || done == n {
		t.Fatalf("%d of %d events committed: want an interrupted run", done, n)
	}
	t.Logf("%d of %d events committed, %d in the output", done, n, len(output))
}
