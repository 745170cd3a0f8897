package classify

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/secpipe/secpipe/pkg/format"
	"github.com/secpipe/secpipe/pkg/shareddata"
)

// corpusRules returns the paths of SigmaHQ rules under the corpus; without
// the corpus the test is skipped, or fails on CI.
func corpusRules(t *testing.T, rel ...string) []string {
	t.Helper()
	sigmaCorpus := shareddata.Dir(t, "sigma", "rules")
	var out []string
	for _, r := range rel {
		out = append(out, filepath.Join(sigmaCorpus, r))
	}
	return out
}

// readEvents reads a sample file through its format reader.
func readEvents(t *testing.T, path string, f format.Format) (events []string, lines []int) {
	t.Helper()
	file, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	return readInput(t, file, path, f)
}

// readInput reads an input through a format reader; it fails on bad
// records, as the samples have none.
func readInput(t *testing.T, in io.Reader, name string, f format.Format) (events []string, lines []int) {
	t.Helper()
	now := func() time.Time { return time.Date(2024, 1, 10, 0, 0, 0, 0, time.UTC) }
	r, _, err := format.Open(in, f, format.Options{Name: name, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	for {
		rec, err := r.Next()
		if errors.Is(err, io.EOF) {
			return events, lines
		}
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		events = append(events, string(rec.Raw))
		lines = append(lines, rec.Line)
	}
}

// alerts returns the correlation alerts among classified events, as
// "title source->destination".
func alerts(t *testing.T, out []string) []string {
	var found []string
	for _, line := range out {
		if c := decode(t, line); c.Event.Kind == "alert" {
			found = append(found, c.Rule.Name[0]+" "+c.Sigma.Correlation.GroupBy["SourceIp"]+"->"+c.Sigma.Correlation.GroupBy["DestinationIp"])
		}
	}
	return found
}

// SigmaHQ's rules for Zeek, Suricata's categories, auditd, sshd and cron,
// and the built-in pack, fire on the lines of the text formats they are
// about, and on no other.
func TestTextFormatsMeetRules(t *testing.T) {
	rules := corpusRules(t,
		"network/zeek/zeek_dns_mining_pools.yml",
		"network/zeek/zeek_http_webdav_put_request.yml",
		"network/dns/net_dns_mal_cobaltstrike.yml",
		"linux/auditd/execve/lnx_auditd_susp_cmds.yml",
		"linux/auditd/syscall/lnx_auditd_create_account.yml",
		"linux/auditd/lnx_auditd_susp_c2_commands.yml",
		"linux/builtin/sshd/lnx_sshd_susp_ssh.yml",
		"linux/builtin/cron/lnx_cron_crontab_file_modification.yml",
	)
	const testdata = "../format/testdata/"
	cases := []struct {
		file   string
		format format.Format
		// fired: the rules each line sets off, the lines not named none.
		fired map[int]string
	}{
		{"zeek_dns.log", format.Zeek, map[int]string{11: "DNS Events Related To Mining Pools"}},
		{"zeek_conn.log", format.Zeek, nil},
		{"zeekjson/http.log", format.Zeek, map[int]string{1: "WebDav Put Request"}},
		{"eve.json", format.Suricata, map[int]string{
			1: "Cobalt Strike DNS Beaconing",          // SigmaHQ's dns category
			2: "Web Vulnerability Scanner User Agent", // the built-in pack's webserver rule
		}},
		{"audit.log", format.Auditd, map[int]string{
			1: "Suspicious C2 Activities",
			2: "Suspicious Commands Linux",
			7: "Creation Of An User Account",
			9: "Creation Of An User Account",
		}},
		{"auth.log", format.Syslog, map[int]string{
			2: "Suspicious OpenSSH Daemon Error",
			4: "Modifying Crontab",
		}},
		{"syslog_rfc5424.log", format.Syslog, map[int]string{4: "Suspicious OpenSSH Daemon Error"}},
		{"syslog_iso.log", format.Syslog, nil},
	}
	for _, tc := range cases {
		events, lines := readEvents(t, testdata+tc.file, tc.format)
		// The whole SigmaHQ corpus beside secpipe's own rules (the default
		// pack's SigmaHQ part would name its rules twice).
		out := run(t, Config{RulePaths: rules, Pack: PackBuiltin}, events...)
		if len(out) != len(events) {
			t.Fatalf("%s: %d events in, %d out", tc.file, len(events), len(out))
		}
		for i, line := range out {
			got := strings.Join(decode(t, line).Rule.Name, ", ")
			if want := tc.fired[lines[i]]; got != want {
				t.Errorf("%s:%d: rules %q, want %q\n%s", tc.file, lines[i], got, want, events[i])
			}
		}
	}
}

// The built-in port scan correlation counts the ports of a Zeek conn log
// read from its TSV form.
func TestZeekConnPortScan(t *testing.T) {
	var b strings.Builder
	b.WriteString("#separator \\x09\n#path\tconn\n")
	b.WriteString("#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tconn_state\n")
	b.WriteString("#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\n")
	const ports = 30
	for i := 0; i < ports; i++ {
		fmt.Fprintf(&b, "%d.000000\tC%d\t198.51.100.23\t40000\t10.0.0.80\t%d\ttcp\tREJ\n", 1704164400+i, i, 1000+i)
	}
	events, _ := readInput(t, strings.NewReader(b.String()), "conn.log", format.Auto)
	found := alerts(t, run(t, Config{}, events...))
	if want := "Port Scan of One Host 198.51.100.23->10.0.0.80"; len(found) != 1 || found[0] != want {
		t.Errorf("alerts %q, want [%q]", found, want)
	}
}

// Suricata's flow records are the firewall category's connections, timed
// by Suricata's timestamps (+0000 zones): a fast sweep of ports is a port
// scan, the same sweep spread over five minutes is not.
func TestSuricataFlowPortScan(t *testing.T) {
	var b strings.Builder
	start := time.Date(2024, 1, 2, 3, 0, 0, 0, time.UTC)
	for i := 0; i < 30; i++ {
		for _, scan := range []struct {
			src  string
			step time.Duration
		}{{"198.51.100.23", time.Second}, {"198.51.100.99", 10 * time.Second}} {
			ts := start.Add(time.Duration(i) * scan.step).Format("2006-01-02T15:04:05.000000-0700")
			fmt.Fprintf(&b, `{"timestamp":"%s","flow_id":%d,"event_type":"flow","src_ip":"%s","src_port":40000,"dest_ip":"10.0.0.80","dest_port":%d,"proto":"TCP","flow":{"state":"new","reason":"timeout"}}`+"\n", ts, i, scan.src, 1000+i)
		}
	}
	events, _ := readInput(t, strings.NewReader(b.String()), "eve.json", format.Auto)
	found := alerts(t, run(t, Config{}, events...))
	if want := "Port Scan of One Host 198.51.100.23->10.0.0.80"; len(found) != 1 || found[0] != want {
		t.Errorf("alerts %q, want [%q]", found, want)
	}
}

// Syslog lines get Sigma's Linux services from their program: sudo's are
// sudo and auth, logind's auth, every line syslog.
func TestSyslogServices(t *testing.T) {
	dir := t.TempDir()
	for i, service := range []string{"sudo", "auth", "cron", "syslog"} {
		rule := fmt.Sprintf(`title: any %[1]s
id: 22222222-0000-4000-8000-00000000000%[2]d
level: low
description: every event of the %[1]s service
logsource: {product: linux, service: %[1]s}
detection:
  selection:
    message|exists: true
  condition: selection
`, service, i)
		if err := os.WriteFile(filepath.Join(dir, service+".yml"), []byte(rule), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	events, lines := readEvents(t, "../format/testdata/auth.log", format.Syslog)
	want := map[int]string{
		1: "any auth, any syslog", // sshd
		2: "any auth, any syslog",
		3: "any cron, any syslog", // CRON
		4: "any cron, any syslog", // crontab
		5: "any sudo, any auth, any syslog",
		6: "any auth, any syslog",
		7: "any auth, any syslog", // systemd-logind
	}
	for i, line := range run(t, Config{RulePaths: []string{dir}, NoBuiltin: true}, events...) {
		names := decode(t, line).Rule.Name
		sort.Strings(names)
		w := strings.Split(want[lines[i]], ", ")
		sort.Strings(w)
		if strings.Join(names, ", ") != strings.Join(w, ", ") {
			t.Errorf("auth.log:%d: rules %q, want %q", lines[i], names, w)
		}
	}
}
