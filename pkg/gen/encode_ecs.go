package gen

import (
	"strconv"
	"unsafe"

	"github.com/secpipe/secpipe/pkg/event"
)

func appendStr(dst []byte, s string) []byte { return event.AppendString(dst, s) }

func appendInt(dst []byte, n int64) []byte { return strconv.AppendInt(dst, n, 10) }

// sensorInfo names the log a sensor writes: ECS event.dataset, event.module,
// event.provider and the Windows channel.
type sensorInfo struct {
	dataset, module, provider, channel string
	tail                               string // `"provider":..,"dataset":..,"module":..}` encoded
}

var sensors = func() []sensorInfo {
	s := make([]sensorInfo, sEndpoint+1)
	s[sSysmon] = sensorInfo{dataset: "windows.sysmon_operational", module: "windows", provider: "Microsoft-Windows-Sysmon", channel: "Microsoft-Windows-Sysmon/Operational"}
	s[sSecurity] = sensorInfo{dataset: "windows.security", module: "windows", provider: "Microsoft-Windows-Security-Auditing", channel: "Security"}
	s[sSystem] = sensorInfo{dataset: "windows.system", module: "windows", provider: "Service Control Manager", channel: "System"}
	s[sAuditd] = sensorInfo{dataset: "auditd.log", module: "auditd"}
	s[sSSHD] = sensorInfo{dataset: "system.auth", module: "system"}
	s[sFirewall] = sensorInfo{dataset: "firewall", module: "firewall"}
	s[sZeekConn] = sensorInfo{dataset: "zeek.connection", module: "zeek"}
	s[sZeekDNS] = sensorInfo{dataset: "zeek.dns", module: "zeek"}
	s[sNginx] = sensorInfo{dataset: "nginx.access", module: "nginx"}
	s[sIIS] = sensorInfo{dataset: "iis.access", module: "iis"}
	s[sEndpoint] = sensorInfo{dataset: "endpoint.events.file", module: "endpoint"}
	for i := range s {
		var b []byte
		if s[i].provider != "" {
			b = append(b, `,"provider":`...)
			b = appendStr(b, s[i].provider)
		}
		b = append(b, `,"dataset":`...)
		b = appendStr(b, s[i].dataset)
		b = append(b, `,"module":`...)
		b = appendStr(b, s[i].module)
		s[i].tail = string(append(b, '}'))
	}
	return s
}()

// provider returns event.provider of e, which for a few events differs
// from its sensor's.
func provider(e *record) string {
	if e.Kind == kLogClear {
		return "Microsoft-Windows-Eventlog"
	}
	return sensors[e.Sensor].provider
}

// categoryType returns the event.category and event.type members of e.
func categoryType(e *record) string {
	switch e.Kind {
	case kProcess:
		return `"category":["process"],"type":["start"]`
	case kAuth:
		return `"category":["authentication"],"type":["start"]`
	case kNetwork:
		switch {
		case e.Sensor == sZeekConn:
			return `"category":["network"],"type":["connection"]`
		case e.Action == "firewall-deny":
			return `"category":["network"],"type":["connection","denied"]`
		}
		return `"category":["network"],"type":["connection","start"]`
	case kDNS:
		return `"category":["network"],"type":["protocol"]`
	case kFile:
		switch e.Action {
		case "file-created":
			return `"category":["file"],"type":["creation"]`
		case "file-deleted":
			return `"category":["file"],"type":["deletion"]`
		}
		return `"category":["file"],"type":["change"]`
	case kRegistry:
		return `"category":["registry"],"type":["change"]`
	case kWeb:
		return `"category":["web"],"type":["access"]`
	case kService, kTask:
		return `"category":["configuration"],"type":["creation"]`
	case kLogClear:
		return `"category":["configuration"],"type":["deletion"]`
	}
	return `"category":[],"type":[]`
}

var logonTypeNames = map[int]string{2: "Interactive", 3: "Network", 5: "Service", 10: "RemoteInteractive"}

