package source

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/jackc/pgx/v5"

	"github.com/secpipe/secpipe/pkg/db"
	"github.com/secpipe/secpipe/pkg/event"
	"github.com/secpipe/secpipe/pkg/pipeline"
)

// Table reads back the events a database sink stored (package db's
// schema), in the order they were stored, each as its original JSON.
// Origin.Line is the row's number, so that a message names
// "sqlite:events.db:ROW". Nothing is acknowledged: a database is read
// whole every time.
type Table struct {
	name  string
	h     *sql.DB
	query string
	args  []any
	rows  *sql.Rows
	// compact reads rows of the table's columns, one per tactic/technique
	// pair as store's CSV has them, instead of the events' JSON.
	compact bool
	cells   [9]sql.RawBytes // by compactFields
	buf     []byte
}

// compactFields are the fields of a compact row: a consumer that reads
// no others (Options.Fields; stats) gets those rows.
var compactFields = []string{"event_id", "timestamp", "user", "host", "source_ip", "source_country", "threat_indicator", "mitre_tactic", "mitre_technique"}

// readsOnlyCompact reports whether a consumer reading fields finds all
// it reads in compact rows (the lab's names are among stats' fields).
func readsOnlyCompact(fields []string) bool {
	if len(fields) == 0 {
		return false
	}
	have := map[string]bool{}
	for _, f := range fields {
		have[f] = true
	}
	for _, f := range compactFields {
		if !have[f] {
			return false
		}
	}
	return true
}

// appendCompact appends the JSON of a compact row: the non-empty cells
// by compactFields.
func appendCompact(dst []byte, cells []sql.RawBytes) []byte {
	dst = append(dst, '{')
	n := 0
	for i, c := range cells {
		if len(c) == 0 {
			continue
		}
		if n > 0 {
			dst = append(dst, ',')
		}
		n++
		dst = event.AppendString(dst, compactFields[i])
		dst = append(dst, ':')
		dst = event.AppendString(dst, string(c))
	}
	return append(dst, '}')
}

// OpenSQLiteTable opens the SQLite database file for reading its events
// whose time is in [since, until) (a zero time: unbounded). A consumer
// that reads only fields (Options.Fields) of store's CSV columns gets rows
// as store's CSV holds them, read from the columns, not the events' JSON.
func OpenSQLiteTable(ctx context.Context, file string, since, until time.Time, fields []string) (*Table, error) {
	h, err := db.OpenSQLite(ctx, file, true)
	if err != nil {
		return nil, err
	}
	t := &Table{name: "sqlite:" + file, h: h, query: "SELECT rowid, event FROM events", compact: readsOnlyCompact(fields)}
	if t.compact {
		t.query = `SELECT e.rowid, e.event_id, e.timestamp, e."user", e.host, e.source_ip, e.source_country, e.threat_indicator, p.tactic, p.technique FROM events e
  LEFT JOIN (SELECT DISTINCT event_id, tactic, technique FROM event_pairs) p ON p.event_id = e.event_id`
	}
	where := ""
	if !since.IsZero() {
		where, t.args = " WHERE time >= ?", append(t.args, since.UnixNano())
	}
	if !until.IsZero() {
		if where == "" {
			where = " WHERE time < ?"
		} else {
			where += " AND time < ?"
		}
		t.args = append(t.args, until.UnixNano())
	}
	t.query += where + " ORDER BY rowid"
	return t, nil
}

// Read implements pipeline.Source.
func (t *Table) Read(ctx context.Context, b *pipeline.Batch) error {
	if t.rows == nil {
		rows, err := t.h.QueryContext(ctx, t.query, t.args...)
		if err != nil {
			return fmt.Errorf("%s: %w", t.name, err)
		}
		t.rows = rows
	}
	for !b.Full() {
		if !t.rows.Next() {
			if err := t.rows.Err(); err != nil {
				return fmt.Errorf("%s: %w", t.name, err)
			}
			if len(b.Msgs) > 0 {
				return nil
			}
			return io.EOF
		}
		var row int64
		var ev sql.RawBytes
		if t.compact {
			c := &t.cells
			if err := t.rows.Scan(&row, &c[0], &c[1], &c[2], &c[3], &c[4], &c[5], &c[6], &c[7], &c[8]); err != nil {
				return fmt.Errorf("%s: %w", t.name, err)
			}
			t.buf = appendCompact(t.buf[:0], c[:])
			ev = t.buf
		} else if err := t.rows.Scan(&row, &ev); err != nil {
			return fmt.Errorf("%s: %w", t.name, err)
		}
		b.Add(pipeline.Message{Value: b.Copy(ev), Origin: pipeline.Origin{Input: t.name, Line: int(row), Offset: -1}})
	}
	b.More = true
	return nil
}

// Ack implements pipeline.Source: a table keeps no read position.
func (t *Table) Ack(context.Context, []pipeline.Message) error { return nil }

// Close implements pipeline.Source.
func (t *Table) Close() error {
	if t.rows != nil {
		t.rows.Close()
	}
	return t.h.Close()
}

// PGTable reads back the events a postgres:// sink stored, each as its
// JSON (as jsonb gives it back: members in jsonb's order). Origin.Line
// counts the rows read. Nothing is acknowledged.
type PGTable struct {
	name    string
	conn    *pgx.Conn
	query   string
	args    []any
	rows    pgx.Rows
	n       int
	compact bool // rows as in Table
	cells   []sql.RawBytes
	buf     []byte
}

