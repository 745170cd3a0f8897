// Package source provides where events come from: standard input, files
// and folders in the formats of package format (JSON Lines, .evtx, Zeek,
// Suricata, syslog, auditd, CSV; gzip or zstd compressed), and Kafka
// topics. Every source is opened from specs by Open, so that a new kind of
// source has one home and every command gains it at once:
//
//   - standard input
//     events.jsonl, Security.evtx, logs/ files, and folders read recursively
//     kafka://[BROKERS/]TOPIC[,TOPIC]    Kafka topics (?group=NAME&offset=OFFSET)
//     sqlite:events.db                   the events a sqlite: sink stored
//     postgres://USER@HOST/DB            the events a postgres:// sink stored
//     clickhouse://HOST:PORT/DB          the events a clickhouse:// sink stored
package source

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/secpipe/secpipe/pkg/db"
	"github.com/secpipe/secpipe/pkg/format"
	"github.com/secpipe/secpipe/pkg/kafka"
	"github.com/secpipe/secpipe/pkg/pipeline"
)

// Options are what sources are opened with besides their specs; each kind
// takes what it needs.
type Options struct {
	// Stdin is what "-" reads.
	Stdin io.Reader
	// Format of files and stdin: format.Auto recognises each input's.
	Format format.Format
	// MaxRecord caps one record's size (0: event.DefaultMaxRecord).
	MaxRecord int
	// Rejects takes bad records: reported, kept, or fatal.
	Rejects *pipeline.Rejects
	// Trace takes each event's trace context out of it into Message.Trace
	// (files and stdin; topics trace with Kafka.Tracer).
	Trace bool
	// Kafka holds the connection and consumer settings of kafka:// sources;
	// the spec gives the topics, and the brokers, group and start offset
	// when it names them.
	Kafka KafkaOptions
	// Fields, when set, names the only event fields the consumer reads:
	// formats that can leave the others out do (CSV's columns).
	Fields []string
	// Rows asks files and stdin of a format with columns (CSV) for rows:
	// each event in Message.Row, its values of Fields in that order,
	// instead of a JSON object in Message.Value; other inputs give JSON as
	// ever. Not with Trace, whose context travels in the JSON.
	Rows bool
	// Parts, with Rows, lets the last file, when it is a large regular CSV
	// file (not compressed), come as one message whose Parts reads it in up
	// to Parts parts at once, for a sink that takes such messages
	// (pipeline.Parts); 0 or 1: never. MinPart is the smallest part
	// (0: DefaultMinPart). Not with Rejects that are strict or keep a
	// dead-letter file.
	Parts   int
	MinPart int64
	// Now is the clock that relative start offsets and timestamps without
	// a year are read against.
	Now func() time.Time
	// KeyDelim, if set, reads files and stdin as lines "KEY<KeyDelim>EVENT"
	// (kcat -P -K): see KeyedLines.
	KeyDelim string
	// Since and Until, when set, tell sources that select by time
	// (databases) to read only events of [Since, Until); other sources read
	// everything, and the consumer keeps what it wants.
	Since, Until time.Time
	// Timeout bounds how long a database server may be unreachable, and
	// Log takes notes of the retries.
	Timeout time.Duration
	Log     io.Writer
	// Skipped is told of files in folders that hold no format secpipe
	// reads; they are passed over.
	Skipped func(path string, err error)
}

// Opener opens the source of specs of the scheme it was registered for.
type Opener func(ctx context.Context, specs []pipeline.Spec, opt Options) (pipeline.Source, error)

var openers = map[string]Opener{}

// Register adds the source kind of a URL scheme ("kafka", ...).
func Register(scheme string, open Opener) { openers[scheme] = open }

func registered(scheme string) bool { _, ok := openers[scheme]; return ok }

