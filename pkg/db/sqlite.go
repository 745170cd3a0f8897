package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"

	_ "modernc.org/sqlite" // the "sqlite" driver, pure Go
)

// SQLitePath is the file of a sqlite: spec: sqlite:events.db,
// sqlite:/var/db/events.db or sqlite:///var/db/events.db.
func SQLitePath(spec string) (string, error) {
	p := strings.TrimPrefix(spec, "sqlite:")
	if strings.HasPrefix(p, "///") {
		p = p[2:]
	} else if strings.HasPrefix(p, "//") {
		return "", fmt.Errorf("%s: want sqlite:FILE or sqlite:///ABSOLUTE/FILE", spec)
	}
	if p == "" {
		return "", fmt.Errorf("%s: want sqlite:FILE, as in sqlite:events.db", spec)
	}
	return p, nil
}

// OpenSQLite opens the SQLite database in file, creating it unless
// reading, and brings its schema to Version. For reading, the file must
// exist and hold secpipe's tables: a file of other tables is left as it is. It is in WAL mode, so that
// readers (secpipe stats, sqlite3) read while a store writes; a writer
// waits up to 10 s for another's transaction to end.
func OpenSQLite(ctx context.Context, file string, reading bool) (*sql.DB, error) {
	if reading {
		if _, err := os.Stat(file); err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return nil, fmt.Errorf("sqlite:%s: no such database file", file)
			}
			return nil, fmt.Errorf("sqlite:%s: %w", file, err)
		}
	}
	dsn := "file:" + (&url.URL{Path: file}).EscapedPath() +
		"?_pragma=busy_timeout(10000)&_pragma=synchronous(NORMAL)&_txlock=immediate"
	if reading {
		// Pages are read through a memory map rather than copied into
		// the page cache (whose pages cost as much to allocate and free
		// as the scan).
		dsn += "&_pragma=mmap_size(68719476736)"
	} else {
		dsn += "&_pragma=journal_mode(WAL)" // kept by the file: readers need not set it
	}
	h, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("sqlite:%s: %w", file, err)
	}
	// One connection: SQLite has one writer at a time, and WAL readers
	// in other processes.
	h.SetMaxOpenConns(1)
	if reading {
		var n int
		err := h.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'secpipe_schema'").Scan(&n)
		if err == nil && n == 0 {
			err = errors.New("holds no events of secpipe store (no secpipe_schema table)")
		}
		if err != nil {
			h.Close()
			return nil, fmt.Errorf("sqlite:%s: %w", file, err)
		}
	}
	if err := migrateSQL(ctx, h, SQLite, "sqlite:"+file); err != nil {
		h.Close()
		return nil, err
	}
	return h, nil
}

// sqlExecer adapts a database/sql transaction to Migrate.
type sqlExecer struct{ tx *sql.Tx }

func (x sqlExecer) Exec(ctx context.Context, q string) error {
	_, err := x.tx.ExecContext(ctx, q)
	return err
}

func (x sqlExecer) Version(ctx context.Context) (int, error) {
	var v sql.NullInt64
	err := x.tx.QueryRowContext(ctx, "SELECT max(version) FROM secpipe_schema").Scan(&v)
	return int(v.Int64), err
}

func (x sqlExecer) SetVersion(ctx context.Context, v int) error {
	_, err := x.tx.ExecContext(ctx, "INSERT INTO secpipe_schema (version) VALUES (?)", v)
	return err
}

// migrateSQL runs Migrate in one transaction of h.
func migrateSQL(ctx context.Context, h *sql.DB, d Dialect, name string) error {
	tx, err := h.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if err := Migrate(ctx, sqlExecer{tx}, d, name); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}
