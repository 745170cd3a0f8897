package db

import (
	"bufio"
	"compress/gzip"
	"context"
	"database/sql"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/klauspost/compress/zstd"
)

// Archive is where pruned events go before they are deleted: a JSON Lines
// file, zstd- or gzip-compressed by its extension (.zst, .gz), appended to
// (a compressed file gets a new frame or member, which readers join).
type Archive struct {
	path string
	f    *os.File
	buf  *bufio.Writer
	enc  io.WriteCloser // the compressor, if any
	w    io.Writer
	n    int64
}

// CreateArchive opens path for appending pruned events.
func CreateArchive(path string) (*Archive, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	a := &Archive{path: path, f: f, buf: bufio.NewWriterSize(f, 1<<20)}
	a.w = a.buf
	switch strings.ToLower(filepath.Ext(path)) {
	case ".zst", ".zstd":
		enc, err := zstd.NewWriter(a.buf)
		if err != nil {
			f.Close()
			return nil, err
		}
		a.enc, a.w = enc, enc
	case ".gz":
		enc := gzip.NewWriter(a.buf)
		a.enc, a.w = enc, enc
	}
	return a, nil
}

// add writes one event, a line.
func (a *Archive) add(ev []byte) error {
	if _, err := a.w.Write(ev); err != nil {
		return err
	}
	a.n++
	_, err := a.w.Write([]byte{'\n'})
	return err
}

// Close finishes the archive and syncs it to disk: after it returns nil,
// what it holds survives a crash.
func (a *Archive) Close() error {
	var err error
	if a.enc != nil {
		err = a.enc.Close()
	}
	if ferr := a.buf.Flush(); err == nil {
		err = ferr
	}
	if serr := a.f.Sync(); err == nil {
		err = serr
	}
	if cerr := a.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("archive %s: %w", a.path, err)
	}
	return nil
}

// Prune deletes the events of the database of spec whose time is before
// cutoff, and their pairs; events without a time are kept. With an
// archive, the deleted events are written to it first, and the deletion
// is committed only once the archive is closed and on disk (ClickHouse
// drops whole days: the partitions whose every event is older). It
// returns the events deleted.
func Prune(ctx context.Context, spec string, cutoff time.Time, archive *Archive, timeout time.Duration, log io.Writer) (int64, error) {
	finish := func() error {
		if archive == nil {
			return nil
		}
		return archive.Close()
	}
	switch {
	case strings.HasPrefix(spec, "sqlite:"):
		file, err := SQLitePath(spec)
		if err != nil {
			return 0, err
		}
		h, err := OpenSQLite(ctx, file, true)
		if err != nil {
			return 0, err
		}
		defer h.Close()
		return pruneSQLite(ctx, h, cutoff, archive, finish)
	case strings.HasPrefix(spec, "postgres://"), strings.HasPrefix(spec, "postgresql://"):
		cfg, err := PostgresConfig(spec)
		if err != nil {
			return 0, err
		}
		name := Redact(spec)
		conn, err := Connect(ctx, name, cfg, timeout, log)
		if err != nil {
			return 0, err
		}
		defer conn.Close(context.WithoutCancel(ctx))
		if err := ReadyPostgres(ctx, conn, name); err != nil {
			return 0, err
		}
		n, err := prunePostgres(ctx, conn, cutoff, archive, finish)
		if err != nil {
			return 0, fmt.Errorf("%s: %w", name, err)
		}
		return n, nil
	case strings.HasPrefix(spec, "clickhouse://"):
		return pruneClickHouse(ctx, spec, cutoff, archive, finish, timeout, log)
	}
	return 0, fmt.Errorf("%s: not a database (sqlite:FILE, postgres://..., clickhouse://...)", Redact(spec))
}

