package cli

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// bruteForceAlerts returns classified events: n attempts from each address, a
// second apart, the first with a trace context.
func bruteForceAlerts(n int, ips ...string) string {
	var b strings.Builder
	start := time.Date(2026, 1, 1, 8, 0, 0, 0, time.UTC)
	for _, ip := range ips {
		for i := 0; i < n; i++ {
			tp := ""
			if i == 0 {
				tp = `"traceparent":"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",`
			}
			fmt.Fprintf(&b, `{%s"@timestamp":%q,"event":{"id":"%s-%d"},"source":{"ip":%q},"host":{"name":"web-01"},"user":{"name":"root"},`+
				`"threat":{"framework":"MITRE ATT&CK","tactic":{"id":["TA0006"],"name":["Credential Access"]},"technique":{"id":["T1110"],"name":["Brute Force"],"subtechnique":{"id":["T1110.001"],"name":["Password Guessing"]}}},`+
				`"rule":{"id":["r-ssh"],"name":["SSH Brute Force"],"ruleset":"sigma","level":"high"},"message":"Failed password for root from %s"}`+"\n",
				tp, start.Add(time.Duration(i)*time.Second).Format(time.RFC3339), ip, i, ip, ip)
		}
	}
	return b.String()
}

type alertDoc struct {
	Alert struct {
		Kind  string
		ID    string
		Count int
	}
	Source struct{ IP string }
}

// TestAlertWebhookFailsThenRecovers: a webhook that answers 500, then 429
// with Retry-After, then takes everything: every alert and digest arrives
// once, and the secret URL is never printed.
func TestAlertWebhookFailsThenRecovers(t *testing.T) {
	var mu sync.Mutex
	var got []alertDoc
	var when []time.Time
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		calls++
		when = append(when, time.Now())
		switch {
		case r.URL.Path != "/hook/s3cr3t-key" || r.Header.Get("Authorization") != "Bearer tok-123":
			http.Error(w, "wrong path or token", http.StatusForbidden)
			return
		case calls <= 2:
			http.Error(w, "upstream down", http.StatusInternalServerError)
			return
		case calls == 3:
			w.Header().Set("Retry-After", "1")
			http.Error(w, "slow down", http.StatusTooManyRequests)
			return
		}
		var d alertDoc
		if err := json.Unmarshal(body, &d); err != nil {
			t.Errorf("body is not JSON: %v", err)
		}
		got = append(got, d)
	}))
	defer srv.Close()
	hook := srv.URL + "/hook/s3cr3t-key"
	env, stdout, stderr := testEnv(strings.NewReader(bruteForceAlerts(500, "203.0.113.7", "198.51.100.9", "192.0.2.1")),
		map[string]string{"SECPIPE_WEBHOOK_URL": hook, "SECPIPE_WEBHOOK_TOKEN": "tok-123"})
	if code := runEnv(env, "alert", "--throttle", "1h"); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if stdout.Len() != 0 {
		t.Errorf("alerts went to stdout too: %s", stdout)
	}
	var lines []string
	for _, d := range got {
		lines = append(lines, fmt.Sprintf("%s %s %d", d.Alert.Kind, d.Source.IP, d.Alert.Count))
	}
	want := "alert 203.0.113.7 1\nalert 198.51.100.9 1\nalert 192.0.2.1 1\ndigest 192.0.2.1 500\ndigest 198.51.100.9 500\ndigest 203.0.113.7 500"
	if strings.Join(lines, "\n") != want {
		t.Errorf("delivered:\n%s\nwant:\n%s", strings.Join(lines, "\n"), want)
	}
	// The 429's Retry-After was waited for.
	if len(when) > 3 && when[3].Sub(when[2]) < 900*time.Millisecond {
		t.Errorf("retried %v after a 429 with Retry-After: 1", when[3].Sub(when[2]))
	}
	log := stderr.String()
	for _, want := range []string{"HTTP 500 Internal Server Error: upstream down; retrying in", "HTTP 429 Too Many Requests: slow down; retrying in 1s",
		"secpipe alert: 1500 events, 1500 selected, 3 alerts, 3 digests"} {
		if !strings.Contains(log, want) {
			t.Errorf("stderr lacks %q:\n%s", want, log)
		}
	}
	if strings.Contains(log, "s3cr3t") || strings.Contains(log, "tok-123") {
		t.Errorf("a secret was printed:\n%s", log)
	}
}