// OpenPostgresTable connects to the database of spec for reading its
// events whose time is in [since, until) (a zero time: unbounded),
// waiting up to timeout for the server.
func OpenPostgresTable(ctx context.Context, spec string, since, until time.Time, fields []string, timeout time.Duration, log io.Writer) (*PGTable, error) {
	cfg, err := db.PostgresConfig(spec)
	if err != nil {
		return nil, err
	}
	t := &PGTable{name: db.Redact(spec), query: "SELECT e.event::text FROM events e", compact: readsOnlyCompact(fields)}
	if t.compact {
		// The rows of one event adjacent, as in store's CSV.
		t.query = `SELECT e.event_id, e.timestamp, e."user", e.host, e.source_ip, e.source_country, e.threat_indicator, p.tactic, p.technique FROM events e
  LEFT JOIN (SELECT DISTINCT event_id, tactic, technique FROM event_pairs) p ON p.event_id = e.event_id`
	}
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	if t.conn, err = db.Connect(ctx, t.name, cfg, timeout, log); err != nil {
		return nil, err
	}
	if err := db.ReadyPostgres(ctx, t.conn, t.name); err != nil {
		t.conn.Close(ctx)
		return nil, err
	}
	var where []string
	if !since.IsZero() {
		t.args = append(t.args, since)
		where = append(where, fmt.Sprintf("e.time >= $%d", len(t.args)))
	}
	if !until.IsZero() {
		t.args = append(t.args, until)
		where = append(where, fmt.Sprintf("e.time < $%d", len(t.args)))
	}
	if len(where) > 0 {
		t.query += " WHERE " + strings.Join(where, " AND ")
	}
	if t.compact {
		t.query += " ORDER BY e.event_id"
	}
	return t, nil
}

// Read implements pipeline.Source.
func (t *PGTable) Read(ctx context.Context, b *pipeline.Batch) error {
	if t.rows == nil {
		rows, err := t.conn.Query(ctx, t.query, t.args...)
		if err != nil {
			return fmt.Errorf("%s: %w", t.name, err)
		}
		t.rows = rows
	}
	for !b.Full() {
		if !t.rows.Next() {
			if err := t.rows.Err(); err != nil {
				return fmt.Errorf("%s: %w", t.name, err)
			}
			if len(b.Msgs) > 0 {
				return nil
			}
			return io.EOF
		}
		t.n++
		ev := t.rows.RawValues()[0]
		if t.compact {
			t.cells = t.cells[:0]
			for _, v := range t.rows.RawValues() {
				t.cells = append(t.cells, v)
			}
			t.buf = appendCompact(t.buf[:0], t.cells)
			ev = t.buf
		}
		b.Add(pipeline.Message{Value: b.Copy(ev), Origin: pipeline.Origin{Input: t.name, Line: t.n, Offset: -1}})
	}
	b.More = true
	return nil
}

// Ack implements pipeline.Source: a table keeps no read position.
func (t *PGTable) Ack(context.Context, []pipeline.Message) error { return nil }

// Close implements pipeline.Source.
func (t *PGTable) Close() error {
	if t.rows != nil {
		t.rows.Close()
	}
	return t.conn.Close(context.Background())
}

// CHTable reads back the events a clickhouse:// sink stored, each as its
// JSON, from SELECT ... FINAL: a row stored twice is read once.
type CHTable struct {
	name  string
	conn  driver.Conn
	query string
	args  []any
	rows  driver.Rows
	n     int
	ev    string
}

// OpenClickHouseTable connects to the database of spec for reading its
// events whose time is in [since, until) (a zero time: unbounded).
func OpenClickHouseTable(ctx context.Context, spec string, since, until time.Time, timeout time.Duration, log io.Writer) (*CHTable, error) {
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	conn, err := db.OpenClickHouse(ctx, spec, timeout, log, true)
	if err != nil {
		return nil, err
	}
	t := &CHTable{name: db.Redact(spec), conn: conn, query: "SELECT event FROM events FINAL"}
	var where []string
	if !since.IsZero() {
		where, t.args = append(where, "time_ns >= ?"), append(t.args, since.UnixNano())
	}
	if !until.IsZero() {
		where, t.args = append(where, "time_ns < ?"), append(t.args, until.UnixNano())
	}
	if len(where) > 0 {
		t.query += " WHERE " + strings.Join(where, " AND ")
	}
	return t, nil
}

// Read implements pipeline.Source.
func (t *CHTable) Read(ctx context.Context, b *pipeline.Batch) error {
	if t.rows == nil {
		rows, err := t.conn.Query(ctx, t.query, t.args...)
		if err != nil {
			return fmt.Errorf("%s: %w", t.name, err)
		}
		t.rows = rows
	}
	for !b.Full() {
		if !t.rows.Next() {
			if err := t.rows.Err(); err != nil {
				return fmt.Errorf("%s: %w", t.name, err)
			}
			if len(b.Msgs) > 0 {
				return nil
			}
			return io.EOF
		}
		if err := t.rows.Scan(&t.ev); err != nil {
			return fmt.Errorf("%s: %w", t.name, err)
		}
		t.n++
		v := b.Alloc(len(t.ev))
		copy(v, t.ev)
		b.Add(pipeline.Message{Value: v, Origin: pipeline.Origin{Input: t.name, Line: t.n, Offset: -1}})
	}
	b.More = true
	return nil
}

// Ack implements pipeline.Source: a table keeps no read position.
func (t *CHTable) Ack(context.Context, []pipeline.Message) error { return nil }

// Close implements pipeline.Source.
func (t *CHTable) Close() error {
	if t.rows != nil {
		t.rows.Close()
	}
	return t.conn.Close()
}
