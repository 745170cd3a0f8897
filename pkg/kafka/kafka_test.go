package kafka

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	ck "github.com/confluentinc/confluent-kafka-go/v2/kafka"
	"github.com/twmb/franz-go/pkg/kfake"
)

func TestConfigMap(t *testing.T) {
	c := Config{Brokers: "b:9092", TLS: true, CAFile: "ca.pem", SASLMechanism: "scram-sha-512", SASLUsername: "u", SASLPassword: "pw-secret",
		Props: []Prop{{Key: "linger.ms", Value: "1"}, {Key: "group.id", Value: "user"}}}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	m := *c.ConfigMap(Prop{Key: "group.id", Value: "default"}, Prop{Key: "linger.ms", Value: "5"})
	want := map[string]any{
		"bootstrap.servers": "b:9092", "security.protocol": "SASL_SSL", "ssl.ca.location": "ca.pem",
		"sasl.mechanism": "SCRAM-SHA-512", "sasl.username": "u", "sasl.password": "pw-secret",
		"linger.ms": "1", "group.id": "user", "enable.metrics.push": false,
	}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("%s = %v, want %v", k, m[k], v)
		}
	}
	for _, bad := range []Config{{}, {Brokers: "b", SASLMechanism: "GSSAPI", SASLUsername: "u"}, {Brokers: "b", SASLMechanism: "PLAIN"}, {Brokers: "b", CertFile: "c"}} {
		if bad.Validate() == nil {
			t.Errorf("%+v: no error", bad)
		}
	}
	if got := (Config{Brokers: "b", TLS: true}).ConfigMap(); (*got)["security.protocol"] != "SSL" {
		t.Errorf("TLS alone: %v", (*got)["security.protocol"])
	}
	if got := (Config{Brokers: "b", SASLMechanism: "PLAIN"}).ConfigMap(); (*got)["security.protocol"] != "SASL_PLAINTEXT" {
		t.Errorf("SASL alone: %v", (*got)["security.protocol"])
	}
}

func TestRedact(t *testing.T) {
	c := Config{SASLPassword: "hunter22", Props: []Prop{{Key: "ssl.key.password", Value: "keypass"}, {Key: "linger.ms", Value: "100"}}}
	got := c.Redact("auth hunter22 failed with keypass, linger 100")
	if got != "auth [redacted] failed with [redacted], linger 100" {
		t.Errorf("Redact: %q", got)
	}
	for _, line := range c.Describe() {
		if strings.Contains(line, "hunter22") || strings.Contains(line, "keypass") {
			t.Errorf("Describe shows a secret: %s", line)
		}
	}
	if _, err := ParseProp("sasl.password"); err == nil || strings.Contains(err.Error(), "=") && strings.Contains(err.Error(), "hunter") {
		t.Errorf("ParseProp: %v", err)
	}
}

