// Package kafka holds what secpipe's Kafka source, sink and commands share:
// the client configuration (brokers, TLS, SASL, -X passthrough to
// librdkafka), the start-offset syntax, consumer-group lag, and an in-memory
// development broker. (The header carrier for trace context is
// telemetry.HeaderCarrier: it needs no Kafka client.)
//
// The client is confluent-kafka-go (librdkafka). Secrets (the SASL password,
// -X values of sensitive properties) never appear in errors or log lines
// that pass through this package.
package kafka

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"syscall"
	"time"

	ck "github.com/confluentinc/confluent-kafka-go/v2/kafka"
)

// DefaultBrokers is used when neither --brokers nor SECPIPE_BROKERS is set.
const DefaultBrokers = "localhost:9092"

// DefaultConnectTimeout bounds how long a command waits for a first answer
// from the brokers before it fails.
const DefaultConnectTimeout = 10 * time.Second

// Prop is one librdkafka configuration property, as given with -X key=value.
type Prop struct {
	Key, Value string
}

// ParseProp reads "key=value".
func ParseProp(s string) (Prop, error) {
	k, v, ok := strings.Cut(s, "=")
	k = strings.TrimSpace(k)
	if !ok || k == "" {
		return Prop{}, fmt.Errorf("-X %q: want key=value (a librdkafka property)", redactArg(s))
	}
	return Prop{Key: k, Value: v}, nil
}

// SASL mechanisms accepted by Config.
var SASLMechanisms = []string{"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"}

// Config says how to reach and authenticate to a Kafka cluster.
type Config struct {
	// Brokers is the bootstrap list, "host:port[,host:port...]".
	Brokers string
	// Props are passed to librdkafka last, overriding everything else.
	Props []Prop
	// TLS turns on TLS; CAFile, CertFile and KeyFile are optional PEM files
	// (a CA to trust beyond the system's; a client certificate and key).
	TLS                       bool
	CAFile, CertFile, KeyFile string
	// SASLMechanism is "" (none), PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512.
	SASLMechanism string
	SASLUsername  string
	SASLPassword  string // secret
	// ConnectTimeout bounds the first contact with the brokers.
	ConnectTimeout time.Duration
	// ClientID names the client to the brokers (default "secpipe").
	ClientID string
}

// Validate checks the configuration without contacting any broker.
func (c Config) Validate() error {
	if strings.TrimSpace(c.Brokers) == "" {
		return errors.New("no brokers: set --brokers or SECPIPE_BROKERS")
	}
	if c.SASLMechanism != "" {
		ok := false
		for _, m := range SASLMechanisms {
			if strings.EqualFold(c.SASLMechanism, m) {
				ok = true
			}
		}
		if !ok {
			return fmt.Errorf("unknown SASL mechanism %q (want %s)", c.SASLMechanism, strings.Join(SASLMechanisms, ", "))
		}
		if c.SASLUsername == "" {
			return errors.New("SASL needs a user name: --sasl-username")
		}
	}
	if (c.CertFile == "") != (c.KeyFile == "") {
		return errors.New("a TLS client certificate needs both --tls-cert and --tls-key")
	}
	return nil
}

// ConfigMap returns the librdkafka configuration: connection settings, then
// defaults (a role's settings such as group.id), then the user's -X
// properties, so that -X overrides anything.
func (c Config) ConfigMap(defaults ...Prop) *ck.ConfigMap {
	m := ck.ConfigMap{
		"bootstrap.servers":    c.Brokers,
		"client.id":            "secpipe",
		"enable.metrics.push":  false,
		"log.connection.close": false,
	}
	if c.ClientID != "" {
		m["client.id"] = c.ClientID
	}
	sasl := c.SASLMechanism != ""
	switch {
	case c.TLS && sasl:
		m["security.protocol"] = "SASL_SSL"
	case c.TLS:
		m["security.protocol"] = "SSL"
	case sasl:
		m["security.protocol"] = "SASL_PLAINTEXT"
	}
	if c.CAFile != "" {
		m["ssl.ca.location"] = c.CAFile
	}
	if c.CertFile != "" {
		m["ssl.certificate.location"] = c.CertFile
		m["ssl.key.location"] = c.KeyFile
	}
	if sasl {
		m["sasl.mechanism"] = strings.ToUpper(c.SASLMechanism)
		m["sasl.username"] = c.SASLUsername
		m["sasl.password"] = c.SASLPassword
	}
	for _, p := range defaults {
		m[p.Key] = p.Value
	}
	for _, p := range c.Props {
		m[p.Key] = p.Value
	}
	for _, k := range goIntProps {
		// confluent-kafka-go takes these as ints, not as text.
		if v, ok := m[k].(string); ok {
			if n, err := strconv.Atoi(v); err == nil {
				m[k] = n
			}
		}
	}
	return &m
}