// TestAlertRefusedGoesToDLQ: a 4xx is permanent: that alert is
// dead-lettered with the reason, the others delivered, the run succeeds.
func TestAlertRefusedGoesToDLQ(t *testing.T) {
	var mu sync.Mutex
	var delivered []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if strings.Contains(string(body), `"source":{"ip":"198.51.100.9"}`) {
			http.Error(w, "invalid payload", http.StatusBadRequest)
			return
		}
		var d alertDoc
		json.Unmarshal(body, &d)
		mu.Lock()
		delivered = append(delivered, d.Source.IP)
		mu.Unlock()
	}))
	defer srv.Close()
	dir := t.TempDir()
	hookFile, dlq := filepath.Join(dir, "hook.url"), filepath.Join(dir, "refused.jsonl")
	os.WriteFile(hookFile, []byte(srv.URL+"/secret-path\n"), 0o600)
	env, _, stderr := testEnv(strings.NewReader(bruteForceAlerts(1, "203.0.113.7", "198.51.100.9", "192.0.2.1")), nil)
	if code := runEnv(env, "alert", "--webhook-file", hookFile, "--dlq", dlq); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if strings.Join(delivered, " ") != "203.0.113.7 192.0.2.1" {
		t.Errorf("delivered %v", delivered)
	}
	b, err := os.ReadFile(dlq)
	if err != nil {
		t.Fatal(err)
	}
	var dead struct {
		Error   string
		Message alertDoc
	}
	if err := json.Unmarshal(b, &dead); err != nil || dead.Message.Source.IP != "198.51.100.9" || !strings.Contains(dead.Error, "HTTP 400 Bad Request: invalid payload") {
		t.Errorf("dead letter %s (%v)", b, err)
	}
	if strings.Contains(stderr.String()+string(b), "secret-path") {
		t.Errorf("the webhook's path was printed: %s %s", stderr, b)
	}
}

// TestAlertSlack: Slack blocks with level, rule, technique, host, user,
// source, and the Jaeger link of the event's trace.
func TestAlertSlack(t *testing.T) {
	bodies := make(chan []byte, 10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		bodies <- b
		io.WriteString(w, "ok")
	}))
	defer srv.Close()
	env, _, stderr := testEnv(strings.NewReader(bruteForceAlerts(1, "203.0.113.7")), map[string]string{"SECPIPE_SLACK_WEBHOOK_URL": srv.URL + "/services/T0/B0/XXX"})
	if code := runEnv(env, "alert", "--min-level", "high", "--jaeger-url", "http://localhost:16686/"); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var msg struct {
		Text   string
		Blocks []struct {
			Type     string
			Text     struct{ Text string }
			Fields   []struct{ Text string }
			Elements []struct{ Text string }
		}
	}
	b := <-bodies
	if err := json.Unmarshal(b, &msg); err != nil {
		t.Fatal(err)
	}
	if msg.Text != "[high] SSH Brute Force" || msg.Blocks[0].Type != "header" {
		t.Errorf("message %s", b)
	}
	var fields []string
	for _, f := range msg.Blocks[1].Fields {
		fields = append(fields, strings.ReplaceAll(f.Text, "\n", " "))
	}
	for _, want := range []string{"*Level* high", "*Rule* SSH Brute Force", "*Technique* T1110.001 Password Guessing", "*Host* web-01", "*User* root", "*Source* 203.0.113.7"} {
		if !strings.Contains(strings.Join(fields, "|"), want) {
			t.Errorf("fields %q lack %q", fields, want)
		}
	}
	last := msg.Blocks[len(msg.Blocks)-1]
	if len(last.Elements) == 0 || !strings.Contains(last.Elements[0].Text, "<http://localhost:16686/trace/4bf92f3577b34da6a3ce929d0e0e4736|trace 4bf92f3577b34da6a3ce929d0e0e4736>") {
		t.Errorf("no trace link: %s", b)
	}
}

var rfc5424 = regexp.MustCompile(`^<(\d+)>1 (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z) (\S+) secpipe (\d+) alert - (.+)$`)

