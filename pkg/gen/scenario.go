package gen

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// Scenario is an attack the generator can weave into the background: a
// run of related events with their ATT&CK ground truth.
type Scenario struct {
	Name        string
	Description string
	// Techniques lists every ATT&CK technique its events may exhibit.
	Techniques []string
	// Tactics lists the tactics of those techniques, in kill-chain order.
	Tactics []string

	build func(*builder)
}

// tacticsOf says which tactics an event exhibiting a technique is credited
// with here. A technique that serves several tactics is credited only with
// those it serves in the scenarios (T1078 is initial access after a brute
// force, not persistence).
var tacticsOf = map[string][]string{
	"T1595.002": {"TA0043"}, "T1595.003": {"TA0043"},
	"T1078": {"TA0001"}, "T1190": {"TA0001"}, "T1566.001": {"TA0001"},
	"T1059.001": {"TA0002"}, "T1059.003": {"TA0002"}, "T1059.004": {"TA0002"},
	"T1204.002": {"TA0002"}, "T1569.002": {"TA0002"}, "T1047": {"TA0002"},
	"T1053.005": {"TA0002", "TA0003", "TA0004"},
	"T1505.003": {"TA0003"},
	"T1547.001": {"TA0003", "TA0004"},
	"T1548.002": {"TA0004", "TA0005"},
	"T1027":     {"TA0005"}, "T1070.001": {"TA0005"}, "T1562.001": {"TA0005"},
	"T1218.005": {"TA0005"}, "T1218.010": {"TA0005"}, "T1218.011": {"TA0005"},
	"T1110.001": {"TA0006"}, "T1110.003": {"TA0006"}, "T1003.001": {"TA0006"}, "T1003.002": {"TA0006"},
	"T1046": {"TA0007"}, "T1033": {"TA0007"}, "T1087.002": {"TA0007"}, "T1069.002": {"TA0007"},
	"T1082": {"TA0007"}, "T1016": {"TA0007"}, "T1482": {"TA0007"}, "T1069.001": {"TA0007"},
	"T1057": {"TA0007"}, "T1018": {"TA0007"}, "T1049": {"TA0007"}, "T1087.001": {"TA0007"},
	"T1021.002": {"TA0008"},
	"T1560.001": {"TA0009"},
	"T1105":     {"TA0011"}, "T1071.001": {"TA0011"}, "T1071.004": {"TA0011"},
	"T1048": {"TA0010"}, "T1048.003": {"TA0010"}, "T1567.002": {"TA0010"},
	"T1490": {"TA0040"}, "T1486": {"TA0040"},
}

// tacticOrder is the Enterprise kill chain, to sort tactics.
var tacticOrder = []string{"TA0043", "TA0042", "TA0001", "TA0002", "TA0003", "TA0004", "TA0005",
	"TA0006", "TA0007", "TA0008", "TA0009", "TA0011", "TA0010", "TA0040"}

func tacticRank(id string) int {
	for i, t := range tacticOrder {
		if t == id {
			return i
		}
	}
	return len(tacticOrder)
}

