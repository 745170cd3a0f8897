package alert

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/secpipe/secpipe/pkg/ecs"
)

// Document is an alert document as the stage writes it, decoded for
// rendering.
type Document struct {
	Timestamp string `json:"@timestamp"`
	Alert     struct {
		Kind      string            `json:"kind"`
		ID        string            `json:"id"`
		Count     int64             `json:"count"`
		FirstSeen string            `json:"first_seen"`
		LastSeen  string            `json:"last_seen"`
		Throttle  string            `json:"throttle"`
		Group     map[string]string `json:"group"`
	} `json:"alert"`
	Rule struct {
		ID    stringList `json:"id"`
		Name  stringList `json:"name"`
		Level string     `json:"level"`
	} `json:"rule"`
	Threat struct {
		Tactic struct {
			ID   stringList `json:"id"`
			Name stringList `json:"name"`
		} `json:"tactic"`
		Technique struct {
			ID           stringList `json:"id"`
			Name         stringList `json:"name"`
			Subtechnique struct {
				ID   stringList `json:"id"`
				Name stringList `json:"name"`
			} `json:"subtechnique"`
		} `json:"technique"`
		Enrichments []struct {
			Indicator struct {
				Type     string `json:"type"`
				Name     string `json:"name"`
				Provider string `json:"provider"`
			} `json:"indicator"`
		} `json:"enrichments"`
	} `json:"threat"`
	Host        struct{ Name string } `json:"host"`
	User        struct{ Name string } `json:"user"`
	Source      struct{ IP string }   `json:"source"`
	Destination struct{ IP string }   `json:"destination"`
	Message     string                `json:"message"`
	Trace       struct{ ID string }   `json:"trace"`
}

// stringList reads a string or a list of strings.
type stringList []string

func (l *stringList) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '[' {
		return json.Unmarshal(b, (*[]string)(l))
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return nil // a value of another type: not shown
	}
	*l = []string{s}
	return nil
}

// Decode reads an alert document.
func Decode(raw []byte) (*Document, error) {
	var d Document
	if err := json.Unmarshal(raw, &d); err != nil {
		return nil, fmt.Errorf("not an alert document: %w", err)
	}
	return &d, nil
}

// Title is a one-line summary: "[high] Brute Force ... (1000 events from 203.0.113.7)".
func (d *Document) Title() string {
	name := strings.Join(d.Rule.Name, ", ")
	if name == "" && len(d.Threat.Enrichments) > 0 {
		e := d.Threat.Enrichments[0].Indicator
		name = "Threat intelligence match: " + e.Name + " (" + e.Provider + ")"
	}
	if name == "" {
		name = "secpipe alert"
	}
	level := d.Rule.Level
	if level == "" {
		level = "intel"
	}
	t := "[" + level + "] " + name
	if d.Alert.Kind == "digest" {
		t += fmt.Sprintf(" — digest: %d events", d.Alert.Count)
	}
	return t
}

// Techniques lists the most specific technique IDs with names.
func (d *Document) Techniques() string {
	ids, names := d.Threat.Technique.Subtechnique.ID, d.Threat.Technique.Subtechnique.Name
	if len(ids) == 0 {
		ids, names = d.Threat.Technique.ID, d.Threat.Technique.Name
	}
	var parts []string
	for i, id := range ids {
		if i < len(names) && names[i] != "" {
			parts = append(parts, id+" "+names[i])
		} else {
			parts = append(parts, id)
		}
	}
	return strings.Join(parts, ", ")
}

