package classify

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/secpipe/secpipe/pkg/gen"
	"github.com/secpipe/secpipe/pkg/shareddata"
	"github.com/secpipe/secpipe/pkg/sigma"
)

// winEvent is the parts of an evtx_dump event the other shapes carry.
type winEvent struct {
	Event struct {
		System struct {
			Provider struct {
				Attributes struct {
					Name string `json:"Name"`
					GUID string `json:"Guid"`
				} `json:"#attributes"`
			} `json:"Provider"`
			EventID       json.RawMessage `json:"EventID"`
			Channel       string          `json:"Channel"`
			Computer      string          `json:"Computer"`
			EventRecordID int64           `json:"EventRecordID"`
			TimeCreated   struct {
				Attributes struct {
					SystemTime string `json:"SystemTime"`
				} `json:"#attributes"`
			} `json:"TimeCreated"`
		} `json:"System"`
		EventData map[string]any            `json:"EventData"`
		UserData  map[string]map[string]any `json:"UserData"`
	} `json:"Event"`
}

// id returns the event ID, given as a number or as {"#text": N}.
func (w *winEvent) id() (int, error) {
	var n int
	if err := json.Unmarshal(w.Event.System.EventID, &n); err == nil {
		return n, nil
	}
	var x struct {
		Text int `json:"#text"`
	}
	err := json.Unmarshal(w.Event.System.EventID, &x)
	return x.Text, err
}

// data returns the named EventData and UserData values, as Winlogbeat and
// NXLog keep them: strings, nulls left out. ok is false when the event has
// unnamed Data, which each tool renders its own way.
func (w *winEvent) data() (ed, ud map[string]any, xmlName string, ok bool) {
	ed = map[string]any{}
	for k, v := range w.Event.EventData {
		if k == "Data" {
			return nil, nil, "", false
		}
		if s, isStr := v.(string); isStr && !strings.HasPrefix(k, "#") {
			ed[k] = s
		}
	}
	for name, fields := range w.Event.UserData {
		ud, xmlName = map[string]any{}, name
		for k, v := range fields {
			if s, isStr := v.(string); isStr && !strings.HasPrefix(k, "#") {
				ud[k] = s
			}
		}
	}
	return ed, ud, xmlName, true
}

// toWinlogbeat writes the event as Winlogbeat does before any ingest
// pipeline (fields documented in Winlogbeat's "winlog" and "event" field
// reference): winlog.event_id a string in 8.x, a number in 7.x.
func toWinlogbeat(w *winEvent, numericID bool) ([]byte, error) {
	id, err := w.id()
	if err != nil {
		return nil, err
	}
	ed, ud, xmlName, ok := w.data()
	if !ok {
		return nil, nil
	}
	sys := &w.Event.System
	winlog := map[string]any{
		"api":           "wineventlog",
		"channel":       sys.Channel,
		"computer_name": sys.Computer,
		"event_id":      fmt.Sprint(id),
		"provider_name": sys.Provider.Attributes.Name,
		"provider_guid": sys.Provider.Attributes.GUID,
		"record_id":     sys.EventRecordID,
	}
	if numericID {
		winlog["event_id"] = id
	}
	if len(ed) > 0 {
		winlog["event_data"] = ed
	}
	if ud != nil {
		ud["xml_name"] = xmlName
		winlog["user_data"] = ud
	}
	host, _, _ := strings.Cut(strings.ToLower(sys.Computer), ".")
	return json.Marshal(map[string]any{
		"@timestamp": sys.TimeCreated.Attributes.SystemTime,
		"event":      map[string]any{"code": fmt.Sprint(id), "kind": "event", "provider": sys.Provider.Attributes.Name},
		"host":       map[string]any{"name": host, "os": map[string]any{"type": "windows", "family": "windows"}},
		"agent":      map[string]any{"type": "winlogbeat"},
		"winlog":     winlog,
	})
}

