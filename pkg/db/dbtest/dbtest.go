// Package dbtest gives tests a real database server to work against: a
// fresh PostgreSQL database on the server that SECPIPE_TEST_POSTGRES names
// (scripts/db-up.sh starts one and prints the variable). Without the
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
