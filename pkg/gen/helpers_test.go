package gen

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
)

// generate returns the output of c, one event a line.
func generate(t testing.TB, c Config) [][]byte {
	t.Helper()
	g, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	var lines [][]byte
	var buf []byte
	for {
		var ok bool
		buf, ok = g.Next(buf[:0])
		if !ok {
			return lines
		}
		lines = append(lines, bytes.Clone(buf))
	}
}

// ecsEvent holds the ECS fields the tests check.
type ecsEvent struct {
	Timestamp string `json:"@timestamp"`
	Event     struct {
		ID, Kind, Action, Outcome, Code, Dataset, Module, Provider string
		Category, Type                                             []string
	}
	Host struct {
		Name string
		IP   []string
		OS   struct{ Type string }
	}
	User    struct{ Name, Domain string }
	Process struct {
		PID              int
		Executable, Name string
		CommandLine      string `json:"command_line"`
		WorkingDirectory string `json:"working_directory"`
		PE               struct {
			OriginalFileName string `json:"original_file_name"`
		}
		Hash   struct{ SHA256 string }
		Parent struct {
			PID              int
			Executable, Name string
			CommandLine      string `json:"command_line"`
		}
	}
	Source struct {
		IP    string
		Port  int
		Bytes *int64
	}
	Destination struct {
		IP    string
		Port  int
		Bytes *int64
	}
	Network struct{ Transport, Direction string }
	DNS     struct {
		Question struct {
			Name, Type       string
			RegisteredDomain string `json:"registered_domain"`
			Subdomain        string
		}
		ResolvedIP []string `json:"resolved_ip"`
	}
	Zeek     struct{ Connection struct{ State string } }
	File     struct{ Path, Name, Extension, Directory string }
	Registry struct {
		Hive, Key, Value, Path string
		Data                   struct {
			Type    string
			Strings []string
		}
	}
	URL  struct{ Original, Path, Query string }
	HTTP struct {
		Request  struct{ Method string }
		Response struct {
			StatusCode int `json:"status_code"`
		}
	}
	UserAgent struct{ Original string } `json:"user_agent"`
	Service   struct{ Name string }
	Winlog    struct {
		Channel   string
		EventID   string `json:"event_id"`
		Logon     struct{ Type string }
		EventData map[string]string `json:"event_data"`
	}
	Related struct{ IP, User []string }
	Message string
	Truth   truthJSON

	time time.Time
	raw  []byte
}

type truthJSON struct {
	Scenario   string
	Run        int
	Techniques []string
	Tactics    []string
}

func decodeECS(t testing.TB, line []byte) *ecsEvent {
	t.Helper()
	var e ecsEvent
	if err := json.Unmarshal(line, &e); err != nil {
		t.Fatalf("invalid JSON: %v\n%s", err, line)
	}
	ts, err := time.Parse("2006-01-02T15:04:05.000Z", e.Timestamp)
	if err != nil {
		t.Fatalf("@timestamp %q: %v", e.Timestamp, err)
	}
	e.time = ts
	e.raw = line
	return &e
}

// topKeys returns the top-level keys of a JSON object in order.
func topKeys(t testing.TB, line []byte) []string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(line))
	if _, err := dec.Token(); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatal(err)
		}
	}
	return keys
}

var isBenignLine = []byte(`"truth":{"scenario":"benign"}}`)

func benign(line []byte) bool { return bytes.HasSuffix(line, isBenignLine) }