// appendECS appends e as one ECS JSON object, its ground truth last.
func (g *Generator) appendECS(dst []byte, e *record, r *run) []byte {
	h := e.Host
	dst = append(dst, `{"@timestamp":"`...)
	dst = g.appendTime(dst, e.Time)
	dst = append(dst, `","event":{"id":"`...)
	dst = appendUUID(dst, g.r.Uint64(), g.r.Uint64())
	dst = append(dst, `","kind":"event",`...)
	dst = append(dst, categoryType(e)...)
	dst = append(dst, `,"action":`...)
	dst = appendStr(dst, e.Action)
	if e.Outcome != "" {
		dst = append(dst, `,"outcome":`...)
		dst = appendStr(dst, e.Outcome)
	}
	if e.Code != "" {
		dst = append(dst, `,"code":`...)
		dst = appendStr(dst, e.Code)
	}
	si := &sensors[e.Sensor]
	if e.Kind == kLogClear {
		dst = append(dst, `,"provider":"Microsoft-Windows-Eventlog","dataset":`...)
		dst = appendStr(dst, si.dataset)
		dst = append(dst, `,"module":"windows"}`...)
	} else {
		dst = append(dst, si.tail...)
	}
	dst = append(dst, ',')
	dst = append(dst, h.ecs...)
	if e.User != "" {
		dst = append(dst, `,"user":{"name":`...)
		dst = appendStr(dst, e.User)
		if e.Domain != "" {
			dst = append(dst, `,"domain":`...)
			dst = appendStr(dst, e.Domain)
		}
		dst = append(dst, '}')
	}

	switch e.Kind {
	case kProcess:
		dst = appendProcess(dst, e, true)
		if e.Sensor == sSysmon {
			dst = g.appendWinlog(dst, e)
			dst = append(dst, `,"event_data":{"IntegrityLevel":`...)
			dst = appendStr(dst, e.Integrity)
			dst = append(dst, `}}`...)
		}
	case kAuth:
		if e.Sensor == sSSHD {
			dst = append(dst, `,"process":{"pid":`...)
			dst = appendInt(dst, int64(e.Proc.PID))
			dst = append(dst, `,"executable":"/usr/sbin/sshd","name":"sshd"}`...)
		}
		if e.SrcIP != "" {
			dst = appendEndpoint(dst, `,"source":{"ip":`, e.SrcIP, e.SrcPort, -1)
		}
		if e.Sensor == sSSHD {
			dst = append(dst, `,"system":{"auth":{"ssh":{"method":`...)
			dst = appendStr(dst, e.SSHMethod)
			if e.Outcome == "success" {
				dst = append(dst, `,"event":"Accepted"}}}`...)
			} else {
				dst = append(dst, `,"event":"Failed"}}}`...)
			}
		} else {
			dst = g.appendWinlog(dst, e)
			dst = append(dst, `,"logon":{"type":`...)
			dst = appendStr(dst, logonTypeNames[e.LogonType])
			dst = append(dst, `},"event_data":{"LogonType":"`...)
			dst = appendInt(dst, int64(e.LogonType))
			dst = append(dst, `","TargetUserName":`...)
			dst = appendStr(dst, e.User)
			dst = append(dst, `,"TargetDomainName":`...)
			dst = appendStr(dst, e.Domain)
			dst = append(dst, `,"IpAddress":`...)
			switch {
			case e.SrcIP != "":
				dst = appendStr(dst, e.SrcIP)
				dst = append(dst, `,"IpPort":"`...)
				dst = appendInt(dst, int64(e.SrcPort))
				dst = append(dst, '"')
			case e.LogonType == 2:
				dst = append(dst, `"127.0.0.1","IpPort":"0"`...)
			default:
				dst = append(dst, `"-","IpPort":"-"`...)
			}
			dst = append(dst, `,"WorkstationName":`...)
			if e.Workstation == "" {
				dst = append(dst, `"-"`...)
			} else {
				dst = appendStr(dst, e.Workstation)
			}
			dst = append(dst, `,"LogonProcessName":`...)
			dst = appendStr(dst, e.LogonProcess)
			dst = append(dst, `,"AuthenticationPackageName":`...)
			dst = appendStr(dst, e.AuthPkg)
			if e.FailStatus != "" {
				dst = append(dst, `,"Status":`...)
				dst = appendStr(dst, e.FailStatus)
				dst = append(dst, `,"SubStatus":`...)
				dst = appendStr(dst, e.FailSub)
			}
			dst = append(dst, `}}`...)
		}
	case kNetwork:
		if e.Sensor == sSysmon {
			dst = appendProcess(dst, e, false)
		}
		sb, db := int64(-1), int64(-1)
		if e.Sensor != sSysmon {
			sb, db = e.SrcBytes, e.DstBytes
		}
		dst = appendEndpoint(dst, `,"source":{"ip":`, e.SrcIP, e.SrcPort, sb)
		dst = appendEndpoint(dst, `,"destination":{"ip":`, e.DstIP, e.DstPort, db)
		dst = append(dst, `,"network":{"transport":`...)
		dst = appendStr(dst, e.Transport)
		dst = append(dst, `,"direction":`...)
		dst = appendStr(dst, e.Direction)
		if sb >= 0 {
			dst = append(dst, `,"bytes":`...)
			dst = appendInt(dst, sb+db)
		}
		dst = append(dst, '}')
		switch e.Sensor {
		case sSysmon:
			dst = g.appendWinlog(dst, e)
			dst = append(dst, '}')
		case sFirewall:
			dst = append(dst, `,"observer":{"name":"fw-edge-01","type":"firewall","vendor":"Palo Alto Networks"}`...)
		case sZeekConn:
			dst = append(dst, `,"observer":{"name":"zeek-01","type":"sensor"},"zeek":{"connection":{"state":`...)
			dst = appendStr(dst, e.ConnState)
			dst = append(dst, `}}`...)
		}
	case kDNS:
		if e.Sensor == sSysmon {
			dst = appendProcess(dst, e, false)
		}
		dst = appendEndpoint(dst, `,"source":{"ip":`, e.SrcIP, 0, -1)
		dst = appendEndpoint(dst, `,"destination":{"ip":`, e.DstIP, e.DstPort, -1)
		dst = append(dst, `,"network":{"transport":"udp","protocol":"dns","direction":`...)
		dst = appendStr(dst, e.Direction)
		dst = append(dst, `},"dns":{"type":"query","question":{"name":`...)
		dst = appendStr(dst, e.Query)
		dst = append(dst, `,"type":`...)
		dst = appendStr(dst, e.QType)
		dst = append(dst, `,"registered_domain":`...)
		dst = appendStr(dst, e.RegDomain)
		if len(e.Query) > len(e.RegDomain)+1 {
			dst = append(dst, `,"subdomain":`...)
			dst = appendStr(dst, e.Query[:len(e.Query)-len(e.RegDomain)-1])
		}
		dst = append(dst, '}')
		if e.Answer != "" {
			dst = append(dst, `,"resolved_ip":[`...)
			dst = appendStr(dst, e.Answer)
			dst = append(dst, ']')
		}
		dst = append(dst, '}')
		if e.Sensor == sSysmon {
			dst = g.appendWinlog(dst, e)
			dst = append(dst, '}')
		} else {
			dst = append(dst, `,"observer":{"name":"zeek-01","type":"sensor"}`...)
		}
	case kFile:
		name := baseName(e.Path)
		dst = append(dst, `,"file":{"path":`...)
		dst = appendStr(dst, e.Path)
		dst = append(dst, `,"name":`...)
		dst = appendStr(dst, name)
		if ext := extension(name); ext != "" {
			dst = append(dst, `,"extension":`...)
			dst = appendStr(dst, ext)
		}
		dst = append(dst, `,"directory":`...)
		dst = appendStr(dst, dirName(e.Path))
		dst = append(dst, '}')
		dst = appendProcess(dst, e, false)
		if e.Sensor == sSysmon {
			dst = g.appendWinlog(dst, e)
			dst = append(dst, '}')
		}
	case kRegistry:
		hive, key, value := splitRegPath(e.Path)
		dst = append(dst, `,"registry":{"hive":`...)
		dst = appendStr(dst, hive)
		dst = append(dst, `,"key":`...)
		dst = appendStr(dst, key)
		dst = append(dst, `,"value":`...)
		dst = appendStr(dst, value)
		dst = append(dst, `,"path":`...)
		dst = appendStr(dst, e.Path)
		dst = append(dst, `,"data":{"type":`...)
		dst = appendStr(dst, e.RegType)
		dst = append(dst, `,"strings":[`...)
		dst = appendStr(dst, e.RegData)
		dst = append(dst, `]}}`...)
		dst = appendProcess(dst, e, false)
		dst = g.appendWinlog(dst, e)
		dst = append(dst, `,"event_data":{"EventType":"SetValue","TargetObject":`...)
		dst = appendStr(dst, e.Path)
		dst = append(dst, `,"Details":`...)
		dst = appendStr(dst, e.RegData)
		dst = append(dst, `}}`...)
	case kWeb:
		dst = appendEndpoint(dst, `,"source":{"ip":`, e.SrcIP, e.SrcPort, -1)
		dst = appendEndpoint(dst, `,"destination":{"ip":`, e.DstIP, e.DstPort, -1)
		dst = append(dst, `,"url":{"original":`...)
		dst = appendURL(dst, e)
		dst = append(dst, `,"path":`...)
		dst = appendStr(dst, e.URLPath)
		if e.URLQuery != "" {
			dst = append(dst, `,"query":`...)
			dst = appendStr(dst, e.URLQuery)
		}
		dst = append(dst, `},"http":{"version":"1.1","request":{"method":`...)
		dst = appendStr(dst, e.Method)
		dst = append(dst, `},"response":{"status_code":`...)
		dst = appendInt(dst, int64(e.Status))
		dst = append(dst, `,"body":{"bytes":`...)
		dst = appendInt(dst, e.RespBytes)
		dst = append(dst, `}}},"user_agent":{"original":`...)
		dst = appendStr(dst, e.UA)
		dst = append(dst, '}')
	case kService:
		dst = append(dst, `,"service":{"name":`...)
		dst = appendStr(dst, e.SvcName)
		dst = append(dst, '}')
		dst = g.appendWinlog(dst, e)
		dst = append(dst, `,"event_data":{"ServiceName":`...)
		dst = appendStr(dst, e.SvcName)
		dst = append(dst, `,"ImagePath":`...)
		dst = appendStr(dst, e.SvcPath)
		dst = append(dst, `,"ServiceType":"user mode service","StartType":`...)
		dst = appendStr(dst, e.SvcStart)
		dst = append(dst, `,"AccountName":`...)
		dst = appendStr(dst, e.SvcAccount)
		dst = append(dst, `}}`...)
	case kTask:
		dst = g.appendWinlog(dst, e)
		dst = append(dst, `,"event_data":{"TaskName":`...)
		dst = appendStr(dst, e.TaskName)
		dst = append(dst, `,"TaskContent":`...)
		dst = appendStr(dst, e.TaskContent)
		dst = append(dst, `,"SubjectUserName":`...)
		dst = appendStr(dst, e.User)
		dst = append(dst, `,"SubjectDomainName":`...)
		dst = appendStr(dst, e.Domain)
		dst = append(dst, `}}`...)
	case kLogClear:
		dst = g.appendWinlog(dst, e)
		dst = append(dst, `,"event_data":{"SubjectUserName":`...)
		dst = appendStr(dst, e.User)
		dst = append(dst, `,"SubjectDomainName":`...)
		dst = appendStr(dst, e.Domain)
		dst = append(dst, `,"Channel":`...)
		dst = appendStr(dst, e.Channel)
		dst = append(dst, `}}`...)
	}

	dst = appendRelated(dst, e)
	dst = append(dst, `,"message":`...)
	g.msg = appendMessage(g.msg[:0], e)
	dst = appendStr(dst, unsafe.String(unsafe.SliceData(g.msg), len(g.msg)))
	return appendTruth(dst, e, r)
}

