package sink

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/secpipe/secpipe/pkg/attack"
	"github.com/secpipe/secpipe/pkg/db"
	"github.com/secpipe/secpipe/pkg/pipeline"
	"github.com/secpipe/secpipe/pkg/store"
)

// pgFlushAt is the most events a PostgreSQL sink buffers before it sends
// them on its own; a flush sends sooner.
const pgFlushAt = 50000

// DefaultTimeout is how long a database may stay unreachable before its
// sink fails.
const DefaultTimeout = 30 * time.Second

// Postgres stores events in a PostgreSQL database, in the schema of
// package db (the event's JSON as jsonb). Write buffers the rows; Flush
// sends them in one transaction: COPY into a temporary staging table, then
// INSERT ... SELECT ... ON CONFLICT (event_id) DO NOTHING, so that an event
// delivered again is not stored twice. The pipeline acknowledges the input
// only after Flush, so an acknowledged event is in the database.
//
// A lost connection is made again, with backoff, and the transaction sent
// again, for up to the timeout; then the sink fails, with what it held
// unacknowledged.
type Postgres struct {
	name    string // the spec, redacted
	cfg     *pgx.ConnConfig
	conn    *pgx.Conn
	timeout time.Duration
	log     io.Writer

	rows *store.Rows
	rec  store.Record

	events, pairs   [][]any
	counts, pending Counts
	dups            int
	err             error
}

// OpenPostgres connects to the database of spec (postgres://...) and
// brings its schema to db.Version. timeout bounds how long the server may
// be unreachable, now and later; retries are told to log.
func OpenPostgres(ctx context.Context, spec string, cat *attack.Catalog, timeout time.Duration, log io.Writer) (*Postgres, error) {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	cfg, err := db.PostgresConfig(spec)
	if err != nil {
		return nil, err
	}
	s := &Postgres{name: db.Redact(spec), cfg: cfg, timeout: timeout, log: log, rows: store.NewRows(cat)}
	if s.conn, err = db.Connect(ctx, s.name, cfg, timeout, log); err != nil {
		return nil, err
	}
	if err := db.MigratePostgres(ctx, s.conn, s.name); err != nil {
		s.conn.Close(ctx)
		return nil, err
	}
	return s, nil
}

// Write implements pipeline.Sink: the rows are buffered, copied.
func (s *Postgres) Write(ctx context.Context, msgs []pipeline.Message) error {
	if s.err != nil {
		return s.err
	}
	for i := range msgs {
		raw := msgs[i].Value
		s.rows.Record(raw, &s.rec)
		id := db.EventID(&s.rec, raw)
		s.events = append(s.events, db.EventValues(make([]any, 0, len(db.EventColumns())), db.Postgres, &s.rec, id, raw))
		db.EachPair(db.Postgres, &s.rec, id, func(vals ...any) error {
			s.pairs = append(s.pairs, vals)
			return nil
		})
		s.pending.add(0, s.rec.Matched)
	}
	if len(s.events) >= pgFlushAt {
		return s.Flush(ctx)
	}
	return nil
}

// copyColumns are the column names as COPY takes them: unquoted.
func copyColumns(cols []string) []string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = strings.Trim(c, `"`)
	}
	return out
}

var (
	pgEventColumns = copyColumns(db.EventColumns())
	pgColumnList   = strings.Join(db.EventColumns(), ", ")
	pgPairList     = strings.Join(db.PairColumns, ", ")
)

// send delivers the buffered rows in one transaction and returns how many
// events were new.
func (s *Postgres) send(ctx context.Context) (int64, error) {
	if s.conn == nil || s.conn.IsClosed() {
		c, cancel := context.WithTimeout(ctx, s.timeout)
		defer cancel()
		conn, err := pgx.ConnectConfig(c, s.cfg)
		if err != nil {
			return 0, err
		}
		s.conn = conn
	}
	tx, err := s.conn.Begin(ctx)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	for _, q := range []string{
		"CREATE TEMP TABLE IF NOT EXISTS secpipe_staging_events (LIKE events) ON COMMIT DELETE ROWS",
		"CREATE TEMP TABLE IF NOT EXISTS secpipe_staging_pairs (LIKE event_pairs) ON COMMIT DELETE ROWS",
	} {
		if _, err := tx.Exec(ctx, q); err != nil {
			return 0, err
		}
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"secpipe_staging_events"}, pgEventColumns, pgx.CopyFromRows(s.events)); err != nil {
		return 0, err
	}
	if len(s.pairs) > 0 {
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"secpipe_staging_pairs"}, db.PairColumns, pgx.CopyFromRows(s.pairs)); err != nil {
			return 0, err
		}
	}
	tag, err := tx.Exec(ctx, "INSERT INTO events ("+pgColumnList+") SELECT "+pgColumnList+" FROM secpipe_staging_events ON CONFLICT (event_id) DO NOTHING")
	if err != nil {
		return 0, err
	}
	if len(s.pairs) > 0 {
		if _, err := tx.Exec(ctx, "INSERT INTO event_pairs ("+pgPairList+") SELECT "+pgPairList+" FROM secpipe_staging_pairs ON CONFLICT DO NOTHING"); err != nil {
			return 0, err
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return 0, err
	}
	return tag.RowsAffected(), nil
}

// Flush implements pipeline.Sink: it sends the buffered rows in one
// transaction, connecting again when the connection is lost.
func (s *Postgres) Flush(ctx context.Context) error {
	if s.err != nil || len(s.events) == 0 {
		return s.err
	}
	var added int64
	err := db.Retry(ctx, s.name, s.timeout, s.log, func(ctx context.Context) error {
		var err error
		if added, err = s.send(ctx); err != nil && s.conn != nil && db.Retryable(err) {
			s.conn.Close(context.WithoutCancel(ctx))
			s.conn = nil
		}
		return err
	}, nil)
	if err != nil {
		s.err = fmt.Errorf("%s: %w (the %d events of this transaction are not acknowledged)", s.name, err, len(s.events))
		return s.err
	}
	s.pending.Rows = int(added)
	s.dups += s.pending.Events - int(added)
	s.counts.plus(s.pending)
	s.pending = Counts{}
	s.events, s.pairs = s.events[:0], s.pairs[:0]
	return nil
}

// Close implements pipeline.Sink: what was written is sent first, unless
// the sink failed.
func (s *Postgres) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), s.timeout)
	defer cancel()
	err := s.Flush(ctx)
	if s.conn != nil {
		s.conn.Close(ctx)
		s.conn = nil
	}
	return err
}

// Counts implements Counter: Events are the events committed, Rows the
// events rows they added (an event already stored adds none).
func (s *Postgres) Counts() Counts { return s.counts }

// Duplicates returns the events committed that were stored already.
func (s *Postgres) Duplicates() int { return s.dups }
