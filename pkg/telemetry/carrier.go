package telemetry

import "github.com/secpipe/secpipe/pkg/pipeline"

// HeaderCarrier lets trace context cross Kafka in message headers: it
// adapts a message's headers to OpenTelemetry's TextMapCarrier (Get, Set,
// Keys), so a propagator can inject into and extract from them. It works on
// pipeline.Header values, so tracing needs no Kafka client.
type HeaderCarrier struct {
	headers *[]pipeline.Header
}

// NewHeaderCarrier returns a carrier over the headers h points to.
func NewHeaderCarrier(h *[]pipeline.Header) HeaderCarrier { return HeaderCarrier{headers: h} }

// Get returns the value of the last header named key, or "".
func (c HeaderCarrier) Get(key string) string {
	h := *c.headers
	for i := len(h) - 1; i >= 0; i-- {
		if h[i].Key == key {
			return string(h[i].Value)
		}
	}
	return ""
}

// Set replaces the headers named key by one with value.
func (c HeaderCarrier) Set(key, value string) {
	h := (*c.headers)[:0:0]
	for _, x := range *c.headers {
		if x.Key != key {
			h = append(h, x)
		}
	}
	*c.headers = append(h, pipeline.Header{Key: key, Value: []byte(value)})
}

// Keys returns the header names, each once, in order.
func (c HeaderCarrier) Keys() []string {
	var keys []string
	seen := map[string]bool{}
	for _, x := range *c.headers {
		if !seen[x.Key] {
			seen[x.Key] = true
			keys = append(keys, x.Key)
		}
	}
	return keys
}