func pruneSQLite(ctx context.Context, h *sql.DB, cutoff time.Time, archive *Archive, finish func() error) (int64, error) {
	tx, err := h.BeginTx(ctx, nil) // _txlock=immediate: no writer in between
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	at := cutoff.UnixNano()
	if archive != nil {
		rows, err := tx.QueryContext(ctx, "SELECT event FROM events WHERE time < ? ORDER BY time", at)
		if err != nil {
			return 0, err
		}
		for rows.Next() {
			var ev sql.RawBytes
			if err := rows.Scan(&ev); err != nil {
				rows.Close()
				return 0, err
			}
			if err := archive.add(ev); err != nil {
				rows.Close()
				return 0, fmt.Errorf("archive %s: %w", archive.path, err)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return 0, err
		}
	}
	if _, err := tx.ExecContext(ctx, "DELETE FROM event_pairs WHERE event_id IN (SELECT event_id FROM events WHERE time < ?)", at); err != nil {
		return 0, err
	}
	res, err := tx.ExecContext(ctx, "DELETE FROM events WHERE time < ?", at)
	if err != nil {
		return 0, err
	}
	n, _ := res.RowsAffected()
	if archive != nil && archive.n != n {
		return 0, fmt.Errorf("archived %d events but would delete %d: nothing deleted", archive.n, n)
	}
	if err := finish(); err != nil {
		return 0, err // rolled back: nothing deleted
	}
	return n, tx.Commit()
}

func prunePostgres(ctx context.Context, conn *pgx.Conn, cutoff time.Time, archive *Archive, finish func() error) (int64, error) {
	tx, err := conn.Begin(ctx)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if _, err := tx.Exec(ctx, "DELETE FROM event_pairs WHERE event_id IN (SELECT event_id FROM events WHERE time < $1)", cutoff); err != nil {
		return 0, err
	}
	// What is deleted is what is archived: the rows DELETE returns.
	rows, err := tx.Query(ctx, "DELETE FROM events WHERE time < $1 RETURNING event::text", cutoff)
	if err != nil {
		return 0, err
	}
	var n int64
	for rows.Next() {
		n++
		if archive != nil {
			if err := archive.add(rows.RawValues()[0]); err != nil {
				rows.Close()
				return 0, fmt.Errorf("archive %s: %w", archive.path, err)
			}
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	if err := finish(); err != nil {
		return 0, err
	}
	return n, tx.Commit(ctx)
}

func pruneClickHouse(ctx context.Context, spec string, cutoff time.Time, archive *Archive, finish func() error, timeout time.Duration, log io.Writer) (int64, error) {
	name := Redact(spec)
	conn, err := OpenClickHouse(ctx, spec, timeout, log, true)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	// Whole days only: the partitions whose newest event is older than the
	// cutoff. 19700101 holds the undated events, kept as elsewhere.
	rows, err := conn.Query(ctx, `SELECT toString(toYYYYMMDD(time)) AS day FROM events
		GROUP BY day HAVING max(time) < ? AND day != '19700101' ORDER BY day`, cutoff)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", name, err)
	}
	var parts []string
	for rows.Next() {
		var p string
		if err := rows.Scan(&p); err != nil {
			rows.Close()
			return 0, fmt.Errorf("%s: %w", name, err)
		}
		if strings.Trim(p, "0123456789") != "" {
			rows.Close()
			return 0, fmt.Errorf("%s: unexpected partition %q", name, p)
		}
		parts = append(parts, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("%s: %w", name, err)
	}
	var n int64
	for _, p := range parts {
		var k uint64
		if err := conn.QueryRow(ctx, "SELECT count() FROM events FINAL WHERE toString(toYYYYMMDD(time)) = ?", p).Scan(&k); err != nil {
			return 0, fmt.Errorf("%s: %w", name, err)
		}
		n += int64(k)
		if archive == nil {
			continue
		}
		evs, err := conn.Query(ctx, "SELECT event FROM events FINAL WHERE toString(toYYYYMMDD(time)) = ? ORDER BY time", p)
		if err != nil {
			return 0, fmt.Errorf("%s: %w", name, err)
		}
		var ev string
		for evs.Next() {
			if err := evs.Scan(&ev); err != nil {
				evs.Close()
				return 0, fmt.Errorf("%s: %w", name, err)
			}
			if err := archive.add([]byte(ev)); err != nil {
				evs.Close()
				return 0, fmt.Errorf("archive %s: %w", archive.path, err)
			}
		}
		evs.Close()
		if err := evs.Err(); err != nil {
			return 0, fmt.Errorf("%s: %w", name, err)
		}
	}
	if err := finish(); err != nil {
		return 0, err
	}
	for _, p := range parts {
		for _, table := range []string{"events", "event_pairs"} {
			if err := conn.Exec(ctx, "ALTER TABLE "+table+" DROP PARTITION "+p); err != nil {
				return n, fmt.Errorf("%s: dropping partition %s of %s: %w", name, p, table, err)
			}
		}
	}
	return n, nil
}
