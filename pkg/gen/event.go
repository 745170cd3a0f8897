package gen

import (
	"strings"
	"time"
)

// kind is what an event records.
type kind uint8

const (
	kProcess  kind = iota + 1 // a process started
	kAuth                     // a logon succeeded or failed
	kNetwork                  // a network connection or flow
	kDNS                      // a DNS query
	kFile                     // a file was created, renamed or deleted
	kRegistry                 // a registry value was set
	kWeb                      // a web server access log line
	kService                  // a Windows service was installed (System 7045)
	kTask                     // a scheduled task was created (Security 4698)
	kLogClear                 // an event log was cleared (Security 1102, System 104)
)

// sensor is the log an event comes from; it sets event.dataset and friends.
type sensor uint8

const (
	sSysmon   sensor = iota + 1 // windows.sysmon_operational
	sSecurity                   // windows.security
	sSystem                     // windows.system
	sAuditd                     // auditd.log
	sSSHD                       // system.auth
	sFirewall                   // firewall
	sZeekConn                   // zeek.connection
	sZeekDNS                    // zeek.dns
	sNginx                      // nginx.access
	sIIS                        // iis.access
	sEndpoint                   // endpoint.events.file (renames)
)

// proc is a process as an event shows it.
type proc struct {
	PID  int
	Exe  string // full path
	Cmd  string // command line
	Orig string // PE original file name; "" looks it up by name
}

// tags is the ATT&CK ground truth of one attack event.
type tags struct {
	Tech []string
	Tact []string
}

// record is one generated event, before encoding. Fields unused by its
// kind stay empty.
type record struct {
	Time    int64 // Unix milliseconds
	Kind    kind
	Sensor  sensor
	Action  string // event.action
	Outcome string // "success", "failure" or ""
	Code    string // event.code
	Host    *machine
	User    string
	Domain  string // Windows account domain: "CORP", "NT AUTHORITY"

	Proc, Parent proc
	Integrity    string // Sysmon IntegrityLevel
	WorkDir      string

	SrcIP, DstIP         string
	SrcPort, DstPort     int
	Transport, Direction string
	SrcBytes, DstBytes   int64
	ConnState            string // zeek conn_state
	DstDomain            string

	Query, QType, RegDomain, Answer string

	Path string // file path, or the registry TargetObject

	RegData, RegType string

	Method, URLPath, URLQuery, UA string
	Status                        int
	RespBytes                     int64

	LogonType             int // 2, 3, 5, 10
	Workstation           string
	FailStatus, FailSub   string
	AuthPkg, LogonProcess string
	SSHMethod             string
	InvalidUser           bool

	SvcName, SvcPath, SvcStart, SvcAccount string
	TaskName, TaskCmd, TaskArgs            string
	TaskContent                            string // the task's XML
	Channel                                string // the cleared log

	Tags *tags // nil for background events
}

const (
	ntAuthority = "NT AUTHORITY"
	system      = "SYSTEM"
)

// winProcess makes e a Sysmon process creation (event ID 1).
func (e *record) winProcess(h *machine, user, domain string, p, parent proc, integrity string) {
	e.Kind, e.Sensor, e.Action, e.Code = kProcess, sSysmon, "process-started", "1"
	e.Host, e.User, e.Domain = h, user, domain
	e.Proc, e.Parent, e.Integrity = p, parent, integrity
}

// linProcess makes e an auditd execve record.
func (e *record) linProcess(h *machine, user string, p, parent proc) {
	e.Kind, e.Sensor, e.Action = kProcess, sAuditd, "process-started"
	e.Host, e.User = h, user
	e.Proc, e.Parent = p, parent
}

// winLogon makes e a Security 4624 (ok) or 4625 logon on h. src is the
// remote address, "" for a local logon.
func (e *record) winLogon(h *machine, user, domain string, ok bool, logonType int, src string, sport int, workstation string) {
	e.Kind, e.Sensor = kAuth, sSecurity
	e.Host, e.User, e.Domain = h, user, domain
	e.LogonType, e.SrcIP, e.SrcPort, e.Workstation = logonType, src, sport, workstation
	if ok {
		e.Action, e.Outcome, e.Code = "logged-in", "success", "4624"
	} else {
		e.Action, e.Outcome, e.Code = "logon-failed", "failure", "4625"
		e.FailStatus, e.FailSub = "0xc000006d", "0xc000006a"
	}
	switch logonType {
	case 3:
		e.LogonProcess, e.AuthPkg = "NtLmSsp", "NTLM"
		if ok && src != "" && isInternal(src) {
			e.LogonProcess, e.AuthPkg = "Kerberos", "Kerberos"
		}
	case 5:
		e.LogonProcess, e.AuthPkg = "Advapi", "Negotiate"
	default:
		e.LogonProcess, e.AuthPkg = "User32", "Negotiate"
	}
}