// Open opens the source of specs (stdin when there are none). Specs of one
// command are all paths, or all of one scheme.
func Open(ctx context.Context, specs []string, opt Options) (pipeline.Source, error) {
	if opt.Rejects == nil {
		opt.Rejects = &pipeline.Rejects{}
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	var parsed []pipeline.Spec
	for _, raw := range specs {
		s, err := pipeline.ParseSpec(raw, registered)
		if err != nil {
			return nil, err
		}
		if len(parsed) > 0 && s.Scheme != parsed[0].Scheme {
			return nil, fmt.Errorf("cannot read %s and %s in one run: give inputs of one kind", parsed[0].Raw, raw)
		}
		parsed = append(parsed, s)
	}
	if len(parsed) > 0 && parsed[0].Scheme != "" {
		return openers[parsed[0].Scheme](ctx, parsed, opt)
	}
	if opt.KeyDelim != "" {
		return NewKeyedLines(specs, opt.Stdin, opt.KeyDelim, opt.MaxRecord, opt.Rejects), nil
	}
	names, err := expandPaths(specs, opt.Format, opt.Skipped)
	if err != nil {
		return nil, err
	}
	src := NewFiles(names, opt.Stdin, opt.Format, opt.MaxRecord, opt.Rejects)
	src.SetClock(opt.Now)
	src.ReadOnly(opt.Fields)
	if opt.Trace {
		src.ExtractTrace()
	} else if opt.Rows && len(opt.Fields) > 0 {
		src.ReadRows()
		src.ReadParts(opt.Parts, opt.MinPart)
	}
	return src, nil
}

// expandPaths checks that every named input exists and replaces folders
// by the files under them, in lexical order. With format Auto, files in
// folders whose format is not recognised are passed over (told to
// skipped); hidden files and folders are left out.
func expandPaths(names []string, f format.Format, skipped func(string, error)) ([]string, error) {
	var out []string
	for _, name := range names {
		if name == "-" {
			out = append(out, name)
			continue
		}
		st, err := os.Stat(name)
		if err != nil {
			return nil, err
		}
		if !st.IsDir() {
			out = append(out, name)
			continue
		}
		var found []string
		err = filepath.WalkDir(name, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if path != name && strings.HasPrefix(d.Name(), ".") {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			if d.Type().IsRegular() {
				if f == format.Auto || f == "" {
					if err := recognised(path); err != nil {
						if skipped != nil {
							skipped(path, err)
						}
						return nil
					}
				}
				found = append(found, path)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		sort.Strings(found)
		out = append(out, found...)
	}
	return out, nil
}

// recognised reports why a file found in a folder is not read, or nil.
func recognised(path string) error {
	file, err := os.Open(path)
	if err != nil {
		return err
	}
	defer file.Close()
	rd, _, err := format.Open(file, format.Auto, format.Options{Name: path})
	if c, ok := rd.(io.Closer); ok {
		c.Close()
	}
	return err
}

func init() {
	Register("kafka", func(ctx context.Context, specs []pipeline.Spec, opt Options) (pipeline.Source, error) {
		o := opt.Kafka
		o.Topics = nil
		for _, s := range specs {
			if s.Path == "" {
				return nil, fmt.Errorf("%s: want kafka://[BROKERS/]TOPIC[,TOPIC]", s.Raw)
			}
			o.Topics = append(o.Topics, strings.Split(s.Path, ",")...)
			if s.Host != "" {
				o.Config.Brokers = s.Host
			}
			if g := s.Query.Get("group"); g != "" {
				o.Group = g
			}
			if v := s.Query.Get("offset"); v != "" {
				off, err := kafka.ParseOffset(v, opt.Now())
				if err != nil {
					return nil, fmt.Errorf("%s: offset: %v", s.Raw, err)
				}
				o.Offset = off
			}
		}
		o.MaxRecord, o.Rejects = opt.MaxRecord, opt.Rejects
		return NewKafka(ctx, o)
	})
	Register("sqlite", func(ctx context.Context, specs []pipeline.Spec, opt Options) (pipeline.Source, error) {
		if len(specs) > 1 {
			return nil, fmt.Errorf("%s: read one database at a time", specs[1].Raw)
		}
		file, err := db.SQLitePath(specs[0].Raw)
		if err != nil {
			return nil, err
		}
		return OpenSQLiteTable(ctx, file, opt.Since, opt.Until, opt.Fields)
	})
	openPostgres := func(ctx context.Context, specs []pipeline.Spec, opt Options) (pipeline.Source, error) {
		if len(specs) > 1 {
			return nil, fmt.Errorf("%s: read one database at a time", db.Redact(specs[1].Raw))
		}
		return OpenPostgresTable(ctx, specs[0].Raw, opt.Since, opt.Until, opt.Fields, opt.Timeout, opt.Log)
	}
	Register("postgres", openPostgres)
	Register("postgresql", openPostgres)
	Register("clickhouse", func(ctx context.Context, specs []pipeline.Spec, opt Options) (pipeline.Source, error) {
		if len(specs) > 1 {
			return nil, fmt.Errorf("%s: read one database at a time", db.Redact(specs[1].Raw))
		}
		return OpenClickHouseTable(ctx, specs[0].Raw, opt.Since, opt.Until, opt.Timeout, opt.Log)
	})
}
