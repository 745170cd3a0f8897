package gen

import (
	"math"
	"time"
)

// Background activity. Each tick of the background clock either fills one
// event (background returns 0) or starts a benign run of several related
// events and returns their number. Nothing here is an attack artifact, and
// none of it is shaped around the rules: administrators run whoami /groups
// and net localgroup, schedule maintenance scripts as SYSTEM, download
// installers with PowerShell, SCCM runs scripts with -ExecutionPolicy
// Bypass, updaters register tasks and Teams writes Run keys. A rule that
// fires on these is a false positive, and eval counts it as one.

type bgFunc func(*Generator, *record) int

var backgroundMix = newWeighted(
	choice[bgFunc]{2900, (*Generator).bgWinProcess},
	choice[bgFunc]{550, (*Generator).bgLinuxProcess},
	choice[bgFunc]{1150, (*Generator).bgWinLogon},
	choice[bgFunc]{200, (*Generator).bgSSHLogin},
	choice[bgFunc]{8, (*Generator).bgTypoRun},
	choice[bgFunc]{10, (*Generator).bgRDPAdminRun},
	choice[bgFunc]{700, (*Generator).bgSysmonConn},
	choice[bgFunc]{900, (*Generator).bgFirewall},
	choice[bgFunc]{500, (*Generator).bgZeekConn},
	choice[bgFunc]{900, (*Generator).bgDNS},
	choice[bgFunc]{50, (*Generator).bgPageLoadRun},
	choice[bgFunc]{600, (*Generator).bgFileCreate},
	choice[bgFunc]{80, (*Generator).bgFileRename},
	choice[bgFunc]{50, (*Generator).bgFileDelete},
	choice[bgFunc]{200, (*Generator).bgRegistry},
	choice[bgFunc]{600, (*Generator).bgWeb},
	choice[bgFunc]{5, (*Generator).bgService},
	choice[bgFunc]{5, (*Generator).bgTask},
	choice[bgFunc]{4, (*Generator).bgUpdaterRun},
	choice[bgFunc]{3, (*Generator).bgHeartbeatRun},
	choice[bgFunc]{3, (*Generator).bgMonitorRun},
	choice[bgFunc]{2, (*Generator).bgBackupRun},
	choice[bgFunc]{1, (*Generator).bgAdminTaskRun},
)

// background fills e, timed already, with one background event and returns
// 0, or starts a benign run at e.Time and returns its number of events.
func (g *Generator) background(e *record) int {
	return backgroundMix.pick(g.r)(g, e)
}

// benignRun returns a builder for a benign run starting at t.
func (g *Generator) benignRun(t int64) *builder { return g.newBuilder(nil, t) }

// --- Windows processes ---

type parentKind uint8

const (
	pExplorer parentKind = iota
	pServices
	pSvchostSched
	pSvchostDcom
	pChrome
	pEdge
	pCmd
	pOutlook
	pWord
	pCode
	pTeams
	pCcm
	pSearchIdx
	pW3wp
)

type account uint8

const (
	asUser account = iota // the workstation's user
	asSystem
	asLocalService
	asNetworkService
	asAdmin   // an admin, on a server
	asAppPool // IIS APPPOOL\DefaultAppPool
)

type place uint8

const (
	onWS place = iota
	onServer
	onAnyWin
	onIIS
)

type winTmpl struct {
	exe, cmd string
	parent   parentKind
	as       account
	on       place
}

