package db

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Redact returns a spec fit for messages: a URL's password replaced by
// "xxxxx". Passwords belong in PGPASSWORD or a passfile (~/.pgpass,
// PGPASSFILE), which libpq's rules (and so pgx) read.
func Redact(spec string) string {
	u, err := url.Parse(spec)
	if err != nil || u.User == nil {
		if i := strings.Index(spec, "password="); i >= 0 {
			return spec[:i] + "password=xxxxx"
		}
		return spec
	}
	if q := u.Query(); q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.Redacted()
}

// PostgresConfig parses a postgres:// spec as libpq does: user, host,
// port, database and parameters from the URL, the rest (a password above
// all) from PG* variables and the passfile.
func PostgresConfig(spec string) (*pgx.ConnConfig, error) {
	cfg, err := pgx.ParseConfig(spec)
	if err != nil {
		// pgx's messages may quote the spec: name it redacted instead.
		var pe *pgconn.ParseConfigError
		if errors.As(err, &pe) {
			return nil, fmt.Errorf("%s: %s", Redact(spec), strings.ReplaceAll(pe.Error(), spec, Redact(spec)))
		}
		return nil, fmt.Errorf("%s: cannot parse it", Redact(spec))
	}
	return cfg, nil
}

// Retryable reports whether a PostgreSQL error is a lost or refused
// connection, worth connecting again for, rather than the server refusing
// the statement.
func Retryable(err error) bool {
	if err == nil {
		return false
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		// Class 08: connection exception; 57P01-57P03: the server shuts down or starts.
		return strings.HasPrefix(pe.Code, "08") || pe.Code == "57P01" || pe.Code == "57P02" || pe.Code == "57P03"
	}
	return !errors.Is(err, context.Canceled)
}

// Retry calls f until it succeeds, an error is not retryable (nil:
// Retryable, PostgreSQL's), ctx ends, or timeout has passed since the first
// failure, waiting between tries (100 ms, doubling, at most 5 s). It tells
// log, once, that it retries.
func Retry(ctx context.Context, name string, timeout time.Duration, log io.Writer, f func(context.Context) error, retryable func(error) bool) error {
	if retryable == nil {
		retryable = Retryable
	}
	err := f(ctx)
	if err == nil || !retryable(err) {
		return err
	}
	deadline := time.Now().Add(timeout)
	if log != nil {
		fmt.Fprintf(log, "%s: %v; retrying for up to %v\n", name, err, timeout)
	}
	wait := 100 * time.Millisecond
	for {
		left := time.Until(deadline)
		if left <= 0 {
			return fmt.Errorf("unreachable for %v (--timeout): %w", timeout, err)
		}
		t := time.NewTimer(min(wait, left))
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("%w (after: %v)", ctx.Err(), err)
		case <-t.C:
		}
		wait = min(2*wait, 5*time.Second)
		if err = f(ctx); err == nil || !retryable(err) {
			return err
		}
	}
}

// Connect connects to the server of cfg, retrying as Retry does, each try
// bounded by what is left of timeout.
func Connect(ctx context.Context, name string, cfg *pgx.ConnConfig, timeout time.Duration, log io.Writer) (*pgx.Conn, error) {
	var conn *pgx.Conn
	err := Retry(ctx, name, timeout, log, func(ctx context.Context) error {
		c, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		var err error
		conn, err = pgx.ConnectConfig(c, cfg)
		return err
	}, nil)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return conn, nil
}

// pgExecer adapts a pgx transaction to Migrate.
type pgExecer struct{ tx pgx.Tx }

func (x pgExecer) Exec(ctx context.Context, q string) error {
	_, err := x.tx.Exec(ctx, q)
	return err
}

func (x pgExecer) Version(ctx context.Context) (int, error) {
	var v *int
	err := x.tx.QueryRow(ctx, "SELECT max(version) FROM secpipe_schema").Scan(&v)
	if v == nil {
		return 0, err
	}
	return *v, err
}

func (x pgExecer) SetVersion(ctx context.Context, v int) error {
	_, err := x.tx.Exec(ctx, "INSERT INTO secpipe_schema (version) VALUES ($1)", v)
	return err
}

// migrateLock is the advisory lock that keeps two secpipes from migrating
// one database at once.
const migrateLock = 0x5ec919e

// MigratePostgres brings the database's schema to Version, in one
// transaction, under an advisory lock.
func MigratePostgres(ctx context.Context, conn *pgx.Conn, name string) error {
	tx, err := conn.Begin(ctx)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", migrateLock); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if err := Migrate(ctx, pgExecer{tx}, Postgres, name); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

// ReadyPostgres makes a database ready for reading its events: it must
// hold secpipe's tables (stored by a postgres:// sink); an older schema is
// migrated (which takes the rights store has), a current one only read,
// so that a reader needs no more than SELECT.
func ReadyPostgres(ctx context.Context, conn *pgx.Conn, name string) error {
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT to_regclass('secpipe_schema') IS NOT NULL").Scan(&exists); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if !exists {
		return fmt.Errorf("%s: holds no events of secpipe store (no secpipe_schema table)", name)
	}
	var v *int
	if err := conn.QueryRow(ctx, "SELECT max(version) FROM secpipe_schema").Scan(&v); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if v != nil && *v == Version {
		return nil
	}
	return MigratePostgres(ctx, conn, name)
}

// pgText is s as PostgreSQL text holds it: a NUL, which text cannot hold,
// becomes U+FFFD.
func pgText(s string) string {
	if strings.IndexByte(s, 0) < 0 {
		return s
	}
	return strings.ReplaceAll(s, "\x00", "\uFFFD")
}

// pgJSON is a copy of the JSON raw as jsonb takes it: an escaped NUL
// (\u0000), which jsonb refuses, becomes \ufffd.
func pgJSON(raw []byte) []byte {
	out := bytes.Clone(raw)
	for i := 0; ; {
		j := bytes.Index(out[i:], []byte(`\u0000`))
		if j < 0 {
			return out
		}
		j += i
		// An escape only if an even number of backslashes precede it.
		k := j
		for k > 0 && out[k-1] == '\\' {
			k--
		}
		if (j-k)%2 == 0 {
			copy(out[j+2:], "fffd")
		}
		i = j + 6
	}
}