// goIntProps are confluent-kafka-go's own properties whose values are ints.
var goIntProps = []string{"go.events.channel.size", "go.produce.channel.size"}

// Prop returns the value the user gave a property with -X, if any.
func (c Config) Prop(key string) (string, bool) {
	v, ok := "", false
	for _, p := range c.Props {
		if p.Key == key {
			v, ok = p.Value, true
		}
	}
	return v, ok
}

// Redact replaces every secret of the configuration in s with "[redacted]".
func (c Config) Redact(s string) string {
	for _, secret := range c.secrets() {
		s = strings.ReplaceAll(s, secret, "[redacted]")
	}
	return s
}

// RedactErr returns err with the configuration's secrets taken out of its
// message; nil stays nil.
func (c Config) RedactErr(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	if red := c.Redact(msg); red != msg {
		return errors.New(red)
	}
	return err
}

func (c Config) secrets() []string {
	var s []string
	if len(c.SASLPassword) >= 3 { // shorter ones would blank out ordinary text
		s = append(s, c.SASLPassword)
	}
	for _, p := range c.Props {
		if Sensitive(p.Key) && len(p.Value) >= 3 {
			s = append(s, p.Value)
		}
	}
	return s
}

// Sensitive reports whether a librdkafka property holds a secret.
func Sensitive(key string) bool {
	k := strings.ToLower(key)
	return strings.Contains(k, "password") || strings.Contains(k, "secret") ||
		strings.Contains(k, "key.pem") || strings.HasPrefix(k, "sasl.oauthbearer.config") ||
		strings.Contains(k, "keystore")
}

// redactArg hides the value of a -X argument that names a sensitive property.
func redactArg(s string) string {
	if k, _, ok := strings.Cut(s, "="); ok && Sensitive(k) {
		return k + "=[redacted]"
	}
	return s
}

// Describe lists the connection settings as key=value lines, with secrets
// redacted, for --verbose output.
func (c Config) Describe() []string {
	m := c.ConfigMap()
	var out []string
	for k, v := range *m {
		s := fmt.Sprint(v)
		if Sensitive(k) {
			s = "[redacted]"
		}
		out = append(out, k+"="+s)
	}
	return out
}

// metadataClient is what the connection check needs of a librdkafka handle.
type metadataClient interface {
	GetMetadata(topic *string, allTopics bool, timeoutMs int) (*ck.Metadata, error)
}

// errNoBroker is wrapped by the error of a failed connection check.
var errNoBroker = errors.New("no Kafka broker answered")

// IsNoBroker reports whether err says that no broker could be reached.
func IsNoBroker(err error) bool { return errors.Is(err, errNoBroker) }

// Timeout is ConnectTimeout, or DefaultConnectTimeout when it is not set:
// what a first contact, and each request that takes a timeout, may wait.
func (c Config) Timeout() time.Duration {
	if c.ConnectTimeout > 0 {
		return c.ConnectTimeout
	}
	return DefaultConnectTimeout
}

