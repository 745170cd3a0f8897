package telemetry

import (
	"testing"

	"go.opentelemetry.io/otel/trace"
)

const tp1 = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

func TestTraceparentRoundTrip(t *testing.T) {
	sc, ok := ParseTraceparent([]byte(tp1))
	if !ok || !sc.IsSampled() || !sc.IsRemote() || sc.TraceID().String() != "4bf92f3577b34da6a3ce929d0e0e4736" || sc.SpanID().String() != "00f067aa0ba902b7" {
		t.Fatalf("parse %s: %v %v", tp1, sc, ok)
	}
	if got := string(AppendTraceparent(nil, sc)); got != tp1 {
		t.Errorf("append: %s, want %s", got, tp1)
	}
	unsampled, _ := ParseTraceparent([]byte(tp1[:53] + "00"))
	if unsampled.IsSampled() || string(AppendTraceparent(nil, unsampled)) != tp1[:53]+"00" {
		t.Errorf("unsampled: %v", unsampled)
	}
	for _, bad := range []string{
		"",
		tp1[:54],
		tp1 + "-",      // version 00 has four fields exactly
		"ff" + tp1[2:], // version ff is invalid
		"00-00000000000000000000000000000000-00f067aa0ba902b7-01", // zero trace ID
		"00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", // zero span ID
		"00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01", // upper case
		"00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
	} {
		if sc, ok := ParseTraceparent([]byte(bad)); ok {
			t.Errorf("parsed %q as %v", bad, sc)
		}
	}
	if _, ok := ParseTraceparent([]byte("01" + tp1[2:] + "-future")); !ok {
		t.Error("a later version with more fields should parse")
	}
}

func TestFieldCutter(t *testing.T) {
	c := NewFieldCutter()
	for _, tc := range []struct {
		name, in, want string
		traced         bool
	}{
		{"first, as written", `{"traceparent":"` + tp1 + `","a":1}`, `{"a":1}`, true},
		{"only member", `{"traceparent":"` + tp1 + `"}`, `{}`, true},
		{"last", `{"a":1,"traceparent":"` + tp1 + `"}`, `{"a":1}`, true},
		{"middle", `{"a":1,"traceparent":"` + tp1 + `","b":[2]}`, `{"a":1,"b":[2]}`, true},
		{"none", `{"a":"traceparent"}`, `{"a":"traceparent"}`, false},
		{"nested is data", `{"x":{"traceparent":"` + tp1 + `"}}`, `{"x":{"traceparent":"` + tp1 + `"}}`, false},
		{"invalid is dropped", `{"a":1,"traceparent":"nonsense"}`, `{"a":1}`, false},
		{"invalid first is dropped", `{"traceparent":"` + tp1[:53] + `zz","a":1}`, `{"a":1}`, false},
		{"not a string", `{"traceparent":7,"a":1}`, `{"a":1}`, false},
	} {
		sc, out := c.Cut([]byte(tc.in))
		if string(out) != tc.want || sc.IsValid() != tc.traced {
			t.Errorf("%s: Cut(%s) = %s, %v; want %s, traced %v", tc.name, tc.in, out, sc, tc.want, tc.traced)
		}
		if tc.traced && string(AppendWithTrace(nil, sc, out)) != `{"traceparent":"`+tp1+`"`+map[bool]string{true: "", false: ","}[tc.want == "{}"]+tc.want[1:] {
			t.Errorf("%s: AppendWithTrace = %s", tc.name, AppendWithTrace(nil, sc, out))
		}
	}
}

func TestFieldCutterDoesNotAllocate(t *testing.T) {
	c := NewFieldCutter()
	first := []byte(`{"traceparent":"` + tp1 + `","a":1}`)
	none := []byte(`{"a":1,"b":"x"}`)
	buf := make([]byte, len(first))
	var sc trace.SpanContext
	if n := testing.AllocsPerRun(100, func() {
		copy(buf, first)
		sc, _ = c.Cut(buf)
		c.Cut(none)
	}); n != 0 || !sc.IsValid() {
		t.Errorf("%v allocations per event", n)
	}
}