// toNXLog writes the event as NXLog's im_msvistalog with to_json() does
// (fields documented in NXLog's im_msvistalog reference): the System
// fields renamed, EventTime in local time (UTC here), the EventData and
// UserData fields at the top level beside them.
func toNXLog(w *winEvent) ([]byte, error) {
	id, err := w.id()
	if err != nil {
		return nil, err
	}
	ed, ud, _, ok := w.data()
	if !ok {
		return nil, nil
	}
	sys := &w.Event.System
	t, err := time.Parse(time.RFC3339Nano, sys.TimeCreated.Attributes.SystemTime)
	if err != nil {
		return nil, err
	}
	out := map[string]any{
		"EventTime":        t.UTC().Format("2006-01-02 15:04:05"),
		"Hostname":         sys.Computer,
		"EventID":          id,
		"SourceName":       sys.Provider.Attributes.Name,
		"ProviderGuid":     sys.Provider.Attributes.GUID,
		"Channel":          sys.Channel,
		"RecordNumber":     sys.EventRecordID,
		"SourceModuleName": "eventlog",
		"SourceModuleType": "im_msvistalog",
	}
	for _, fields := range []map[string]any{ed, ud} {
		for k, v := range fields {
			if _, taken := out[k]; !taken {
				out[k] = v
			}
		}
	}
	return json.Marshal(out)
}

// matchAll classifies events in order with one matcher and returns, per
// event, its mapping source without the schema and the rules that tag it.
func matchAll(e *sigma.Engine, events [][]byte) (sources, tags []string) {
	m := e.NewMatcher()
	for _, ev := range events {
		r := m.Match(ev)
		src, _, _ := strings.Cut(r.Source, "/")
		var names []string
		for _, i := range r.Rules {
			names = append(names, e.Rules[i].Title)
		}
		sort.Strings(names)
		sources = append(sources, src)
		tags = append(tags, strings.Join(names, " | "))
	}
	return sources, tags
}

