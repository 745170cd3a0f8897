package telemetry

import (
	"strings"
	"testing"

	"github.com/secpipe/secpipe/pkg/pipeline"
)

func TestHeaderCarrier(t *testing.T) {
	h := []pipeline.Header{{Key: "a", Value: []byte("1")}, {Key: "traceparent", Value: []byte("old")}, {Key: "a", Value: []byte("2")}}
	c := NewHeaderCarrier(&h)
	if c.Get("a") != "2" || c.Get("none") != "" {
		t.Errorf("Get: %q %q", c.Get("a"), c.Get("none"))
	}
	c.Set("traceparent", "00-abc-def-01")
	if c.Get("traceparent") != "00-abc-def-01" || len(h) != 3 {
		t.Errorf("Set: %v", h)
	}
	if keys := c.Keys(); strings.Join(keys, ",") != "a,traceparent" {
		t.Errorf("Keys: %v", keys)
	}
}