var winProcesses = newWeighted(
	// Users' applications.
	choice[winTmpl]{120, winTmpl{pathChrome, `"C:\Program Files\Google\Chrome\Application\chrome.exe" `, pExplorer, asUser, onWS}},
	choice[winTmpl]{220, winTmpl{pathChrome, `"C:\Program Files\Google\Chrome\Application\chrome.exe" --type=renderer --lang=en-US --device-scale-factor=1 --num-raster-threads=4 --renderer-client-id=%n --field-trial-handle=1936,i,%n,%n,262144 /prefetch:1`, pChrome, asUser, onWS}},
	choice[winTmpl]{60, winTmpl{pathChrome, `"C:\Program Files\Google\Chrome\Application\chrome.exe" --type=utility --utility-sub-type=network.mojom.NetworkService --lang=en-US --service-sandbox-type=none --field-trial-handle=1936,i,%n,%n,262144 /prefetch:8`, pChrome, asUser, onWS}},
	choice[winTmpl]{50, winTmpl{pathEdge, `"C:\Program Files (x86)\Microsoft\Edge\Application\msedge.exe" --profile-directory=Default`, pExplorer, asUser, onWS}},
	choice[winTmpl]{80, winTmpl{pathEdge, `"C:\Program Files (x86)\Microsoft\Edge\Application\msedge.exe" --type=renderer --lang=en-US --js-flags=--ms-user-locale= --renderer-client-id=%n /prefetch:1`, pEdge, asUser, onWS}},
	choice[winTmpl]{40, winTmpl{pathOutlook, `"C:\Program Files\Microsoft Office\root\Office16\OUTLOOK.EXE" `, pExplorer, asUser, onWS}},
	choice[winTmpl]{35, winTmpl{pathWord, `"C:\Program Files\Microsoft Office\root\Office16\WINWORD.EXE" /n "C:\Users\%u\Documents\%d.docx" /o ""`, pExplorer, asUser, onWS}},
	choice[winTmpl]{30, winTmpl{pathExcel, `"C:\Program Files\Microsoft Office\root\Office16\EXCEL.EXE" "C:\Users\%u\Documents\%d.xlsx"`, pExplorer, asUser, onWS}},
	choice[winTmpl]{10, winTmpl{`C:\Program Files\Microsoft Office\root\Office16\POWERPNT.EXE`, `"C:\Program Files\Microsoft Office\root\Office16\POWERPNT.EXE" "C:\Users\%u\Documents\%d.pptx"`, pExplorer, asUser, onWS}},
	choice[winTmpl]{8, winTmpl{`C:\Windows\splwow64.exe`, `C:\Windows\splwow64.exe 8192`, pWord, asUser, onWS}},
	choice[winTmpl]{45, winTmpl{`C:\Users\%u\AppData\Local\Microsoft\Teams\current\Teams.exe`, `"C:\Users\%u\AppData\Local\Microsoft\Teams\current\Teams.exe" --type=renderer --autoplay-policy=no-user-gesture-required --lang=en-US --app-path="C:\Users\%u\AppData\Local\Microsoft\Teams\current\resources\app.asar" --renderer-client-id=%n /prefetch:1`, pTeams, asUser, onWS}},
	choice[winTmpl]{10, winTmpl{`C:\Users\%u\AppData\Local\Microsoft\Teams\Update.exe`, `"C:\Users\%u\AppData\Local\Microsoft\Teams\Update.exe" --processStart "Teams.exe" --process-start-args "--system-initiated"`, pExplorer, asUser, onWS}},
	choice[winTmpl]{25, winTmpl{`C:\Users\%u\AppData\Local\Microsoft\OneDrive\OneDrive.exe`, `"C:\Users\%u\AppData\Local\Microsoft\OneDrive\OneDrive.exe" /background`, pExplorer, asUser, onWS}},
	choice[winTmpl]{25, winTmpl{`C:\Users\%u\AppData\Local\Programs\Microsoft VS Code\Code.exe`, `"C:\Users\%u\AppData\Local\Programs\Microsoft VS Code\Code.exe" --type=utility --utility-sub-type=node.mojom.NodeService --lang=en-US --service-sandbox-type=none --field-trial-handle=1784,i,%n /prefetch:8`, pCode, asUser, onWS}},
	choice[winTmpl]{10, winTmpl{`C:\Program Files\Git\cmd\git.exe`, `"C:\Program Files\Git\cmd\git.exe" status -z -uall`, pCode, asUser, onWS}},
	choice[winTmpl]{8, winTmpl{`C:\Program Files\Git\cmd\git.exe`, `"C:\Program Files\Git\cmd\git.exe" fetch --all --prune`, pCode, asUser, onWS}},
	choice[winTmpl]{7, winTmpl{`C:\Program Files\Git\cmd\git.exe`, `git  pull --ff-only`, pCmd, asUser, onWS}},
	choice[winTmpl]{6, winTmpl{pathCmd, `C:\Windows\system32\cmd.exe /d /s /c "npm run build"`, pCode, asUser, onWS}},
	choice[winTmpl]{5, winTmpl{`C:\Users\%u\AppData\Local\Programs\Python\Python312\python.exe`, `python  -m pytest tests`, pCmd, asUser, onWS}},
	choice[winTmpl]{15, winTmpl{`C:\Windows\System32\notepad.exe`, `"C:\Windows\system32\NOTEPAD.EXE" C:\Users\%u\Desktop\notes.txt`, pExplorer, asUser, onWS}},
	choice[winTmpl]{15, winTmpl{`C:\Program Files\Adobe\Acrobat DC\Acrobat\Acrobat.exe`, `"C:\Program Files\Adobe\Acrobat DC\Acrobat\Acrobat.exe" "C:\Users\%u\Downloads\%d.pdf"`, pExplorer, asUser, onWS}},
	choice[winTmpl]{10, winTmpl{`C:\Users\%u\AppData\Roaming\Zoom\bin\Zoom.exe`, `"C:\Users\%u\AppData\Roaming\Zoom\bin\Zoom.exe" "--url=zoommtg://zoom.us/join?action=join&confno=%n"`, pChrome, asUser, onWS}},
	choice[winTmpl]{8, winTmpl{`C:\Users\%u\AppData\Local\slack\app-4.41.105\slack.exe`, `"C:\Users\%u\AppData\Local\slack\app-4.41.105\slack.exe" --process-start-args --startup`, pExplorer, asUser, onWS}},
	choice[winTmpl]{12, winTmpl{pathConhost, `\??\C:\Windows\system32\conhost.exe 0xffffffff -ForceV1`, pCmd, asUser, onWS}},
	choice[winTmpl]{8, winTmpl{pathRundll32, `C:\Windows\system32\rundll32.exe C:\Windows\system32\shell32.dll,SHCreateLocalServerRunDll {9aa46009-3ce0-458a-a354-715610a075e6} -Embedding`, pSvchostDcom, asUser, onWS}},
	choice[winTmpl]{4, winTmpl{pathRundll32, `"C:\Windows\system32\rundll32.exe" printui.dll,PrintUIEntry /in /n\\PRINT01\Floor2-Color`, pExplorer, asUser, onWS}},
	choice[winTmpl]{35, winTmpl{`C:\Windows\System32\RuntimeBroker.exe`, `C:\Windows\System32\RuntimeBroker.exe -Embedding`, pSvchostDcom, asUser, onWS}},
	choice[winTmpl]{25, winTmpl{`C:\Windows\System32\backgroundTaskHost.exe`, `"C:\Windows\system32\backgroundTaskHost.exe" -ServerName:BackgroundTaskHost.WebAccountProvider`, pSvchostDcom, asUser, onWS}},
	choice[winTmpl]{15, winTmpl{`C:\Windows\SystemApps\MicrosoftWindows.Client.CBS_cw5n1h2txyewy\SearchHost.exe`, `"C:\Windows\SystemApps\MicrosoftWindows.Client.CBS_cw5n1h2txyewy\SearchHost.exe" -ServerName:CortanaUI.AppX8z9r6jm96hw4bsbneegw0kyxx296wr9t.mca`, pSvchostDcom, asUser, onWS}},
	choice[winTmpl]{5, winTmpl{pathMsiexec, `"C:\Windows\System32\msiexec.exe" /i "C:\Users\%u\Downloads\%i.msi"`, pExplorer, asUser, onWS}},
	choice[winTmpl]{3, winTmpl{pathPowerShell, cmdLinePS, pExplorer, asUser, onWS}},
	choice[winTmpl]{3, winTmpl{pathCmd, cmdLineCmd, pExplorer, asUser, onWS}},
	// System activity on every Windows host.
	choice[winTmpl]{30, winTmpl{pathSvchost, `C:\Windows\system32\svchost.exe -k netsvcs -p -s Schedule`, pServices, asSystem, onAnyWin}},
	choice[winTmpl]{20, winTmpl{pathSvchost, `C:\Windows\system32\svchost.exe -k netsvcs -p -s BITS`, pServices, asSystem, onAnyWin}},
	choice[winTmpl]{20, winTmpl{pathSvchost, `C:\Windows\system32\svchost.exe -k netsvcs -p -s wuauserv`, pServices, asSystem, onAnyWin}},
	choice[winTmpl]{15, winTmpl{pathSvchost, `C:\Windows\system32\svchost.exe -k netsvcs -p -s gpsvc`, pServices, asSystem, onAnyWin}},
	choice[winTmpl]{15, winTmpl{pathSvchost, `C:\Windows\system32\svchost.exe -k LocalServiceNetworkRestricted -p -s lmhosts`, pServices, asLocalService, onAnyWin}},
	choice[winTmpl]{15, winTmpl{pathSvchost, `C:\Windows\system32\svchost.exe -k NetworkService -p -s Dnscache`, pServices, asNetworkService, onAnyWin}},
	choice[winTmpl]{25, winTmpl{`C:\Windows\System32\SearchProtocolHost.exe`, `"C:\Windows\system32\SearchProtocolHost.exe" Global\UsGthrFltPipeMssGthrPipe%n_ Global\UsGthrCtrlFltPipeMssGthrPipe%n 1 -2147483646 "Software\Microsoft\Windows Search" "Mozilla/4.0 (compatible; MSIE 6.0; Windows NT; MS Search 4.0 Robot)" "C:\ProgramData\Microsoft\Search\Data\Temp\usgthrsvc" "DownLevelDaemon" `, pSearchIdx, asSystem, onAnyWin}},
	choice[winTmpl]{20, winTmpl{`C:\Windows\System32\taskhostw.exe`, `taskhostw.exe -RegisterDevice -ProtectionStateChanged -FreeNetworkOnly`, pSvchostSched, asSystem, onAnyWin}},
	choice[winTmpl]{15, winTmpl{`C:\ProgramData\Microsoft\Windows Defender\Platform\4.18.24090.11-0\MpCmdRun.exe`, `"C:\ProgramData\Microsoft\Windows Defender\Platform\4.18.24090.11-0\MpCmdRun.exe" SignatureUpdate -ScheduleJob -RestrictPrivileges -DailyScheduled`, pSvchostSched, asSystem, onAnyWin}},
	choice[winTmpl]{12, winTmpl{`C:\Windows\System32\mousocoreworker.exe`, `C:\Windows\System32\mousocoreworker.exe -Embedding`, pSvchostDcom, asSystem, onAnyWin}},
	choice[winTmpl]{10, winTmpl{`C:\Windows\WinSxS\amd64_microsoft-windows-servicingstack_31bf3856ad364e35_10.0.22621.4455_none_7e3cc6e81c7d8a3f\TiWorker.exe`, `C:\Windows\winsxs\amd64_microsoft-windows-servicingstack_31bf3856ad364e35_10.0.22621.4455_none_7e3cc6e81c7d8a3f\TiWorker.exe -Embedding`, pSvchostDcom, asSystem, onAnyWin}},
	choice[winTmpl]{8, winTmpl{`C:\Windows\System32\CompatTelRunner.exe`, `C:\Windows\system32\compattelrunner.exe -m:appraiser.dll -f:DoScheduledTelemetryRun`, pSvchostSched, asSystem, onAnyWin}},
	choice[winTmpl]{8, winTmpl{`C:\Windows\System32\dllhost.exe`, `C:\Windows\system32\DllHost.exe /Processid:{AB8902B4-09CA-4BB6-B78D-A8F59079A8D5}`, pSvchostDcom, asSystem, onAnyWin}},
	choice[winTmpl]{6, winTmpl{pathWmiPrvSE, `C:\Windows\system32\wbem\wmiprvse.exe -secured -Embedding`, pSvchostDcom, asNetworkService, onAnyWin}},
	choice[winTmpl]{12, winTmpl{pathGoogleUpd, `"C:\Program Files (x86)\Google\Update\GoogleUpdate.exe" /ua /installsource scheduler`, pSvchostSched, asSystem, onWS}},
	choice[winTmpl]{8, winTmpl{`C:\Program Files (x86)\Microsoft\EdgeUpdate\MicrosoftEdgeUpdate.exe`, `"C:\Program Files (x86)\Microsoft\EdgeUpdate\MicrosoftEdgeUpdate.exe" /ua /installsource scheduler`, pSvchostSched, asSystem, onWS}},
	choice[winTmpl]{8, winTmpl{pathPowerShell, `"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe" -NoLogo -NoProfile -NonInteractive -ExecutionPolicy Bypass -File "C:\Windows\CCM\SystemTemp\%G.ps1"`, pCcm, asSystem, onAnyWin}},
	choice[winTmpl]{6, winTmpl{`C:\Windows\CCM\CcmEval.exe`, `"C:\Windows\CCM\CcmEval.exe"`, pSvchostSched, asSystem, onAnyWin}},
	// Servers.
	choice[winTmpl]{10, winTmpl{`C:\Windows\Microsoft.NET\Framework64\v4.0.30319\csc.exe`, `"C:\Windows\Microsoft.NET\Framework64\v4.0.30319\csc.exe" /noconfig /fullpaths @"C:\Windows\Microsoft.NET\Framework64\v4.0.30319\Temporary ASP.NET Files\root\%g\%g\%g.cmdline"`, pW3wp, asAppPool, onIIS}},
	choice[winTmpl]{3, winTmpl{`C:\Windows\System32\ServerManager.exe`, `"C:\Windows\system32\ServerManager.exe" `, pExplorer, asAdmin, onServer}},
	choice[winTmpl]{1, winTmpl{`C:\Windows\System32\mmc.exe`, `"C:\Windows\system32\mmc.exe" "C:\Windows\system32\dsa.msc" `, pExplorer, asAdmin, onServer}},
	choice[winTmpl]{1, winTmpl{`C:\Windows\System32\mmc.exe`, `"C:\Windows\system32\mmc.exe" "C:\Windows\system32\services.msc" `, pExplorer, asAdmin, onServer}},
	choice[winTmpl]{1, winTmpl{`C:\Windows\System32\mmc.exe`, `"C:\Windows\system32\mmc.exe" "C:\Windows\system32\eventvwr.msc" /s`, pExplorer, asAdmin, onServer}},
	choice[winTmpl]{2, winTmpl{pathPowerShell, `powershell.exe -NoProfile -Command "Get-Service -Name W3SVC,WAS | Select-Object Name,Status"`, pExplorer, asAdmin, onServer}},
	choice[winTmpl]{1, winTmpl{pathPowerShell, `powershell.exe -ExecutionPolicy RemoteSigned -File C:\Scripts\Get-DiskReport.ps1`, pExplorer, asAdmin, onServer}},
	// Admins fetching an installer or a module from a vendor.
	choice[winTmpl]{1, winTmpl{pathPowerShell, `powershell.exe -NoProfile -Command "Invoke-WebRequest -Uri https://download.sysinternals.com/files/SysinternalsSuite.zip -OutFile C:\Temp\SysinternalsSuite.zip"`, pExplorer, asAdmin, onServer}},
	choice[winTmpl]{1, winTmpl{pathPowerShell, `powershell.exe -ExecutionPolicy Bypass -Command "Install-Module -Name PSWindowsUpdate -Force; Get-WindowsUpdate"`, pExplorer, asAdmin, onServer}},
)