// appendWinlog opens the "winlog" object of a Windows event, leaving it
// open for event_data or logon.
func (g *Generator) appendWinlog(dst []byte, e *record) []byte {
	dst = append(dst, `,"winlog":{"channel":`...)
	ch := sensors[e.Sensor].channel
	dst = appendStr(dst, ch)
	dst = append(dst, `,"event_id":`...)
	dst = appendStr(dst, e.Code)
	dst = append(dst, `,"provider_name":`...)
	dst = appendStr(dst, provider(e))
	dst = append(dst, `,"computer_name":`...)
	return appendStr(dst, e.Host.FQDN)
}

// appendProcess appends the "process" object of e; full adds the command
// line, PE and hash details and the parent, for process starts.
func appendProcess(dst []byte, e *record, full bool) []byte {
	p := &e.Proc
	name := baseName(p.Exe)
	dst = append(dst, `,"process":{"pid":`...)
	dst = appendInt(dst, int64(p.PID))
	dst = append(dst, `,"executable":`...)
	dst = appendStr(dst, p.Exe)
	dst = append(dst, `,"name":`...)
	dst = appendStr(dst, name)
	if !full {
		return append(dst, '}')
	}
	dst = append(dst, `,"command_line":`...)
	dst = appendStr(dst, p.Cmd)
	if e.WorkDir != "" {
		dst = append(dst, `,"working_directory":`...)
		dst = appendStr(dst, e.WorkDir)
	}
	if e.Sensor == sSysmon {
		dst = append(dst, `,"pe":{"original_file_name":`...)
		dst = appendStr(dst, originalName(p))
		dst = append(dst, `},"hash":{"sha256":"`...)
		dst = appendFileHash(dst, name)
		dst = append(dst, `"}`...)
	}
	q := &e.Parent
	dst = append(dst, `,"parent":{"pid":`...)
	dst = appendInt(dst, int64(q.PID))
	dst = append(dst, `,"executable":`...)
	dst = appendStr(dst, q.Exe)
	dst = append(dst, `,"name":`...)
	dst = appendStr(dst, baseName(q.Exe))
	dst = append(dst, `,"command_line":`...)
	dst = appendStr(dst, q.Cmd)
	return append(dst, `}}`...)
}

