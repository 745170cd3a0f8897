package cli

import (
	"context"
	"database/sql"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/secpipe/secpipe/pkg/db/dbtest"
)

// classifiedRun is what gen and classify give for a seed, as a user pipes it.
func classifiedRun(t *testing.T, count, seed string) string {
	t.Helper()
	code, events, stderr := runSecpipe(t, "", "gen", "--count", count, "--seed", seed)
	if code != 0 {
		t.Fatalf("gen: %s", stderr)
	}
	code, classified, stderr := runSecpipe(t, events, "classify")
	if code != 0 {
		t.Fatalf("classify: %s", stderr)
	}
	return classified
}

// statsOf runs secpipe stats on input with args and returns its stdout,
// and the chart it drew (SVG).
func statsOf(t *testing.T, input string, args ...string) (string, string) {
	t.Helper()
	chart := filepath.Join(t.TempDir(), "chart.svg")
	code, stdout, stderr := runSecpipe(t, "", append([]string{"stats", input, "--chart", chart}, args...)...)
	if code != 0 {
		t.Fatalf("stats %s %v: exit %d: %s", input, args, code, stderr)
	}
	svg, err := os.ReadFile(chart)
	if err != nil {
		t.Fatal(err)
	}
	return stdout, string(svg)
}

// withoutRows drops the report's input row count: store's CSV has a row per
// tactic/technique pair, a database one per event.
func withoutRows(t *testing.T, report string) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(report), &m); err != nil {
		t.Fatalf("%v: %s", err, report)
	}
	delete(m, "rows")
	b, _ := json.Marshal(m)
	return string(b)
}

func TestStatsFromSQLiteEqualsStatsFromCSV(t *testing.T) {
	statsFromDBEqualsStatsFromCSV(t, "sqlite:"+filepath.Join(t.TempDir(), "events.db"))
}

func TestStatsFromPostgresEqualsStatsFromCSV(t *testing.T) {
	statsFromDBEqualsStatsFromCSV(t, dbtest.Postgres(t))
}

func TestStatsFromClickHouseEqualsStatsFromCSV(t *testing.T) {
	statsFromDBEqualsStatsFromCSV(t, dbtest.ClickHouse(t))
}

func statsFromDBEqualsStatsFromCSV(t *testing.T, dbSpec string) {
	csvFile := filepath.Join(t.TempDir(), "tactics.csv")
	classified := classifiedRun(t, "20000", "11")
	for _, out := range []string{csvFile, dbSpec} {
		if code, _, stderr := runSecpipe(t, classified, "store", out); code != 0 {
			t.Fatalf("store %s: %s", out, stderr)
		}
	}
	for _, args := range [][]string{
		nil,
		{"--bucket", "15m", "--top", "3"},
		{"--from", "2026-01-01T00:10:00Z", "--to", "2026-01-01T00:25:30Z"},
	} {
		csvText, csvChart := statsOf(t, csvFile, args...)
		dbText, dbChart := statsOf(t, dbSpec, args...)
		if csvText != dbText {
			t.Errorf("stats %v: from CSV\n%s\nfrom %s\n%s", args, csvText, dbSpec, dbText)
		}
		if csvChart != dbChart {
			t.Errorf("stats %v: the charts differ", args)
		}
		csvJSON, _ := statsOf(t, csvFile, append(args, "--format", "json")...)
		dbJSON, _ := statsOf(t, dbSpec, append(args, "--format", "json")...)
		if withoutRows(t, csvJSON) != withoutRows(t, dbJSON) {
			t.Errorf("stats %v --format json: from CSV\n%s\nfrom %s\n%s", args, csvJSON, dbSpec, dbJSON)
		}
		if !strings.Contains(csvJSON, `"total"`) || strings.Contains(csvJSON, `"total": 0,`) {
			t.Errorf("stats %v: an empty report: %s", args, csvJSON)
		}
	}
}

