package db

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/secpipe/secpipe/pkg/db/dbtest"
)

// v1Row is an event row as version 1 of the schema holds it.
const v1Row = `INSERT INTO events (event_id, timestamp, host, event) VALUES ('old', '2026-01-01T00:00:00Z', 'web-1', '{"event":{"id":"old"}}')`

// TestMigrateSQLiteFromVersion1: a database a version-1 secpipe wrote
// gets version 2's columns on open, and keeps its rows.
func TestMigrateSQLiteFromVersion1(t *testing.T) {
	ctx := context.Background()
	file := filepath.Join(t.TempDir(), "events.db")
	h, err := sql.Open("sqlite", file)
	if err != nil {
		t.Fatal(err)
	}
	stmts := append([]string{"CREATE TABLE secpipe_schema (version INTEGER NOT NULL)", "INSERT INTO secpipe_schema VALUES (1)"},
		migrations(SQLite)[0]...)
	for _, s := range append(stmts, v1Row) {
		if _, err := h.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	h.Close()

	h, err = OpenSQLite(ctx, file, false)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	var v int
	var host string
	var country, ind sql.NullString
	if err := h.QueryRow("SELECT max(version) FROM secpipe_schema").Scan(&v); err != nil || v != Version {
		t.Fatalf("version %d (%v), want %d", v, err, Version)
	}
	if err := h.QueryRow("SELECT host, source_country, threat_indicator FROM events WHERE event_id = 'old'").Scan(&host, &country, &ind); err != nil {
		t.Fatal(err)
	}
	if host != "web-1" || country.Valid || ind.Valid {
		t.Errorf("old row after migration: host %q, country %v, indicator %v", host, country, ind)
	}
	// Opening again migrates nothing more.
	h.Close()
	if h, err = OpenSQLite(ctx, file, true); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := h.QueryRow("SELECT count(*) FROM secpipe_schema").Scan(&n); err != nil || n != 2 {
		t.Errorf("%d schema rows (%v), want 2: one per version", n, err)
	}
}

// TestMigratePostgresFromVersion1 is the same on a PostgreSQL server.
func TestMigratePostgresFromVersion1(t *testing.T) {
	ctx := context.Background()
	spec := dbtest.Postgres(t)
	conn := dbtest.Conn(t, spec)
	stmts := append([]string{"CREATE TABLE secpipe_schema (version INTEGER NOT NULL)", "INSERT INTO secpipe_schema VALUES (1)"},
		migrations(Postgres)[0]...)
	for _, s := range append(stmts, v1Row) {
		if _, err := conn.Exec(ctx, s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	if err := ReadyPostgres(ctx, conn, "test"); err != nil {
		t.Fatal(err)
	}
	var v int
	var host string
	var country, ind *string
	if err := conn.QueryRow(ctx, "SELECT max(version) FROM secpipe_schema").Scan(&v); err != nil || v != Version {
		t.Fatalf("version %d (%v), want %d", v, err, Version)
	}
	row := conn.QueryRow(ctx, "SELECT host, source_country, threat_indicator FROM events WHERE event_id = 'old'")
	if err := row.Scan(&host, &country, &ind); err != nil {
		t.Fatal(err)
	}
	if host != "web-1" || country != nil || ind != nil {
		t.Errorf("old row after migration: host %q, country %v, indicator %v", host, country, ind)
	}
}
