package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	ck "github.com/confluentinc/confluent-kafka-go/v2/kafka"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/secpipe/secpipe/pkg/kafka"
	"github.com/secpipe/secpipe/pkg/pipeline"
	"github.com/secpipe/secpipe/pkg/sink"
)

// These tests run the secpipe binary (testscript's copy of this test
// binary, on PATH) as separate processes against an in-memory broker
// started by the test, and kill them.

// stage is one running secpipe process.
type stage struct {
	t      *testing.T
	args   []string
	cmd    *exec.Cmd
	stderr bytes.Buffer
}

func startStage(t *testing.T, args ...string) *stage {
	t.Helper()
	s := &stage{t: t, args: args}
	s.start()
	return s
}

func (s *stage) start() {
	s.t.Helper()
	s.cmd = exec.Command("secpipe", s.args...)
	s.cmd.Stderr = &s.stderr
	if err := s.cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
}

// stop sends sig and waits for the process.
func (s *stage) stop(sig syscall.Signal) {
	s.cmd.Process.Signal(sig)
	s.cmd.Wait()
}

// publishSeq produces events {"seq":i,...} for i in [from, to).
func publishSeq(t *testing.T, cfg kafka.Config, topic string, from, to int) {
	t.Helper()
	s := newProducer(t, cfg, topic)
	writeSeq(t, s, from, to)
	s.Close()
}

func newProducer(t *testing.T, cfg kafka.Config, topic string) *sink.Kafka {
	t.Helper()
	s, err := sink.NewKafka(context.Background(), sink.KafkaOptions{Config: cfg, Topic: topic, KeyField: "host"})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// writeSeq produces events {"seq":i,...} for i in [from, to) with s.
func writeSeq(t *testing.T, s *sink.Kafka, from, to int) {
	msgs := make([]pipeline.Message, 0, to-from)
	for i := from; i < to; i++ {
		msgs = append(msgs, pipeline.Message{Value: []byte(fmt.Sprintf(`{"seq":%d,"host":"h%d","event_type":"heartbeat"}`, i, i%17))})
	}
	for len(msgs) > 0 {
		n := min(len(msgs), 4096)
		if err := s.Write(context.Background(), msgs[:n]); err != nil {
			t.Fatal(err)
		}
		msgs = msgs[n:]
	}
	if err := s.Flush(context.Background()); err != nil {
		t.Error(err)
	}
}

// seqCounter reads a topic with read_committed from the beginning and
// counts how often each seq appears.
type seqCounter struct {
	mu     sync.Mutex
	counts map[int]int
	total  int
	stop   chan struct{}
	done   chan struct{}
}

var seqRE = regexp.MustCompile(`"seq":(\d+)`)

func countSeqs(t *testing.T, cfg kafka.Config, topic string) *seqCounter {
	t.Helper()
	c, err := ck.NewConsumer(cfg.ConfigMap(
		kafka.Prop{Key: "group.id", Value: "test-reader"},
		kafka.Prop{Key: "enable.auto.commit", Value: "false"},
		kafka.Prop{Key: "isolation.level", Value: "read_committed"},
		kafka.Prop{Key: "auto.offset.reset", Value: "earliest"},
		kafka.Prop{Key: "log_level", Value: "0"},
	))
	if err != nil {
		t.Fatal(err)
	}
	md, err := cfg.Connect(context.Background(), c, topic)
	if err != nil {
		t.Fatal(err)
	}
	var parts []ck.TopicPartition
	for _, p := range md.Partitions {
		parts = append(parts, ck.TopicPartition{Topic: &topic, Partition: p.ID, Offset: ck.OffsetBeginning})
	}
	if err := c.Assign(parts); err != nil {
		t.Fatal(err)
	}
	sc := &seqCounter{counts: map[int]int{}, stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(sc.done)
		defer c.Close()
		for {
			select {
			case <-sc.stop:
				return
			default:
			}
			if m, ok := c.Poll(50).(*ck.Message); ok && m.TopicPartition.Error == nil {
				if sub := seqRE.FindSubmatch(m.Value); sub != nil {
					n, _ := strconv.Atoi(string(sub[1]))
					sc.mu.Lock()
					sc.counts[n]++
					sc.total++
					sc.mu.Unlock()
				}
			}
		}
	}()
	t.Cleanup(sc.close)
	return sc
}

func (sc *seqCounter) close() {
	select {
	case <-sc.stop:
	default:
		close(sc.stop)
	}
	<-sc.done
}

// distinct returns the number of distinct seqs and of messages with one.
func (sc *seqCounter) distinct() (distinct, total int) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	return len(sc.counts), sc.total
}