func TestStatsFromToKeepsTheRange(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { statsFromTo(t, "sqlite:"+filepath.Join(t.TempDir(), "events.db")) })
	t.Run("postgres", func(t *testing.T) { statsFromTo(t, dbtest.Postgres(t)) })
	t.Run("clickhouse", func(t *testing.T) { statsFromTo(t, dbtest.ClickHouse(t)) })
}

func statsFromTo(t *testing.T, dbSpec string) {
	in := classifiedEvent("e1", "2026-01-15T07:00:00Z", bruteForce) +
		classifiedEvent("e2", "2026-01-15T07:10:00Z", nil) +
		classifiedEvent("e3", "2026-01-15T07:20:00Z", bruteForce) +
		classifiedEvent("e4", "2026-01-15T08:00:00Z", bruteForce) +
		`{"event":{"id":"e5"},"message":"no timestamp"}` + "\n"
	csvFile := storedCSV(t, in)
	if code, _, stderr := runSecpipe(t, in, "store", dbSpec); code != 0 {
		t.Fatal(stderr)
	}
	for _, input := range []string{csvFile, dbSpec} {
		// The clock of runSecpipe is 2026-01-15T08:00:00Z: -50m is 07:10.
		for _, c := range []struct {
			args  []string
			total float64
		}{
			{nil, 5},
			{[]string{"--from", "2026-01-15T07:10:00Z"}, 3},
			{[]string{"--to", "2026-01-15T07:20:00Z"}, 2},
			{[]string{"--from", "-50m", "--to", "2026-01-15T08:00:00Z"}, 2},
			{[]string{"--from", "2026-01-16"}, 0},
		} {
			code, stdout, stderr := runSecpipe(t, "", append([]string{"stats", input, "--format", "json"}, c.args...)...)
			var rep struct{ Total float64 }
			if code != 0 || json.Unmarshal([]byte(stdout), &rep) != nil {
				t.Fatalf("stats %s %v: exit %d: %s", input, c.args, code, stderr)
			}
			if rep.Total != c.total {
				t.Errorf("stats %s %v: %v events, want %v", input, c.args, rep.Total, c.total)
			}
		}
	}
	for _, bad := range [][]string{{"--from", "yesterday"}, {"--from", "2026-01-15T08:00:00Z", "--to", "2026-01-15T07:00:00Z"}} {
		code, _, stderr := runSecpipe(t, "", append([]string{"stats", csvFile}, bad...)...)
		if code != 2 || !strings.Contains(stderr, "--") {
			t.Errorf("stats %v: exit %d, %s", bad, code, stderr)
		}
	}
}

func TestStorePostgresSummaryHidesThePassword(t *testing.T) {
	spec := dbtest.Postgres(t)
	u, err := url.Parse(spec)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword(u.User.Username(), "s3cret-pw") // trust auth: any password is taken
	withPassword := u.String()
	in := classifiedEvent("e1", "2026-01-15T07:00:00Z", bruteForce) + classifiedEvent("e2", "2026-01-15T07:00:01Z", nil)
	code, _, stderr := runSecpipe(t, in, "store", withPassword)
	if code != 0 || strings.Contains(stderr, "s3cret-pw") || !strings.Contains(stderr, ":xxxxx@") || !strings.Contains(stderr, ": 2 new, 0 already stored") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
	// An unreachable server: exit 1 within --timeout, the password not shown.
	u.Host = "127.0.0.1:1"
	start := time.Now()
	code, _, stderr = runSecpipe(t, in, "store", "--timeout", "1s", u.String())
	if code != 1 || !strings.Contains(stderr, "unreachable for 1s (--timeout)") || strings.Contains(stderr, "s3cret-pw") {
		t.Errorf("unreachable server: exit %d, stderr %q", code, stderr)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("took %v with --timeout 1s", d)
	}
}