// tacticsFor returns the tactics credited to techs, in kill-chain order.
func tacticsFor(techs []string) []string {
	var out []string
	for _, t := range techs {
		for _, ta := range tacticsOf[t] {
			found := false
			for _, o := range out {
				found = found || o == ta
			}
			if !found {
				out = append(out, ta)
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return tacticRank(out[i]) < tacticRank(out[j]) })
	return out
}

var catalog = []*Scenario{
	{Name: "ssh_brute_force", build: buildSSHBruteForce,
		Description: "20-80 sshd password failures from one external IP against a Linux server within 150 s, usually followed by a successful login and a few commands",
		Techniques:  []string{"T1110.001", "T1078", "T1082", "T1033", "T1105", "T1059.004"}},
	{Name: "rdp_brute_force", build: buildRDPBruteForce,
		Description: "20-60 failed RDP logons (4625, LogonType 10) from one IP against one Windows host and user, usually followed by a successful one",
		Techniques:  []string{"T1110.001", "T1078"}},
	{Name: "password_spray", build: buildPasswordSpray,
		Description: "one source tries one or two passwords against 15-40 distinct accounts (4625, LogonType 3) within 2-10 minutes",
		Techniques:  []string{"T1110.003", "T1078"}},
	{Name: "port_scan", build: buildPortScan,
		Description: "one source probes 50-500 distinct ports of one target within 5-60 s; mostly denied or unanswered",
		Techniques:  []string{"T1046"}},
	{Name: "encoded_powershell", build: buildEncodedPowerShell,
		Description: "powershell.exe -EncodedCommand with a download cradle, spawned by explorer, cmd, Word or WMI, then a connection to the download host",
		Techniques:  []string{"T1059.001", "T1027", "T1059.003", "T1047", "T1105", "T1566.001", "T1204.002"}},
	{Name: "discovery", build: buildDiscovery,
		Description: "4-8 distinct discovery commands (whoami /all, net group ... /domain, nltest ...) by one user on one host within 2-10 minutes",
		Techniques:  []string{"T1059.003", "T1033", "T1087.002", "T1069.002", "T1082", "T1016", "T1482", "T1069.001", "T1057", "T1018", "T1049"}},
	{Name: "credential_dumping", build: buildCredentialDumping,
		Description: "LSASS dumped with procdump, comsvcs.dll MiniDump or mimikatz, or the SAM hive saved with reg save; the dump file is written",
		Techniques:  []string{"T1003.001", "T1003.002", "T1218.011", "T1105"}},
	{Name: "scheduled_task_persistence", build: buildScheduledTask,
		Description: "schtasks /create /ru SYSTEM of a task running a payload in AppData, Temp or ProgramData, and its 4698 event",
		Techniques:  []string{"T1053.005", "T1105"}},
	{Name: "lateral_movement_psexec", build: buildPsExec,
		Description: "PsExec from one host to another: network logon, PSEXESVC service install (7045), PSEXESVC.exe spawning cmd.exe",
		Techniques:  []string{"T1021.002", "T1569.002", "T1033"}},
	{Name: "c2_beaconing", build: buildBeaconing,
		Description: "an implant (rundll32 or an exe in AppData) resolves its C2 domain, then connects every 30-120 s with 5-20% jitter, 15-60 times, with small regular payloads",
		Techniques:  []string{"T1218.011", "T1071.001"}},
	{Name: "dns_tunneling", build: buildDNSTunneling,
		Description: "one host queries 40-300 distinct long random subdomains of one domain within 2-10 minutes",
		Techniques:  []string{"T1071.004", "T1048"}},
	{Name: "exfiltration", build: buildExfiltration,
		Description: "data staged in a password-protected 7z/rar archive, uploaded with rclone to MEGA or curl to an external host, with a 50-900 MB outbound flow",
		Techniques:  []string{"T1560.001", "T1567.002", "T1048.003"}},
	{Name: "ransomware", build: buildRansomware,
		Description: "shadow copies and recovery disabled (vssadmin, wmic, bcdedit, wbadmin), then 100-1000 files encrypted by one process within 30-180 s and ransom notes",
		Techniques:  []string{"T1490", "T1486", "T1059.003", "T1105"}},
	{Name: "phishing_macro", build: buildPhishingMacro,
		Description: "an Office document from Outlook or Downloads spawns cmd, powershell, mshta or regsvr32, which fetches a payload",
		Techniques:  []string{"T1566.001", "T1204.002", "T1059.001", "T1059.003", "T1218.005", "T1218.010", "T1105"}},
	{Name: "webshell", build: buildWebshell,
		Description: "an exploit request against a web server, a web shell written and used with cmd= requests, the web server spawning shells",
		Techniques:  []string{"T1190", "T1505.003", "T1059.003", "T1059.004", "T1033", "T1082", "T1016"}},
	{Name: "log_clearing", build: buildLogClearing,
		Description: "event logs cleared with wevtutil cl or Clear-EventLog, and Defender real-time monitoring disabled with Set-MpPreference",
		Techniques:  []string{"T1070.001", "T1562.001", "T1059.001"}},
	{Name: "registry_run_key", build: buildRunKey,
		Description: "reg add (or New-ItemProperty) of a HKCU Run value pointing into AppData, and the registry-value-set event",
		Techniques:  []string{"T1547.001", "T1059.001", "T1105"}},
	{Name: "uac_bypass", build: buildUACBypass,
		Description: "ms-settings (fodhelper) or mscfile (eventvwr) shell open command hijacked in HKCU, then the auto-elevating binary spawns the payload at high integrity",
		Techniques:  []string{"T1548.002"}},
	{Name: "web_scan", build: buildWebScan,
		Description: "one external IP sends 100-400 requests for known-vulnerable paths with a scanner user agent within 1-5 minutes, mostly 404",
		Techniques:  []string{"T1595.002", "T1595.003"}},
}

func init() {
	for _, s := range catalog {
		s.Tactics = tacticsFor(s.Techniques)
	}
}

// Scenarios returns the catalog of attack scenarios.
func Scenarios() []*Scenario { return catalog }

// SelectScenarios resolves --scenario values: names, comma-separated lists,
// "all" (also when specs is empty) and "none".
func SelectScenarios(specs []string) ([]*Scenario, error) {
	var names []string
	for _, s := range specs {
		for _, n := range strings.Split(s, ",") {
			if n = strings.TrimSpace(n); n != "" {
				names = append(names, n)
			}
		}
	}
	if len(names) == 0 {
		return catalog, nil
	}
	var out []*Scenario
	seen := map[string]bool{}
	for _, n := range names {
		switch n {
		case "all":
			for _, s := range catalog {
				if !seen[s.Name] {
					seen[s.Name] = true
					out = append(out, s)
				}
			}
			continue
		case "none":
			continue
		}
		s := lookupScenario(n)
		if s == nil {
			return nil, fmt.Errorf("unknown scenario %q (see --list-scenarios)", n)
		}
		if !seen[s.Name] {
			seen[s.Name] = true
			out = append(out, s)
		}
	}
	return out, nil
}

func lookupScenario(name string) *Scenario {
	name = strings.ReplaceAll(strings.ToLower(name), "-", "_")
	for _, s := range catalog {
		if s.Name == name {
			return s
		}
	}
	return nil
}

// builder assembles one run: events are added at the builder's clock,
// which only moves forward.
type builder struct {
	g     *Generator
	r     *rng
	w     *world
	run   *run
	t     int64 // current time (ms)
	start int64
}

// add appends an event at the current time with ground truth tg (nil for
// benign runs, or an attack event that exhibits nothing by itself).
func (b *builder) add(tg *tags) *record {
	b.run.events = append(b.run.events, record{Time: b.t, Tags: tg})
	return &b.run.events[len(b.run.events)-1]
}

// wait moves the clock forward by a random duration in [lo, hi].
func (b *builder) wait(lo, hi time.Duration) { b.t += b.r.ms(lo, hi) }

// tags returns the ground truth of an event exhibiting techs.
func (b *builder) tags(techs ...string) *tags {
	key := strings.Join(techs, ",")
	if t, ok := b.g.tagMap[key]; ok {
		return t
	}
	t := &tags{Tech: techs, Tact: tacticsFor(techs)}
	if len(techs) == 0 {
		t.Tech = []string{}
		t.Tact = []string{}
	}
	b.g.tagMap[key] = t
	return t
}

// none is the ground truth of an attack event that shows no technique by itself.
func (b *builder) none() *tags { return b.tags() }