// The Windows sources apply to Windows events however they were shipped:
// the same real events as evtx_dump, Winlogbeat and NXLog write them land
// in the same source and are tagged with the same rules, by SigmaHQ's
// corpus and by the built-in pack.
func TestWindowsShapesTagAlike(t *testing.T) {
	corpus := corpusRules(t, ".")
	// evtx_dump-shaped JSON of real Windows event logs.
	realEvents := shareddata.Dir(t, "realdata", "evtx-to-mitre", "events")
	files, err := filepath.Glob(filepath.Join(realEvents, "*.jsonl"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no real events in %s: %v", realEvents, err)
	}
	var evtx, wlb, nx [][]byte
	skipped := 0
	for _, f := range files {
		file, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(file)
		sc.Buffer(nil, 1<<24)
		for sc.Scan() {
			var w winEvent
			if err := json.Unmarshal(sc.Bytes(), &w); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			b, err := toWinlogbeat(&w, len(evtx)%2 == 1)
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			n, err := toNXLog(&w)
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			if b == nil {
				skipped++
				continue
			}
			evtx = append(evtx, append([]byte(nil), sc.Bytes()...))
			wlb, nx = append(wlb, b), append(nx, n)
		}
		file.Close()
		if err := sc.Err(); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
	}
	t.Logf("%d events in three shapes (%d with unnamed Data left out)", len(evtx), skipped)

	for _, c := range []struct {
		name string
		cfg  Config
	}{
		{"SigmaHQ", Config{RulePaths: corpus, NoBuiltin: true}},
		{"built-in", Config{}},
	} {
		engine, _, err := Load(c.cfg)
		if err != nil {
			t.Fatal(err)
		}
		srcE, tagE := matchAll(engine, evtx)
		srcW, tagW := matchAll(engine, wlb)
		srcN, tagN := matchAll(engine, nx)
		tagged, mapped := 0, 0
		rules := map[string]bool{}
		for i := range evtx {
			if srcE[i] != "" {
				mapped++
			}
			if tagE[i] != "" {
				tagged++
				for _, r := range strings.Split(tagE[i], " | ") {
					rules[r] = true
				}
			}
			if srcW[i] != srcE[i] || tagW[i] != tagE[i] {
				t.Errorf("%s: Winlogbeat event %s\n  source %q, rules %q\n  evtx_dump's: source %q, rules %q", c.name, wlb[i], srcW[i], tagW[i], srcE[i], tagE[i])
			}
			if srcN[i] != srcE[i] || tagN[i] != tagE[i] {
				t.Errorf("%s: NXLog event %s\n  source %q, rules %q\n  evtx_dump's: source %q, rules %q", c.name, nx[i], srcN[i], tagN[i], srcE[i], tagE[i])
			}
		}
		t.Logf("%s: %d of %d events in a source, %d tagged by %d rules, in each shape", c.name, mapped, len(evtx), tagged, len(rules))
		if tagged == 0 {
			t.Errorf("%s: no event tagged: the comparison shows nothing", c.name)
		}
	}
}

// secpipe gen's Windows events are Elastic's ECS with winlog fields: they
// stay with the ECS sources, not the Winlogbeat copies of the Windows ones.
func TestGenWindowsEventsStayECS(t *testing.T) {
	g, err := gen.New(gen.Config{Seed: 3, Count: 20000})
	if err != nil {
		t.Fatal(err)
	}
	engine, _, err := Load(Config{})
	if err != nil {
		t.Fatal(err)
	}
	m := engine.NewMatcher()
	windows := 0
	var buf []byte
	for {
		var ok bool
		buf, ok = g.Next(buf[:0])
		if !ok {
			break
		}
		src := m.Match(buf).Source
		if strings.Contains(string(buf), `"winlog":`) {
			windows++
			if !strings.HasPrefix(src, "ecs-windows-") {
				t.Fatalf("gen's Windows event went to source %q: %s", src, buf)
			}
		} else if strings.Contains(src, "/") {
			t.Fatalf("gen's event went to source %q: %s", src, buf)
		}
	}
	if windows == 0 {
		t.Fatal("gen wrote no Windows events")
	}
}

// A Sysmon for Linux process creation, as Microsoft's SysmonForLinux
// documentation shows its events (the XML it writes to syslog: Channel
// Linux-Sysmon/Operational, the Windows Sysmon field names), in evtx_dump's
// shape and flat, meets a SigmaHQ linux process_creation rule.
func TestSysmonForLinuxProcessCreation(t *testing.T) {
	rule := corpusRules(t, "linux/process_creation/proc_creation_lnx_base64_decode.yml")
	data := `"RuleName":"-","UtcTime":"2021-10-15 11:12:13.145","ProcessGuid":"{d8bbc4d1-6f0d-6169-d8c6-84ddf3550000}","ProcessId":"12345","Image":"/usr/bin/base64","FileVersion":"-","Description":"-","Product":"-","Company":"-","OriginalFileName":"-","CommandLine":"base64 -d /tmp/payload.b64","CurrentDirectory":"/tmp","User":"root","LogonGuid":"{d8bbc4d1-0000-0000-0000-000000000000}","LogonId":"0","TerminalSessionId":"3","IntegrityLevel":"no level","Hashes":"-","ParentProcessGuid":"{d8bbc4d1-6e91-6169-10a2-b9e45c550000}","ParentProcessId":"12300","ParentImage":"/usr/bin/bash","ParentCommandLine":"-bash","ParentUser":"root"`
	events := []string{
		`{"Event":{"System":{"Provider":{"#attributes":{"Name":"Linux-Sysmon","Guid":"{ff032593-a8d3-4f13-b0d6-01fc615a0f97}"}},"EventID":1,"Version":5,"Level":4,"Task":1,"Opcode":0,"Keywords":"0x8000000000000000","TimeCreated":{"#attributes":{"SystemTime":"2021-10-15T11:12:13.145000000Z"}},"EventRecordID":42,"Channel":"Linux-Sysmon/Operational","Computer":"ubuntu-srv","Security":{"#attributes":{"UserId":"0"}}},"EventData":{` + data + `}}}`,
		`{"EventTime":"2021-10-15 11:12:13","Hostname":"ubuntu-srv","EventID":1,"SourceName":"Linux-Sysmon","Channel":"Linux-Sysmon/Operational",` + data + `}`,
	}
	engine, _, err := Load(Config{RulePaths: rule, NoBuiltin: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range events {
		r := engine.NewMatcher().Match([]byte(ev))
		var names []string
		for _, i := range r.Rules {
			names = append(names, engine.Rules[i].Title)
		}
		if len(names) != 1 || !strings.HasPrefix(r.Source, "linux-sysmon-1/") {
			t.Errorf("source %q, rules %q; want linux-sysmon-1 and the base64 decode rule: %s", r.Source, names, ev)
		}
	}
}
