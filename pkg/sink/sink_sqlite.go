package sink

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/secpipe/secpipe/pkg/attack"
	"github.com/secpipe/secpipe/pkg/db"
	"github.com/secpipe/secpipe/pkg/pipeline"
	"github.com/secpipe/secpipe/pkg/store"
)

// txRows is the most events one SQLite transaction holds: a flush commits
// sooner.
const txRows = 10000

// SQLite stores events in a SQLite database, in the schema of package db:
// one row per event, keyed by its id, so that an event delivered again
// (at-least-once) is not stored twice, and its tactic/technique pairs.
// Writes go into a transaction that Flush commits (or that commits on its
// own at txRows events): the pipeline acknowledges the input only after
// Flush, so an acknowledged event is in the database.
type SQLite struct {
	name string
	h    *sql.DB
	tx   *sql.Tx
	// Statements of the open transaction.
	insEvent, insPair *sql.Stmt
	inTx              int

	rows *store.Rows
	rec  store.Record
	vals []any

	counts, pending Counts // committed, in the open transaction
	dups, pendDups  int    // events already stored, committed and pending
	err             error  // a failed transaction: final
}

// OpenSQLite opens (creating it if need be) the database in file.
func OpenSQLite(ctx context.Context, file string, cat *attack.Catalog) (*SQLite, error) {
	h, err := db.OpenSQLite(ctx, file, false)
	if err != nil {
		return nil, err
	}
	return &SQLite{name: "sqlite:" + file, h: h, rows: store.NewRows(cat)}, nil
}

var (
	sqliteInsertEvent = "INSERT INTO events (" + strings.Join(db.EventColumns(), ", ") + ") VALUES (" +
		placeholders(len(db.EventColumns())) + ") ON CONFLICT (event_id) DO NOTHING"
	sqliteInsertPair = "INSERT INTO event_pairs (" + strings.Join(db.PairColumns, ", ") + ") VALUES (" +
		placeholders(len(db.PairColumns)) + ") ON CONFLICT DO NOTHING"
)

func placeholders(n int) string { return strings.TrimSuffix(strings.Repeat("?, ", n), ", ") }

func (s *SQLite) begin(ctx context.Context) error {
	tx, err := s.h.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	s.tx = tx
	if s.insEvent, err = tx.PrepareContext(ctx, sqliteInsertEvent); err != nil {
		return err
	}
	s.insPair, err = tx.PrepareContext(ctx, sqliteInsertPair)
	return err
}

// fail rolls the open transaction back and makes err final.
func (s *SQLite) fail(err error) error {
	if s.tx != nil {
		s.tx.Rollback()
		s.tx = nil
	}
	s.pending, s.pendDups, s.inTx = Counts{}, 0, 0
	s.err = fmt.Errorf("%s: %w (nothing of this transaction is stored or acknowledged)", s.name, err)
	return s.err
}

// Write implements pipeline.Sink: the events join the open transaction.
func (s *SQLite) Write(ctx context.Context, msgs []pipeline.Message) error {
	if s.err != nil {
		return s.err
	}
	for i := range msgs {
		if s.tx == nil {
			if err := s.begin(ctx); err != nil {
				return s.fail(err)
			}
		}
		raw := msgs[i].Value
		s.rows.Record(raw, &s.rec)
		id := db.EventID(&s.rec, raw)
		s.vals = db.EventValues(s.vals[:0], db.SQLite, &s.rec, id, raw)
		res, err := s.insEvent.ExecContext(ctx, s.vals...)
		if err != nil {
			return s.fail(fmt.Errorf("storing event %s (%s): %w", id, msgs[i].Origin, err))
		}
		if n, _ := res.RowsAffected(); n == 1 {
			s.pending.add(1, s.rec.Matched)
		} else {
			s.pending.add(0, s.rec.Matched)
			s.pendDups++
		}
		// Pairs go in for a stored event too: rows of one event read from
		// store's CSV come one pair at a time.
		err = db.EachPair(db.SQLite, &s.rec, id, func(vals ...any) error {
			_, err := s.insPair.ExecContext(ctx, vals...)
			return err
		})
		if err != nil {
			return s.fail(fmt.Errorf("storing the pairs of event %s: %w", id, err))
		}
		if s.inTx++; s.inTx >= txRows {
			if err := s.commit(); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *SQLite) commit() error {
	if s.tx == nil {
		return s.err
	}
	err := s.tx.Commit()
	s.tx = nil
	if err != nil {
		return s.fail(fmt.Errorf("committing: %w", err))
	}
	s.counts.plus(s.pending)
	s.dups += s.pendDups
	s.pending, s.pendDups, s.inTx = Counts{}, 0, 0
	return nil
}

// Flush implements pipeline.Sink: it commits the open transaction.
func (s *SQLite) Flush(context.Context) error { return s.commit() }

// Close implements pipeline.Sink: what was written is committed, unless a
// transaction failed.
func (s *SQLite) Close() error {
	var err error
	if s.err == nil {
		err = s.commit()
	} else if s.tx != nil {
		s.tx.Rollback()
	}
	if cerr := s.h.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("%s: %w", s.name, cerr)
	}
	return err
}

// Counts implements Counter: Events are the events committed, Rows the
// events rows they added (an event already stored adds none).
func (s *SQLite) Counts() Counts { return s.counts }

// Duplicates returns the events committed that were stored already (same
// event id), which added no row.
func (s *SQLite) Duplicates() int { return s.dups }