// winDiscovery and linDiscovery are the discovery commands admins run as
// part of their work; each admin uses at most two of them (User.disco).
var winDiscovery = []proc{
	{Exe: `C:\Windows\System32\whoami.exe`, Cmd: `whoami`},
	{Exe: `C:\Windows\System32\ipconfig.exe`, Cmd: `ipconfig /all`},
	{Exe: `C:\Windows\System32\HOSTNAME.EXE`, Cmd: `hostname`},
	{Exe: `C:\Windows\System32\quser.exe`, Cmd: `quser`},
	{Exe: `C:\Windows\System32\tasklist.exe`, Cmd: `tasklist /svc`},
	{Exe: `C:\Windows\System32\nltest.exe`, Cmd: `nltest /dsgetdc:corp.local`},
	{Exe: `C:\Windows\System32\whoami.exe`, Cmd: `whoami /groups`},
	{Exe: `C:\Windows\System32\net.exe`, Cmd: `net localgroup administrators`},
	{Exe: `C:\Windows\System32\net.exe`, Cmd: `net group "Domain Admins" /domain`},
	{Exe: `C:\Windows\System32\systeminfo.exe`, Cmd: `systeminfo`},
}

var linDiscovery = []proc{
	{Exe: "/usr/bin/id", Cmd: "id"},
	{Exe: "/usr/bin/uname", Cmd: "uname -a"},
	{Exe: "/usr/bin/hostname", Cmd: "hostname -f"},
	{Exe: "/usr/sbin/ip", Cmd: "ip addr"},
	{Exe: "/usr/bin/ss", Cmd: "ss -tulpn"},
	{Exe: "/usr/bin/whoami", Cmd: "whoami"},
}

