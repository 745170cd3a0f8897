package sink

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/secpipe/secpipe/pkg/pipeline"
)

// NewWebhook returns a sink that POSTs each message, rendered by
// opt.Render, as a JSON body to rawURL, with retries (5xx, 408, 429 and
// network errors) and dead-lettering (other 4xx). The URL is a secret (a
// Slack webhook's path is its key): messages name only its scheme and host.
func NewWebhook(rawURL string, opt DeliveryOptions) (pipeline.Sink, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("webhook: want an http:// or https:// URL (the URL is not shown: it may hold a secret)")
	}
	shown := u.Scheme + "://" + u.Host + "/…"
	client := &http.Client{Timeout: 30 * time.Second}
	send := func(ctx context.Context, body, _ []byte) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, rawURL, bytes.NewReader(body))
		if err != nil {
			return &deliveryError{err: fmt.Errorf("%s", redact(err.Error(), rawURL, shown))}
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("User-Agent", "secpipe")
		for k, v := range opt.Header {
			req.Header.Set(k, v)
		}
		resp, err := client.Do(req)
		if err != nil {
			if ue, ok := err.(*url.Error); ok {
				ue.URL = shown
			}
			return &deliveryError{err: fmt.Errorf("%s", redact(err.Error(), rawURL, shown)), temporary: true}
		}
		reply, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		resp.Body.Close()
		if resp.StatusCode < 300 {
			return nil
		}
		msg := strings.TrimSpace(redact(string(reply), rawURL, shown))
		err = fmt.Errorf("HTTP %s", resp.Status)
		if msg != "" {
			err = fmt.Errorf("HTTP %s: %s", resp.Status, msg)
		}
		switch {
		case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable:
			return &deliveryError{err: err, temporary: true, wait: retryAfter(resp.Header.Get("Retry-After"), time.Now())}
		case resp.StatusCode >= 500 || resp.StatusCode == http.StatusRequestTimeout:
			return &deliveryError{err: err, temporary: true}
		}
		return &deliveryError{err: err} // refused for good
	}
	return newDeliverer(shown, opt, send), nil
}

// retryAfter reads a Retry-After header: seconds, or an HTTP date.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

func init() {
	for _, scheme := range []string{"http", "https"} {
		Register(scheme, func(_ context.Context, s pipeline.Spec, opt Options) (pipeline.Sink, error) {
			return NewWebhook(s.Raw, opt.Delivery)
		})
	}
}