// appendEndpoint appends a "source" or "destination" object; port 0 and
// bytes < 0 are left out.
func appendEndpoint(dst []byte, open, ip string, port int, bytes int64) []byte {
	dst = append(dst, open...)
	dst = appendStr(dst, ip)
	if port > 0 {
		dst = append(dst, `,"port":`...)
		dst = appendInt(dst, int64(port))
	}
	if bytes >= 0 {
		dst = append(dst, `,"bytes":`...)
		dst = appendInt(dst, bytes)
	}
	return append(dst, '}')
}

// appendURL appends the request's path and query as one JSON string.
func appendURL(dst []byte, e *record) []byte {
	dst = appendStr(dst, e.URLPath)
	if e.URLQuery == "" {
		return dst
	}
	dst[len(dst)-1] = '?'
	n := len(dst)
	dst = appendStr(dst, e.URLQuery)
	copy(dst[n:], dst[n+1:]) // drop the query's opening quote
	return dst[:len(dst)-1]
}

// appendRelated appends related.ip and related.user.
func appendRelated(dst []byte, e *record) []byte {
	var ips [2]string
	n := 0
	switch e.Kind {
	case kNetwork, kDNS, kWeb:
		ips[0], ips[1], n = e.SrcIP, e.DstIP, 2
	case kAuth:
		if e.SrcIP != "" {
			ips[0], n = e.SrcIP, 1
		}
	}
	if n == 0 && e.User == "" {
		return dst
	}
	dst = append(dst, `,"related":{`...)
	if n > 0 {
		dst = append(dst, `"ip":[`...)
		dst = appendStr(dst, ips[0])
		if n == 2 && ips[1] != ips[0] {
			dst = append(dst, ',')
			dst = appendStr(dst, ips[1])
		}
		dst = append(dst, ']')
		if e.User != "" {
			dst = append(dst, ',')
		}
	}
	if e.User != "" {
		dst = append(dst, `"user":[`...)
		dst = appendStr(dst, e.User)
		dst = append(dst, ']')
	}
	return append(dst, '}')
}