// Connect waits until the brokers answer a metadata request for topic (""
// for the cluster alone), within the configured ConnectTimeout, and
// returns the topic's metadata. A topic the brokers do not know yet is no
// error here: its Error says so.
func (c Config) Connect(ctx context.Context, h metadataClient, topic string) (*ck.TopicMetadata, error) {
	timeout := c.Timeout()
	start := time.Now()
	deadline := start.Add(timeout)
	var last error
	checked := false
	for {
		left := time.Until(deadline)
		if left <= 0 {
			break
		}
		step := min(left, time.Second)
		if !checked {
			step = min(step, RefusedAfter) // then check for refusals
		}
		var tp *string
		if topic != "" {
			tp = &topic
		}
		md, err := h.GetMetadata(tp, false, int(step/time.Millisecond)+1)
		if err == nil && len(md.Brokers) > 0 {
			if topic == "" {
				return &ck.TopicMetadata{}, nil
			}
			t := md.Topics[topic]
			return &t, nil
		}
		if err != nil {
			last = err
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if !checked && time.Since(start) >= RefusedAfter {
			checked = true
			if addrs := c.bootstrap(); allRefused(addrs) {
				return nil, &noBrokerError{msg: fmt.Sprintf("%v at %s: connection refused (check --brokers or SECPIPE_BROKERS, and that the broker runs)", errNoBroker, strings.Join(addrs, ","))}
			}
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	if c.SASLMechanism != "" {
		if reason := c.saslFailure(ctx); reason != "" {
			return nil, &authError{msg: fmt.Sprintf("%v at %s as %q with %s: %s (check --sasl-username, --sasl-mechanism and SECPIPE_SASL_PASSWORD)",
				errAuth, c.Brokers, c.SASLUsername, strings.ToUpper(c.SASLMechanism), c.Redact(reason))}
		}
	}
	msg := fmt.Sprintf("%v at %s within %v (check --brokers or SECPIPE_BROKERS, and that the broker runs; --connect-timeout sets the wait)", errNoBroker, c.Brokers, timeout)
	if last != nil {
		msg += ": last error: " + c.Redact(last.Error())
	}
	return nil, &noBrokerError{msg: msg}
}

// RefusedAfter is how long Connect tries before it checks whether every
// bootstrap address refuses TCP connections, and if so fails at once.
var RefusedAfter = 500 * time.Millisecond

// bootstrap returns the bootstrap addresses, "host:port", as -X
// bootstrap.servers or Brokers give them.
func (c Config) bootstrap() []string {
	list := c.Brokers
	if v, ok := c.Prop("bootstrap.servers"); ok {
		list = v
	}
	var out []string
	for _, b := range strings.Split(list, ",") {
		b = strings.TrimSpace(b)
		if i := strings.Index(b, "://"); i >= 0 {
			b = b[i+3:]
		}
		if b == "" {
			continue
		}
		if _, _, err := net.SplitHostPort(b); err != nil {
			b = net.JoinHostPort(b, "9092")
		}
		out = append(out, b)
	}
	return out
}

// allRefused reports whether a TCP dial to each address is refused.
func allRefused(addrs []string) bool {
	if len(addrs) == 0 {
		return false
	}
	for _, a := range addrs {
		conn, err := net.DialTimeout("tcp", a, time.Second)
		if err == nil {
			conn.Close()
			return false
		}
		if !errors.Is(err, syscall.ECONNREFUSED) {
			return false
		}
	}
	return true
}

// errAuth is wrapped by the error of a connection check that failed on
// SASL authentication.
var errAuth = errors.New("SASL authentication failed")

// IsAuthFailure reports whether err says that the brokers refused the
// SASL credentials.
func IsAuthFailure(err error) bool { return errors.Is(err, errAuth) }

type authError struct{ msg string }

func (e *authError) Error() string        { return e.msg }
func (e *authError) Is(target error) bool { return target == errAuth }

// saslFailure tells why the brokers refused the SASL credentials, or ""
// when they did not. librdkafka reports a refusal only as an error event,
// which the client being checked may hand to others: a client of its own
// connects again (at once, on creation) and reads its events until the
// refusal, another failure, or 2 s.
func (c Config) saslFailure(ctx context.Context) string {
	p, err := ck.NewProducer(c.ConfigMap(Prop{Key: "log_level", Value: "0"}))
	if err != nil {
		return ""
	}
	defer p.Close()
	timeout := time.NewTimer(2 * time.Second)
	defer timeout.Stop()
	for {
		select {
		case ev := <-p.Events():
			e, ok := ev.(ck.Error)
			switch {
			case !ok || e.Code() == ck.ErrAllBrokersDown:
			case e.Code() == ck.ErrAuthentication || strings.Contains(e.String(), "SASL authentication error"):
				return e.String()
			default:
				return "" // refused, unresolved, TLS: not the credentials
			}
		case <-timeout.C:
			return ""
		case <-ctx.Done():
			return ""
		}
	}
}

type noBrokerError struct{ msg string }

func (e *noBrokerError) Error() string        { return e.msg }
func (e *noBrokerError) Is(target error) bool { return target == errNoBroker }

// UnknownTopic reports whether topic metadata says the topic does not exist.
func UnknownTopic(t *ck.TopicMetadata) bool {
	return t != nil && t.Error.Code() == ck.ErrUnknownTopicOrPart
}