func TestParseOffset(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	cases := map[string]StartOffset{
		"beginning":                  {Kind: Beginning},
		"end":                        {Kind: End},
		"stored":                     {Kind: Stored},
		"42":                         {Kind: Exact, Offset: 42},
		"-10":                        {Kind: Exact, Offset: -10},
		"@-1h":                       {Kind: AtTime, Time: now.Add(-time.Hour)},
		"@2026-11-25T10:00:00Z":      {Kind: AtTime, Time: time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)},
		"@2026-11-24":                {Kind: AtTime, Time: time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)},
		"@2026-11-25T10:00:00.5Z":    {Kind: AtTime, Time: time.Date(2026, 11, 25, 10, 0, 0, 5e8, time.UTC)},
		"@2026-11-25T11:00:00+01:00": {Kind: AtTime, Time: time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)},
		"s@1795900000123":            {Kind: AtTime, Time: time.UnixMilli(1795900000123)},
	}
	for in, want := range cases {
		got, err := ParseOffset(in, now)
		if err != nil || got.Kind != want.Kind || got.Offset != want.Offset || !got.Time.Equal(want.Time) {
			t.Errorf("ParseOffset(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	start, stop, err := ParseOffsets([]string{"s@1000", "e@2000"}, now)
	if err != nil || start.Kind != AtTime || !start.Time.Equal(time.UnixMilli(1000)) || !stop.Equal(time.UnixMilli(2000)) {
		t.Errorf("ParseOffsets(s@1000, e@2000) = %+v, %v, %v", start, stop, err)
	}
	if _, _, err := ParseOffsets([]string{"e@soon"}, now); err == nil {
		t.Errorf("ParseOffsets(e@soon): no error")
	}
	for _, bad := range []string{"yesterday", "@", "@soon", "1.5", "s@x"} {
		if _, err := ParseOffset(bad, now); err == nil {
			t.Errorf("ParseOffset(%q): no error", bad)
		}
	}
	if off, _ := (StartOffset{Kind: Exact, Offset: -3}).Logical(); off != ck.OffsetTail(3) {
		t.Errorf("-3 → %v", off)
	}
}

// TestSASL connects with SCRAM and PLAIN to a broker that requires them,
// with librdkafka's debug output on, and checks that the password shows
// nowhere.
func TestSASL(t *testing.T) {
	const password = "s3cret-Pa55word"
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.EnableSASL(),
		kfake.Superuser("SCRAM-SHA-256", "admin", password), kfake.Superuser("PLAIN", "plain", password))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, mech := range []struct{ mech, user string }{{"SCRAM-SHA-256", "admin"}, {"PLAIN", "plain"}} {
		cfg := Config{Brokers: c.ListenAddrs()[0], SASLMechanism: mech.mech, SASLUsername: mech.user, SASLPassword: password,
			ConnectTimeout: 5 * time.Second, Props: []Prop{{Key: "debug", Value: "security,broker,conf"}}}
		var out bytes.Buffer
		logs := NewLogs(&out, "test", cfg)
		m := cfg.ConfigMap()
		logs.Apply(m)
		p, err := ck.NewProducer(m)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := cfg.Connect(context.Background(), p, ""); err != nil {
			t.Errorf("%s: %v", mech.mech, err)
		}
		p.Close()
		logs.Close()
		if strings.Contains(out.String(), password) {
			t.Errorf("%s: the password shows in the debug output", mech.mech)
		}
		if !strings.Contains(out.String(), "test: kafka: ") {
			t.Errorf("%s: no debug output forwarded", mech.mech)
		}

		cfg.SASLPassword = "wrong-password"
		cfg.ConnectTimeout = time.Second
		cfg.Props = nil
		p, err = ck.NewProducer(cfg.ConfigMap(Prop{Key: "log_level", Value: "0"}))
		if err != nil {
			t.Fatal(err)
		}
		_, err = cfg.Connect(context.Background(), p, "")
		p.Close()
		if err == nil || !IsAuthFailure(err) || IsNoBroker(err) || strings.Contains(err.Error(), "wrong-password") ||
			!strings.Contains(err.Error(), "SASL authentication failed at "+cfg.Brokers+` as "`+mech.user+`" with `+mech.mech) {
			t.Errorf("%s with a wrong password: %v", mech.mech, err)
		}
	}
}

// TestLagNeverCommitted checks that a group without commits shows its lag
// from the log start, and that Lag asks for topics it cannot find.
func TestLagNeverCommitted(t *testing.T) {
	addr, stop, err := StartDevBroker(context.Background(), DevBrokerOptions{Partitions: 2, Topics: []string{"t"}})
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	cfg := Config{Brokers: addr, ConnectTimeout: 5 * time.Second}
	p, err := ck.NewProducer(cfg.ConfigMap())
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		for range p.Events() {
		}
	}()
	topic := "t"
	for i := 0; i < 5; i++ {
		p.Produce(&ck.Message{TopicPartition: ck.TopicPartition{Topic: &topic, Partition: int32(i % 2)}, Value: []byte(`{}`)}, nil)
	}
	if n := p.Flush(5000); n != 0 {
		t.Fatalf("%d unflushed", n)
	}
	p.Close()
	lag, err := Lag(context.Background(), cfg, "nobody", []string{"t"})
	if err != nil {
		t.Fatal(err)
	}
	if lag.Total != 5 || len(lag.Partitions) != 2 || lag.Partitions[0].Committed != nil || lag.Partitions[0].End != 3 || lag.Partitions[1].Lag != 2 {
		t.Fatalf("lag %+v", lag)
	}
	if _, err := Lag(context.Background(), cfg, "nobody", nil); err == nil || !strings.Contains(err.Error(), "--topic") {
		t.Fatalf("no topics: %v", err)
	}
}