// appendTruth appends the ground truth object and closes the event.
func appendTruth(dst []byte, e *record, r *run) []byte {
	if r == nil || r.scen == nil {
		return append(dst, `,"truth":{"scenario":"benign"}}`...)
	}
	dst = append(dst, `,"truth":{"scenario":`...)
	dst = appendStr(dst, r.scen.Name)
	dst = append(dst, `,"run":`...)
	dst = appendInt(dst, int64(r.id))
	// The run's size lets a scorer tell a run cut short by the end of the
	// output from one that was missed.
	dst = append(dst, `,"events":`...)
	dst = appendInt(dst, int64(len(r.events)))
	dst = append(dst, `,"techniques":`...)
	var t tags
	if e.Tags != nil {
		t = *e.Tags
	}
	dst = appendList(dst, t.Tech)
	dst = append(dst, `,"tactics":`...)
	dst = appendList(dst, t.Tact)
	return append(dst, `}}`...)
}

func appendList(dst []byte, ss []string) []byte {
	if ss == nil {
		return append(dst, "[]"...)
	}
	return event.AppendStrings(dst, ss)
}

// splitRegPath splits a registry path into hive, key and value name.
func splitRegPath(p string) (hive, key, value string) {
	i := 0
	for i < len(p) && p[i] != '\\' {
		i++
	}
	hive = p[:i]
	j := len(p) - 1
	for j > i && p[j] != '\\' {
		j--
	}
	if i >= len(p) || j <= i {
		return hive, "", ""
	}
	return hive, p[i+1 : j], p[j+1:]
}

