package gen

import (
	"bytes"
	"encoding/base64"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf16"
)

// scenarioRuns builds n runs of a scenario, a day apart, and returns each
// run's events as the ECS encoder writes them.
func scenarioRuns(t *testing.T, name string, n int) [][]*ecsEvent {
	t.Helper()
	s := lookupScenario(name)
	if s == nil {
		t.Fatalf("no scenario %s", name)
	}
	g, err := New(Config{Seed: uint64(len(name)) * 7919, AttackShare: DefaultAttackShare})
	if err != nil {
		t.Fatal(err)
	}
	var out [][]*ecsEvent
	var buf []byte
	t0 := DefaultStart.UnixMilli()
	for i := 0; i < n; i++ {
		b := g.newBuilder(s, t0+int64(i)*24*3600*1000)
		s.build(b)
		r := b.run
		r.sort()
		r.id = i + 1
		var evs []*ecsEvent
		for j := range r.events {
			buf = g.appendECS(buf[:0], &r.events[j], r)
			evs = append(evs, decodeECS(t, bytes.Clone(buf)))
		}
		if len(evs) == 0 {
			t.Fatalf("%s: empty run", name)
		}
		out = append(out, evs)
	}
	return out
}

func where(run []*ecsEvent, f func(*ecsEvent) bool) []*ecsEvent {
	var out []*ecsEvent
	for _, e := range run {
		if f(e) {
			out = append(out, e)
		}
	}
	return out
}

func action(a string) func(*ecsEvent) bool {
	return func(e *ecsEvent) bool { return e.Event.Action == a }
}

func hasTech(e *ecsEvent, id string) bool { return slices.Contains(e.Truth.Techniques, id) }

func distinct(run []*ecsEvent, key func(*ecsEvent) string) map[string]int {
	m := map[string]int{}
	for _, e := range run {
		m[key(e)]++
	}
	return m
}

func span(run []*ecsEvent) time.Duration { return run[len(run)-1].time.Sub(run[0].time) }

// bruteForce checks failures from one source against one host, at least 20
// of them within 150 s before the success, if any.
func bruteForce(t *testing.T, runs [][]*ecsEvent, minFail, maxFail int, logonType string) {
	t.Helper()
	successes := 0
	for i, run := range runs {
		fails := where(run, action("logon-failed"))
		if len(fails) < minFail || len(fails) > maxFail {
			t.Fatalf("run %d: %d failures", i+1, len(fails))
		}
		if len(distinct(fails, func(e *ecsEvent) string { return e.Source.IP })) != 1 ||
			len(distinct(fails, func(e *ecsEvent) string { return e.Host.Name })) != 1 {
			t.Fatalf("run %d: failures from several sources or against several hosts", i+1)
		}
		if span(fails) > 150*time.Second {
			t.Fatalf("run %d: failures span %s", i+1, span(fails))
		}
		for _, f := range fails {
			if !slices.Equal(f.Truth.Techniques, []string{"T1110.001"}) || !slices.Equal(f.Truth.Tactics, []string{"TA0006"}) {
				t.Fatalf("run %d: failure truth %+v", i+1, f.Truth)
			}
			if logonType != "" && (f.Event.Code != "4625" || f.Winlog.EventData["LogonType"] != logonType) {
				t.Fatalf("run %d: failure is not a 4625 of logon type %s", i+1, logonType)
			}
		}
		ok := where(run, action("logged-in"))
		if len(ok) == 0 {
			continue
		}
		successes++
		s := ok[0]
		n := 0
		for _, f := range fails {
			if f.Source.IP == s.Source.IP && f.Host.Name == s.Host.Name && !f.time.After(s.time) && s.time.Sub(f.time) <= 150*time.Second {
				n++
			}
		}
		if n < 20 {
			t.Fatalf("run %d: %d failures within 150 s before the success", i+1, n)
		}
		if !slices.Equal(s.Truth.Techniques, []string{"T1078"}) || !slices.Equal(s.Truth.Tactics, []string{"TA0001"}) {
			t.Fatalf("run %d: success truth %+v", i+1, s.Truth)
		}
		if logonType != "" && (s.Event.Code != "4624" || s.Winlog.EventData["LogonType"] != logonType) {
			t.Fatalf("run %d: success is not a 4624 of logon type %s", i+1, logonType)
		}
	}
	if successes < len(runs)/3 || successes == len(runs) {
		t.Errorf("%d of %d runs end in a success, want most but not all", successes, len(runs))
	}
}

