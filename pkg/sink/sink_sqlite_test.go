package sink

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/secpipe/secpipe/pkg/attack"
	"github.com/secpipe/secpipe/pkg/db"
	"github.com/secpipe/secpipe/pkg/ecs"
	"github.com/secpipe/secpipe/pkg/pipeline"
)

// dbEvent is a classified ECS event as classify writes it.
func dbEvent(id, ts, user, cmd string, t *ecs.Threat) []byte {
	m := map[string]any{
		"@timestamp":  ts,
		"event":       map[string]any{"id": id, "action": "process_start", "kind": "event", "dataset": "windows.sysmon"},
		"host":        map[string]any{"name": "ws-01"},
		"user":        map[string]any{"name": user},
		"source":      map[string]any{"ip": "10.0.0.5"},
		"destination": map[string]any{"ip": "10.0.0.9", "port": 445},
		"process":     map[string]any{"name": "powershell.exe", "command_line": cmd},
	}
	b, err := json.Marshal(m)
	if err != nil {
		panic(err)
	}
	if t != nil {
		b = append(t.AppendFields(append(b[:len(b)-1], ','), attack.Default()), '}')
	}
	return b
}

var encodedPS = &ecs.Threat{Tactics: []string{"TA0002", "TA0005"}, Techniques: []string{"T1059.001", "T1027"}, RuleIDs: []string{"r-ps", "r-enc"}, RuleNames: []string{"Encoded PowerShell", "Obfuscated command"}, Level: "high"}

func msgs(raw ...[]byte) []pipeline.Message {
	var out []pipeline.Message
	for i, r := range raw {
		out = append(out, pipeline.Message{Value: r, Origin: pipeline.Origin{Input: "test", Line: i + 1, Offset: -1}})
	}
	return out
}