// sshLogin makes e an sshd password or publickey login on h.
func (e *record) sshLogin(h *machine, user string, ok bool, method, src string, sport, pid int, invalid bool) {
	e.Kind, e.Sensor = kAuth, sSSHD
	e.Host, e.User = h, user
	e.SSHMethod, e.SrcIP, e.SrcPort, e.InvalidUser = method, src, sport, invalid
	e.Proc = proc{PID: pid, Exe: "/usr/sbin/sshd"}
	if ok {
		e.Action, e.Outcome = "logged-in", "success"
	} else {
		e.Action, e.Outcome = "logon-failed", "failure"
	}
}

// sysmonConn makes e a Sysmon network connection (event ID 3) by p.
func (e *record) sysmonConn(h *machine, user, domain string, p proc, src string, sport int, dst string, dport int, transport string) {
	e.Kind, e.Sensor, e.Action, e.Code = kNetwork, sSysmon, "network-connection", "3"
	e.Host, e.User, e.Domain, e.Proc = h, user, domain, p
	e.SrcIP, e.SrcPort, e.DstIP, e.DstPort, e.Transport = src, sport, dst, dport, transport
	e.Direction = direction(src, dst)
}

// firewall makes e a perimeter firewall record. h is the internal endpoint.
func (e *record) firewall(h *machine, user string, allow bool, src string, sport int, dst string, dport int, transport string, sb, db int64) {
	e.Kind, e.Sensor = kNetwork, sFirewall
	e.Host, e.User = h, user
	if user != "" && h.OS == windows {
		e.Domain = orgDomain // from the firewall's user identification
	}
	e.SrcIP, e.SrcPort, e.DstIP, e.DstPort, e.Transport = src, sport, dst, dport, transport
	e.Direction = direction(src, dst)
	e.SrcBytes, e.DstBytes = sb, db
	if allow {
		e.Action, e.Outcome = "firewall-allow", "success"
	} else {
		e.Action, e.Outcome = "firewall-deny", "failure"
	}
}

// zeekConn makes e a Zeek conn.log record. h is the internal endpoint.
func (e *record) zeekConn(h *machine, src string, sport int, dst string, dport int, transport, state string, sb, db int64) {
	e.Kind, e.Sensor, e.Action = kNetwork, sZeekConn, "connection"
	e.Host = h
	e.SrcIP, e.SrcPort, e.DstIP, e.DstPort, e.Transport = src, sport, dst, dport, transport
	e.Direction = direction(src, dst)
	e.SrcBytes, e.DstBytes, e.ConnState = sb, db, state
}

// dns makes e a DNS query from h: seen by Zeek when p is empty, else
// Sysmon 22 by p.
func (e *record) dns(h *machine, user, domain string, p proc, resolver, name, qtype, reg, answer string) {
	e.Kind, e.Action = kDNS, "dns-query"
	e.Host, e.User, e.Domain = h, user, domain
	if p.Exe != "" {
		e.Sensor, e.Code, e.Proc = sSysmon, "22", p
	} else {
		e.Sensor = sZeekDNS
		e.User, e.Domain = "", "" // the network sensor sees no accounts
	}
	e.SrcIP, e.DstIP, e.DstPort, e.Transport, e.Direction = h.IP, resolver, 53, "udp", direction(h.IP, resolver)
	e.Query, e.QType, e.RegDomain, e.Answer = name, qtype, reg, answer
}

// file makes e a file event by p: "file-created" (Sysmon 11),
// "file-deleted" (Sysmon 23) or "file-renamed" (endpoint; path is the new name).
func (e *record) file(h *machine, user, domain string, p proc, action, path string) {
	e.Kind, e.Action = kFile, action
	e.Host, e.User, e.Domain, e.Proc, e.Path = h, user, domain, p, path
	switch action {
	case "file-created":
		e.Sensor, e.Code = sSysmon, "11"
	case "file-deleted":
		e.Sensor, e.Code = sSysmon, "23"
	default:
		e.Sensor = sEndpoint
	}
}

// registry makes e a Sysmon registry value set (event ID 13) by p; path is
// the full TargetObject, "HKU\S-...\Software\...\Run\Name".
func (e *record) registry(h *machine, user, domain string, p proc, path, data, dtype string) {
	e.Kind, e.Sensor, e.Action, e.Code = kRegistry, sSysmon, "registry-value-set", "13"
	e.Host, e.User, e.Domain, e.Proc = h, user, domain, p
	e.Path, e.RegData, e.RegType = path, data, dtype
}

// web makes e an access log line of the web server h.
func (e *record) web(h *machine, client string, cport int, method, path, query string, status int, ua string, bytes int64) {
	e.Kind, e.Action = kWeb, "access"
	e.Host = h
	if h.OS == windows {
		e.Sensor = sIIS
	} else {
		e.Sensor = sNginx
	}
	e.SrcIP, e.SrcPort, e.DstIP, e.DstPort, e.Transport = client, cport, h.IP, 443, "tcp"
	e.Method, e.URLPath, e.URLQuery, e.Status, e.UA, e.RespBytes = method, path, query, status, ua, bytes
	if status >= 400 {
		e.Outcome = "failure"
	} else {
		e.Outcome = "success"
	}
}

