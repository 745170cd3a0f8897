package sink

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/ext"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/secpipe/secpipe/pkg/attack"
	"github.com/secpipe/secpipe/pkg/db"
	"github.com/secpipe/secpipe/pkg/pipeline"
	"github.com/secpipe/secpipe/pkg/store"
)

// ClickHouse stores events in a ClickHouse database over the native
// protocol, in the schema of package db (db.OpenClickHouse). Write buffers
// the rows; Flush looks up which of their event ids are stored already,
// leaves those out, and sends the rest as one batch per table. The tables
// are ReplacingMergeTree on (time, event_id), so that a row two writers
// stored at once is one row after merges (and for SELECT ... FINAL). The
// pipeline acknowledges the input only after Flush.
//
// A lost connection is retried, with backoff, for up to the timeout.
type ClickHouse struct {
	name    string
	conn    driver.Conn
	timeout time.Duration
	log     io.Writer

	rows *store.Rows
	rec  store.Record

	events          []chEvent
	pairs           [][]any
	counts, pending Counts
	dups            int
	err             error
}

// chEvent is one buffered events row, with what Flush needs to know of it.
type chEvent struct {
	id   string
	time time.Time
	vals []any
}

// OpenClickHouse connects to the database of spec (clickhouse://HOST:PORT/DB).
func OpenClickHouse(ctx context.Context, spec string, cat *attack.Catalog, timeout time.Duration, log io.Writer) (*ClickHouse, error) {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	conn, err := db.OpenClickHouse(ctx, spec, timeout, log, false)
	if err != nil {
		return nil, err
	}
	return &ClickHouse{name: db.Redact(spec), conn: conn, timeout: timeout, log: log, rows: store.NewRows(cat)}, nil
}

// chTime is a time as a ClickHouse DateTime holds it: whole seconds from
// 1970 to 2105; the others, and an undated event, are 1970-01-01.
func chTime(rec *store.Record) time.Time {
	if !rec.Dated || rec.Time < 0 || rec.Time/1e9 > 1<<32-2 {
		return time.Unix(0, 0).UTC()
	}
	return time.Unix(rec.Time/1e9, 0).UTC()
}

// Write implements pipeline.Sink: the rows are buffered, copied.
func (s *ClickHouse) Write(ctx context.Context, msgs []pipeline.Message) error {
	if s.err != nil {
		return s.err
	}
	for i := range msgs {
		raw := msgs[i].Value
		r := &s.rec
		s.rows.Record(raw, r)
		id := db.EventID(r, raw)
		t := chTime(r)
		var port, ns *int64
		if p, err := strconv.ParseInt(r.DestPort, 10, 64); err == nil {
			port = &p
		}
		if r.Dated {
			v := r.Time
			ns = &v
		}
		s.events = append(s.events, chEvent{id: id, time: t, vals: []any{
			id, r.Timestamp, r.User, r.Host, r.SourceIP, r.EventType, r.Tactic, r.Technique,
			strings.Join(r.RuleNames, ";"), strings.Join(r.RuleIDs, ";"), r.Level, r.EventKind, r.Dataset,
			r.DestIP, port, r.Process, r.CommandLine, t, ns, string(raw),
			r.SourceCountry, strings.Join(r.Indicators, ";"),
		}})
		db.EachPair(db.SQLite, r, id, func(vals ...any) error {
			row := make([]any, 0, len(vals)+1)
			for _, v := range vals {
				if v == nil {
					v = ""
				}
				row = append(row, v)
			}
			s.pairs = append(s.pairs, append(row, t))
			return nil
		})
		s.pending.add(0, r.Matched)
	}
	if len(s.events) >= pgFlushAt {
		return s.Flush(ctx)
	}
	return nil
}

var (
	chInsertEvents = "INSERT INTO events (" + strings.Join(db.ClickHouseEventColumns, ", ") + ")"
	chInsertPairs  = "INSERT INTO event_pairs (" + strings.Join(db.ClickHousePairColumns, ", ") + ")"
)

// stored returns the ids of the buffered events that the table holds.
func (s *ClickHouse) stored(ctx context.Context) (map[string]bool, error) {
	lo, hi := s.events[0].time, s.events[0].time
	ids := make([]string, 0, len(s.events))
	for _, e := range s.events {
		if e.time.Before(lo) {
			lo = e.time
		}
		if e.time.After(hi) {
			hi = e.time
		}
		ids = append(ids, e.id)
	}
	// The ids go as an external table: no query text to parse.
	tbl, err := ext.NewTable("secpipe_ids", ext.Column("id", "String"))
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		if err := tbl.Append(id); err != nil {
			return nil, err
		}
	}
	ctx = clickhouse.Context(ctx, clickhouse.WithExternalTable(tbl))
	rows, err := s.conn.Query(ctx, "SELECT event_id FROM events WHERE time >= ? AND time <= ? AND event_id IN secpipe_ids", lo, hi)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	have := map[string]bool{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		have[id] = true
	}
	return have, rows.Err()
}

// send delivers the buffered rows not stored yet and returns how many
// events were new.
func (s *ClickHouse) send(ctx context.Context) (int, error) {
	have, err := s.stored(ctx)
	if err != nil {
		return 0, err
	}
	batch, err := s.conn.PrepareBatch(ctx, chInsertEvents)
	if err != nil {
		return 0, err
	}
	added := 0
	for _, e := range s.events {
		if have[e.id] {
			continue
		}
		have[e.id] = true // once, if the buffer holds it twice
		if err := batch.Append(e.vals...); err != nil {
			batch.Abort()
			return 0, err
		}
		added++
	}
	if added > 0 {
		if err := batch.Send(); err != nil {
			return 0, err
		}
	} else {
		batch.Abort()
	}
	if len(s.pairs) > 0 {
		pb, err := s.conn.PrepareBatch(ctx, chInsertPairs)
		if err != nil {
			return 0, err
		}
		for _, p := range s.pairs {
			if err := pb.Append(p...); err != nil {
				pb.Abort()
				return 0, err
			}
		}
		if err := pb.Send(); err != nil {
			return 0, err
		}
	}
	return added, nil
}

// Flush implements pipeline.Sink.
func (s *ClickHouse) Flush(ctx context.Context) error {
	if s.err != nil || len(s.events) == 0 {
		return s.err
	}
	var added int
	err := db.Retry(ctx, s.name, s.timeout, s.log, func(ctx context.Context) error {
		var err error
		added, err = s.send(ctx)
		return err
	}, db.ClickHouseRetryable)
	if err != nil {
		s.err = fmt.Errorf("%s: %w (the %d events of this batch are not acknowledged)", s.name, err, len(s.events))
		return s.err
	}
	s.pending.Rows = added
	s.dups += s.pending.Events - added
	s.counts.plus(s.pending)
	s.pending = Counts{}
	s.events, s.pairs = s.events[:0], s.pairs[:0]
	return nil
}

// Close implements pipeline.Sink: what was written is sent first, unless
// the sink failed.
func (s *ClickHouse) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), s.timeout)
	defer cancel()
	err := s.Flush(ctx)
	if cerr := s.conn.Close(); err == nil && cerr != nil {
		err = cerr
	}
	return err
}

// Counts implements Counter: Events are the events committed, Rows the
// events rows they added.
func (s *ClickHouse) Counts() Counts { return s.counts }

// Duplicates returns the events that were stored already.
func (s *ClickHouse) Duplicates() int { return s.dups }