// writeAll writes ms to s, flushes and closes it, failing t on any error.
func writeAll(t *testing.T, s pipeline.Sink, ms []pipeline.Message) {
	t.Helper()
	if err := s.Write(context.Background(), ms); err != nil {
		t.Fatal(err)
	}
	if err := s.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

func storeSQLite(t *testing.T, file string, ms []pipeline.Message) *SQLite {
	t.Helper()
	s, err := OpenSQLite(context.Background(), file, attack.Default())
	if err != nil {
		t.Fatal(err)
	}
	writeAll(t, s, ms)
	return s
}

func openRead(t *testing.T, file string) *sql.DB {
	t.Helper()
	h, err := sql.Open("sqlite", "file:"+file+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	return h
}

func count(t *testing.T, h *sql.DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := h.QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

func TestSQLiteStoresRowsAndPairs(t *testing.T) {
	file := filepath.Join(t.TempDir(), "events.db")
	s := storeSQLite(t, file, msgs(
		dbEvent("e1", "2026-01-15T07:00:00Z", "alice", "powershell -enc SQBFAFgA", encodedPS),
		dbEvent("e2", "2026-01-15T07:00:01.5Z", "bob", "whoami", nil),
		[]byte(`{"message":"no id, no time"}`),
	))
	if c := s.Counts(); c.Events != 3 || c.Rows != 3 || c.Matched != 1 || s.Duplicates() != 0 {
		t.Errorf("counts %+v, duplicates %d", c, s.Duplicates())
	}
	h := openRead(t, file)
	var (
		id, ts, user, host, ip, typ, tactic, tech, rules, ruleIDs, level, kind, dataset, dip, proc, cmd, ev string
		port, tm                                                                                            int64
	)
	err := h.QueryRow(`SELECT event_id, timestamp, "user", host, source_ip, event_type, mitre_tactic, mitre_technique,
		rule_name, rule_id, level, event_kind, dataset, destination_ip, destination_port, process_name, command_line, time, event
		FROM events WHERE event_id = 'e1'`).Scan(&id, &ts, &user, &host, &ip, &typ, &tactic, &tech, &rules, &ruleIDs, &level, &kind, &dataset, &dip, &port, &proc, &cmd, &tm, &ev)
	if err != nil {
		t.Fatal(err)
	}
	got := []string{id, ts, user, host, ip, typ, tactic, tech, rules, ruleIDs, level, kind, dataset, dip, proc, cmd}
	want := []string{"e1", "2026-01-15T07:00:00Z", "alice", "ws-01", "10.0.0.5", "process_start", "TA0002", "T1059.001",
		"Encoded PowerShell;Obfuscated command", "r-ps;r-enc", "high", "event", "windows.sysmon", "10.0.0.9", "powershell.exe", "powershell -enc SQBFAFgA"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("row\n got %q\nwant %q", got, want)
	}
	if port != 445 || tm != 1768460400_000000000 {
		t.Errorf("port %d, time %d", port, tm)
	}
	if !json.Valid([]byte(ev)) || !strings.Contains(ev, `"command_line":"powershell -enc SQBFAFgA"`) {
		t.Errorf("event column %s", ev)
	}
	// The event's JSON is queryable with SQLite's JSON functions.
	if n := count(t, h, `SELECT count(*) FROM events WHERE json_extract(event, '$.host.name') = 'ws-01'`); n != 2 {
		t.Errorf("json_extract found %d events of ws-01, want 2", n)
	}
	// Two pairs (T1059.001 under TA0002, T1027 under TA0005), each with both rules.
	rows, err := h.Query(`SELECT tactic, technique, tactic_name, technique_name, rule_id, rule_name FROM event_pairs WHERE event_id = 'e1' ORDER BY tactic, rule_id`)
	if err != nil {
		t.Fatal(err)
	}
	var pairs []string
	for rows.Next() {
		var a, b, c, d, e, f string
		if err := rows.Scan(&a, &b, &c, &d, &e, &f); err != nil {
			t.Fatal(err)
		}
		pairs = append(pairs, strings.Join([]string{a, b, c, d, e, f}, ","))
	}
	wantPairs := []string{
		"TA0002,T1059.001,Execution,PowerShell,r-enc,Obfuscated command",
		"TA0002,T1059.001,Execution,PowerShell,r-ps,Encoded PowerShell",
		"TA0005,T1027,Defense Evasion,Obfuscated Files or Information,r-enc,Obfuscated command",
		"TA0005,T1027,Defense Evasion,Obfuscated Files or Information,r-ps,Encoded PowerShell",
	}
	if strings.Join(pairs, "\n") != strings.Join(wantPairs, "\n") {
		t.Errorf("pairs\n%s\nwant\n%s", strings.Join(pairs, "\n"), strings.Join(wantPairs, "\n"))
	}
	// An event without id is keyed by the hash of its JSON; without a
	// timestamp its time is NULL; an unclassified event has no pairs.
	if n := count(t, h, `SELECT count(*) FROM events WHERE event_id LIKE 'sha256:%' AND time IS NULL AND timestamp IS NULL`); n != 1 {
		t.Errorf("%d events keyed by hash without time, want 1", n)
	}
	if n := count(t, h, `SELECT count(*) FROM event_pairs WHERE event_id <> 'e1'`); n != 0 {
		t.Errorf("%d pairs of unclassified events", n)
	}
	if v := count(t, h, `SELECT version FROM secpipe_schema`); v != db.Version {
		t.Errorf("schema version %d, want %d", v, db.Version)
	}
	var mode string
	if err := h.QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal mode %q (%v), want wal", mode, err)
	}
}

func TestSQLiteRedeliveryAddsNoRow(t *testing.T) {
	file := filepath.Join(t.TempDir(), "events.db")
	batch := msgs(
		dbEvent("e1", "2026-01-15T07:00:00Z", "alice", "a", encodedPS),
		dbEvent("e2", "2026-01-15T07:00:01Z", "bob", "b", nil),
		[]byte(`{"message":"no id"}`),
	)
	storeSQLite(t, file, batch)
	// The run restarts from the last committed offset: the same events again,
	// then one new one.
	again := storeSQLite(t, file, append(batch, msgs(dbEvent("e3", "2026-01-15T07:00:02Z", "carol", "c", nil))...))
	if c := again.Counts(); c.Events != 4 || c.Rows != 1 || again.Duplicates() != 3 {
		t.Errorf("second run: counts %+v, duplicates %d; want 4 events, 1 new row, 3 already stored", c, again.Duplicates())
	}
	h := openRead(t, file)
	if n := count(t, h, `SELECT count(*) FROM events`); n != 4 {
		t.Errorf("%d event rows, want 4", n)
	}
	if n := count(t, h, `SELECT count(*) FROM event_pairs`); n != 4 {
		t.Errorf("%d pair rows, want 4 (2 pairs x 2 rules of e1)", n)
	}
}

func TestSQLiteStoresSQLVerbatim(t *testing.T) {
	file := filepath.Join(t.TempDir(), "events.db")
	hostile := []string{
		`'); DROP TABLE events; --`,
		`x' OR '1'='1`,
		`"; DELETE FROM event_pairs; --`,
		`Robert'); DROP TABLE secpipe_schema;--`,
		"tab\there, newline\nthere, nul-free ünïcødé \\ back",
	}
	var raw [][]byte
	for i, s := range hostile {
		raw = append(raw, dbEvent(s, "2026-01-15T07:00:0"+fmt.Sprint(i)+"Z", s, s, encodedPS))
	}
	storeSQLite(t, file, msgs(raw...))
	h := openRead(t, file)
	for _, s := range hostile {
		var user, cmd string
		if err := h.QueryRow(`SELECT "user", command_line FROM events WHERE event_id = ?`, s).Scan(&user, &cmd); err != nil {
			t.Errorf("event %q: %v", s, err)
			continue
		}
		if user != s || cmd != s {
			t.Errorf("stored %q, %q; want %q", user, cmd, s)
		}
	}
	if n := count(t, h, `SELECT count(*) FROM events`); n != len(hostile) {
		t.Errorf("%d rows, want %d", n, len(hostile))
	}
	if n := count(t, h, `SELECT count(*) FROM event_pairs`); n != len(hostile)*4 {
		t.Errorf("%d pair rows, want %d", n, len(hostile)*4)
	}
	if n := count(t, h, `SELECT count(*) FROM secpipe_schema`); n != 1 {
		t.Errorf("schema table has %d rows", n)
	}
}

func TestSQLiteRefusesLaterSchema(t *testing.T) {
	file := filepath.Join(t.TempDir(), "events.db")
	storeSQLite(t, file, msgs(dbEvent("e1", "2026-01-15T07:00:00Z", "alice", "a", nil)))
	h, err := sql.Open("sqlite", "file:"+file)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Exec(`UPDATE secpipe_schema SET version = 99`); err != nil {
		t.Fatal(err)
	}
	h.Close()
	_, err = OpenSQLite(context.Background(), file, attack.Default())
	if err == nil || !strings.Contains(err.Error(), "schema is version 99, written by a later secpipe") {
		t.Fatalf("opening a version 99 database: %v", err)
	}
}

// ackSource hands out its batches and checks, at each Ack, that every
// acknowledged event is in the database, read by another connection.
type ackSource struct {
	t       *testing.T
	batches [][]pipeline.Message
	next    int
	stored  func(id string) (int, error) // the rows of an event id
	acked   int
}

func (s *ackSource) Read(ctx context.Context, b *pipeline.Batch) error {
	if s.next >= len(s.batches) {
		return io.EOF
	}
	for _, m := range s.batches[s.next] {
		b.Add(m)
	}
	s.next++
	b.More = s.next < len(s.batches)
	return nil
}

func (s *ackSource) Ack(ctx context.Context, ms []pipeline.Message) error {
	for _, m := range ms {
		var id string
		if err := json.Unmarshal(m.Key, &id); err != nil {
			return err
		}
		n, err := s.stored(id)
		if err != nil {
			return err
		}
		if n != 1 {
			s.t.Errorf("event %s acknowledged before it was committed", id)
		}
		s.acked++
	}
	return nil
}

func (s *ackSource) Close() error { return nil }

func TestSQLiteAcknowledgesOnlyCommitted(t *testing.T) {
	file := filepath.Join(t.TempDir(), "events.db")
	out, err := OpenSQLite(context.Background(), file, attack.Default())
	if err != nil {
		t.Fatal(err)
	}
	check := openRead(t, file)
	src := newAckSource(t, 6, 5000, func(id string) (n int, err error) {
		err = check.QueryRow(`SELECT count(*) FROM events WHERE event_id = ?`, id).Scan(&n)
		return n, err
	})
	if err := pipeline.Run(context.Background(), src, nil, out, pipeline.DefaultPolicy); err != nil {
		t.Fatal(err)
	}
	if src.acked != 30000 {
		t.Errorf("%d events acknowledged, want 30000", src.acked)
	}
	if got := count(t, check, `SELECT count(*) FROM events`); got != 30000 {
		t.Errorf("%d rows, want 30000", got)
	}
}

// newAckSource makes batches of per distinct events, keyed by their id.
func newAckSource(t *testing.T, batches, per int, stored func(string) (int, error)) *ackSource {
	src := &ackSource{t: t, stored: stored}
	n := 0
	for b := 0; b < batches; b++ {
		var batch []pipeline.Message
		for i := 0; i < per; i++ {
			id := fmt.Sprintf("e%d", n)
			n++
			batch = append(batch, pipeline.Message{Value: dbEvent(id, "2026-01-15T07:00:00Z", "alice", "a", nil), Key: []byte(`"` + id + `"`)})
		}
		src.batches = append(src.batches, batch)
	}
	return src
}

func TestSQLiteSpec(t *testing.T) {
	dir := t.TempDir()
	for _, spec := range []string{"sqlite:" + filepath.Join(dir, "a.db"), "sqlite://" + filepath.Join(dir, "b.db")} {
		out, err := Open(context.Background(), spec, Options{Catalog: attack.Default()})
		if err != nil {
			t.Fatalf("%s: %v", spec, err)
		}
		if _, ok := out.(*SQLite); !ok {
			t.Errorf("%s opened a %T", spec, out)
		}
		out.Close()
	}
	if _, err := Open(context.Background(), "sqlite:", Options{}); err == nil || !strings.Contains(err.Error(), "want sqlite:FILE") {
		t.Errorf("sqlite: with no file: %v", err)
	}
	if _, err := Open(context.Background(), "sqlite:"+filepath.Join(dir, "no", "such", "dir.db"), Options{}); err == nil {
		t.Error("a database in a missing folder opened")
	}
}
