package classify

import (
	"crypto/sha1"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/secpipe/secpipe/pkg/pipeline"
	"github.com/secpipe/secpipe/pkg/sigma"
)

// alert renders a correlation match as an ECS alert event:
//
//	{"@timestamp": <time of the event that set it off>,
//	 "event": {"id", "kind": "alert", "category": ["intrusion_detection"], "type": ["indicator"], "start", "end"},
//	 "message": "Brute force: 12 events with IpAddress=203.0.113.7 within 1m",
//	 <each group-by value at its event path, e.g. "source": {"ip": ...}>,
//	 "sigma": {"correlation": {"type", "timespan", "value", "group_by": {...}, "trigger": <event id>}},
//	 "threat": {...}, "rule": {...}}
//
// The id is derived from the rule, the group and the time, so that a rerun
// gives the same alerts.
func (s *Stage) alert(out *pipeline.Batch, a sigma.Alert, trigger string) []byte {
	r := s.engine.Rules[a.Rule]
	groupBy := map[string]string{}
	var parts []string
	doc := map[string]any{}
	for _, g := range a.Group {
		groupBy[g.Field] = g.Value
		parts = append(parts, g.Field+"="+g.Value)
		setPath(doc, g.Path, g.Value)
	}
	what := map[string]string{
		"event_count": "events", "value_count": "distinct values", "value_sum": "in sum",
		"value_avg": "on average", "value_percentile": "percent", "temporal": "rules",
		"temporal_ordered": "rules in order",
	}[a.Type]
	msg := fmt.Sprintf("%s: %s %s", r.Title, trimFloat(a.Value), what)
	if len(parts) > 0 {
		msg += " with " + strings.Join(parts, ", ")
	}
	msg += " within " + a.Timespan
	end := a.End.UTC().Format("2006-01-02T15:04:05.000Z")
	sum := sha1.Sum([]byte(ruleID(r) + "\x00" + strings.Join(parts, "\x00") + "\x00" + end))
	id := fmt.Sprintf("%x-%x-5%x-%x-%x", sum[0:4], sum[4:6], sum[6:8][1:], sum[8:10], sum[10:16])
	doc["@timestamp"] = end
	doc["event"] = map[string]any{
		"id": id, "kind": "alert", "category": []string{"intrusion_detection"}, "type": []string{"indicator"},
		"start": a.Start.UTC().Format("2006-01-02T15:04:05.000Z"), "end": end,
	}
	doc["message"] = msg
	corr := map[string]any{"type": a.Type, "timespan": a.Timespan, "value": a.Value, "group_by": groupBy}
	if trigger != "" {
		corr["trigger"] = trigger
	}
	doc["sigma"] = map[string]any{"correlation": corr}
	b, _ := json.Marshal(doc)
	frag := s.fragment([]int{a.Rule})
	buf := out.Alloc(len(b) + len(frag) + 1)[:0]
	buf = append(buf, b[:len(b)-1]...)
	buf = append(buf, ',')
	buf = append(buf, frag...)
	return append(buf, '}')
}

// setPath sets a dotted path in nested maps.
func setPath(doc map[string]any, path, value string) {
	parts := strings.Split(path, ".")
	for _, p := range parts[:len(parts)-1] {
		next, ok := doc[p].(map[string]any)
		if !ok {
			next = map[string]any{}
			doc[p] = next
		}
		doc = next
	}
	doc[parts[len(parts)-1]] = value
}

func ruleID(r *sigma.Rule) string {
	if r.ID != "" {
		return r.ID
	}
	return r.Title
}

func trimFloat(f float64) string {
	if f == float64(int64(f)) {
		return fmt.Sprint(int64(f))
	}
	return fmt.Sprintf("%.2f", f)
}
