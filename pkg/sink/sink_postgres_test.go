package sink

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/secpipe/secpipe/pkg/attack"
	"github.com/secpipe/secpipe/pkg/db"
	"github.com/secpipe/secpipe/pkg/db/dbtest"
	"github.com/secpipe/secpipe/pkg/pipeline"
)

func storePostgres(t *testing.T, spec string, ms []pipeline.Message) *Postgres {
	t.Helper()
	s, err := OpenPostgres(context.Background(), spec, attack.Default(), 10*time.Second, nil)
	if err != nil {
		t.Fatal(err)
	}
	writeAll(t, s, ms)
	return s
}

func pgCount(t *testing.T, conn *pgx.Conn, q string, args ...any) int {
	t.Helper()
	var n int
	if err := conn.QueryRow(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

func TestPostgresStoresRowsAndPairs(t *testing.T) {
	spec := dbtest.Postgres(t)
	s := storePostgres(t, spec, msgs(
		dbEvent("e1", "2026-01-15T07:00:00Z", "alice", "powershell -enc SQBFAFgA", encodedPS),
		dbEvent("e2", "2026-01-15T07:00:01.5Z", "bob", "whoami", nil),
		[]byte(`{"message":"no id, no time"}`),
	))
	if c := s.Counts(); c.Events != 3 || c.Rows != 3 || c.Matched != 1 || s.Duplicates() != 0 {
		t.Errorf("counts %+v, duplicates %d", c, s.Duplicates())
	}
	conn := dbtest.Conn(t, spec)
	var (
		id, ts, user, host, ip, typ, tactic, tech, rules, ruleIDs, level, kind, dataset, dip, proc, cmd, hostName string
		port                                                                                                      int64
		tm                                                                                                        time.Time
	)
	err := conn.QueryRow(context.Background(), `SELECT event_id, timestamp, "user", host, source_ip, event_type, mitre_tactic, mitre_technique,
		rule_name, rule_id, level, event_kind, dataset, destination_ip, destination_port, process_name, command_line, time, event->'host'->>'name'
		FROM events WHERE event_id = 'e1'`).Scan(&id, &ts, &user, &host, &ip, &typ, &tactic, &tech, &rules, &ruleIDs, &level, &kind, &dataset, &dip, &port, &proc, &cmd, &tm, &hostName)
	if err != nil {
		t.Fatal(err)
	}
	got := []string{id, ts, user, host, ip, typ, tactic, tech, rules, ruleIDs, level, kind, dataset, dip, proc, cmd, hostName}
	want := []string{"e1", "2026-01-15T07:00:00Z", "alice", "ws-01", "10.0.0.5", "process_start", "TA0002", "T1059.001",
		"Encoded PowerShell;Obfuscated command", "r-ps;r-enc", "high", "event", "windows.sysmon", "10.0.0.9", "powershell.exe", "powershell -enc SQBFAFgA", "ws-01"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("row\n got %q\nwant %q", got, want)
	}
	if port != 445 || !tm.Equal(time.Date(2026, 1, 15, 7, 0, 0, 0, time.UTC)) {
		t.Errorf("port %d, time %v", port, tm)
	}
	// The event is jsonb: its fields are queryable.
	if n := pgCount(t, conn, `SELECT count(*) FROM events WHERE event @> '{"process":{"name":"powershell.exe"}}'`); n != 2 {
		t.Errorf("jsonb containment found %d events, want 2", n)
	}
	if n := pgCount(t, conn, `SELECT count(*) FROM event_pairs WHERE event_id = 'e1'`); n != 4 {
		t.Errorf("%d pairs of e1, want 4 (2 pairs x 2 rules)", n)
	}
	if n := pgCount(t, conn, `SELECT count(*) FROM event_pairs WHERE event_id = 'e1' AND tactic = 'TA0005' AND technique = 'T1027' AND technique_name = 'Obfuscated Files or Information' AND rule_id = 'r-enc'`); n != 1 {
		t.Errorf("the (TA0005, T1027, r-enc) pair of e1: %d rows", n)
	}
	if n := pgCount(t, conn, `SELECT count(*) FROM events WHERE event_id LIKE 'sha256:%' AND time IS NULL`); n != 1 {
		t.Errorf("%d events keyed by hash without time, want 1", n)
	}
	if v := pgCount(t, conn, `SELECT version FROM secpipe_schema`); v != db.Version {
		t.Errorf("schema version %d", v)
	}
	for _, idx := range []string{"events_time", "events_host", "events_user", "events_source_ip", "events_technique", "event_pairs_technique"} {
		if n := pgCount(t, conn, `SELECT count(*) FROM pg_indexes WHERE indexname = $1`, idx); n != 1 {
			t.Errorf("index %s: %d", idx, n)
		}
	}
}

func TestPostgresRedeliveryAddsNoRow(t *testing.T) {
	spec := dbtest.Postgres(t)
	batch := msgs(
		dbEvent("e1", "2026-01-15T07:00:00Z", "alice", "a", encodedPS),
		dbEvent("e2", "2026-01-15T07:00:01Z", "bob", "b", nil),
		[]byte(`{"message":"no id"}`),
	)
	storePostgres(t, spec, batch)
	// Redelivered, and within one transaction twice: still one row each.
	again := storePostgres(t, spec, append(append(batch, batch...), msgs(dbEvent("e3", "2026-01-15T07:00:02Z", "carol", "c", nil))...))
	if c := again.Counts(); c.Events != 7 || c.Rows != 1 || again.Duplicates() != 6 {
		t.Errorf("second run: counts %+v, duplicates %d; want 7 events, 1 new row, 6 already stored", c, again.Duplicates())
	}
	conn := dbtest.Conn(t, spec)
	if n := pgCount(t, conn, `SELECT count(*) FROM events`); n != 4 {
		t.Errorf("%d event rows, want 4", n)
	}
	if n := pgCount(t, conn, `SELECT count(*) FROM event_pairs`); n != 4 {
		t.Errorf("%d pair rows, want 4", n)
	}
}

func TestPostgresStoresSQLVerbatim(t *testing.T) {
	spec := dbtest.Postgres(t)
	hostile := []string{
		`'); DROP TABLE events; --`,
		`x' OR '1'='1`,
		`$1; DELETE FROM event_pairs; --`,
		`Robert'); DROP TABLE secpipe_schema;--`,
		"tab\there, newline\nthere, ünïcødé \\ back \\u0000 literal",
		`E'\\x00' $$ dollar $$`,
	}
	var raw [][]byte
	for i, s := range hostile {
		raw = append(raw, dbEvent(s, fmt.Sprintf("2026-01-15T07:00:%02dZ", i), s, s, encodedPS))
	}
	storePostgres(t, spec, msgs(raw...))
	conn := dbtest.Conn(t, spec)
	for _, s := range hostile {
		var user, cmd, jsonUser string
		if err := conn.QueryRow(context.Background(), `SELECT "user", command_line, event->'user'->>'name' FROM events WHERE event_id = $1`, s).Scan(&user, &cmd, &jsonUser); err != nil {
			t.Errorf("event %q: %v", s, err)
			continue
		}
		if user != s || cmd != s || jsonUser != s {
			t.Errorf("stored %q, %q, %q; want %q", user, cmd, jsonUser, s)
		}
	}
	if n := pgCount(t, conn, `SELECT count(*) FROM events`); n != len(hostile) {
		t.Errorf("%d rows, want %d", n, len(hostile))
	}
	// A NUL, which PostgreSQL text and jsonb cannot hold, is stored as U+FFFD.
	storePostgres(t, spec, msgs([]byte(`{"event":{"id":"nul"},"user":{"name":"a\u0000b"},"message":"\\u0000 stays"}`)))
	var user, msg string
	if err := conn.QueryRow(context.Background(), `SELECT "user", event->>'message' FROM events WHERE event_id = 'nul'`).Scan(&user, &msg); err != nil {
		t.Fatal(err)
	}
	if user != "a\uFFFDb" || msg != `\u0000 stays` {
		t.Errorf("NUL stored as %q, escaped backslash as %q", user, msg)
	}
}

func TestPostgresAcknowledgesOnlyCommitted(t *testing.T) {
	spec := dbtest.Postgres(t)
	out, err := OpenPostgres(context.Background(), spec, attack.Default(), 10*time.Second, nil)
	if err != nil {
		t.Fatal(err)
	}
	conn := dbtest.Conn(t, spec)
	src := newAckSource(t, 6, 5000, func(id string) (n int, err error) {
		err = conn.QueryRow(context.Background(), `SELECT count(*) FROM events WHERE event_id = $1`, id).Scan(&n)
		return n, err
	})
	if err := pipeline.Run(context.Background(), src, nil, out, pipeline.DefaultPolicy); err != nil {
		t.Fatal(err)
	}
	if src.acked != 30000 || pgCount(t, conn, `SELECT count(*) FROM events`) != 30000 {
		t.Errorf("%d acknowledged, %d stored; want 30000", src.acked, pgCount(t, conn, `SELECT count(*) FROM events`))
	}
}

// viaProxy is spec with its host and port replaced by the proxy's.
func viaProxy(t *testing.T, spec string) (string, *dbtest.Proxy) {
	u, err := url.Parse(spec)
	if err != nil {
		t.Fatal(err)
	}
	p := dbtest.NewProxy(t, u.Host)
	u.Host = p.Addr
	return u.String(), p
}

func TestPostgresReconnectsAfterALostConnection(t *testing.T) {
	direct := dbtest.Postgres(t)
	spec, proxy := viaProxy(t, direct)
	log := &syncWriter{}
	s, err := OpenPostgres(context.Background(), spec, attack.Default(), 20*time.Second, log)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	if err := s.Write(ctx, msgs(dbEvent("e1", "2026-01-15T07:00:00Z", "alice", "a", nil))); err != nil {
		t.Fatal(err)
	}
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	proxy.Down() // the network fails between two transactions
	if err := s.Write(ctx, msgs(dbEvent("e2", "2026-01-15T07:00:01Z", "bob", "b", nil))); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Flush(ctx) }()
	// The flush retries; once it has said so, the network comes back.
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(log.String(), "retrying for up to 20s") {
		if time.Now().After(deadline) {
			t.Fatalf("no retry logged: %q", log.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	select {
	case err := <-done:
		t.Fatalf("flush returned %v while the server was unreachable", err)
	default:
	}
	proxy.Up()
	if err := <-done; err != nil {
		t.Fatalf("flush after the network came back: %v", err)
	}
	conn := dbtest.Conn(t, direct)
	if n := pgCount(t, conn, `SELECT count(*) FROM events`); n != 2 {
		t.Errorf("%d rows, want 2", n)
	}
}

func TestPostgresUnreachableFailsWithinTimeout(t *testing.T) {
	direct := dbtest.Postgres(t)
	spec, proxy := viaProxy(t, direct)
	// The password is in the URL: it must never be printed.
	u, _ := url.Parse(spec)
	u.User = url.UserPassword("postgres", "s3cret-pw")
	spec = u.String()

	out, err := OpenPostgres(context.Background(), spec, attack.Default(), 2*time.Second, nil)
	if err != nil {
		t.Fatal(err)
	}
	conn := dbtest.Conn(t, direct)
	src := newAckSource(t, 8, 3000, func(id string) (n int, err error) {
		err = conn.QueryRow(context.Background(), `SELECT count(*) FROM events WHERE event_id = $1`, id).Scan(&n)
		return n, err
	})
	// The network goes once the first batches are acknowledged, for good.
	inner := src.stored
	src.stored = func(id string) (int, error) {
		n, err := inner(id)
		if src.acked == 5000 {
			proxy.Down()
		}
		return n, err
	}
	start := time.Now()
	err = pipeline.Run(context.Background(), src, nil, out, pipeline.DefaultPolicy)
	took := time.Since(start)
	if err == nil {
		t.Fatal("the run succeeded with the server unreachable")
	}
	msg := err.Error()
	if !strings.Contains(msg, "unreachable for 2s (--timeout)") || !strings.Contains(msg, "not acknowledged") || !strings.Contains(msg, "127.0.0.1:") {
		t.Errorf("error: %s", msg)
	}
	if strings.Contains(msg, "s3cret-pw") {
		t.Errorf("the password is printed: %s", msg)
	}
	if took > 15*time.Second {
		t.Errorf("failing took %v with --timeout 2s", took)
	}
	stored := pgCount(t, conn, `SELECT count(*) FROM events`)
	if src.acked == 0 || src.acked > stored {
		t.Errorf("%d events acknowledged, %d stored: want some acknowledged, none not stored", src.acked, stored)
	}

	// A server that never answers: opening fails within the timeout.
	proxy.Down()
	start = time.Now()
	_, err = OpenPostgres(context.Background(), spec, attack.Default(), time.Second, nil)
	if err == nil || !strings.Contains(err.Error(), "unreachable for 1s") || strings.Contains(err.Error(), "s3cret-pw") {
		t.Errorf("opening an unreachable server: %v", err)
	}
	if time.Since(start) > 10*time.Second {
		t.Errorf("opening took %v with a timeout of 1s", time.Since(start))
	}
}

// syncWriter is a buffer written and read by two goroutines.
type syncWriter struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (w *syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *syncWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://secpipe:pw@127.0.0.1/soc":               "postgres://secpipe:xxxxx@127.0.0.1/soc",
		"postgres://secpipe@127.0.0.1/soc?password=pw":      "postgres://secpipe@127.0.0.1/soc?password=xxxxx",
		"postgres://127.0.0.1/soc":                          "postgres://127.0.0.1/soc",
		"host=127.0.0.1 user=secpipe password=pw dbname=db": "host=127.0.0.1 user=secpipe password=xxxxx",
	} {
		if got := db.Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
}
