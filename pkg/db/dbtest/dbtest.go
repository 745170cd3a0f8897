// Package dbtest gives tests a real database server to work against: a
// fresh PostgreSQL database on the server that SECPIPE_TEST_POSTGRES names,
// a ClickHouse one on SECPIPE_TEST_CLICKHOUSE's (scripts/db-up.sh starts
// them and prints the variables). Without the
// variable a test fails in CI (CI=true) and is skipped, loudly, elsewhere.
package dbtest

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/jackc/pgx/v5"
)

// PostgresVar names the server the tests use.
const PostgresVar = "SECPIPE_TEST_POSTGRES"

var seq atomic.Int64

// Postgres creates a database for t on the test server, dropped when t
// ends, and returns its URL.
func Postgres(t testing.TB) string {
	t.Helper()
	admin := os.Getenv(PostgresVar)
	if admin == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not set: CI must start PostgreSQL (eval \"$(scripts/db-up.sh)\")", PostgresVar)
		}
		t.Skipf("SKIPPED: no PostgreSQL: %s is not set; run eval \"$(scripts/db-up.sh)\" (make db-up) to test against a real server", PostgresVar)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatalf("%s: %v", PostgresVar, err)
	}
	defer conn.Close(ctx)
	name := fmt.Sprintf("secpipe_test_%d_%d", os.Getpid(), seq.Add(1))
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("creating database %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if c, err := pgx.Connect(ctx, admin); err == nil {
			c.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
			c.Close(ctx)
		}
	})
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}

// Conn connects to the database of spec for a test's queries.
func Conn(t testing.TB, spec string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// ClickHouseVar names the ClickHouse server the tests use (native protocol).
const ClickHouseVar = "SECPIPE_TEST_CLICKHOUSE"

// ClickHouse returns the URL of a database for t on the test server (the
// sink creates it), dropped when t ends.
func ClickHouse(t testing.TB) string {
	t.Helper()
	server := os.Getenv(ClickHouseVar)
	if server == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not set: CI must start ClickHouse (eval \"$(scripts/db-up.sh)\")", ClickHouseVar)
		}
		t.Skipf("SKIPPED: no ClickHouse: %s is not set; run eval \"$(scripts/db-up.sh)\" (make db-up) with clickhouse-server installed", ClickHouseVar)
	}
	u, err := url.Parse(server)
	if err != nil {
		t.Fatal(err)
	}
	name := fmt.Sprintf("secpipe_test_%d_%d", os.Getpid(), seq.Add(1))
	u.Path = "/" + name
	t.Cleanup(func() {
		opt, err := clickhouse.ParseDSN(server)
		if err != nil {
			return
		}
		if conn, err := clickhouse.Open(opt); err == nil {
			conn.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name)
			conn.Close()
		}
	})
	return u.String()
}

// ClickHouseConn connects to the database of spec for a test's queries.
func ClickHouseConn(t testing.TB, spec string) driver.Conn {
	t.Helper()
	opt, err := clickhouse.ParseDSN(spec)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := clickhouse.Open(opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}