// TestConnectTimeout: an address that takes connections but never answers
// is no broker, with SASL too, once the connect timeout has passed.
func TestConnectTimeout(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close() // held open, silent
		}
	}()
	addr := ln.Addr().String()
	for _, mech := range []string{"", "PLAIN"} {
		cfg := Config{Brokers: addr, ConnectTimeout: 700 * time.Millisecond, SASLMechanism: mech, SASLUsername: "u", SASLPassword: "p"}
		p, err := ck.NewProducer(cfg.ConfigMap(Prop{Key: "log_level", Value: "0"}))
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		_, err = cfg.Connect(context.Background(), p, "x")
		p.Close()
		if took := time.Since(start); err == nil || !IsNoBroker(err) || IsAuthFailure(err) || took > 3*time.Second {
			t.Fatalf("SASL %q: Connect: %v after %v", mech, err, took)
		}
		if !strings.Contains(err.Error(), "no Kafka broker answered at "+addr+" within 700ms") {
			t.Fatalf("SASL %q: message: %v", mech, err)
		}
	}
}

// TestConnectRefused: when every bootstrap address refuses the connection,
// Connect fails within about a second, not the connect timeout, and names
// the addresses.
func TestConnectRefused(t *testing.T) {
	var addrs []string
	for range 2 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addrs = append(addrs, ln.Addr().String())
		ln.Close() // nothing listens there now: refused
	}
	cfg := Config{Brokers: strings.Join(addrs, ",")} // the default 10 s timeout
	p, err := ck.NewProducer(cfg.ConfigMap(Prop{Key: "log_level", Value: "0"}))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	start := time.Now()
	_, err = cfg.Connect(context.Background(), p, "x")
	took := time.Since(start)
	if err == nil || !IsNoBroker(err) || took > 2*time.Second {
		t.Fatalf("Connect: %v after %v", err, took)
	}
	want := "no Kafka broker answered at " + strings.Join(addrs, ",") + ": connection refused"
	if !strings.Contains(err.Error(), want) {
		t.Fatalf("message %q, want %q", err, want)
	}
}

// TestTLS connects over TLS to a broker whose certificate a CA file vouches for.
func TestTLS(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA: true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.TLS(&tls.Config{
		Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}},
	}))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, tc := range []struct {
		cfg Config
		ok  bool
	}{
		{Config{Brokers: c.ListenAddrs()[0], TLS: true, CAFile: caFile, ConnectTimeout: 5 * time.Second}, true},
		{Config{Brokers: c.ListenAddrs()[0], ConnectTimeout: time.Second}, false}, // plaintext to a TLS port
	} {
		p, err := ck.NewProducer(tc.cfg.ConfigMap(Prop{Key: "log_level", Value: "0"}))
		if err != nil {
			t.Fatal(err)
		}
		_, err = tc.cfg.Connect(context.Background(), p, "")
		p.Close()
		if (err == nil) != tc.ok {
			t.Errorf("TLS %v: %v", tc.cfg.TLS, err)
		}
	}
}