// originalName returns the PE original file name of p.
func originalName(p *proc) string {
	if p.Orig != "" {
		return p.Orig
	}
	name := baseName(p.Exe)
	if o, ok := peNames[name]; ok {
		return o
	}
	return name
}

// peNames maps binaries to the OriginalFileName in their version resource.
var peNames = map[string]string{
	"cmd.exe": "Cmd.Exe", "powershell.exe": "PowerShell.EXE", "pwsh.exe": "pwsh.dll",
	"rundll32.exe": "RUNDLL32.EXE", "regsvr32.exe": "REGSVR32.EXE", "mshta.exe": "MSHTA.EXE",
	"whoami.exe": "whoami.exe", "net.exe": "net.exe", "net1.exe": "net1.exe", "ipconfig.exe": "ipconfig.exe",
	"systeminfo.exe": "sysinfo.exe", "nltest.exe": "nltestrk.exe", "tasklist.exe": "tasklist.exe",
	"quser.exe": "quser.exe", "ARP.EXE": "arp.exe", "arp.exe": "arp.exe", "HOSTNAME.EXE": "hostname.exe",
	"schtasks.exe": "schtasks.exe", "reg.exe": "reg.exe", "wevtutil.exe": "wevtutil.exe",
	"vssadmin.exe": "VSSADMIN.EXE", "WMIC.exe": "wmic.exe", "wmic.exe": "wmic.exe", "bcdedit.exe": "bcdedit.exe",
	"wbadmin.exe": "WBADMIN.EXE", "fodhelper.exe": "FodHelper.EXE", "explorer.exe": "EXPLORER.EXE",
	"svchost.exe": "svchost.exe", "services.exe": "services.exe", "WINWORD.EXE": "WinWord.exe",
	"EXCEL.EXE": "Excel.exe", "OUTLOOK.EXE": "Outlook.exe", "chrome.exe": "chrome.exe", "msedge.exe": "msedge.exe",
	"w3wp.exe": "w3wp.exe", "conhost.exe": "CONHOST.EXE", "notepad.exe": "NOTEPAD.EXE", "mstsc.exe": "mstsc.exe",
	"msiexec.exe": "msiexec.exe", "taskhostw.exe": "taskhostw.exe", "RuntimeBroker.exe": "RuntimeBroker.exe",
	"PsExec.exe": "psexec.c", "PsExec64.exe": "psexec.c", "PSEXESVC.exe": "psexesvc.exe", "procdump64.exe": "procdump",
	"procdump.exe": "procdump", "rclone.exe": "rclone.exe", "curl.exe": "curl.exe", "7z.exe": "7z.exe",
	"Rar.exe": "Rar.exe", "rar.exe": "Rar.exe", "mimikatz.exe": "mimikatz.exe", "GoogleUpdate.exe": "GoogleUpdate.exe",
	"Teams.exe": "Teams.exe", "Code.exe": "electron.exe", "git.exe": "git.exe", "OneDrive.exe": "OneDrive.exe",
	"splwow64.exe": "splwow64.exe", "MpCmdRun.exe": "MpCmdRun.exe", "CcmExec.exe": "CcmExec.exe",
}
