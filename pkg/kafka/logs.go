package kafka

import (
	"fmt"
	"io"
	"regexp"
	"sync"
	"time"

	ck "github.com/confluentinc/confluent-kafka-go/v2/kafka"
)

// Logs forwards librdkafka's log lines and client error events to a writer
// (stderr), prefixed with the program's name, with secrets redacted and
// repeats of the same line within a minute dropped: a broker that is down
// is reported once, not at every reconnection attempt. Lines are held back
// until Start, so that a failed first contact is reported by one clear
// error instead.
type Logs struct {
	w      io.Writer
	prefix string
	cfg    Config

	debug   bool // -X debug=...: librdkafka's debug lines pass too
	mu      sync.Mutex
	started bool

	ch   chan ck.LogEvent
	done chan struct{}
	wg   sync.WaitGroup
}

// NewLogs returns a log forwarder; Close stops it.
func NewLogs(w io.Writer, prefix string, cfg Config) *Logs {
	l := &Logs{w: w, prefix: prefix, cfg: cfg, ch: make(chan ck.LogEvent, 256), done: make(chan struct{})}
	_, l.debug = cfg.Prop("debug")
	l.wg.Add(1)
	go l.loop()
	return l
}

// Apply sets the client configuration m to send its logs to l.
func (l *Logs) Apply(m *ck.ConfigMap) {
	(*m)["go.logs.channel.enable"] = true
	(*m)["go.logs.channel"] = l.ch
}

// Start lets log lines through from now on.
func (l *Logs) Start() {
	l.mu.Lock()
	l.started = true
	l.mu.Unlock()
}

func (l *Logs) loop() {
	defer l.wg.Done()
	for {
		select {
		case ev := <-l.ch:
			switch {
			case l.debug:
				// With the time librdkafka logged it at: the lines reach
				// stderr later than that, in bursts.
				l.print(fmt.Sprintf("kafka: %s %s %s", ev.Timestamp.Format("15:04:05.000"), ev.Tag, ev.Message), false)
			case ev.Level == 4 && !clientMismatch.MatchString(ev.Message), ev.Level <= 2:
				// Warnings and worse; errors (level 3) come as error
				// events too, and are reported from there.
				l.Printf("kafka: %s", ev.Message)
			}
		case <-l.done:
			return
		}
	}
}

// clientMismatch matches librdkafka's warning about a property meant for
// the other kind of client: -X properties go to every client of a command.
var clientMismatch = regexp.MustCompile(`is a (consumer|producer) property and will be ignored by this (producer|consumer) instance`)

// varying matches the parts of librdkafka messages that change between
// repeats of the same condition.
var varying = regexp.MustCompile(`\s*\(after \d+ms.*\)$|\d+/\d+ brokers|\d+ms|^(kafka: )?(\S+: ){1,2}`)

// seen holds the lines written in the last minute, across every Logs of
// the process: a command's consumer and producer report the same outage.
var seen = struct {
	sync.Mutex
	at map[string]time.Time
}{at: map[string]time.Time{}}

// Printf writes a line unless the same line was written in the last minute.
func (l *Logs) Printf(format string, args ...any) {
	l.print(fmt.Sprintf(format, args...), true)
}

func (l *Logs) print(msg string, dedup bool) {
	msg = l.cfg.Redact(msg)
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.started && !l.debug {
		return
	}
	if !dedup {
		fmt.Fprintf(l.w, "%s: %s\n", l.prefix, msg)
		return
	}
	key := l.prefix + "\x00" + varying.ReplaceAllString(msg, "")
	now := time.Now()
	seen.Lock()
	t, dup := seen.at[key]
	dup = dup && now.Sub(t) < time.Minute
	if !dup {
		if len(seen.at) > 1000 {
			seen.at = map[string]time.Time{}
		}
		seen.at[key] = now
	}
	seen.Unlock()
	if !dup {
		fmt.Fprintf(l.w, "%s: %s\n", l.prefix, msg)
	}
}

// Close stops forwarding. Call it after the clients using l are closed.
func (l *Logs) Close() {
	select {
	case <-l.done:
		return
	default:
	}
	close(l.done)
	l.wg.Wait()
}