// Slack renders a document as a Slack (or Mattermost, Rocket.Chat)
// incoming-webhook message with blocks: level, rule, technique, host, user,
// source, count and times, and a link to the Jaeger trace when the event
// has one and jaegerURL is set.
func Slack(raw []byte, jaegerURL string) ([]byte, error) {
	d, err := Decode(raw)
	if err != nil {
		return nil, err
	}
	field := func(name, v string) map[string]any {
		if v == "" {
			v = "—"
		}
		return map[string]any{"type": "mrkdwn", "text": "*" + name + "*\n" + slackEscape(v)}
	}
	fields := []map[string]any{
		field("Level", d.Rule.Level),
		field("Rule", strings.Join(d.Rule.Name, ", ")),
		field("Technique", d.Techniques()),
		field("Tactic", strings.Join(d.Threat.Tactic.Name, ", ")),
		field("Host", d.Host.Name),
		field("User", d.User.Name),
		field("Source", d.Source.IP),
		field("Seen", fmt.Sprintf("%d× %s … %s", d.Alert.Count, d.Alert.FirstSeen, d.Alert.LastSeen)),
	}
	blocks := []map[string]any{
		{"type": "header", "text": map[string]any{"type": "plain_text", "text": truncate(d.Title(), 150)}},
		{"type": "section", "fields": fields},
	}
	if d.Message != "" {
		blocks = append(blocks, map[string]any{"type": "section", "text": map[string]any{"type": "mrkdwn", "text": truncate(slackEscape(d.Message), 2900)}})
	}
	ctx := "alert " + d.Alert.ID
	if d.Trace.ID != "" {
		if jaegerURL != "" {
			ctx += " · <" + strings.TrimRight(jaegerURL, "/") + "/trace/" + d.Trace.ID + "|trace " + d.Trace.ID + ">"
		} else {
			ctx += " · trace " + d.Trace.ID
		}
	}
	blocks = append(blocks, map[string]any{"type": "context", "elements": []map[string]any{{"type": "mrkdwn", "text": ctx}}})
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // Slack's own escapes are in the text already
	if err := enc.Encode(map[string]any{"text": d.Title(), "blocks": blocks}); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

func slackEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	r := []rune(s)
	if len(r) > n-1 {
		r = r[:n-1]
	}
	return string(r) + "…"
}

// Severity maps a document's level to a syslog severity: critical 2
// (crit), high 3 (err), medium 4 (warning), low 5 (notice), else 6 (info).
func Severity(raw []byte) int {
	d, err := Decode(raw)
	if err != nil {
		return 5
	}
	switch d.Rule.Level {
	case "critical":
		return 2
	case "high":
		return 3
	case "medium":
		return 4
	case "low":
		return 5
	case "":
		if len(d.Threat.Enrichments) > 0 {
			return 4
		}
	}
	return 6
}

// CEF renders a document as an ArcSight Common Event Format line:
// CEF:0|secpipe|secpipe|VERSION|RULE ID|NAME|SEVERITY|EXTENSIONS, severity
// 0-10 from the level.
func CEF(raw []byte, version string) ([]byte, error) {
	d, err := Decode(raw)
	if err != nil {
		return nil, err
	}
	sig := strings.Join(d.Rule.ID, ",")
	if sig == "" {
		sig = "intel"
	}
	sev := map[string]int{"informational": 1, "low": 3, "medium": 5, "high": 8, "critical": 10}[d.Rule.Level]
	if sev == 0 {
		sev = 5
	}
	var b strings.Builder
	fmt.Fprintf(&b, "CEF:0|secpipe|secpipe|%s|%s|%s|%d|", cefHeader(version), cefHeader(sig), cefHeader(d.Title()), sev)
	ext := func(k, v string) {
		if v == "" {
			return
		}
		if b.Len() > 0 && !strings.HasSuffix(b.String(), "|") {
			b.WriteByte(' ')
		}
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(cefValue(v))
	}
	ext("rt", millis(d.Timestamp))
	ext("src", d.Source.IP)
	ext("dst", d.Destination.IP)
	ext("shost", d.Host.Name)
	ext("suser", d.User.Name)
	ext("cnt", strconv.FormatInt(d.Alert.Count, 10))
	ext("start", millis(d.Alert.FirstSeen))
	ext("end", millis(d.Alert.LastSeen))
	ext("act", d.Alert.Kind)
	if t := d.Techniques(); t != "" {
		ext("cs1Label", "mitreTechnique")
		ext("cs1", t)
	}
	if t := strings.Join(d.Threat.Tactic.ID, ","); t != "" {
		ext("cs2Label", "mitreTactic")
		ext("cs2", t)
	}
	if d.Trace.ID != "" {
		ext("cs3Label", "traceId")
		ext("cs3", d.Trace.ID)
	}
	ext("externalId", d.Alert.ID)
	ext("msg", d.Message)
	return []byte(b.String()), nil
}

func millis(ts string) string {
	t, err := time.Parse(time.RFC3339Nano, ts)
	if err != nil {
		return ""
	}
	return strconv.FormatInt(t.UnixMilli(), 10)
}

// cefHeader escapes a CEF header field: | and \.
func cefHeader(s string) string {
	return strings.NewReplacer(`\`, `\\`, "|", `\|`, "\n", " ", "\r", " ").Replace(s)
}

// cefValue escapes a CEF extension value: = and \, and line breaks.
func cefValue(s string) string {
	return strings.NewReplacer(`\`, `\\`, "=", `\=`, "\n", `\n`, "\r", `\r`).Replace(s)
}

// Levels lists the levels --min-level takes.
var Levels = ecs.Levels