// parentProc returns a plausible parent of kind k on h.
func (g *Generator) parentProc(k parentKind, h *machine, user string) proc {
	r := g.r
	switch k {
	case pExplorer:
		return explorerProc(h)
	case pServices:
		return servicesProc(h)
	case pSvchostSched:
		return proc{PID: r.winPID(), Exe: pathSvchost, Cmd: `C:\Windows\system32\svchost.exe -k netsvcs -p -s Schedule`}
	case pSvchostDcom:
		return proc{PID: r.winPID(), Exe: pathSvchost, Cmd: `C:\Windows\system32\svchost.exe -k DcomLaunch -p`}
	case pChrome:
		return proc{PID: r.winPID(), Exe: pathChrome, Cmd: `"C:\Program Files\Google\Chrome\Application\chrome.exe" `}
	case pEdge:
		return proc{PID: r.winPID(), Exe: pathEdge, Cmd: `"C:\Program Files (x86)\Microsoft\Edge\Application\msedge.exe" --profile-directory=Default`}
	case pCmd:
		return proc{PID: r.winPID(), Exe: pathCmd, Cmd: cmdLineCmd}
	case pOutlook:
		return proc{PID: r.winPID(), Exe: pathOutlook, Cmd: `"C:\Program Files\Microsoft Office\root\Office16\OUTLOOK.EXE" `}
	case pWord:
		return proc{PID: r.winPID(), Exe: pathWord, Cmd: `"C:\Program Files\Microsoft Office\root\Office16\WINWORD.EXE" `}
	case pCode:
		exe := `C:\Users\` + user + `\AppData\Local\Programs\Microsoft VS Code\Code.exe`
		return proc{PID: r.winPID(), Exe: exe, Cmd: `"` + exe + `" `}
	case pTeams:
		exe := `C:\Users\` + user + `\AppData\Local\Microsoft\Teams\current\Teams.exe`
		return proc{PID: r.winPID(), Exe: exe, Cmd: `"` + exe + `" `}
	case pCcm:
		return proc{PID: r.winPID(), Exe: `C:\Windows\CCM\CcmExec.exe`, Cmd: `C:\Windows\CCM\CcmExec.exe`}
	case pSearchIdx:
		return proc{PID: r.winPID(), Exe: `C:\Windows\System32\SearchIndexer.exe`, Cmd: `C:\Windows\system32\SearchIndexer.exe /Embedding`}
	case pW3wp:
		return w3wpProc(h)
	}
	return explorerProc(h)
}

// accountOf returns the user, domain and integrity level of a process run as a.
func (g *Generator) accountOf(a account, h *machine) (user, domain, integrity string) {
	switch a {
	case asUser:
		if h.User != nil {
			return h.User.Name, g.w.domain, "Medium"
		}
		u := pick(g.r, g.w.admins)
		return u.Name, g.w.domain, "High"
	case asAdmin:
		return g.w.admin(g.r, h).Name, g.w.domain, "High"
	case asLocalService:
		return "LOCAL SERVICE", ntAuthority, "System"
	case asNetworkService:
		return "NETWORK SERVICE", ntAuthority, "System"
	case asAppPool:
		return "DefaultAppPool", "IIS APPPOOL", "High"
	}
	return system, ntAuthority, "System"
}

func (g *Generator) bgWinProcess(e *record) int {
	r := g.r
	if r.chance(0.012) {
		return g.bgAdminDiscovery(e)
	}
	t := winProcesses.pick(r)
	var h *machine
	switch t.on {
	case onWS:
		h = g.w.pickWS(r)
	case onServer:
		h = g.w.pickWinServer(r)
	case onIIS:
		h = g.w.web
	default:
		if r.chance(0.8) {
			h = g.w.pickWS(r)
		} else {
			h = g.w.pickWinServer(r)
		}
	}
	user, domain, integrity := g.accountOf(t.as, h)
	p := proc{PID: r.winPID(), Exe: g.expand(t.exe, user, h)}
	p.Cmd = g.expand(t.cmd, user, h)
	e.winProcess(h, user, domain, p, g.parentProc(t.parent, h, user), integrity)
	return 0
}

// bgAdminDiscovery is an admin running one of their two usual discovery
// commands, on their workstation or a server.
func (g *Generator) bgAdminDiscovery(e *record) int {
	r := g.r
	u := pick(r, g.w.admins)
	d := u.disco[r.IntN(2)]
	var mine []*machine
	for _, h := range u.servers {
		if (h.OS == linux) == u.discoLinux {
			mine = append(mine, h)
		}
	}
	if u.discoLinux {
		h := g.w.pickLinux(r)
		if len(mine) > 0 {
			h = pick(r, mine)
		}
		p := linDiscovery[d%len(linDiscovery)]
		p.PID = r.linuxPID()
		e.linProcess(h, u.Name, p, proc{PID: r.linuxPID(), Exe: "/usr/bin/bash", Cmd: "-bash"})
		return 0
	}
	h := u.WS
	if len(mine) > 0 && r.chance(0.4) {
		h = pick(r, mine)
	}
	p := winDiscovery[d%len(winDiscovery)]
	p.PID = r.winPID()
	parent := proc{PID: r.winPID(), Exe: pathCmd, Cmd: cmdLineCmd}
	if r.chance(0.5) {
		parent = proc{PID: r.winPID(), Exe: pathPowerShell, Cmd: cmdLinePS}
	}
	e.winProcess(h, u.Name, g.w.domain, p, parent, "High")
	return 0
}

// --- Linux processes ---

type linUser uint8

const (
	luRoot linUser = iota
	luAdmin
	luDeploy
	luJenkins
	luWWW
	luPostgres
)

type linTmpl struct {
	exe, cmd           string
	parentExe, parentC string
	as                 linUser
	on                 role // 0: any Linux server
}

var linProcesses = newWeighted(
	choice[linTmpl]{50, linTmpl{"/usr/bin/git", "git pull --ff-only", "/usr/bin/bash", "-bash", luAdmin, 0}},
	choice[linTmpl]{30, linTmpl{"/usr/bin/vim", "vim /etc/nginx/sites-available/default", "/usr/bin/bash", "-bash", luAdmin, webServer}},
	choice[linTmpl]{30, linTmpl{"/usr/bin/tail", "tail -n 200 /var/log/nginx/error.log", "/usr/bin/bash", "-bash", luAdmin, webServer}},
	choice[linTmpl]{25, linTmpl{"/usr/bin/grep", "grep -i error /var/log/syslog", "/usr/bin/bash", "-bash", luAdmin, 0}},
	choice[linTmpl]{25, linTmpl{"/usr/bin/less", "less /var/log/auth.log", "/usr/bin/bash", "-bash", luAdmin, 0}},
	choice[linTmpl]{25, linTmpl{"/usr/bin/sudo", "sudo systemctl restart nginx", "/usr/bin/bash", "-bash", luAdmin, webServer}},
	choice[linTmpl]{25, linTmpl{"/usr/bin/systemctl", "systemctl restart nginx", "/usr/bin/sudo", "sudo systemctl restart nginx", luRoot, webServer}},
	choice[linTmpl]{20, linTmpl{"/usr/bin/journalctl", "journalctl -u nginx --since -1h", "/usr/bin/bash", "-bash", luAdmin, 0}},
	choice[linTmpl]{40, linTmpl{"/bin/sh", "/bin/sh -c /usr/local/bin/backup-db.sh", "/usr/sbin/cron", "/usr/sbin/cron -f -P", luRoot, dbServer}},
	choice[linTmpl]{50, linTmpl{"/usr/bin/python3", "/usr/bin/python3 /opt/app/manage.py clearsessions", "/bin/sh", "/bin/sh -c cd /opt/app && /usr/bin/python3 manage.py clearsessions", luWWW, webServer}},
	choice[linTmpl]{25, linTmpl{"/usr/sbin/logrotate", "/usr/sbin/logrotate /etc/logrotate.conf", "/bin/sh", "/bin/sh -c test -x /usr/sbin/logrotate && /usr/sbin/logrotate /etc/logrotate.conf", luRoot, 0}},
	choice[linTmpl]{15, linTmpl{"/usr/bin/apt-get", "apt-get -qq update", "/usr/bin/python3", "/usr/bin/python3 /usr/bin/unattended-upgrade", luRoot, 0}},
	choice[linTmpl]{40, linTmpl{"/usr/bin/curl", "curl -fsS -o /dev/null http://127.0.0.1:8080/healthz", "/bin/sh", "/bin/sh -c /usr/local/bin/healthcheck.sh", luRoot, 0}},
	choice[linTmpl]{25, linTmpl{"/usr/bin/docker", "docker compose -f /opt/app/docker-compose.yml up -d", "/usr/bin/bash", "-bash", luDeploy, appServer}},
	choice[linTmpl]{25, linTmpl{"/usr/local/bin/kubectl", "kubectl apply -f deploy/app.yaml", "/bin/sh", "/bin/sh -xe /tmp/jenkins%n.sh", luJenkins, ciServer}},
	choice[linTmpl]{20, linTmpl{"/usr/bin/rsync", "rsync -az /var/backups/ backup@10.0.1.13:/backups/%h/", "/bin/sh", "/bin/sh -c /usr/local/bin/backup-db.sh", luRoot, dbServer}},
	choice[linTmpl]{15, linTmpl{"/usr/bin/tar", "tar czf /var/backups/www.tar.gz /var/www/html", "/bin/sh", "/bin/sh -c /usr/local/bin/backup-www.sh", luRoot, webServer}},
	choice[linTmpl]{15, linTmpl{"/usr/bin/pg_dump", "pg_dump -Fc -f /var/backups/app.dump app", "/bin/sh", "/bin/sh -c /usr/local/bin/backup-db.sh", luPostgres, dbServer}},
	choice[linTmpl]{20, linTmpl{"/usr/bin/ssh", "ssh -o BatchMode=yes deploy@web-01 sudo systemctl reload nginx", "/bin/sh", "/bin/sh -xe /tmp/jenkins%n.sh", luJenkins, ciServer}},
	choice[linTmpl]{30, linTmpl{"/usr/bin/git", "git fetch --tags --force --progress -- https://git-01.corp.local/corp/app.git +refs/heads/*:refs/remotes/origin/*", "/usr/bin/java", "java -jar /var/lib/jenkins/agent.jar", luJenkins, ciServer}},
)

func (g *Generator) linuxHost(ro role) *machine {
	if ro != 0 {
		var n int
		for _, h := range g.w.linServers {
			if h.Role == ro {
				n++
			}
		}
		if n > 0 {
			k := g.r.IntN(n)
			for _, h := range g.w.linServers {
				if h.Role == ro {
					if k == 0 {
						return h
					}
					k--
				}
			}
		}
	}
	return g.w.pickLinux(g.r)
}

func (g *Generator) bgLinuxProcess(e *record) int {
	r := g.r
	if r.chance(0.03) {
		return g.bgAdminDiscovery(e)
	}
	t := linProcesses.pick(r)
	h := g.linuxHost(t.on)
	var user string
	switch t.as {
	case luRoot:
		user = "root"
	case luAdmin:
		user = g.w.admin(r, h).Name
	case luDeploy:
		user = "deploy"
	case luJenkins:
		user = "jenkins"
	case luWWW:
		user = "www-data"
	case luPostgres:
		user = "postgres"
	}
	p := proc{PID: r.linuxPID(), Exe: t.exe, Cmd: g.expand(t.cmd, user, h)}
	parent := proc{PID: r.linuxPID(), Exe: t.parentExe, Cmd: g.expand(t.parentC, user, h)}
	e.linProcess(h, user, p, parent)
	return 0
}

// --- Logons ---

var serviceAccounts = []string{"svc_backup", "svc_sql", "svc_monitor", "svc_sccm"}

func (g *Generator) bgWinLogon(e *record) int {
	r := g.r
	w := g.w
	x := r.IntN(100)
	switch {
	case x < 40: // Kerberos network logon of a user to a DC or file server
		ws := w.pickWS(r)
		srv := pick(r, []*machine{w.dcs[0], w.dcs[1], w.fs, w.fs, w.exch})
		e.winLogon(srv, ws.User.Name, w.domain, true, 3, ws.IP, r.port(), "")
	case x < 50: // machine account
		ws := w.pickWS(r)
		e.winLogon(pick(r, w.dcs), ws.Name+"$", w.domain, true, 3, ws.IP, r.port(), "")
	case x < 70: // interactive logon at the user's desk
		ws := w.pickWS(r)
		e.winLogon(ws, ws.User.Name, w.domain, true, 2, "", 0, ws.Name)
	case x < 80: // service logons
		srv := w.pickWinServer(r)
		e.winLogon(srv, pick(r, serviceAccounts), w.domain, true, 5, "", 0, srv.Name)
	case x < 85: // an admin's RDP session to a server
		srv := w.pickWinServer(r)
		u := w.admin(r, srv)
		e.winLogon(srv, u.Name, w.domain, true, 10, u.WS.IP, r.port(), u.WS.Name)
	default: // server to server, or monitoring
		src := w.pickWinServer(r)
		dst := w.pickWinServer(r)
		user := "svc_backup"
		if r.chance(0.5) {
			src, user = w.monHost, "svc_monitor"
		}
		e.winLogon(dst, user, w.domain, true, 3, src.IP, r.port(), "")
	}
	return 0
}

func (g *Generator) bgSSHLogin(e *record) int {
	r := g.r
	w := g.w
	h := w.pickLinux(r)
	pid := h.sshdPID + r.between(1000, 60000)
	x := r.IntN(100)
	switch {
	case x < 50:
		u := w.admin(r, h)
		e.sshLogin(h, u.Name, true, "publickey", u.WS.IP, r.port(), pid, false)
	case x < 85: // deployments from the CI server
		user := "deploy"
		if r.chance(0.5) {
			user = "jenkins"
		}
		h = pick(r, []*machine{w.nginx[0], w.nginx[1], g.linuxHost(appServer)})
		e.sshLogin(h, user, true, "publickey", w.ciHost.IP, r.port(), h.sshdPID+r.between(1000, 60000), false)
	case x < 95: // an admin from home, through the bastion
		u := w.admin(r, w.bastionHost)
		e.sshLogin(w.bastionHost, u.Name, true, "publickey", publicIP(r, 0.3), r.port(), pid, false)
	default:
		u := w.admin(r, h)
		e.sshLogin(h, u.Name, true, "password", u.WS.IP, r.port(), pid, false)
	}
	return 0
}

// bgTypoRun is a user mistyping a password once to three times, then
// logging on. Mistypes come from the user's workstation, at most one run
// per workstation in 15 minutes.
func (g *Generator) bgTypoRun(e *record) int {
	r := g.r
	w := g.w
	u := w.pickUser(r)
	if e.Time-u.WS.lastTypo < (15 * time.Minute).Milliseconds() {
		return g.bgWinLogon(e)
	}
	u.WS.lastTypo = e.Time
	b := g.benignRun(e.Time)
	n := r.between(1, 3)
	switch {
	case u.Admin && r.chance(0.4):
		h := w.pickLinux(r)
		pid := h.sshdPID + r.between(1000, 60000)
		for i := 0; i < n; i++ {
			b.add(nil).sshLogin(h, u.Name, false, "password", u.WS.IP, r.port(), pid, false)
			b.wait(2*time.Second, 6*time.Second)
		}
		b.add(nil).sshLogin(h, u.Name, true, "password", u.WS.IP, r.port(), pid, false)
	case r.chance(0.6):
		h := u.WS
		for i := 0; i < n; i++ {
			b.add(nil).winLogon(h, u.Name, w.domain, false, 2, "", 0, h.Name)
			b.wait(2*time.Second, 8*time.Second)
		}
		b.add(nil).winLogon(h, u.Name, w.domain, true, 2, "", 0, h.Name)
	default:
		srv := pick(r, []*machine{w.fs, w.exch, w.app})
		for i := 0; i < n; i++ {
			b.add(nil).winLogon(srv, u.Name, w.domain, false, 3, u.WS.IP, r.port(), u.WS.Name)
			b.wait(3*time.Second, 10*time.Second)
		}
		b.add(nil).winLogon(srv, u.Name, w.domain, true, 3, u.WS.IP, r.port(), u.WS.Name)
	}
	return g.push(b)
}

// bgRDPAdminRun is an admin connecting to a server with RDP and working there.
func (g *Generator) bgRDPAdminRun(e *record) int {
	r := g.r
	w := g.w
	srv := w.pickWinServer(r)
	u := w.admin(r, srv)
	b := g.benignRun(e.Time)
	mstsc := proc{PID: r.winPID(), Exe: pathMstsc, Cmd: `"C:\Windows\system32\mstsc.exe" /v:` + srv.Name}
	b.add(nil).winProcess(u.WS, u.Name, w.domain, mstsc, explorerProc(u.WS), "Medium")
	b.wait(200*time.Millisecond, 2*time.Second)
	b.add(nil).sysmonConn(u.WS, u.Name, w.domain, mstsc, u.WS.IP, r.port(), srv.IP, 3389, "tcp")
	b.wait(3*time.Second, 15*time.Second)
	b.add(nil).winLogon(srv, u.Name, w.domain, true, 10, u.WS.IP, r.port(), u.WS.Name)
	for i, n := 0, r.between(1, 3); i < n; i++ {
		b.wait(20*time.Second, 4*time.Minute)
		var p proc
		switch r.IntN(3) {
		case 0:
			p = proc{Exe: `C:\Windows\System32\ServerManager.exe`, Cmd: `"C:\Windows\system32\ServerManager.exe" `}
		case 1:
			p = proc{Exe: `C:\Windows\System32\mmc.exe`, Cmd: `"C:\Windows\system32\mmc.exe" "C:\Windows\system32\compmgmt.msc" /s`}
		default:
			p = proc{Exe: pathPowerShell, Cmd: `powershell.exe -NoProfile -Command "Get-EventLog -LogName System -Newest 50 | Format-Table -AutoSize"`}
		}
		p.PID = r.winPID()
		b.add(nil).winProcess(srv, u.Name, w.domain, p, explorerProc(srv), "High")
	}
	return g.push(b)
}

// --- Network ---

// logNormal returns a byte count around median exp(mu), spread sigma.
func (g *Generator) logNormal(mu, sigma float64) int64 {
	return int64(math.Exp(mu + sigma*g.r.NormFloat64()))
}

type netApp struct {
	exe    string
	reg    string // the site it talks to; "" any
	system bool   // runs as SYSTEM
}

var netApps = newWeighted(
	choice[netApp]{30, netApp{pathChrome, "", false}},
	choice[netApp]{15, netApp{pathEdge, "", false}},
	choice[netApp]{10, netApp{`C:\Users\%u\AppData\Local\Microsoft\Teams\current\Teams.exe`, "microsoft.com", false}},
	choice[netApp]{8, netApp{`C:\Users\%u\AppData\Local\Microsoft\OneDrive\OneDrive.exe`, "live.com", false}},
	choice[netApp]{8, netApp{pathOutlook, "office365.com", false}},
	choice[netApp]{8, netApp{pathSvchost, "windowsupdate.com", true}},
	choice[netApp]{6, netApp{pathMsMpEng, "microsoft.com", true}},
	choice[netApp]{5, netApp{pathGoogleUpd, "googleapis.com", true}},
	choice[netApp]{5, netApp{`C:\Users\%u\AppData\Local\Programs\Microsoft VS Code\Code.exe`, "github.com", false}},
	choice[netApp]{3, netApp{`C:\Program Files\Git\mingw64\bin\git-remote-https.exe`, "github.com", false}},
)

// site returns the site of a registered domain, or a random one.
func (w *world) site(r *rng, reg string) *site {
	if reg != "" {
		for _, s := range w.sites {
			if s.reg == reg {
				return s
			}
		}
	}
	return pick(r, w.sites)
}

func (g *Generator) bgSysmonConn(e *record) int {
	r := g.r
	h := g.w.pickWS(r)
	a := netApps.pick(r)
	user, domain := h.User.Name, g.w.domain
	if a.system {
		user, domain = system, ntAuthority
	}
	s := g.w.site(r, a.reg)
	port := 443
	if s.reg == "windowsupdate.com" && r.chance(0.5) {
		port = 80
	}
	p := proc{PID: r.winPID(), Exe: g.expand(a.exe, h.User.Name, h)}
	e.sysmonConn(h, user, domain, p, h.IP, r.port(), s.ip, port, "tcp")
	return 0
}

// anyHost returns a host for outbound traffic: mostly workstations.
func (g *Generator) anyHost() *machine {
	r := g.r
	switch x := r.IntN(10); {
	case x < 8:
		return g.w.pickWS(r)
	case x < 9:
		return g.w.pickWinServer(r)
	}
	return g.w.pickLinux(r)
}

func hostUser(h *machine) string {
	if h.User != nil {
		return h.User.Name
	}
	return ""
}

var publicResolvers = []string{"8.8.8.8", "1.1.1.1", "9.9.9.9", "8.8.4.4"}

func (g *Generator) bgFirewall(e *record) int {
	r := g.r
	w := g.w
	switch x := r.IntN(100); {
	case x < 75:
		h := g.anyHost()
		s := pick(r, w.sites)
		port := 443
		if r.chance(0.08) {
			port = 80
		}
		e.firewall(h, hostUser(h), true, h.IP, r.port(), s.ip, port, "tcp", g.logNormal(7.5, 1.2), g.logNormal(10, 1.8))
	case x < 87:
		srv := pick(r, []*machine{w.nginx[0], w.nginx[1], w.web, w.exch})
		e.firewall(srv, "", true, publicIP(r, 0.3), r.port(), srv.IP, 443, "tcp", g.logNormal(7.2, 0.9), g.logNormal(10.5, 1.5))
	case x < 95: // policy blocks: direct DNS, DNS over TLS, QUIC
		h := w.pickWS(r)
		switch r.IntN(3) {
		case 0:
			e.firewall(h, h.User.Name, false, h.IP, r.port(), pick(r, publicResolvers), 53, "udp", 0, 0)
		case 1:
			e.firewall(h, h.User.Name, false, h.IP, r.port(), pick(r, publicResolvers), 853, "tcp", 0, 0)
		default:
			e.firewall(h, h.User.Name, false, h.IP, r.port(), pick(r, w.sites).ip, 443, "udp", 0, 0)
		}
	default: // NTP from the domain controllers
		dc := pick(r, w.dcs)
		e.firewall(dc, "", true, dc.IP, 123, pick(r, []string{"162.159.200.1", "162.159.200.123", "216.239.35.0", "216.239.35.4"}), 123, "udp", 76, 76)
	}
	return 0
}

type internalSvc struct {
	port      int
	transport string
}

func (g *Generator) bgZeekConn(e *record) int {
	r := g.r
	w := g.w
	state := "SF"
	switch x := r.IntN(100); {
	case x < 6:
		state = "S1"
	case x < 10:
		state = "RSTO"
	case x < 11:
		state = "REJ"
	}
	sb, db := g.logNormal(7, 1.3), g.logNormal(8.5, 1.6)
	if state == "REJ" {
		sb, db = 0, 0
	}
	switch x := r.IntN(100); {
	case x < 55: // workstations to infrastructure
		ws := w.pickWS(r)
		var dst *machine
		var svc internalSvc
		switch r.IntN(6) {
		case 0:
			dst, svc = pick(r, w.dcs), internalSvc{88, "tcp"}
		case 1:
			dst, svc = pick(r, w.dcs), internalSvc{389, "tcp"}
		case 2:
			dst, svc = pick(r, w.dcs), internalSvc{445, "tcp"}
		case 3:
			dst, svc = w.fs, internalSvc{445, "tcp"}
		case 4:
			dst, svc = w.exch, internalSvc{443, "tcp"}
		default:
			dst, svc = pick(r, w.dcs), internalSvc{135, "tcp"}
		}
		e.zeekConn(ws, ws.IP, r.port(), dst.IP, svc.port, svc.transport, state, sb, db)
	case x < 75: // Linux servers
		h := w.pickLinux(r)
		dst := g.linuxHost(dbServer)
		port := 5432
		if h.Role == ciServer {
			dst, port = g.linuxHost(appServer), 22
		}
		e.zeekConn(h, h.IP, r.port(), dst.IP, port, "tcp", state, sb, db)
	default: // outbound web
		h := g.anyHost()
		s := pick(r, w.sites)
		e.zeekConn(h, h.IP, r.port(), s.ip, 443, "tcp", state, sb, db)
	}
	return 0
}

var dnsProcs = []string{pathChrome, pathEdge, pathOutlook, pathSvchost}

// resolver returns the DNS server of h.
func (g *Generator) resolver(h *machine) string {
	if h == g.w.dcs[0] {
		return g.w.dcs[1].IP
	}
	if h == g.w.dcs[1] {
		return g.w.dcs[0].IP
	}
	return g.w.dcs[g.r.IntN(2)].IP
}

func (g *Generator) bgDNS(e *record) int {
	r := g.r
	w := g.w
	var h *machine
	switch x := r.IntN(10); {
	case x < 8:
		h = w.pickWS(r)
	case x < 9:
		h = w.pickWinServer(r)
	default:
		h = w.pickLinux(r)
	}
	name, reg, qtype, answer := "", "", "A", ""
	if r.chance(0.2) {
		i := r.IntN(len(w.internal))
		name, reg = w.internal[i], w.dnsDomain
		if name[0] == '_' {
			qtype = "SRV"
		} else {
			answer = w.internalIPs[i]
		}
	} else {
		s := pick(r, w.sites)
		name, reg = pick(r, s.names), s.reg
		switch x := r.IntN(100); {
		case x < 75:
			answer = s.ip
		case x < 96:
			qtype = "AAAA"
		default:
			qtype = "HTTPS"
		}
	}
	var p proc
	user, domain := hostUser(h), ""
	if h.OS == windows {
		domain = w.domain
		if h.User != nil && r.chance(0.3) {
			p = proc{PID: r.winPID(), Exe: pick(r, dnsProcs)}
			if p.Exe == pathSvchost {
				user, domain = "NETWORK SERVICE", ntAuthority
			}
		}
	}
	if user == "" {
		domain = ""
	}
	e.dns(h, user, domain, p, g.resolver(h), name, qtype, reg, answer)
	return 0
}

// bgPageLoadRun is a browser loading a page: a few names of one CDN or
// service looked up within seconds, then connections.
func (g *Generator) bgPageLoadRun(e *record) int {
	r := g.r
	w := g.w
	h := w.pickWS(r)
	s := pick(r, w.cdnSites)
	b := g.benignRun(e.Time)
	n := r.between(2, len(s.names))
	start := r.IntN(len(s.names))
	p := proc{PID: r.winPID(), Exe: pathChrome}
	sysmon := r.chance(0.4)
	for i := 0; i < n; i++ {
		name := s.names[(start+i)%len(s.names)]
		var by proc
		if sysmon {
			by = p
		}
		b.add(nil).dns(h, h.User.Name, w.domain, by, g.resolver(h), name, "A", s.reg, s.ip)
		b.wait(5*time.Millisecond, 400*time.Millisecond)
	}
	b.wait(20*time.Millisecond, 300*time.Millisecond)
	b.add(nil).firewall(h, h.User.Name, true, h.IP, r.port(), s.ip, 443, "tcp", g.logNormal(7.5, 1), g.logNormal(11, 1.5))
	return g.push(b)
}

// bgHeartbeatRun is an application polling its service: periodic, but with
// high jitter and varied sizes, unlike a C2 implant.
func (g *Generator) bgHeartbeatRun(e *record) int {
	r := g.r
	w := g.w
	h := w.pickWS(r)
	u := h.User
	type app struct{ exe, reg, name string }
	a := pick(r, []app{
		{`C:\Users\%u\AppData\Local\Microsoft\Teams\current\Teams.exe`, "microsoft.com", "teams.microsoft.com"},
		{`C:\Users\%u\AppData\Local\Microsoft\OneDrive\OneDrive.exe`, "live.com", "onedrive.live.com"},
		{`C:\Users\%u\AppData\Local\slack\app-4.41.105\slack.exe`, "slack.com", "wss-primary.slack.com"},
		{`C:\Program Files (x86)\Dropbox\Client\Dropbox.exe`, "dropbox.com", "client.dropbox.com"},
		{`C:\Users\%u\AppData\Roaming\Zoom\bin\Zoom.exe`, "zoom.us", "us04st1.zoom.us"},
	})
	s := w.site(r, a.reg)
	p := proc{PID: r.winPID(), Exe: g.expand(a.exe, u.Name, h)}
	b := g.benignRun(e.Time)
	b.add(nil).dns(h, u.Name, w.domain, p, g.resolver(h), a.name, "A", s.reg, s.ip)
	interval := r.ms(60*time.Second, 300*time.Second)
	jitter := 0.6 + 0.4*r.Float64()
	for i, n := 0, r.between(10, 30); i < n; i++ {
		b.wait(50*time.Millisecond, 500*time.Millisecond)
		sport := r.port()
		b.add(nil).sysmonConn(h, u.Name, w.domain, p, h.IP, sport, s.ip, 443, "tcp")
		b.t += r.ms(0, 30*time.Second)
		b.add(nil).firewall(h, u.Name, true, h.IP, sport, s.ip, 443, "tcp", g.logNormal(8, 1.3), g.logNormal(9.5, 1.8))
		b.t += max(1000, r.jitter(interval, jitter))
	}
	return g.push(b)
}

// bgMonitorRun is the monitoring server polling many hosts on one or two
// ports: many connections, few distinct ports per target.
func (g *Generator) bgMonitorRun(e *record) int {
	r := g.r
	w := g.w
	mon := w.monHost
	ports := []internalSvc{{22, "tcp"}, {443, "tcp"}, {5985, "tcp"}, {9100, "tcp"}, {161, "udp"}}
	k := r.between(1, 2)
	first := r.IntN(len(ports))
	b := g.benignRun(e.Time)
	n := r.between(15, 40)
	span := r.ms(5*time.Second, 40*time.Second)
	for i := 0; i < n; i++ {
		var dst *machine
		if r.chance(0.5) {
			dst = w.pickWinServer(r)
		} else if r.chance(0.5) {
			dst = w.pickLinux(r)
		} else {
			dst = w.pickWS(r)
		}
		if dst == mon {
			continue
		}
		b.t = e.Time + span*int64(i)/int64(n)
		for j := 0; j < k; j++ {
			svc := ports[(first+j)%len(ports)]
			b.add(nil).zeekConn(mon, mon.IP, r.port(), dst.IP, svc.port, svc.transport, "SF", int64(r.between(90, 800)), int64(r.between(200, 6000)))
			b.t += r.ms(1*time.Millisecond, 50*time.Millisecond)
		}
	}
	return g.push(b)
}

// --- Files and registry ---

type fileTmpl struct {
	exe, path string
	as        account
	on        place
}

var fileCreates = newWeighted(
	choice[fileTmpl]{20, fileTmpl{pathChrome, `C:\Users\%u\Downloads\%d.pdf`, asUser, onWS}},
	choice[fileTmpl]{10, fileTmpl{pathChrome, `C:\Users\%u\Downloads\%d.xlsx`, asUser, onWS}},
	choice[fileTmpl]{8, fileTmpl{pathEdge, `C:\Users\%u\Downloads\%d.docx`, asUser, onWS}},
	choice[fileTmpl]{15, fileTmpl{pathWord, `C:\Users\%u\Documents\%d.docx`, asUser, onWS}},
	choice[fileTmpl]{10, fileTmpl{pathWord, `C:\Users\%u\AppData\Local\Temp\~WRS{%G}.tmp`, asUser, onWS}},
	choice[fileTmpl]{12, fileTmpl{pathExcel, `C:\Users\%u\Documents\%d.xlsx`, asUser, onWS}},
	choice[fileTmpl]{10, fileTmpl{pathOutlook, `C:\Users\%u\AppData\Local\Microsoft\Windows\INetCache\Content.Outlook\%g\%d.pdf`, asUser, onWS}},
	choice[fileTmpl]{5, fileTmpl{pathOutlook, `C:\Users\%u\AppData\Local\Microsoft\Windows\INetCache\Content.Outlook\%g\%d.xlsx`, asUser, onWS}},
	choice[fileTmpl]{12, fileTmpl{`C:\Users\%u\AppData\Local\Microsoft\Teams\current\Teams.exe`, `C:\Users\%u\AppData\Roaming\Microsoft\Teams\Cache\f_%g`, asUser, onWS}},
	choice[fileTmpl]{6, fileTmpl{`C:\Users\%u\AppData\Local\Programs\Microsoft VS Code\Code.exe`, `C:\Users\%u\source\repos\app\src\%d.py`, asUser, onWS}},
	choice[fileTmpl]{10, fileTmpl{pathSvchost, `C:\Windows\Temp\%g.tmp`, asSystem, onAnyWin}},
	choice[fileTmpl]{5, fileTmpl{pathMsiexec, `C:\Windows\Installer\%g.msi`, asSystem, onAnyWin}},
	choice[fileTmpl]{4, fileTmpl{pathMsMpEng, `C:\ProgramData\Microsoft\Windows Defender\Scans\mpcache-%g.bin`, asSystem, onAnyWin}},
	choice[fileTmpl]{8, fileTmpl{pathSystem, `D:\Shares\%d.xlsx`, asUser, onServer}},
)

func (g *Generator) fileHost(on place) *machine {
	switch on {
	case onWS:
		return g.w.pickWS(g.r)
	case onServer:
		return g.w.fs
	}
	if g.r.chance(0.8) {
		return g.w.pickWS(g.r)
	}
	return g.w.pickWinServer(g.r)
}

func (g *Generator) fileEvent(e *record, t fileTmpl, action string) int {
	r := g.r
	h := g.fileHost(t.on)
	var user, domain string
	u := h.User
	if u == nil {
		u = g.w.pickUser(r)
	}
	if t.as == asUser {
		user, domain = u.Name, g.w.domain
	} else {
		user, domain, _ = g.accountOf(t.as, h)
	}
	p := proc{PID: r.winPID(), Exe: g.expand(t.exe, u.Name, h)}
	if t.exe == pathSystem {
		p.PID = 4
	}
	e.file(h, user, domain, p, action, g.expand(t.path, u.Name, h))
	return 0
}

func (g *Generator) bgFileCreate(e *record) int {
	return g.fileEvent(e, fileCreates.pick(g.r), "file-created")
}

var fileRenames = []fileTmpl{
	{pathChrome, `C:\Users\%u\Downloads\%d.pdf`, asUser, onWS},
	{pathChrome, `C:\Users\%u\Downloads\%i.msi`, asUser, onWS},
	{pathWord, `C:\Users\%u\Documents\%d.docx`, asUser, onWS},
	{pathExcel, `C:\Users\%u\Documents\%d.xlsx`, asUser, onWS},
}

func (g *Generator) bgFileRename(e *record) int {
	return g.fileEvent(e, pick(g.r, fileRenames), "file-renamed")
}

var fileDeletes = []fileTmpl{
	{pathWord, `C:\Users\%u\Documents\~$%d.docx`, asUser, onWS},
	{pathChrome, `C:\Users\%u\Downloads\%d.pdf.crdownload`, asUser, onWS},
	{pathSvchost, `C:\Windows\Temp\%g.tmp`, asSystem, onAnyWin},
	{`C:\Windows\System32\cleanmgr.exe`, `C:\Windows\Temp\%g.tmp`, asSystem, onAnyWin},
}

func (g *Generator) bgFileDelete(e *record) int {
	return g.fileEvent(e, pick(g.r, fileDeletes), "file-deleted")
}

var uninstallApps = []string{"Zoom Workplace", "Google Chrome", "7-Zip 24.08 (x64)", "Notepad++ (64-bit x64)", "VLC media player", "Python 3.12.8 (64-bit)", "Microsoft Teams", "Adobe Acrobat (64-bit)"}

func (g *Generator) bgRegistry(e *record) int {
	r := g.r
	w := g.w
	h := w.pickWS(r)
	u := h.User
	switch x := r.IntN(100); {
	case x < 30: // an installer registering its product
		p := proc{PID: r.winPID(), Exe: pathMsiexec}
		path := `HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall\{` + g.guid() + `}\DisplayName`
		e.registry(h, system, ntAuthority, p, path, pick(r, uninstallApps), "REG_SZ")
	case x < 33: // Teams registers its own autostart, in AppData
		p := proc{PID: r.winPID(), Exe: userDir(u, `\AppData\Local\Microsoft\Teams\Update.exe`)}
		data := userDir(u, `\AppData\Local\Microsoft\Teams\Update.exe`) + ` --processStart "Teams.exe" --process-start-args "--system-initiated"`
		e.registry(h, u.Name, w.domain, p, hkuRun(u, "com.squirrel.Teams.Teams"), data, "REG_SZ")
	case x < 36: // so does OneDrive
		exe := userDir(u, `\AppData\Local\Microsoft\OneDrive\OneDrive.exe`)
		p := proc{PID: r.winPID(), Exe: exe}
		e.registry(h, u.Name, w.domain, p, hkuRun(u, "OneDrive"), `"`+exe+`" /background`, "REG_SZ")
	case x < 76: // Background Activity Moderator bookkeeping
		p := proc{PID: r.winPID(), Exe: pathSvchost}
		path := `HKLM\System\CurrentControlSet\Services\bam\State\UserSettings\` + u.SID + `\\Device\HarddiskVolume3\Program Files\Google\Chrome\Application\chrome.exe`
		e.registry(h, system, ntAuthority, p, path, "Binary Data", "REG_BINARY")
	case x < 90:
		p := proc{PID: r.winPID(), Exe: pathGoogleUpd}
		path := `HKLM\SOFTWARE\WOW6432Node\Google\Update\ClientState\{8A69D345-D564-463c-AFF1-A69D9E530F96}\LastCheckSuccess`
		e.registry(h, system, ntAuthority, p, path, "DWORD (0x00000001)", "REG_DWORD")
	default:
		p := explorerProc(h)
		path := `HKU\` + u.SID + `\Software\Microsoft\Windows\CurrentVersion\Explorer\RecentDocs\.docx\MRUListEx`
		e.registry(h, u.Name, w.domain, p, path, "Binary Data", "REG_BINARY")
	}
	return 0
}

// --- Web servers ---

var browserUAs = []string{
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
	"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
	"Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
	"Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.81 Mobile Safari/537.36",
	"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
}

type webReq struct {
	method, path, query string
	status              int // 0: 200 or 304
}

var nginxReqs = newWeighted(
	choice[webReq]{20, webReq{"GET", "/", "", 0}},
	choice[webReq]{15, webReq{"GET", "/static/js/app.js", "v=%g", 0}},
	choice[webReq]{12, webReq{"GET", "/static/css/main.css", "", 0}},
	choice[webReq]{15, webReq{"GET", "/api/v1/products", "page=%n", 0}},
	choice[webReq]{8, webReq{"GET", "/api/v1/products/%n", "", 0}},
	choice[webReq]{5, webReq{"POST", "/api/v1/cart", "", 201}},
	choice[webReq]{5, webReq{"GET", "/login", "", 0}},
	choice[webReq]{3, webReq{"POST", "/login", "", 302}},
	choice[webReq]{6, webReq{"GET", "/search", "q=%d", 0}},
	choice[webReq]{5, webReq{"GET", "/images/banner.jpg", "", 0}},
	choice[webReq]{4, webReq{"GET", "/favicon.ico", "", 404}},
	choice[webReq]{2, webReq{"GET", "/robots.txt", "", 200}},
	choice[webReq]{2, webReq{"GET", "/api/v1/products/%n", "", 404}},
	choice[webReq]{1, webReq{"GET", "/api/v1/orders", "", 401}},
)

var iisReqs = newWeighted(
	choice[webReq]{20, webReq{"GET", "/portal/Home.aspx", "", 0}},
	choice[webReq]{10, webReq{"GET", "/portal/Reports.aspx", "id=%n", 0}},
	choice[webReq]{10, webReq{"GET", "/Content/site.css", "", 0}},
	choice[webReq]{10, webReq{"GET", "/Scripts/jquery-3.7.1.min.js", "", 0}},
	choice[webReq]{8, webReq{"POST", "/api/timesheets", "", 201}},
	choice[webReq]{3, webReq{"GET", "/portal/Missing.aspx", "", 404}},
	choice[webReq]{2, webReq{"GET", "/", "", 302}},
)

var owaReqs = newWeighted(
	choice[webReq]{20, webReq{"GET", "/owa/", "", 0}},
	choice[webReq]{20, webReq{"POST", "/owa/service.svc", "action=GetItem&app=Mail", 200}},
	choice[webReq]{10, webReq{"POST", "/EWS/Exchange.asmx", "", 200}},
	choice[webReq]{10, webReq{"POST", "/Microsoft-Server-ActiveSync", "Cmd=Sync&DeviceId=%G&DeviceType=iPhone", 200}},
	choice[webReq]{8, webReq{"POST", "/autodiscover/autodiscover.xml", "", 200}},
	choice[webReq]{8, webReq{"POST", "/mapi/emsmdb/", "MailboxId=%G@corp.local", 200}},
)

func (g *Generator) bgWeb(e *record) int {
	r := g.r
	w := g.w
	var srv *machine
	var req webReq
	client := publicIP(r, 0.3)
	ua := pick(r, browserUAs)
	switch x := r.IntN(100); {
	case x < 55:
		srv = pick(r, w.nginx)
		req = nginxReqs.pick(r)
		if r.chance(0.08) {
			client, ua, req = w.lbIP, "ELB-HealthChecker/2.0", webReq{"GET", "/healthz", "", 200}
		}
	case x < 80:
		srv = w.web
		req = iisReqs.pick(r)
		if r.chance(0.6) {
			client = w.pickWS(r).IP
		}
	default:
		srv = w.exch
		req = owaReqs.pick(r)
		if r.chance(0.3) {
			ua = "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17928; Pro)"
			client = w.pickWS(r).IP
		}
	}
	status := req.status
	if status == 0 {
		status = 200
		if r.chance(0.15) {
			status = 304
		}
	}
	var size int64
	if status == 200 || status == 201 {
		size = g.logNormal(8.5, 1.4)
	} else if status >= 400 {
		size = int64(r.between(150, 600))
	}
	e.web(srv, client, r.port(), req.method, g.expand(req.path, "", srv), g.expand(req.query, "", srv), status, ua, size)
	return 0
}

// --- Services and scheduled tasks installed by software ---

type svcSpec struct{ name, path, start string }

var benignServices = []svcSpec{
	{"Google Chrome Elevation Service (GoogleChromeElevationService)", `"C:\Program Files\Google\Chrome\Application\131.0.6778.86\elevation_service.exe"`, "demand start"},
	{"Mozilla Maintenance Service", `"C:\Program Files (x86)\Mozilla Maintenance Service\maintenanceservice.exe"`, "demand start"},
	{"Microsoft Edge Update Service (edgeupdate)", `"C:\Program Files (x86)\Microsoft\EdgeUpdate\MicrosoftEdgeUpdate.exe" /svc`, "auto start"},
	{"Adobe Acrobat Update Service", `"C:\Program Files (x86)\Common Files\Adobe\ARM\1.0\armsvc.exe"`, "auto start"},
	{"Zoom Sharing Service", `"C:\Program Files\Common Files\Zoom\Support\CptService.exe"`, "demand start"},
	{"Intel(R) Graphics Command Center Service", `"C:\Program Files\Intel\Intel Graphics Command Center\IGCCService.exe"`, "auto start"},
	{"Microsoft Update Health Service", `"C:\Program Files\Microsoft Update Health Tools\uhssvc.exe"`, "auto start"},
}

func (g *Generator) bgService(e *record) int {
	s := pick(g.r, benignServices)
	e.service(g.anyWindows(), system, ntAuthority, s.name, s.path, s.start, "LocalSystem")
	return 0
}

func (g *Generator) anyWindows() *machine {
	if g.r.chance(0.85) {
		return g.w.pickWS(g.r)
	}
	return g.w.pickWinServer(g.r)
}

type taskSpec struct {
	name, cmd, args, trigger string
	perUser                  bool // runs as the user; else SYSTEM
}

var benignTasks = []taskSpec{
	{`\GoogleUpdateTaskMachineUA{%G}`, `C:\Program Files (x86)\Google\Update\GoogleUpdate.exe`, "/ua /installsource scheduler", "daily", false},
	{`\GoogleUpdateTaskMachineCore{%G}`, `C:\Program Files (x86)\Google\Update\GoogleUpdate.exe`, "/c", "logon", false},
	{`\MicrosoftEdgeUpdateTaskMachineCore{%G}`, `C:\Program Files (x86)\Microsoft\EdgeUpdate\MicrosoftEdgeUpdate.exe`, "/c", "logon", false},
	{`\Adobe Acrobat Update Task`, `C:\Program Files (x86)\Common Files\Adobe\ARM\1.0\AdobeARM.exe`, "", "logon", true},
	{`\Microsoft\Office\Office Automatic Updates 2.0`, `C:\Program Files\Common Files\Microsoft Shared\ClickToRun\OfficeC2RClient.exe`, "/frequentupdate SCHEDULEDTASK displaylevel=False", "daily", false},
	{`\OneDrive Standalone Update Task-%S`, `%localappdata%\Microsoft\OneDrive\OneDriveStandaloneUpdater.exe`, "/reporting", "daily", true},
}

// benignTask fills e with a 4698 of an updater on h.
func (g *Generator) benignTask(e *record, h *machine, t taskSpec) {
	u := h.User
	if u == nil {
		u = g.w.pickUser(g.r)
	}
	name := g.expand(t.name, u.Name, h)
	if len(name) > 2 && name[len(name)-2:] == "%S" {
		name = name[:len(name)-2] + u.SID
	}
	user, runAs := h.Name+"$", "S-1-5-18"
	if t.perUser {
		user, runAs = u.Name, u.SID
	}
	e.task(h, user, g.w.domain, name, t.cmd, t.args, t.trigger, runAs)
}

func (g *Generator) bgTask(e *record) int {
	g.benignTask(e, g.w.pickWS(g.r), pick(g.r, benignTasks))
	return 0
}

// bgUpdaterRun is an updater at work: its process, the task it registers
// and the files it writes, all under Program Files.
func (g *Generator) bgUpdaterRun(e *record) int {
	r := g.r
	w := g.w
	h := w.pickWS(r)
	b := g.benignRun(e.Time)
	up := proc{PID: r.winPID(), Exe: pathGoogleUpd, Cmd: `"C:\Program Files (x86)\Google\Update\GoogleUpdate.exe" /ua /installsource scheduler`}
	b.add(nil).winProcess(h, system, ntAuthority, up, g.parentProc(pSvchostSched, h, ""), "System")
	b.wait(2*time.Second, 30*time.Second)
	b.add(nil).file(h, system, ntAuthority, up, "file-created", `C:\Program Files (x86)\Google\Update\Download\{`+g.guid()+`}\131.0.6778.86\131.0.6778.86_chrome_installer.exe`)
	b.wait(1*time.Second, 20*time.Second)
	g.benignTask(b.add(nil), h, benignTasks[r.IntN(2)])
	if r.chance(0.3) {
		b.wait(1*time.Second, 10*time.Second)
		s := benignServices[0]
		b.add(nil).service(h, system, ntAuthority, s.name, s.path, s.start, "LocalSystem")
	}
	return g.push(b)
}

// bgBackupRun is the nightly backup: a scheduled PowerShell script on the
// file server zipping shares, or SQL Server writing a .bak.
func (g *Generator) bgBackupRun(e *record) int {
	r := g.r
	w := g.w
	b := g.benignRun(e.Time)
	date := time.UnixMilli(e.Time).UTC().Format("2006-01-02")
	if r.chance(0.5) {
		h := w.fs
		ps := proc{PID: r.winPID(), Exe: pathPowerShell, Cmd: `powershell.exe -NoProfile -ExecutionPolicy RemoteSigned -File C:\Scripts\backup.ps1`}
		b.add(nil).winLogon(h, "svc_backup", w.domain, true, 5, "", 0, h.Name)
		b.wait(100*time.Millisecond, 2*time.Second)
		b.add(nil).winProcess(h, "svc_backup", w.domain, ps, g.parentProc(pSvchostSched, h, ""), "High")
		for _, share := range []string{"Finance", "HR", "Projects"}[:r.between(1, 3)] {
			b.wait(2*time.Second, 20*time.Second)
			zip := proc{PID: r.winPID(), Exe: `C:\Program Files\7-Zip\7z.exe`}
			archive := `E:\Backups\` + share + `-` + date + `.zip`
			zip.Cmd = `"C:\Program Files\7-Zip\7z.exe" a -tzip ` + archive + ` D:\Shares\` + share + `\*`
			b.add(nil).winProcess(h, "svc_backup", w.domain, zip, ps, "High")
			b.wait(20*time.Second, 5*time.Minute)
			b.add(nil).file(h, "svc_backup", w.domain, zip, "file-created", archive)
		}
	} else {
		h := w.sql
		p := proc{PID: r.winPID(), Exe: `C:\Program Files\Microsoft SQL Server\MSSQL16.MSSQLSERVER\MSSQL\Binn\sqlservr.exe`}
		for _, db := range []string{"SalesDB", "HRDB", "ReportServer"}[:r.between(1, 3)] {
			b.add(nil).file(h, "MSSQLSERVER", "NT SERVICE", p, "file-created", `E:\Backups\`+db+`_`+date+`.bak`)
			b.wait(30*time.Second, 4*time.Minute)
		}
	}
	return g.push(b)
}

// bgAdminTaskRun is an admin scheduling a report script on a server: a
// schtasks /create from an admin shell of a script in C:\Scripts, run as
// NETWORK SERVICE or, as admins often do, as SYSTEM.
func (g *Generator) bgAdminTaskRun(e *record) int {
	r := g.r
	w := g.w
	h := pick(r, []*machine{w.fs, w.app, w.sql})
	u := w.admin(r, h)
	b := g.benignRun(e.Time)
	name := pick(r, []string{"Disk Report", "Cleanup Logs", "Export Timesheets"})
	tr := `powershell.exe -NoProfile -ExecutionPolicy RemoteSigned -File C:\Scripts\` + name[:4] + `.ps1`
	p := proc{PID: r.winPID(), Exe: pathSchtasks,
		Cmd: `schtasks.exe /create /tn "Corp\` + name + `" /tr "` + tr + `" /sc weekly /d MON /st 06:00 /ru "NT AUTHORITY\NETWORK SERVICE"`}
	runAs := "S-1-5-20"
	if r.chance(0.3) {
		p.Cmd = `schtasks.exe /create /tn "Corp\` + name + `" /tr "` + tr + `" /sc daily /st 02:00 /ru SYSTEM /f`
		runAs = "S-1-5-18"
	}
	parent := proc{PID: r.winPID(), Exe: pathPowerShell, Cmd: cmdLinePS}
	b.add(nil).winProcess(h, u.Name, w.domain, p, parent, "High")
	b.wait(50*time.Millisecond, 500*time.Millisecond)
	b.add(nil).task(h, u.Name, w.domain, `\Corp\`+name, "powershell.exe", tr[len("powershell.exe "):], "daily", runAs)
	return g.push(b)
}
