// Package sink provides where events go: JSON Lines or store's CSV table
// on stdout or in a file, and Kafka topics. Every sink is opened from one
// spec by Open, so that a new kind of sink has one home and every command
// gains it at once:
//
//   - JSON Lines on stdout (or CSV, by Options.Format)
//     tactics.csv, out.jsonl         a file, appended to, its format from its extension
//     kafka://[BROKERS/]TOPIC        a Kafka topic (brokers from the options unless given)
//     https://HOST/PATH              a webhook: each event POSTed as JSON, with retries
//     syslog+udp://HOST:PORT         a syslog receiver (RFC 5424); also syslog+tcp://
//     sqlite:events.db               a SQLite database (the schema of package db)
//     postgres://USER@HOST/DB        a PostgreSQL database (password from PGPASSWORD or the passfile)
//     clickhouse://HOST:PORT/DB      a ClickHouse database, native protocol (password from CLICKHOUSE_PASSWORD)
package sink

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/secpipe/secpipe/pkg/attack"
	"github.com/secpipe/secpipe/pkg/db"
	"github.com/secpipe/secpipe/pkg/pipeline"
)

// Options are what sinks are opened with besides their spec; each kind
// takes what it needs.
type Options struct {
	// Stdout is where "-" writes.
	Stdout io.Writer
	// Format of a file or stdout: "" tells it from the file's extension,
	// and is JSON Lines on stdout.
	Format Format
	// Catalog names tactics and techniques in CSV rows.
	Catalog *attack.Catalog
	// Trace writes each event's trace context: the "traceparent" member
	// in JSON Lines, the message header on topics.
	Trace bool
	// CountMatched makes JSON Lines sinks count the events that carry a
	// detection (Counter.Counts().Matched).
	CountMatched bool
	// Kafka holds the connection and produce settings of kafka:// sinks;
	// the spec gives the topic, and the brokers when it names them.
	Kafka KafkaOptions
	// Delivery holds the rendering, retry and dead-letter settings of
	// http(s):// webhooks and syslog+udp:// and syslog+tcp:// receivers.
	Delivery DeliveryOptions
	// Timeout bounds how long a database server may be unreachable before
	// its sink fails (0: DefaultTimeout).
	Timeout time.Duration
	// Log takes a sink's notes, such as a lost connection being retried.
	Log io.Writer
	// Rotation, if set, rotates a file sink (OpenRotating).
	Rotation *Rotation
}

// Opener opens the sink of a spec whose scheme it was registered for.
type Opener func(ctx context.Context, spec pipeline.Spec, opt Options) (pipeline.Sink, error)

var openers = map[string]Opener{}

// Register adds the sink kind of a URL scheme ("kafka", "sqlite", ...).
func Register(scheme string, open Opener) { openers[scheme] = open }

// Schemes lists the registered schemes, for help and messages.
func Schemes() []string {
	var out []string
	for s := range openers {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

func registered(scheme string) bool { _, ok := openers[scheme]; return ok }

// Open opens the sink of spec.
func Open(ctx context.Context, spec string, opt Options) (pipeline.Sink, error) {
	s, err := pipeline.ParseSpec(spec, registered)
	if err != nil {
		return nil, err
	}
	if s.Scheme != "" {
		return openers[s.Scheme](ctx, s, opt)
	}
	return openStream(spec, opt)
}

// openStream opens stdout ("-") or a file, appended to.
func openStream(path string, opt Options) (Counter, error) {
	f := opt.Format
	if path == "-" {
		if f == "" {
			f = JSONL
		}
		if f == CSV || f == LabCSV {
			return newCSVSink(opt.Stdout, nil, opt.Catalog, true, f == LabCSV), nil
		}
		return withOptions(NewJSONLSink(opt.Stdout, nil), opt), nil
	}
	if f == "" {
		var err error
		if f, err = FormatOf(path); err != nil {
			return nil, err
		}
	}
	if opt.Rotation != nil {
		return OpenRotating(path, f, opt.Catalog, *opt.Rotation)
	}
	s, err := OpenFile(path, f, opt.Catalog)
	if j, ok := s.(*JSONLSink); ok {
		withOptions(j, opt)
	}
	return s, err
}

func withOptions(s *JSONLSink, opt Options) *JSONLSink {
	if opt.Trace {
		s.InjectTrace()
	}
	if opt.CountMatched {
		s.CountMatched()
	}
	return s
}

func init() {
	Register("kafka", func(ctx context.Context, s pipeline.Spec, opt Options) (pipeline.Sink, error) {
		o := opt.Kafka
		if s.Path == "" || strings.Contains(s.Path, ",") {
			return nil, fmt.Errorf("%s: want kafka://[BROKERS/]TOPIC, one topic", s.Raw)
		}
		o.Topic = s.Path
		if s.Host != "" {
			o.Config.Brokers = s.Host
		}
		if k := s.Query.Get("key"); k != "" {
			o.KeyField = k
		}
		return NewKafka(ctx, o)
	})
	Register("sqlite", func(ctx context.Context, s pipeline.Spec, opt Options) (pipeline.Sink, error) {
		file, err := db.SQLitePath(s.Raw)
		if err != nil {
			return nil, err
		}
		return OpenSQLite(ctx, file, opt.Catalog)
	})
	openPostgres := func(ctx context.Context, s pipeline.Spec, opt Options) (pipeline.Sink, error) {
		return OpenPostgres(ctx, s.Raw, opt.Catalog, opt.Timeout, opt.Log)
	}
	Register("postgres", openPostgres)
	Register("postgresql", openPostgres)
	Register("clickhouse", func(ctx context.Context, s pipeline.Spec, opt Options) (pipeline.Sink, error) {
		return OpenClickHouse(ctx, s.Raw, opt.Catalog, opt.Timeout, opt.Log)
	})
}