// service makes e a System 7045: a service was installed.
func (e *record) service(h *machine, user, domain, name, path, start, account string) {
	e.Kind, e.Sensor, e.Action, e.Code = kService, sSystem, "service-installed", "7045"
	e.Host, e.User, e.Domain = h, user, domain
	e.SvcName, e.SvcPath, e.SvcStart, e.SvcAccount = name, path, start, account
}

// task makes e a Security 4698: a scheduled task was created. trigger is
// "logon", "daily", "minute" or "boot"; runAs is the principal's SID.
func (e *record) task(h *machine, user, domain, name, command, args, trigger, runAs string) {
	e.Kind, e.Sensor, e.Action, e.Code = kTask, sSecurity, "scheduled-task-created", "4698"
	e.Host, e.User, e.Domain = h, user, domain
	e.TaskName, e.TaskCmd, e.TaskArgs = name, command, args
	e.TaskContent = taskXML(e.Time, domain+`\`+user, name, command, args, trigger, runAs)
}

var xmlEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;")

// taskXML returns the task definition as Windows records it in TaskContent.
func taskXML(ms int64, author, name, command, args, trigger, runAs string) string {
	start := time.UnixMilli(ms).UTC().Format("2006-01-02T15:04:05")
	var trig string
	switch trigger {
	case "logon":
		trig = "<LogonTrigger><Enabled>true</Enabled></LogonTrigger>"
	case "boot":
		trig = "<BootTrigger><Enabled>true</Enabled></BootTrigger>"
	case "minute":
		trig = "<TimeTrigger><Repetition><Interval>PT15M</Interval><StopAtDurationEnd>false</StopAtDurationEnd></Repetition><StartBoundary>" + start + "</StartBoundary><Enabled>true</Enabled></TimeTrigger>"
	default:
		trig = "<CalendarTrigger><StartBoundary>" + start + "</StartBoundary><Enabled>true</Enabled><ScheduleByDay><DaysInterval>1</DaysInterval></ScheduleByDay></CalendarTrigger>"
	}
	level := "LeastPrivilege"
	if runAs == "S-1-5-18" {
		level = "HighestAvailable"
	}
	x := `<?xml version="1.0" encoding="UTF-16"?>` + "\r\n" +
		`<Task version="1.2" xmlns="http://schemas.microsoft.com/windows/2004/02/mit/task"><RegistrationInfo><Date>` + start +
		`</Date><Author>` + xmlEscaper.Replace(author) + `</Author><URI>` + xmlEscaper.Replace(name) + `</URI></RegistrationInfo><Triggers>` + trig +
		`</Triggers><Principals><Principal id="Author"><UserId>` + runAs + `</UserId><RunLevel>` + level +
		`</RunLevel></Principal></Principals><Settings><Enabled>true</Enabled><Hidden>false</Hidden></Settings><Actions Context="Author"><Exec><Command>` +
		xmlEscaper.Replace(command) + `</Command>`
	if args != "" {
		x += `<Arguments>` + xmlEscaper.Replace(args) + `</Arguments>`
	}
	return x + `</Exec></Actions></Task>`
}

// logCleared makes e a Security 1102 (the Security log) or System 104.
func (e *record) logCleared(h *machine, user, domain, channel string) {
	e.Kind, e.Host, e.User, e.Domain, e.Channel = kLogClear, h, user, domain, channel
	if channel == "Security" {
		e.Sensor, e.Action, e.Code = sSecurity, "audit-log-cleared", "1102"
	} else {
		e.Sensor, e.Action, e.Code = sSystem, "log-cleared", "104"
	}
}

// isInternal reports whether ip is a private (RFC 1918) or loopback address.
func isInternal(ip string) bool {
	switch {
	case strings.HasPrefix(ip, "10."), strings.HasPrefix(ip, "192.168."), strings.HasPrefix(ip, "127."):
		return true
	case strings.HasPrefix(ip, "172."):
		n := 0
		for i := 4; i < len(ip) && ip[i] != '.'; i++ {
			n = n*10 + int(ip[i]-'0')
		}
		return n >= 16 && n <= 31
	}
	return false
}

// direction returns network.direction for a flow from src to dst.
func direction(src, dst string) string {
	si, di := isInternal(src), isInternal(dst)
	switch {
	case si && di:
		return "internal"
	case si:
		return "outbound"
	case di:
		return "inbound"
	}
	return "external"
}

// baseName returns the file name of a Windows or Unix path.
func baseName(path string) string {
	for i := len(path) - 1; i >= 0; i-- {
		if path[i] == '\\' || path[i] == '/' {
			return path[i+1:]
		}
	}
	return path
}

// dirName returns the directory of a Windows or Unix path.
func dirName(path string) string {
	for i := len(path) - 1; i >= 0; i-- {
		if path[i] == '\\' || path[i] == '/' {
			return path[:i]
		}
	}
	return ""
}

// extension returns the extension of a file name, without the dot.
func extension(name string) string {
	for i := len(name) - 1; i >= 0; i-- {
		if name[i] == '.' {
			return name[i+1:]
		}
	}
	return ""
}
