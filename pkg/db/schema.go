// Package db is how secpipe keeps classified events in SQL databases
// (SQLite, PostgreSQL, ClickHouse): the schema, versioned and migrated on open, and the
// values of an event's rows. The sinks that write them live in package
// sink, the sources that read them back in package source.
//
// The schema (version 2):
//
//	events          one row per event, keyed by event_id
//	  event_id          the event's event.id; "sha256:" and the hash of its JSON when it has none
//	  timestamp         its @timestamp, as written
//	  user, host, source_ip, event_type
//	  mitre_tactic, mitre_technique   the event's first (tactic, technique) pair, as the lab's CSV
//	  rule_name, rule_id  the rules it matched, joined by ";"
//	  level, event_kind, dataset, destination_ip, destination_port, process_name, command_line
//	  time              the timestamp read (Unix nanoseconds in SQLite, timestamptz in PostgreSQL); NULL when it does not parse
//	  event             the event's JSON as it came (jsonb in PostgreSQL)
//	  source_country    its source.geo.country_iso_code (secpipe enrich; version 2)
//	  threat_indicator  the threat-intelligence indicators it matched, joined by ";" (version 2)
//	event_pairs     one row per event, tactic/technique pair and rule
//	  event_id, tactic, technique, tactic_name, technique_name, rule_id, rule_name
//	secpipe_schema  the schema versions applied, one row each
//
// Indexes: events(time), events(host), events("user"), events(source_ip),
// events(mitre_technique), event_pairs(technique), event_pairs(tactic).
package db

import (
	"context"
	"fmt"
	"strings"
)

// Dialect is the SQL flavour of a backend.
type Dialect int

// The dialects.
const (
	SQLite Dialect = iota
	Postgres
	ClickHouse
)

// Version is the schema version this secpipe writes.
const Version = 2

// column is one column of the events table, with its type in each dialect.
type column struct {
	name           string
	sqlite, postgr string
}

// eventColumns are the events table's columns in order: the lab's first.
var eventColumns = []column{
	{"event_id", "TEXT NOT NULL PRIMARY KEY", "text NOT NULL"},
	{"timestamp", "TEXT", "text"},
	{`"user"`, "TEXT", "text"},
	{"host", "TEXT", "text"},
	{"source_ip", "TEXT", "text"},
	{"event_type", "TEXT", "text"},
	{"mitre_tactic", "TEXT", "text"},
	{"mitre_technique", "TEXT", "text"},
	{"rule_name", "TEXT", "text"},
	{"rule_id", "TEXT", "text"},
	{"level", "TEXT", "text"},
	{"event_kind", "TEXT", "text"},
	{"dataset", "TEXT", "text"},
	{"destination_ip", "TEXT", "text"},
	{"destination_port", "INTEGER", "integer"},
	{"process_name", "TEXT", "text"},
	{"command_line", "TEXT", "text"},
	{"time", "INTEGER", "timestamptz"},
	{"event", "TEXT NOT NULL", "jsonb NOT NULL"},
}

// addedColumns are the columns each version after the first adds at the
// end of the events table: addedColumns[0] those of version 2.
var addedColumns = [][]column{
	{{"source_country", "TEXT", "text"}, {"threat_indicator", "TEXT", "text"}},
}

// EventColumns lists the events table's columns, in order, quoted as SQL
// needs them.
func EventColumns() []string {
	var out []string
	for _, c := range eventColumns {
		out = append(out, c.name)
	}
	for _, cs := range addedColumns {
		for _, c := range cs {
			out = append(out, c.name)
		}
	}
	return out
}

// PairColumns lists the event_pairs table's columns, in order.
var PairColumns = []string{"event_id", "tactic", "technique", "tactic_name", "technique_name", "rule_id", "rule_name"}

// migrations are the statements that bring a schema from version i to
// i+1, per dialect.
func migrations(d Dialect) [][]string {
	if d == ClickHouse {
		return [][]string{clickhouseSchema, clickhouseV2}
	}
	var cols []string
	for _, c := range eventColumns {
		typ := c.sqlite
		if d == Postgres {
			typ = c.postgr
		}
		cols = append(cols, c.name+" "+typ)
	}
	events := "CREATE TABLE IF NOT EXISTS events (\n  " + strings.Join(cols, ",\n  ") + "\n)"
	pairs := `CREATE TABLE IF NOT EXISTS event_pairs (
  event_id TEXT NOT NULL, tactic TEXT NOT NULL, technique TEXT NOT NULL,
  tactic_name TEXT, technique_name TEXT, rule_id TEXT NOT NULL, rule_name TEXT,
  PRIMARY KEY (event_id, tactic, technique, rule_id)
)`
	if d == Postgres {
		events = strings.Replace(events, "\n)", ",\n  PRIMARY KEY (event_id)\n)", 1)
	}
	var added [][]string
	for _, cs := range addedColumns {
		var stmts []string
		for _, c := range cs {
			typ := c.sqlite
			if d == Postgres {
				typ = c.postgr
			}
			stmts = append(stmts, "ALTER TABLE events ADD COLUMN "+c.name+" "+typ)
		}
		added = append(added, stmts)
	}
	return append([][]string{{
		events,
		pairs,
		"CREATE INDEX IF NOT EXISTS events_time ON events (time)",
		"CREATE INDEX IF NOT EXISTS events_host ON events (host)",
		`CREATE INDEX IF NOT EXISTS events_user ON events ("user")`,
		"CREATE INDEX IF NOT EXISTS events_source_ip ON events (source_ip)",
		"CREATE INDEX IF NOT EXISTS events_technique ON events (mitre_technique)",
		"CREATE INDEX IF NOT EXISTS event_pairs_technique ON event_pairs (technique)",
		"CREATE INDEX IF NOT EXISTS event_pairs_tactic ON event_pairs (tactic)",
	}}, added...)
}

// Execer runs a statement: a *sql.DB, *sql.Tx or a pgx connection's adapter.
type Execer interface {
	Exec(ctx context.Context, sql string) error
	// Version returns the schema version recorded, 0 when there is none.
	Version(ctx context.Context) (int, error)
	// SetVersion records that the schema is at version v.
	SetVersion(ctx context.Context, v int) error
}

// Migrate brings the database's schema to Version, creating it on first
// use: every statement of the versions it lacks, then the version. It
// refuses a database of a later version than this secpipe knows. Run it
// in a transaction, so that a failure leaves the schema as it was.
func Migrate(ctx context.Context, x Execer, d Dialect, name string) error {
	schemaTable := "CREATE TABLE IF NOT EXISTS secpipe_schema (version INTEGER NOT NULL)"
	if d == ClickHouse {
		schemaTable = "CREATE TABLE IF NOT EXISTS secpipe_schema (version UInt32) ENGINE = TinyLog"
	}
	if err := x.Exec(ctx, schemaTable); err != nil {
		return fmt.Errorf("%s: creating the schema table: %w", name, err)
	}
	have, err := x.Version(ctx)
	if err != nil {
		return fmt.Errorf("%s: reading the schema version: %w", name, err)
	}
	if have > Version {
		return fmt.Errorf("%s: its schema is version %d, written by a later secpipe; this one knows up to %d", name, have, Version)
	}
	steps := migrations(d)
	for v := have; v < Version; v++ {
		for _, stmt := range steps[v] {
			if err := x.Exec(ctx, stmt); err != nil {
				return fmt.Errorf("%s: migrating the schema to version %d: %w", name, v+1, err)
			}
		}
	}
	if have == Version {
		return nil
	}
	// A row per migration: the version is the highest.
	return x.SetVersion(ctx, Version)
}