// TestAlertSyslogWire reads the alerts off the wire, over UDP and over TCP
// (octet-counted frames), as a syslog receiver does.
func TestAlertSyslogWire(t *testing.T) {
	udp, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer udp.Close()
	env, _, stderr := testEnv(strings.NewReader(bruteForceAlerts(3, "203.0.113.7")), nil)
	if code := runEnv(env, "alert", "--syslog", "udp://"+udp.LocalAddr().String()); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	buf := make([]byte, 65536)
	var msgs []string
	for range 2 {
		udp.SetReadDeadline(time.Now().Add(5 * time.Second))
		n, _, err := udp.ReadFrom(buf)
		if err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs, string(buf[:n]))
	}
	for i, m := range msgs {
		p := rfc5424.FindStringSubmatch(m)
		if p == nil {
			t.Fatalf("not RFC 5424: %q", m)
		}
		if p[1] != "35" { // security/authorization (4) * 8 + error (3), for high
			t.Errorf("PRI %s, want 35", p[1])
		}
		var d alertDoc
		if err := json.Unmarshal([]byte(p[5]), &d); err != nil {
			t.Errorf("MSG is not the alert's JSON: %v", err)
		}
		if want := []string{"alert", "digest"}[i]; d.Alert.Kind != want {
			t.Errorf("message %d is a %s, want %s", i, d.Alert.Kind, want)
		}
	}

	// TCP, CEF.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	frames := make(chan string, 10)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		r := bufio.NewReader(c)
		for {
			n, err := r.ReadString(' ')
			if err != nil {
				close(frames)
				return
			}
			size, _ := strconv.Atoi(strings.TrimSpace(n))
			b := make([]byte, size)
			if _, err := io.ReadFull(r, b); err != nil {
				close(frames)
				return
			}
			frames <- string(b)
		}
	}()
	env, _, stderr = testEnv(strings.NewReader(bruteForceAlerts(2, "203.0.113.7")), nil)
	if code := runEnv(env, "alert", "--syslog", "tcp://"+ln.Addr().String(), "--cef"); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	f := <-frames
	p := rfc5424.FindStringSubmatch(f)
	if p == nil {
		t.Fatalf("not RFC 5424: %q", f)
	}
	cef := regexp.MustCompile(`^CEF:0\|secpipe\|secpipe\|[^|]+\|r-ssh\|\[high\] SSH Brute Force\|8\|rt=1767254400000 src=203\.0\.113\.7 shost=web-01 suser=root cnt=1 start=1767254400000 end=1767254400000 act=alert cs1Label=mitreTechnique cs1=T1110\.001 Password Guessing cs2Label=mitreTactic cs2=TA0006 cs3Label=traceId cs3=4bf92f3577b34da6a3ce929d0e0e4736 externalId=[0-9a-f]+ msg=Failed password for root from 203\.0\.113\.7$`)
	if !cef.MatchString(p[5]) {
		t.Errorf("CEF:\n%s", p[5])
	}
	if d := <-frames; !strings.Contains(d, "act=digest") || !strings.Contains(d, "cnt=2") {
		t.Errorf("second frame is not the digest of 2: %q", d)
	}
}

