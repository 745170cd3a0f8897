package gen

import (
	"bytes"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/secpipe/secpipe/pkg/event"
)

// labEvent holds the lab fields the benign checks read.
type labEvent struct {
	Timestamp           string
	User, Host          string
	SourceIP            string `json:"source_ip"`
	EventType           string `json:"event_type"`
	LogSource           string `json:"log_source"`
	ProcessName         string `json:"process_name"`
	ProcessPath         string `json:"process_path"`
	CommandLine         string `json:"command_line"`
	ParentProcess       string `json:"parent_process"`
	LogonType           string `json:"logon_type"`
	DestinationIP       string `json:"destination_ip"`
	DestinationPort     int    `json:"destination_port"`
	DNSQuery            string `json:"dns_query"`
	DNSRegisteredDomain string `json:"dns_registered_domain"`
	RegistryPath        string `json:"registry_path"`
	ServicePath         string `json:"service_path"`
	TaskCommand         string `json:"task_command"`

	t time.Time
}

// benignFields are the lab fields the benign checks read.
var benignFields = event.NewPaths("timestamp", "user", "host", "source_ip", "event_type", "log_source",
	"process_name", "process_path", "command_line", "parent_process", "logon_type", "destination_ip",
	"destination_port", "dns_query", "dns_registered_domain", "registry_path", "service_path", "task_command")

// benignEvents returns 200,000 events of background only, in lab format,
// and reports any of the first 50,000 lines that holds an attack artifact.
func benignEvents(t *testing.T, artifacts []string) []*labEvent {
	t.Helper()
	g, err := New(Config{Seed: 21, Count: 200000, Scenarios: []string{"none"}, Format: Lab})
	if err != nil {
		t.Fatal(err)
	}
	var f event.Fields
	var evs []*labEvent
	var buf []byte
	text := func(slot int) string {
		if v := f.Values(slot); len(v) > 0 {
			return v[0].Text()
		}
		return ""
	}
	for i := 0; ; i++ {
		var ok bool
		buf, ok = g.Next(buf[:0])
		if !ok {
			return evs
		}
		if i < 50000 {
			for _, a := range artifacts {
				if bytes.Contains(buf, []byte(a)) {
					t.Fatalf("benign line %d contains %q:\n%s", i+1, a, buf)
				}
			}
		}
		benignFields.Extract(buf, &f)
		e := &labEvent{Timestamp: text(0), User: text(1), Host: text(2), SourceIP: text(3), EventType: text(4),
			LogSource: text(5), ProcessName: text(6), ProcessPath: text(7), CommandLine: text(8), ParentProcess: text(9),
			LogonType: text(10), DestinationIP: text(11), DNSQuery: text(13), DNSRegisteredDomain: text(14),
			RegistryPath: text(15), ServicePath: text(16), TaskCommand: text(17)}
		e.DestinationPort, _ = strconv.Atoi(text(12))
		ts, err := time.Parse("2006-01-02T15:04:05.000Z", e.Timestamp)
		if err != nil {
			t.Fatal(err)
		}
		e.t = ts
		evs = append(evs, e)
	}
}

// maxInWindow returns the most distinct values of a group within any
// window of width w, over events sorted by time.
func maxInWindow(evs []*labEvent, w time.Duration, group, value func(*labEvent) string) (int, string) {
	groups := map[string][]*labEvent{}
	for _, e := range evs {
		if k := group(e); k != "" {
			groups[k] = append(groups[k], e)
		}
	}
	best, where := 0, ""
	for k, g := range groups {
		count := map[string]int{}
		lo := 0
		for hi, e := range g {
			count[value(e)]++
			for g[lo].t.Before(e.t.Add(-w)) {
				v := value(g[lo])
				if count[v]--; count[v] == 0 {
					delete(count, v)
				}
				lo++
			}
			if len(count) > best {
				best, where = len(count), k+" at "+g[hi].Timestamp
			}
		}
	}
	return best, where
}

var discoveryBinaries = map[string]bool{
	"whoami.exe": true, "net.exe": true, "net1.exe": true, "systeminfo.exe": true, "ipconfig.exe": true,
	"nltest.exe": true, "tasklist.exe": true, "quser.exe": true, "arp.exe": true, "netstat.exe": true,
	"hostname.exe": true, "query.exe": true, "nslookup.exe": true,
	"whoami": true, "id": true, "uname": true, "hostname": true, "ip": true, "ss": true, "ifconfig": true,
	"netstat": true, "ps": true, "w": true, "last": true,
}

