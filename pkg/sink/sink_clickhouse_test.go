package sink

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/secpipe/secpipe/pkg/attack"
	"github.com/secpipe/secpipe/pkg/db/dbtest"
	"github.com/secpipe/secpipe/pkg/pipeline"
)

func storeClickHouse(t *testing.T, spec string, ms []pipeline.Message) *ClickHouse {
	t.Helper()
	s, err := OpenClickHouse(context.Background(), spec, attack.Default(), 10*time.Second, nil)
	if err != nil {
		t.Fatal(err)
	}
	writeAll(t, s, ms)
	return s
}

func chCount(t *testing.T, conn driver.Conn, q string, args ...any) int {
	t.Helper()
	var n uint64
	if err := conn.QueryRow(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return int(n)
}

func TestClickHouseStoresRowsAndPairs(t *testing.T) {
	spec := dbtest.ClickHouse(t)
	s := storeClickHouse(t, spec, msgs(
		dbEvent("e1", "2026-01-15T07:00:00Z", "alice", "powershell -enc SQBFAFgA", encodedPS),
		dbEvent("e2", "2026-01-15T07:00:01.5Z", "bob", "whoami", nil),
		[]byte(`{"message":"no id, no time"}`),
	))
	if c := s.Counts(); c.Events != 3 || c.Rows != 3 || c.Matched != 1 {
		t.Errorf("counts %+v", c)
	}
	conn := dbtest.ClickHouseConn(t, spec)
	var id, ts, user, host, tactic, tech, rules, cmd, ev string
	var port *int64
	var tm time.Time
	var ns *int64
	err := conn.QueryRow(context.Background(), `SELECT event_id, timestamp, user, host, mitre_tactic, mitre_technique, rule_name, command_line, destination_port, time, time_ns, event
		FROM events WHERE event_id = 'e1'`).Scan(&id, &ts, &user, &host, &tactic, &tech, &rules, &cmd, &port, &tm, &ns, &ev)
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join([]string{id, ts, user, host, tactic, tech, rules, cmd}, "|")
	if got != "e1|2026-01-15T07:00:00Z|alice|ws-01|TA0002|T1059.001|Encoded PowerShell;Obfuscated command|powershell -enc SQBFAFgA" {
		t.Errorf("row %s", got)
	}
	if port == nil || *port != 445 || !tm.Equal(time.Date(2026, 1, 15, 7, 0, 0, 0, time.UTC)) || ns == nil || *ns != 1768460400_000000000 {
		t.Errorf("port %v, time %v, time_ns %v", port, tm, ns)
	}
	if !strings.Contains(ev, `"command_line":"powershell -enc SQBFAFgA"`) {
		t.Errorf("event %s", ev)
	}
	if n := chCount(t, conn, `SELECT count() FROM event_pairs FINAL WHERE event_id = 'e1'`); n != 4 {
		t.Errorf("%d pairs of e1, want 4", n)
	}
	if n := chCount(t, conn, `SELECT count() FROM events WHERE event_id LIKE 'sha256:%' AND time_ns IS NULL`); n != 1 {
		t.Errorf("%d undated events keyed by hash, want 1", n)
	}
	// Partitioned by day.
	if n := chCount(t, conn, `SELECT count() FROM system.parts WHERE database = currentDatabase() AND table = 'events' AND partition = '20260115' AND active`); n < 1 {
		t.Errorf("no part in the partition of 2026-01-15")
	}
}

func TestClickHouseRedeliveryAddsNoRow(t *testing.T) {
	spec := dbtest.ClickHouse(t)
	batch := msgs(
		dbEvent("e1", "2026-01-15T07:00:00Z", "alice", "a", encodedPS),
		dbEvent("e2", "2026-01-15T07:00:01Z", "bob", "b", nil),
		[]byte(`{"message":"no id"}`),
	)
	storeClickHouse(t, spec, batch)
	again := storeClickHouse(t, spec, append(append(batch, batch...), msgs(dbEvent("e3", "2026-01-16T07:00:02Z", "carol", "c", nil))...))
	if c := again.Counts(); c.Events != 7 || c.Rows != 1 || again.Duplicates() != 6 {
		t.Errorf("second run: counts %+v, duplicates %d; want 7 events, 1 new, 6 already stored", c, again.Duplicates())
	}
	conn := dbtest.ClickHouseConn(t, spec)
	// Without FINAL: the rows as stored, not as merged.
	if n := chCount(t, conn, `SELECT count() FROM events`); n != 4 {
		t.Errorf("%d event rows, want 4", n)
	}
}

func TestClickHouseStoresSQLVerbatim(t *testing.T) {
	spec := dbtest.ClickHouse(t)
	hostile := []string{
		`'); DROP TABLE events; --`,
		`x' OR '1'='1`,
		"back\\slash ` backtick \\' quote",
		"tab\there, newline\nthere, ünïcødé, nul \x00 byte",
	}
	var raw [][]byte
	for i, s := range hostile {
		raw = append(raw, dbEvent(s, fmt.Sprintf("2026-01-15T07:00:%02dZ", i), s, s, encodedPS))
	}
	storeClickHouse(t, spec, msgs(raw...))
	conn := dbtest.ClickHouseConn(t, spec)
	for _, s := range hostile {
		var user, cmd string
		if err := conn.QueryRow(context.Background(), `SELECT user, command_line FROM events WHERE event_id = ?`, s).Scan(&user, &cmd); err != nil {
			t.Errorf("event %q: %v", s, err)
			continue
		}
		if user != s || cmd != s {
			t.Errorf("stored %q, %q; want %q", user, cmd, s)
		}
	}
	if n := chCount(t, conn, `SELECT count() FROM events`); n != len(hostile) {
		t.Errorf("%d rows, want %d", n, len(hostile))
	}
}

func TestClickHouseUnreachableFailsWithinTimeout(t *testing.T) {
	u, err := url.Parse(dbtest.ClickHouse(t))
	if err != nil {
		t.Fatal(err)
	}
	u.Host = "127.0.0.1:1"
	u.User = url.UserPassword("default", "s3cret-pw")
	start := time.Now()
	_, err = OpenClickHouse(context.Background(), u.String(), attack.Default(), time.Second, nil)
	if err == nil || !strings.Contains(err.Error(), "unreachable for 1s") || strings.Contains(err.Error(), "s3cret-pw") {
		t.Errorf("opening an unreachable server: %v", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("took %v with a timeout of 1s", d)
	}
}

func TestClickHouseReconnectsAfterALostConnection(t *testing.T) {
	direct := dbtest.ClickHouse(t)
	u, err := url.Parse(direct)
	if err != nil {
		t.Fatal(err)
	}
	proxy := dbtest.NewProxy(t, u.Host)
	u.Host = proxy.Addr
	log := &syncWriter{}
	s, err := OpenClickHouse(context.Background(), u.String(), attack.Default(), 20*time.Second, log)
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
	proxy.Down()
	if err := s.Write(ctx, msgs(dbEvent("e2", "2026-01-15T07:00:01Z", "bob", "b", nil))); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Flush(ctx) }()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(log.String(), "retrying for up to 20s") {
		if time.Now().After(deadline) {
			t.Fatalf("no retry logged: %q", log.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	proxy.Up()
	if err := <-done; err != nil {
		t.Fatalf("flush after the network came back: %v", err)
	}
	if n := chCount(t, dbtest.ClickHouseConn(t, direct), `SELECT count() FROM events`); n != 2 {
		t.Errorf("%d rows, want 2", n)
	}
}