// TestAlertRsyslog delivers alerts to Debian's rsyslogd, started here on
// loopback with a configuration of its own, over TCP and UDP.
func TestAlertRsyslog(t *testing.T) {
	bin, err := exec.LookPath("rsyslogd")
	if err != nil {
		if _, err = os.Stat("/usr/sbin/rsyslogd"); err == nil {
			bin = "/usr/sbin/rsyslogd"
		} else if os.Getenv("CI") == "true" {
			t.Fatal("rsyslogd (Debian rsyslog) is not installed; .ci/run installs it")
		} else {
			t.Skip("SKIPPED: rsyslogd (apt-get install rsyslog) is not installed")
		}
	}
	dir := t.TempDir()
	tcpPort, udpPort := freePort(t, "tcp"), freePort(t, "udp")
	out := filepath.Join(dir, "received.log")
	conf := fmt.Sprintf(`global(workDirectory=%q)
module(load="imtcp")
module(load="imudp")
input(type="imtcp" address="127.0.0.1" port="%d")
input(type="imudp" address="127.0.0.1" port="%d")
template(name="fields" type="string" string="%%inputname%% pri=%%pri%% app=%%app-name%% msgid=%%msgid%% %%msg%%\n")
*.* action(type="omfile" file=%q template="fields")
`, dir, tcpPort, udpPort, out)
	confFile := filepath.Join(dir, "rsyslog.conf")
	os.WriteFile(confFile, []byte(conf), 0o644)
	cmd := exec.Command(bin, "-n", "-f", confFile, "-i", filepath.Join(dir, "rsyslogd.pid"))
	var logs strings.Builder
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	// Wait until it listens.
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", tcpPort))
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("rsyslogd did not listen: %s", logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, target := range []string{fmt.Sprintf("tcp://127.0.0.1:%d", tcpPort), fmt.Sprintf("udp://127.0.0.1:%d", udpPort)} {
		env, _, stderr := testEnv(strings.NewReader(bruteForceAlerts(4, "203.0.113.7")), nil)
		if code := runEnv(env, "alert", "--syslog", target); code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
	}
	var lines []string
	deadline = time.Now().Add(10 * time.Second)
	for len(lines) < 4 {
		b, _ := os.ReadFile(out)
		lines = strings.Split(strings.TrimSpace(string(b)), "\n")
		if len(b) == 0 {
			lines = nil
		}
		if time.Now().After(deadline) {
			t.Fatalf("rsyslogd wrote %d of 4 alerts: %q\n%s", len(lines), lines, logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	// rsyslog runs its inputs on threads of their own: order holds within
	// an input only.
	byInput := map[string][]string{}
	for _, l := range lines {
		in, _, _ := strings.Cut(l, " ")
		byInput[in] = append(byInput[in], l)
	}
	for _, in := range []string{"imtcp", "imudp"} {
		got := byInput[in]
		want := []string{in + ` pri=35 app=secpipe msgid=alert {"@timestamp":"2026-01-01T08:00:00.000Z","alert":{"kind":"alert"`,
			in + ` pri=35 app=secpipe msgid=alert {"@timestamp":"2026-01-01T08:00:03.000Z","alert":{"kind":"digest"`}
		if len(got) != len(want) {
			t.Errorf("%s: %d lines, want %d: %q", in, len(got), len(want), got)
			continue
		}
		for i, w := range want {
			if !strings.HasPrefix(got[i], w) {
				t.Errorf("rsyslog %s line %d:\n%s\nwant it to start\n%s", in, i, got[i], w)
			}
			if !strings.HasSuffix(got[i], "}") {
				t.Errorf("rsyslog %s line %d cut short: %s", in, i, got[i])
			}
		}
	}
}

func freePort(t *testing.T, network string) int {
	t.Helper()
	if network == "udp" {
		c, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		return c.LocalAddr().(*net.UDPAddr).Port
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// TestAlertDigestWhileInputIsQuiet: the digest of a window goes out when
// the window's time has passed on the clock, with the input still open.
func TestAlertDigestWhileInputIsQuiet(t *testing.T) {
	bodies := make(chan alertDoc, 10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var d alertDoc
		json.NewDecoder(r.Body).Decode(&d)
		bodies <- d
	}))
	defer srv.Close()
	pr, pw := io.Pipe()
	env, _, stderr := testEnv(pr, map[string]string{"SECPIPE_WEBHOOK_URL": srv.URL})
	done := make(chan int, 1)
	go func() { done <- runEnv(env, "alert", "--throttle", "3s") }() // the events span 2s
	io.WriteString(pw, bruteForceAlerts(3, "203.0.113.7"))
	wait := func(kind string, count int) {
		t.Helper()
		select {
		case d := <-bodies:
			if d.Alert.Kind != kind || d.Alert.Count != count {
				t.Errorf("got %s of %d, want %s of %d", d.Alert.Kind, d.Alert.Count, kind, count)
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("no %s delivered", kind)
		}
	}
	wait("alert", 1)
	wait("digest", 3) // the input is still open
	pw.Close()
	if code := <-done; code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	select {
	case d := <-bodies:
		t.Errorf("a further %s was sent at the end: the window was closed already", d.Alert.Kind)
	default:
	}
}