// TestBenignNearMisses: benign traffic holds no attack tool's artifacts
// (administration that looks like an attack, such as schtasks /ru SYSTEM or
// net group "Domain Admins", is there on purpose: admins do it).
func TestBenignNearMisses(t *testing.T) {
	t.Parallel()
	evs := benignEvents(t, []string{" -enc ", "-EncodedCommand", "vssadmin", "shadowcopy", "bcdedit", "wbadmin", "mimikatz",
		"sekurlsa", "comsvcs", "procdump", "wevtutil", "Clear-EventLog", "DisableRealtimeMonitoring", "ms-settings",
		"mscfile", "PSEXESVC", "PsExec", "rclone", "mega.co.nz", "lsass", "reg  add",
		"whoami /all", "cmd=", ".locked", "README_DECRYPT", "dnscat", "Nikto", "sqlmap", "DownloadString", "mshta",
		"regsvr32", "fodhelper", "eventvwr.exe", "log_clear"})

	// At most two distinct discovery commands per user in 10 minutes.
	procs := []*labEvent{}
	for _, e := range evs {
		if e.EventType == "process_start" {
			procs = append(procs, e)
		}
	}
	n, at := maxInWindow(procs, 10*time.Minute, func(e *labEvent) string {
		if discoveryBinaries[strings.ToLower(e.ProcessName)] {
			return e.User
		}
		return ""
	}, func(e *labEvent) string { return e.CommandLine })
	if n > 2 {
		t.Errorf("a user ran %d distinct discovery commands within 10 minutes (%s)", n, at)
	}

	// Fewer than 10 failed logons per source in 10 minutes.
	var fails []*labEvent
	for _, e := range evs {
		if e.EventType == "user_login" && e.LogonType == "failure" {
			fails = append(fails, e)
		}
	}
	if len(fails) == 0 {
		t.Error("no mistyped passwords in benign traffic")
	}
	sort.SliceStable(fails, func(i, j int) bool { return fails[i].t.Before(fails[j].t) })
	counts := 0
	for i := range fails {
		j := i
		for j < len(fails) && fails[j].t.Sub(fails[i].t) <= 10*time.Minute {
			j++
		}
		per := map[string]int{}
		for _, f := range fails[i:j] {
			per[f.SourceIP]++
			counts = max(counts, per[f.SourceIP])
		}
	}
	if counts >= 10 {
		t.Errorf("a benign source failed %d logons within 10 minutes", counts)
	}

	// Few distinct ports between two hosts within a minute: no scans.
	var conns []*labEvent
	for _, e := range evs {
		if e.EventType == "network_connection" {
			conns = append(conns, e)
		}
	}
	n, at = maxInWindow(conns, time.Minute, func(e *labEvent) string { return e.SourceIP + ">" + e.DestinationIP },
		func(e *labEvent) string { return string(rune(e.DestinationPort + 1)) })
	if n >= 10 {
		t.Errorf("%d distinct ports between two hosts within a minute (%s)", n, at)
	}

	// At most 10 distinct names of one domain per source in 5 minutes.
	var dns []*labEvent
	for _, e := range evs {
		if e.EventType == "dns_query" {
			dns = append(dns, e)
		}
	}
	n, at = maxInWindow(dns, 5*time.Minute, func(e *labEvent) string { return e.SourceIP + " " + e.DNSRegisteredDomain },
		func(e *labEvent) string { return e.DNSQuery })
	if n > 10 {
		t.Errorf("%d distinct names of one domain from one source within 5 minutes (%s)", n, at)
	}

	// Periodic connections of software are irregular, unlike beacons.
	series := map[string][]time.Time{}
	for _, e := range conns {
		if e.LogSource == "windows.sysmon_operational" {
			k := e.Host + " " + e.ProcessPath + " " + e.DestinationIP
			series[k] = append(series[k], e.t)
		}
	}
	periodic := 0
	for k, ts := range series {
		if len(ts) < 10 {
			continue
		}
		periodic++
		var gaps []float64
		for i := 1; i < len(ts); i++ {
			gaps = append(gaps, ts[i].Sub(ts[i-1]).Seconds())
		}
		if _, cv := meanCV(gaps); cv < 0.2 {
			t.Errorf("benign connections %s are regular: cv %.3f", k, cv)
		}
	}
	if periodic == 0 {
		t.Error("no periodic benign connections")
	}

	// The near-misses are there.
	has := func(what string, f func(*labEvent) bool) {
		for _, e := range evs {
			if f(e) {
				return
			}
		}
		t.Errorf("no %s in benign traffic", what)
	}
	has("admin whoami", func(e *labEvent) bool { return e.CommandLine == "whoami" })
	has("admin discovery beyond whoami", func(e *labEvent) bool {
		for _, p := range winDiscovery[1:] {
			if e.CommandLine == p.Cmd {
				return true
			}
		}
		return false
	})
	has("admin task scheduled as SYSTEM", func(e *labEvent) bool {
		return e.ProcessName == "schtasks.exe" && strings.Contains(e.CommandLine, "/ru SYSTEM")
	})
	has("PowerShell with -ExecutionPolicy Bypass", func(e *labEvent) bool {
		return e.ProcessName == "powershell.exe" && strings.Contains(e.CommandLine, "-ExecutionPolicy Bypass")
	})
	has("PowerShell -File", func(e *labEvent) bool { return strings.Contains(e.CommandLine, `-File C:\Scripts\`) })
	has("updater scheduled task", func(e *labEvent) bool { return strings.Contains(e.TaskCommand, "GoogleUpdate.exe") })
	has("Run key in AppData by Teams", func(e *labEvent) bool {
		return strings.Contains(e.RegistryPath, `\CurrentVersion\Run\`) && e.ProcessName == "Update.exe"
	})
	has("service from Program Files", func(e *labEvent) bool { return strings.Contains(e.ServicePath, `C:\Program Files`) })
	has("backup archive", func(e *labEvent) bool {
		return strings.HasPrefix(e.CommandLine, `"C:\Program Files\7-Zip\7z.exe" a -tzip`)
	})
	has("schtasks /create by an admin", func(e *labEvent) bool { return e.ProcessName == "schtasks.exe" })
	has("monitoring sweep", func(e *labEvent) bool { return e.Host == "mon-01" && e.EventType == "network_connection" })
	has("rundll32", func(e *labEvent) bool { return e.ProcessName == "rundll32.exe" })
	has("Office child process", func(e *labEvent) bool { return e.ParentProcess == "WINWORD.EXE" })

	// Benign scheduled tasks and services point into Program Files or the
	// updaters' own folders, never Temp.
	for _, e := range evs {
		if strings.Contains(e.TaskCommand+e.ServicePath, `\Temp\`) {
			t.Fatalf("benign task or service in Temp: %+v", e)
		}
	}
}
