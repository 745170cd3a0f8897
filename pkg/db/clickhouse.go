package db

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// ClickHouse's schema: the events and event_pairs tables of the other
// backends, in ClickHouse's types, written so that ClickHouse 18.16
// (Debian's) and current ones take them: no Map, LowCardinality, DateTime64
// or TTL. Absent fields are "" (Nullable only where a number may be
// absent). Both tables are ReplacingMergeTree, partitioned by day and
// ordered by time and id: a row stored twice (a redelivery the sink's
// check did not catch, from two writers at once) is one row after the
// parts merge, and at once for SELECT ... FINAL, which stats reads with.
var clickhouseSchema = []string{
	`CREATE TABLE IF NOT EXISTS events (
  event_id String, timestamp String, user String, host String, source_ip String, event_type String,
  mitre_tactic String, mitre_technique String, rule_name String, rule_id String, level String,
  event_kind String, dataset String, destination_ip String, destination_port Nullable(Int64),
  process_name String, command_line String,
  time DateTime, time_ns Nullable(Int64), event String
) ENGINE = ReplacingMergeTree PARTITION BY toYYYYMMDD(time) ORDER BY (time, event_id)`,
	`CREATE TABLE IF NOT EXISTS event_pairs (
  event_id String, tactic String, technique String, tactic_name String, technique_name String,
  rule_id String, rule_name String, time DateTime
) ENGINE = ReplacingMergeTree PARTITION BY toYYYYMMDD(time) ORDER BY (event_id, tactic, technique, rule_id)`,
}

// clickhouseV2 adds version 2's columns (addedColumns).
var clickhouseV2 = []string{
	"ALTER TABLE events ADD COLUMN source_country String",
	"ALTER TABLE events ADD COLUMN threat_indicator String",
}

// ClickHouseEventColumns and ClickHousePairColumns are the columns an
// INSERT lists (ClickHouse 18.16 wants them listed).
var (
	ClickHouseEventColumns = []string{"event_id", "timestamp", "user", "host", "source_ip", "event_type",
		"mitre_tactic", "mitre_technique", "rule_name", "rule_id", "level", "event_kind", "dataset",
		"destination_ip", "destination_port", "process_name", "command_line", "time", "time_ns", "event",
		"source_country", "threat_indicator"}
	ClickHousePairColumns = []string{"event_id", "tactic", "technique", "tactic_name", "technique_name", "rule_id", "rule_name", "time"}
)

// OpenClickHouse connects to the server of a clickhouse://HOST:PORT/DB
// spec (native protocol), creating the database when missing, and brings
// the schema to Version. For reading, the database must hold secpipe's
// tables, and a current schema is only read. The password, unless the URL
// holds one, comes from CLICKHOUSE_PASSWORD.
func OpenClickHouse(ctx context.Context, spec string, timeout time.Duration, log io.Writer, reading bool) (driver.Conn, error) {
	name := Redact(spec)
	opt, err := clickhouse.ParseDSN(spec)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", name, strings.ReplaceAll(err.Error(), spec, name))
	}
	if opt.Auth.Password == "" {
		opt.Auth.Password = os.Getenv("CLICKHOUSE_PASSWORD")
	}
	database := opt.Auth.Database
	if database == "" {
		database = "default"
	}
	opt.Auth.Database = "default"
	opt.DialTimeout = min(timeout, 10*time.Second)
	var conn driver.Conn
	err = Retry(ctx, name, timeout, log, func(ctx context.Context) error {
		c, err := clickhouse.Open(opt)
		if err != nil {
			return err
		}
		if err := c.Ping(ctx); err != nil {
			c.Close()
			return err
		}
		conn = c
		return nil
	}, ClickHouseRetryable)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if reading {
		var n uint64
		err := conn.QueryRow(ctx, "SELECT count() FROM system.tables WHERE database = ? AND name = 'secpipe_schema'", database).Scan(&n)
		if err == nil && n == 0 {
			err = fmt.Errorf("holds no events of secpipe store (no secpipe_schema table)")
		}
		if err != nil {
			conn.Close()
			return nil, fmt.Errorf("%s: %w", name, err)
		}
	} else if err := conn.Exec(ctx, "CREATE DATABASE IF NOT EXISTS "+quoteIdent(database)); err != nil {
		conn.Close()
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	conn.Close()
	opt.Auth.Database = database
	if conn, err = clickhouse.Open(opt); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	x := chExecer{conn}
	if v, err := x.Version(ctx); reading && err == nil && v == Version {
		return conn, nil
	}
	if err := Migrate(ctx, x, ClickHouse, name); err != nil {
		conn.Close()
		return nil, err
	}
	return conn, nil
}

// quoteIdent quotes a ClickHouse identifier.
func quoteIdent(s string) string {
	return "`" + strings.ReplaceAll(strings.ReplaceAll(s, `\`, `\\`), "`", "\\`") + "`"
}

// ClickHouseRetryable reports whether an error is a lost connection rather
// than the server refusing a statement.
func ClickHouseRetryable(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) {
		return false
	}
	var ex *clickhouse.Exception
	return !errors.As(err, &ex)
}

// chExecer adapts a ClickHouse connection to Migrate.
type chExecer struct{ conn driver.Conn }

func (x chExecer) Exec(ctx context.Context, q string) error { return x.conn.Exec(ctx, q) }

// SetVersion inserts a batch: an INSERT ... VALUES sent as a statement
// waits for data on the native protocol.
func (x chExecer) SetVersion(ctx context.Context, v int) error {
	b, err := x.conn.PrepareBatch(ctx, "INSERT INTO secpipe_schema (version)")
	if err != nil {
		return err
	}
	if err := b.Append(uint32(v)); err != nil {
		b.Abort()
		return err
	}
	return b.Send()
}

func (x chExecer) Version(ctx context.Context) (int, error) {
	var v uint32
	err := x.conn.QueryRow(ctx, "SELECT max(version) FROM secpipe_schema").Scan(&v)
	return int(v), err
}