func TestStoreSQLiteSummaryAndMissingDatabase(t *testing.T) {
	spec := "sqlite:" + filepath.Join(t.TempDir(), "events.db")
	in := classifiedEvent("e1", "2026-01-15T07:00:00Z", bruteForce) + classifiedEvent("e2", "2026-01-15T07:00:01Z", nil)
	for run, want := range []string{"2 new, 0 already stored", "0 new, 2 already stored"} {
		code, stdout, stderr := runSecpipe(t, in, "store", spec)
		if code != 0 || stdout != "" || stderr != "secpipe store: 2 events (1 matched) → "+spec+": "+want+"\n" {
			t.Errorf("run %d: exit %d, stdout %q, stderr %q", run, code, stdout, stderr)
		}
	}
	missing := "sqlite:" + filepath.Join(t.TempDir(), "nothing.db")
	code, _, stderr := runSecpipe(t, "", "stats", missing)
	if code != 1 || !strings.Contains(stderr, "nothing.db: no such database file") {
		t.Errorf("stats on a missing database: exit %d, %s", code, stderr)
	}
}

func TestStatsLeavesOtherDatabasesAlone(t *testing.T) {
	file := filepath.Join(t.TempDir(), "other.db")
	h, err := sql.Open("sqlite", "file:"+file)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Exec("CREATE TABLE notes (x TEXT)"); err != nil {
		t.Fatal(err)
	}
	h.Close()
	code, _, stderr := runSecpipe(t, "", "stats", "sqlite:"+file)
	if code != 1 || !strings.Contains(stderr, "holds no events of secpipe store") {
		t.Errorf("stats on another SQLite database: exit %d, %s", code, stderr)
	}
	h, _ = sql.Open("sqlite", "file:"+file)
	defer h.Close()
	var tables int
	var mode string
	h.QueryRow("SELECT count(*) FROM sqlite_master WHERE type = 'table'").Scan(&tables)
	h.QueryRow("PRAGMA journal_mode").Scan(&mode)
	if tables != 1 || mode != "delete" {
		t.Errorf("the database was changed: %d tables, journal mode %s", tables, mode)
	}

	pg := dbtest.Postgres(t)
	code, _, stderr = runSecpipe(t, "", "stats", pg)
	if code != 1 || !strings.Contains(stderr, "holds no events of secpipe store") {
		t.Errorf("stats on an empty PostgreSQL database: exit %d, %s", code, stderr)
	}
	conn := dbtest.Conn(t, pg)
	var n int
	conn.QueryRow(context.Background(), "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").Scan(&n)
	if n != 0 {
		t.Errorf("stats created %d tables", n)
	}
}

// Commands other than stats read a database's events whole, as stored.
func TestDatabaseEventsReadWhole(t *testing.T) {
	for name, spec := range map[string]func(*testing.T) string{
		"sqlite":     func(t *testing.T) string { return "sqlite:" + filepath.Join(t.TempDir(), "events.db") },
		"postgres":   func(t *testing.T) string { return dbtest.Postgres(t) },
		"clickhouse": func(t *testing.T) string { return dbtest.ClickHouse(t) },
	} {
		t.Run(name, func(t *testing.T) {
			db := spec(t)
			in := classifiedEvent("e1", "2026-01-15T07:00:00Z", bruteForce) + classifiedEvent("e2", "2026-01-15T07:00:01Z", nil)
			if code, _, stderr := runSecpipe(t, in, "store", db); code != 0 {
				t.Fatal(stderr)
			}
			code, stdout, stderr := runSecpipe(t, "", "classify", db)
			if code != 0 {
				t.Fatalf("classify %s: exit %d: %s", db, code, stderr)
			}
			lines := strings.Split(strings.TrimSpace(stdout), "\n")
			if len(lines) != 2 {
				t.Fatalf("classify %s: %d events: %s", db, len(lines), stdout)
			}
			for _, l := range lines {
				var ev struct {
					Source struct{ IP string } `json:"source"`
					Host   struct{ Name string }
				}
				if err := json.Unmarshal([]byte(l), &ev); err != nil || ev.Source.IP != "203.0.113.7" || ev.Host.Name != "web-01" {
					t.Errorf("event read back: %s (%v)", l, err)
				}
			}
		})
	}
}