var encodedArg = regexp.MustCompile(`(?i)\s-(?:e|enc|encodedcommand)\s+([A-Za-z0-9+/=]{20,})`)

func decodePS(t *testing.T, b64 string) string {
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(raw)%2 != 0 {
		t.Fatalf("bad -EncodedCommand %q: %v", b64, err)
	}
	u := make([]uint16, len(raw)/2)
	for i := range u {
		u[i] = uint16(raw[2*i]) | uint16(raw[2*i+1])<<8
	}
	return string(utf16.Decode(u))
}

var scenarioChecks = map[string]func(t *testing.T, runs [][]*ecsEvent){
	"ssh_brute_force": func(t *testing.T, runs [][]*ecsEvent) {
		bruteForce(t, runs, 20, 80, "")
		for _, run := range runs {
			for _, e := range where(run, action("logon-failed")) {
				if e.Event.Dataset != "system.auth" || e.Host.OS.Type != "linux" || !strings.HasPrefix(e.Message, "Failed password for ") {
					t.Fatalf("not an sshd failure: %s", e.raw)
				}
			}
		}
	},
	"rdp_brute_force": func(t *testing.T, runs [][]*ecsEvent) {
		bruteForce(t, runs, 20, 60, "10")
		for i, run := range runs {
			if n := len(distinct(run, func(e *ecsEvent) string { return e.User.Name })); n != 1 {
				t.Fatalf("run %d: %d users", i+1, n)
			}
		}
	},
	"password_spray": func(t *testing.T, runs [][]*ecsEvent) {
		for i, run := range runs {
			fails := where(run, action("logon-failed"))
			users := distinct(fails, func(e *ecsEvent) string { return e.Winlog.EventData["TargetUserName"] })
			if len(users) < 15 || len(users) > 40 {
				t.Fatalf("run %d: %d users", i+1, len(users))
			}
			for u, n := range users {
				if n > 2 {
					t.Fatalf("run %d: %d attempts on %s", i+1, n, u)
				}
			}
			if len(distinct(fails, func(e *ecsEvent) string { return e.Source.IP })) != 1 {
				t.Fatalf("run %d: several sources", i+1)
			}
			if d := span(fails); d > 10*time.Minute {
				t.Fatalf("run %d: spray spans %s", i+1, d)
			}
			for _, f := range fails {
				if f.Winlog.EventData["LogonType"] != "3" || !hasTech(f, "T1110.003") {
					t.Fatalf("run %d: %s", i+1, f.raw)
				}
			}
		}
	},
	"port_scan": func(t *testing.T, runs [][]*ecsEvent) {
		for i, run := range runs {
			ports := distinct(run, func(e *ecsEvent) string { return strconv.Itoa(e.Destination.Port) })
			if len(ports) < 50 || len(ports) > 500 || len(ports) != len(run) {
				t.Fatalf("run %d: %d distinct ports in %d events", i+1, len(ports), len(run))
			}
			pairs := distinct(run, func(e *ecsEvent) string { return e.Source.IP + ">" + e.Destination.IP })
			if len(pairs) != 1 || span(run) > 60*time.Second {
				t.Fatalf("run %d: %d source-target pairs over %s", i+1, len(pairs), span(run))
			}
			closed := where(run, func(e *ecsEvent) bool {
				return e.Event.Action == "firewall-deny" || e.Zeek.Connection.State == "S0" || e.Zeek.Connection.State == "REJ"
			})
			if len(closed) < len(run)*8/10 {
				t.Fatalf("run %d: only %d of %d probes denied or unanswered", i+1, len(closed), len(run))
			}
		}
	},
	"encoded_powershell": func(t *testing.T, runs [][]*ecsEvent) {
		for i, run := range runs {
			ps := where(run, func(e *ecsEvent) bool {
				return e.Process.Name == "powershell.exe" && e.Event.Action == "process-started"
			})
			if len(ps) != 1 {
				t.Fatalf("run %d: %d PowerShell starts", i+1, len(ps))
			}
			m := encodedArg.FindStringSubmatch(ps[0].Process.CommandLine)
			if m == nil {
				t.Fatalf("run %d: no encoded command in %q", i+1, ps[0].Process.CommandLine)
			}
			script := decodePS(t, m[1])
			if !strings.Contains(script, "DownloadString") && !strings.Contains(script, "iwr ") {
				t.Fatalf("run %d: decoded %q", i+1, script)
			}
			if !slices.Contains([]string{"explorer.exe", "cmd.exe", "WINWORD.EXE", "WmiPrvSE.exe"}, ps[0].Process.Parent.Name) {
				t.Fatalf("run %d: parent %s", i+1, ps[0].Process.Parent.Name)
			}
			if !hasTech(ps[0], "T1059.001") || !hasTech(ps[0], "T1027") {
				t.Fatalf("run %d: truth %+v", i+1, ps[0].Truth)
			}
			conn := where(run, func(e *ecsEvent) bool {
				return e.Event.Action == "network-connection" && e.Process.Name == "powershell.exe"
			})
			if len(conn) != 1 || conn[0].time.Before(ps[0].time) || !hasTech(conn[0], "T1105") {
				t.Fatalf("run %d: no connection of PowerShell after it started", i+1)
			}
		}
	},
	"discovery": func(t *testing.T, runs [][]*ecsEvent) {
		for i, run := range runs {
			cmds := where(run, func(e *ecsEvent) bool { return e.Process.Name != "cmd.exe" && e.Process.Name != "net1.exe" })
			n := len(distinct(cmds, func(e *ecsEvent) string { return e.Process.CommandLine }))
			if n < 4 || n > 8 || span(run) > 10*time.Minute {
				t.Fatalf("run %d: %d discovery commands over %s", i+1, n, span(run))
			}
			if len(distinct(run, func(e *ecsEvent) string { return e.Host.Name + e.User.Name })) != 1 {
				t.Fatalf("run %d: several hosts or users", i+1)
			}
			for _, e := range cmds {
				if !slices.Equal(e.Truth.Tactics, []string{"TA0007"}) {
					t.Fatalf("run %d: %s has tactics %v", i+1, e.Process.CommandLine, e.Truth.Tactics)
				}
			}
		}
	},
	"credential_dumping": func(t *testing.T, runs [][]*ecsEvent) {
		dump := regexp.MustCompile(`(?i)lsass|procdump.* -ma |comsvcs\.dll, MiniDump|sekurlsa::logonpasswords|reg(\.exe)?\s+save hklm\\(sam|system|security)`)
		for i, run := range runs {
			p := where(run, func(e *ecsEvent) bool { return dump.MatchString(e.Process.CommandLine) })
			f := where(run, func(e *ecsEvent) bool { return e.Event.Action == "file-created" })
			if len(p) == 0 || len(f) == 0 {
				t.Fatalf("run %d: %d dumping processes, %d files", i+1, len(p), len(f))
			}
			if !hasTech(p[0], "T1003.001") && !hasTech(p[0], "T1003.002") {
				t.Fatalf("run %d: truth %+v", i+1, p[0].Truth)
			}
		}
	},
	"scheduled_task_persistence": func(t *testing.T, runs [][]*ecsEvent) {
		for i, run := range runs {
			p := where(run, func(e *ecsEvent) bool { return e.Process.Name == "schtasks.exe" })
			task := where(run, func(e *ecsEvent) bool { return e.Event.Code == "4698" })
			if len(p) != 1 || len(task) != 1 || p[0].Host.Name != task[0].Host.Name {
				t.Fatalf("run %d: %d schtasks, %d 4698", i+1, len(p), len(task))
			}
			c := p[0].Process.CommandLine
			if !strings.Contains(c, "/create") || !strings.Contains(c, "SYSTEM") || !regexp.MustCompile(`AppData|Temp|ProgramData`).MatchString(c) {
				t.Fatalf("run %d: %s", i+1, c)
			}
			for _, e := range []*ecsEvent{p[0], task[0]} {
				if !slices.Equal(e.Truth.Techniques, []string{"T1053.005"}) || !slices.Equal(e.Truth.Tactics, []string{"TA0002", "TA0003", "TA0004"}) {
					t.Fatalf("run %d: truth %+v", i+1, e.Truth)
				}
			}
			// PowerShell fetched the payload: ingress tool transfer.
			if !slices.Equal(run[0].Truth.Techniques, []string{"T1105"}) || run[0].Event.Action != "file-created" || run[0].Truth.Run != i+1 {
				t.Fatalf("run %d: the payload drop has truth %+v", i+1, run[0].Truth)
			}
		}
	},
	"lateral_movement_psexec": func(t *testing.T, runs [][]*ecsEvent) {
		for i, run := range runs {
			px := where(run, func(e *ecsEvent) bool {
				return e.Event.Action == "process-started" && strings.Contains(strings.ToLower(e.Process.Name), "psexec")
			})
			if len(px) != 1 || !strings.Contains(px[0].Process.CommandLine, `\\`) {
				t.Fatalf("run %d: no PsExec start", i+1)
			}
			a := px[0].Host
			logon := where(run, func(e *ecsEvent) bool { return e.Event.Code == "4624" && e.Winlog.EventData["LogonType"] == "3" })
			if len(logon) != 1 || logon[0].Source.IP != a.IP[0] || logon[0].Host.Name == a.Name {
				t.Fatalf("run %d: no network logon from %s", i+1, a.IP[0])
			}
			b := logon[0].Host.Name
			svc := where(run, func(e *ecsEvent) bool {
				return e.Event.Code == "7045" && e.Winlog.EventData["ServiceName"] == "PSEXESVC" && e.Host.Name == b
			})
			shell := where(run, func(e *ecsEvent) bool {
				return e.Process.Name == "cmd.exe" && e.Process.Parent.Name == "PSEXESVC.exe" && e.Host.Name == b
			})
			if len(svc) != 1 || len(shell) != 1 || !hasTech(shell[0], "T1569.002") || !hasTech(logon[0], "T1021.002") {
				t.Fatalf("run %d: %d service installs, %d shells", i+1, len(svc), len(shell))
			}
		}
	},
	"c2_beaconing": func(t *testing.T, runs [][]*ecsEvent) {
		for i, run := range runs {
			conns := where(run, action("network-connection"))
			if len(conns) < 15 || len(conns) > 60 {
				t.Fatalf("run %d: %d beacons", i+1, len(conns))
			}
			if len(distinct(conns, func(e *ecsEvent) string { return e.Destination.IP + ":" + strconv.Itoa(e.Destination.Port) })) != 1 {
				t.Fatalf("run %d: several destinations", i+1)
			}
			dns := where(run, action("dns-query"))
			if len(dns) != 1 || dns[0].time.After(conns[0].time) || !slices.Equal(dns[0].DNS.ResolvedIP, []string{conns[0].Destination.IP}) {
				t.Fatalf("run %d: no lookup of the C2 domain first", i+1)
			}
			var gaps []float64
			for j := 1; j < len(conns); j++ {
				gaps = append(gaps, conns[j].time.Sub(conns[j-1].time).Seconds())
			}
			mean, cv := meanCV(gaps)
			if mean < 25 || mean > 130 || cv > 0.15 {
				t.Fatalf("run %d: beacon interval mean %.1fs, cv %.3f", i+1, mean, cv)
			}
			fw := where(run, action("firewall-allow"))
			sizes := make([]float64, len(fw))
			for j, e := range fw {
				sizes[j] = float64(*e.Source.Bytes)
			}
			if _, cv := meanCV(sizes); cv > 0.05 || !hasTech(fw[0], "T1071.001") {
				t.Fatalf("run %d: beacon sizes vary by cv %.3f", i+1, cv)
			}
		}
	},
	"dns_tunneling": func(t *testing.T, runs [][]*ecsEvent) {
		for i, run := range runs {
			q := where(run, action("dns-query"))
			names := distinct(q, func(e *ecsEvent) string { return e.DNS.Question.Name })
			regs := distinct(q, func(e *ecsEvent) string { return e.DNS.Question.RegisteredDomain })
			if len(names) < 40 || len(regs) != 1 || span(q) > 10*time.Minute {
				t.Fatalf("run %d: %d names of %d domains over %s", i+1, len(names), len(regs), span(q))
			}
			for _, e := range q {
				if l := strings.Index(e.DNS.Question.Name, "."); l < 30 || !hasTech(e, "T1071.004") {
					t.Fatalf("run %d: %s", i+1, e.DNS.Question.Name)
				}
			}
		}
	},
	"exfiltration": func(t *testing.T, runs [][]*ecsEvent) {
		archive := regexp.MustCompile(`\s-h?p\S+`)
		for i, run := range runs {
			a := where(run, func(e *ecsEvent) bool { return archive.MatchString(e.Process.CommandLine) && hasTech(e, "T1560.001") })
			up := where(run, func(e *ecsEvent) bool {
				return e.Event.Action == "process-started" && (e.Process.Name == "curl.exe" || strings.Contains(e.Process.Name, "rclone"))
			})
			flow := where(run, func(e *ecsEvent) bool {
				return e.Event.Action == "firewall-allow" && *e.Source.Bytes >= 50<<20 && *e.Source.Bytes <= 900<<20 && e.Network.Direction == "outbound"
			})
			if len(a) != 1 || len(up) != 1 || len(flow) != 1 || !slices.Contains(flow[0].Truth.Tactics, "TA0010") {
				t.Fatalf("run %d: %d archives, %d uploads, %d large flows", i+1, len(a), len(up), len(flow))
			}
		}
	},
	"ransomware": func(t *testing.T, runs [][]*ecsEvent) {
		ext := regexp.MustCompile(`\.(locked|encrypted|crypt|lockbit)$`)
		for i, run := range runs {
			inhibit := where(run, func(e *ecsEvent) bool { return e.Process.CommandLine == "vssadmin.exe delete shadows /all /quiet" })
			enc := where(run, func(e *ecsEvent) bool { return e.Event.Category[0] == "file" && ext.MatchString(e.File.Path) })
			notes := where(run, func(e *ecsEvent) bool { return slices.Contains(ransomNotes, e.File.Name) })
			if len(inhibit) != 1 || len(enc) < 100 || len(enc) > 1000 || len(notes) == 0 {
				t.Fatalf("run %d: %d vssadmin, %d encrypted files, %d notes", i+1, len(inhibit), len(enc), len(notes))
			}
			if len(distinct(enc, func(e *ecsEvent) string { return e.Process.Executable })) != 1 || span(enc) > 180*time.Second {
				t.Fatalf("run %d: encryption over %s", i+1, span(enc))
			}
			if !slices.Equal(enc[0].Truth.Tactics, []string{"TA0040"}) || !hasTech(inhibit[0], "T1490") {
				t.Fatalf("run %d: truth", i+1)
			}
		}
	},
	"phishing_macro": func(t *testing.T, runs [][]*ecsEvent) {
		for i, run := range runs {
			office := where(run, func(e *ecsEvent) bool { return e.Process.Name == "WINWORD.EXE" || e.Process.Name == "EXCEL.EXE" })
			if len(office) != 1 || !hasTech(office[0], "T1204.002") || !hasTech(office[0], "T1566.001") {
				t.Fatalf("run %d: %d Office starts", i+1, len(office))
			}
			child := where(run, func(e *ecsEvent) bool {
				return e.Process.Parent.PID == office[0].Process.PID && e.Event.Action == "process-started" &&
					slices.Contains([]string{"cmd.exe", "powershell.exe", "mshta.exe", "regsvr32.exe"}, e.Process.Name)
			})
			if len(child) != 1 {
				t.Fatalf("run %d: Office spawned %d shells", i+1, len(child))
			}
		}
	},
	"webshell": func(t *testing.T, runs [][]*ecsEvent) {
		for i, run := range runs {
			exploit := where(run, func(e *ecsEvent) bool { return e.Event.Category[0] == "web" && hasTech(e, "T1190") })
			use := where(run, func(e *ecsEvent) bool { return strings.HasPrefix(e.URL.Query, "cmd=") })
			shells := where(run, func(e *ecsEvent) bool {
				return (e.Process.Parent.Name == "w3wp.exe" || e.Process.Parent.Name == "php-fpm8.1") && hasTech(e, "T1505.003")
			})
			if len(exploit) == 0 || len(use) < 3 || len(shells) != len(use) || exploit[0].time.After(use[0].time) {
				t.Fatalf("run %d: %d exploits, %d shell requests, %d shells", i+1, len(exploit), len(use), len(shells))
			}
		}
	},
	"log_clearing": func(t *testing.T, runs [][]*ecsEvent) {
		clear := regexp.MustCompile(`wevtutil(\.exe)?\s+cl |Clear-EventLog`)
		defender := 0
		for i, run := range runs {
			c := where(run, func(e *ecsEvent) bool { return clear.MatchString(e.Process.CommandLine) })
			cleared := where(run, func(e *ecsEvent) bool { return e.Event.Code == "1102" || e.Event.Code == "104" })
			if len(c) == 0 || len(cleared) == 0 || !hasTech(c[0], "T1070.001") {
				t.Fatalf("run %d: %d clearing commands, %d cleared logs", i+1, len(c), len(cleared))
			}
			if len(where(run, func(e *ecsEvent) bool { return strings.Contains(e.Process.CommandLine, "-DisableRealtimeMonitoring") })) > 0 {
				defender++
			}
		}
		if defender == 0 {
			t.Error("Defender never disabled")
		}
	},
	"registry_run_key": func(t *testing.T, runs [][]*ecsEvent) {
		for i, run := range runs {
			reg := where(run, func(e *ecsEvent) bool {
				return strings.Contains(e.Registry.Path, `\CurrentVersion\Run\`) && strings.Contains(e.Registry.Data.Strings[0], `\AppData\`)
			})
			cmd := where(run, func(e *ecsEvent) bool { return strings.Contains(e.Process.CommandLine, `CurrentVersion\Run`) })
			if len(reg) != 1 || len(cmd) != 1 || !slices.Equal(reg[0].Truth.Tactics, []string{"TA0003", "TA0004"}) {
				t.Fatalf("run %d: %d Run values, %d commands", i+1, len(reg), len(cmd))
			}
		}
	},
	"uac_bypass": func(t *testing.T, runs [][]*ecsEvent) {
		for i, run := range runs {
			reg := where(run, func(e *ecsEvent) bool {
				return strings.Contains(strings.ToLower(e.Registry.Path), `_classes\`) && strings.Contains(strings.ToLower(e.Registry.Path), `\shell\open\command\`)
			})
			auto := where(run, func(e *ecsEvent) bool {
				return slices.Contains([]string{"fodhelper.exe", "eventvwr.exe", "ComputerDefaults.exe"}, e.Process.Name)
			})
			if len(reg) == 0 || len(auto) != 1 {
				t.Fatalf("run %d: %d hijacks, %d auto-elevating starts", i+1, len(reg), len(auto))
			}
			payload := where(run, func(e *ecsEvent) bool { return e.Process.Parent.PID == auto[0].Process.PID })
			if len(payload) != 1 || payload[0].Winlog.EventData["IntegrityLevel"] != "High" || !hasTech(payload[0], "T1548.002") {
				t.Fatalf("run %d: no elevated payload", i+1)
			}
		}
	},
	"web_scan": func(t *testing.T, runs [][]*ecsEvent) {
		for i, run := range runs {
			if len(run) < 100 || len(distinct(run, func(e *ecsEvent) string { return e.Source.IP + e.Host.Name })) != 1 {
				t.Fatalf("run %d: %d requests", i+1, len(run))
			}
			if nf := len(where(run, func(e *ecsEvent) bool { return e.HTTP.Response.StatusCode == 404 })); nf < len(run)*7/10 {
				t.Fatalf("run %d: %d of %d not found", i+1, nf, len(run))
			}
		}
	},
}

func meanCV(xs []float64) (mean, cv float64) {
	for _, x := range xs {
		mean += x
	}
	mean /= float64(len(xs))
	var v float64
	for _, x := range xs {
		v += (x - mean) * (x - mean)
	}
	return mean, math.Sqrt(v/float64(len(xs))) / mean
}

func TestScenarios(t *testing.T) {
	t.Parallel()
	for _, s := range Scenarios() {
		check := scenarioChecks[s.Name]
		if check == nil {
			t.Errorf("no check for scenario %s", s.Name)
			continue
		}
		t.Run(s.Name, func(t *testing.T) {
			n := 20
			if s.Name == "ransomware" {
				n = 6
			}
			runs := scenarioRuns(t, s.Name, n)
			for _, run := range runs {
				for _, e := range run {
					if e.Truth.Scenario != s.Name || e.Truth.Run != run[0].Truth.Run {
						t.Fatalf("truth %+v in a run of %s", e.Truth, s.Name)
					}
				}
			}
			check(t, runs)
		})
	}
}