func waitFor(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestKafkaClassifyKilled runs two classify processes in one group, kills
// one with SIGKILL mid-stream and restarts it: every event reaches the
// output at least once, and with --exactly-once exactly once; the group's
// lag then goes to zero.
func TestKafkaClassifyKilled(t *testing.T) {
	for _, eos := range []bool{false, true} {
		name := "at-least-once"
		if eos {
			name = "exactly-once"
		}
		t.Run(name, func(t *testing.T) { testClassifyKilled(t, eos) })
	}
}

func testClassifyKilled(t *testing.T, exactlyOnce bool) {
	n := 60000
	if testing.Short() {
		n = 12000
	}
	addr, stopBroker, err := kafka.StartDevBroker(context.Background(), kafka.DevBrokerOptions{Partitions: 4, Topics: []string{"events", "classified"}})
	if err != nil {
		t.Fatal(err)
	}
	defer stopBroker()
	cfg := kafka.Config{Brokers: addr, ConnectTimeout: 5 * time.Second}

	common := []string{"classify", "--brokers", addr, "--from-topic", "events", "--group", "classifiers", "--to-topic", "classified",
		"-X", "session.timeout.ms=1500", "-X", "heartbeat.interval.ms=200", "-X", "max.poll.interval.ms=5000"}
	args := func(id string) []string {
		a := append([]string(nil), common...)
		if exactlyOnce {
			a = append(a, "--exactly-once", "--instance-id", id)
		}
		return a
	}
	start := time.Now()
	a := startStage(t, args("a")...)
	b := startStage(t, args("b")...)
	defer func() {
		a.stop(syscall.SIGTERM)
		b.stop(syscall.SIGTERM)
		t.Logf("%v: stopped", time.Since(start))
		if t.Failed() || time.Since(start) > 30*time.Second {
			t.Logf("classify a:\n%s\nclassify b:\n%s", a.stderr.String(), b.stderr.String())
		}
	}()

	out := countSeqs(t, cfg, "classified")
	// Input keeps arriving in small steps while one stage is killed and
	// restarted.
	published := make(chan struct{})
	producer := newProducer(t, cfg, "events")
	go func() {
		defer close(published)
		defer producer.Close()
		const step = 500
		for i := 0; i < n; i += step {
			writeSeq(t, producer, i, min(i+step, n))
			time.Sleep(5 * time.Millisecond)
		}
	}()
	waitFor(t, "output to start", 20*time.Second, func() bool { d, _ := out.distinct(); return d >= n/4 })
	t.Logf("%v: killing classify a", time.Since(start))
	a.stop(syscall.SIGKILL)
	a.start()
	<-published
	t.Logf("%v: input published", time.Since(start))

	waitFor(t, "every event in the output", 40*time.Second, func() bool { d, _ := out.distinct(); return d == n })
	t.Logf("%v: every event in the output", time.Since(start))
	waitFor(t, "the group's lag to reach zero", 20*time.Second, func() bool {
		lag, err := kafka.Lag(context.Background(), cfg, "classifiers", []string{"events"})
		return err == nil && lag.Total == 0
	})
	t.Logf("%v: lag zero", time.Since(start))
	// Every input offset is committed, and with it (exactly-once) every
	// transaction that wrote output: the output topic read to its end
	// offsets holds all there will be.
	counts := map[int]int{}
	recs := readToEnd(t, cfg, "classified")
	for _, r := range recs {
		counts[r.seq]++
	}
	if len(counts) != n {
		t.Fatalf("the output holds %d distinct events, want %d", len(counts), n)
	}
	if exactlyOnce && len(recs) != n {
		t.Fatalf("exactly-once: %d messages for %d events", len(recs), n)
	}
	t.Logf("%d events, %d output messages (%d duplicates)", n, len(recs), len(recs)-n)
}

// TestKafkaInterruptDrains checks that SIGINT stops a topic-to-topic stage
// with exit code 130 after committing what it delivered: a second run
// reads nothing again.
func TestKafkaInterruptDrains(t *testing.T) {
	addr, stopBroker, err := kafka.StartDevBroker(context.Background(), kafka.DevBrokerOptions{Topics: []string{"events", "classified"}})
	if err != nil {
		t.Fatal(err)
	}
	defer stopBroker()
	cfg := kafka.Config{Brokers: addr, ConnectTimeout: 5 * time.Second}
	publishSeq(t, cfg, "events", 0, 5000)
	out := countSeqs(t, cfg, "classified")
	s := startStage(t, "classify", "--brokers", addr, "--from-topic", "events", "--to-topic", "classified")
	waitFor(t, "output", 20*time.Second, func() bool { d, _ := out.distinct(); return d == 5000 })
	s.cmd.Process.Signal(os.Interrupt)
	err = s.cmd.Wait()
	if code := s.cmd.ProcessState.ExitCode(); code != 130 {
		t.Fatalf("exit code %d (%v), want 130; stderr:\n%s", code, err, s.stderr.String())
	}
	lag, err := kafka.Lag(context.Background(), cfg, "secpipe-classify", []string{"events"})
	if err != nil || lag.Total != 0 {
		t.Fatalf("lag after interrupt: %+v %v", lag, err)
	}
}

// TestKafkaClassifyOutputRefused has the broker refuse classify's output
// after its first produce requests: classify fails, and a second run, the
// broker accepting again, brings every input event to the output. An
// offset committed before its batch's output was confirmed would leave
// the refused events out for good.
func TestKafkaClassifyOutputRefused(t *testing.T) {
	const n = 20000
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(3, "events", "classified"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	addr := c.ListenAddrs()[0]
	cfg := kafka.Config{Brokers: addr, ConnectTimeout: 5 * time.Second}
	publishSeq(t, cfg, "events", 0, n)

	// Kafka's INVALID_RECORD, which producers do not retry.
	const invalidRecord = 87
	var refusing atomic.Bool
	var accepted, refused atomic.Int64
	refusing.Store(true)
	c.ControlKey(int16(kmsg.Produce), func(kreq kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		req := kreq.(*kmsg.ProduceRequest)
		if !refusing.Load() || len(req.Topics) == 0 || req.Topics[0].Topic != "classified" || accepted.Add(1) <= 2 {
			return nil, nil, false
		}
		refused.Add(1)
		resp := req.ResponseKind().(*kmsg.ProduceResponse)
		for _, rt := range req.Topics {
			st := kmsg.NewProduceResponseTopic()
			st.Topic = rt.Topic
			for _, rp := range rt.Partitions {
				sp := kmsg.NewProduceResponseTopicPartition()
				sp.Partition = rp.Partition
				sp.ErrorCode = invalidRecord
				st.Partitions = append(st.Partitions, sp)
			}
			resp.Topics = append(resp.Topics, st)
		}
		return resp, nil, true
	})

	args := []string{"classify", "--brokers", addr, "--from-topic", "events", "--group", "refused", "--to-topic", "classified",
		"--exit-at-end", "-X", "message.timeout.ms=10000"}
	run := func() (int, string) {
		s := startStage(t, args...)
		done := make(chan struct{})
		go func() { s.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(60 * time.Second):
			s.cmd.Process.Kill()
			<-done
			t.Fatalf("classify still running after 60s; stderr:\n%s", s.stderr.String())
		}
		return s.cmd.ProcessState.ExitCode(), s.stderr.String()
	}
	code, stderr := run()
	if code != 1 || !strings.Contains(stderr, "not acknowledged") || refused.Load() == 0 {
		t.Fatalf("with output refused (%d requests): exit %d, want 1 and the events not acknowledged; stderr:\n%s", refused.Load(), code, stderr)
	}
	t.Logf("refused %d produce requests: %s", refused.Load(), lastLine(stderr))

	refusing.Store(false)
	if code, stderr := run(); code != 0 {
		t.Fatalf("second run: exit %d; stderr:\n%s", code, stderr)
	}
	seen := map[int]bool{}
	for _, r := range readToEnd(t, cfg, "classified") {
		seen[r.seq] = true
	}
	var missing []int
	for i := 0; i < n; i++ {
		if !seen[i] {
			missing = append(missing, i)
		}
	}
	if len(missing) > 0 {
		t.Fatalf("%d of %d input events never reached the output (first: %v)", len(missing), n, missing[:min(len(missing), 5)])
	}
	lag, err := kafka.Lag(context.Background(), cfg, "refused", []string{"events"})
	if err != nil || lag.Total != 0 {
		t.Fatalf("lag after the second run: %+v %v", lag, err)
	}
}
