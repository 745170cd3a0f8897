package gen

import (
	"sort"
	"strconv"
	"strings"
)

// Windows binaries the generator uses often.
const (
	pathCmd        = `C:\Windows\System32\cmd.exe`
	pathPowerShell = `C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`
	pathExplorer   = `C:\Windows\explorer.exe`
	pathServices   = `C:\Windows\System32\services.exe`
	pathSvchost    = `C:\Windows\System32\svchost.exe`
	pathRundll32   = `C:\Windows\System32\rundll32.exe`
	pathReg        = `C:\Windows\System32\reg.exe`
	pathSchtasks   = `C:\Windows\System32\schtasks.exe`
	pathConhost    = `C:\Windows\System32\conhost.exe`
	pathWord       = `C:\Program Files\Microsoft Office\root\Office16\WINWORD.EXE`
	pathExcel      = `C:\Program Files\Microsoft Office\root\Office16\EXCEL.EXE`
	pathOutlook    = `C:\Program Files\Microsoft Office\root\Office16\OUTLOOK.EXE`
	pathChrome     = `C:\Program Files\Google\Chrome\Application\chrome.exe`
	pathEdge       = `C:\Program Files (x86)\Microsoft\Edge\Application\msedge.exe`
	pathWmiPrvSE   = `C:\Windows\System32\wbem\WmiPrvSE.exe`
	pathW3wp       = `C:\Windows\System32\inetsrv\w3wp.exe`
	pathMsMpEng    = `C:\ProgramData\Microsoft\Windows Defender\Platform\4.18.24090.11-0\MsMpEng.exe`
	pathMsiexec    = `C:\Windows\System32\msiexec.exe`
	pathMstsc      = `C:\Windows\System32\mstsc.exe`
	pathGoogleUpd  = `C:\Program Files (x86)\Google\Update\GoogleUpdate.exe`
	pathSystem     = "System"

	cmdLineCmd = `"C:\Windows\system32\cmd.exe" `
	cmdLinePS  = `"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe" `
	w3wpCmd    = `c:\windows\system32\inetsrv\w3wp.exe -ap "DefaultAppPool" -v "v4.0" -l "webengine4.dll" -a \\.\pipe\iisipm8c1f0e39-4a5b-4b52-9d43-2b7e4f1ad0a2 -h "C:\inetpub\temp\apppools\DefaultAppPool\DefaultAppPool.config" -w "" -m 0`
)

func explorerProc(h *machine) proc {
	return proc{PID: h.explorerPID, Exe: pathExplorer, Cmd: `C:\Windows\Explorer.EXE`}
}

func servicesProc(h *machine) proc {
	return proc{PID: h.servicesPID, Exe: pathServices, Cmd: `C:\Windows\system32\services.exe`}
}

func systemProc() proc { return proc{PID: 4, Exe: pathSystem, Cmd: ""} }

func w3wpProc(h *machine) proc {
	return proc{PID: h.w3wpPID, Exe: pathW3wp, Cmd: w3wpCmd}
}

// userDir returns C:\Users\<name> followed by rest.
func userDir(u *person, rest string) string { return `C:\Users\` + u.Name + rest }

// hkuRun returns the Run key of u as Sysmon names it, with value name.
func hkuRun(u *person, name string) string {
	return `HKU\` + u.SID + `\Software\Microsoft\Windows\CurrentVersion\Run\` + name
}

var docPrefixes = []string{"Q1", "Q2", "Q3", "Q4", "FY26", "2026", "Jan", "Feb", "Team", "Project", "Client", "Board", "Sales", "HR", "IT"}
var docNouns = []string{"budget", "report", "minutes", "invoice", "contract", "roadmap", "forecast", "proposal",
	"timesheet", "offer", "policy", "presentation", "notes", "plan", "review", "summary", "agenda", "specs"}
var docSuffixes = []string{"", "", "", "_v2", "_final", "_draft", "_rev3", " (1)"}

// appendDocName appends a plausible office document base name.
func (g *Generator) appendDocName(b []byte) []byte {
	r := g.r
	b = append(b, pick(r, docPrefixes)...)
	b = append(b, '_')
	b = append(b, pick(r, docNouns)...)
	return append(b, pick(r, docSuffixes)...)
}

func (g *Generator) docName() string { return string(g.appendDocName(nil)) }

var installers = []string{"ZoomInstallerFull", "GoogleChromeStandaloneEnterprise64", "Teams_windows_x64",
	"7z2408-x64", "npp.8.7.1.Installer.x64", "vlc-3.0.21-win64", "python-3.12.8-amd64", "FirefoxSetup133.0"}

// expand fills placeholders in s: %u user name, %d document name, %n a
// number, %g 8 hex digits, %G a GUID, %i an installer name, %h the host.
func (g *Generator) expand(s, user string, h *machine) string {
	if strings.IndexByte(s, '%') < 0 {
		return s
	}
	b := g.exp[:0]
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '%' || i+1 == len(s) {
			b = append(b, c)
			continue
		}
		i++
		switch s[i] {
		case 'u':
			b = append(b, user...)
		case 'd':
			b = g.appendDocName(b)
		case 'n':
			b = strconv.AppendInt(b, int64(g.r.between(1000, 99999)), 10)
		case 'g':
			b = appendHex(b, g.r.Uint64(), 8)
		case 'G':
			b = appendGUID(b, g.r.Uint64(), g.r.Uint64())
		case 'i':
			b = append(b, pick(g.r, installers)...)
		case 'h':
			b = append(b, h.Name...)
		default:
			b = append(b, '%', s[i])
		}
	}
	g.exp = b
	return string(b)
}

// appendGUID appends an uppercase GUID without braces.
func appendGUID(b []byte, x, y uint64) []byte {
	start := len(b)
	b = appendUUID(b, x, y)
	for i := start; i < len(b); i++ {
		if c := b[i]; c >= 'a' && c <= 'f' {
			b[i] = c - 'a' + 'A'
		}
	}
	return b
}

func (g *Generator) guid() string { return string(appendGUID(nil, g.r.Uint64(), g.r.Uint64())) }

// weighted picks values with given weights.
type weighted[T any] struct {
	vals  []T
	cum   []int
	total int
}

type choice[T any] struct {
	w int
	v T
}

func newWeighted[T any](cs ...choice[T]) *weighted[T] {
	t := &weighted[T]{}
	for _, c := range cs {
		t.total += c.w
		t.vals = append(t.vals, c.v)
		t.cum = append(t.cum, t.total)
	}
	return t
}

func (t *weighted[T]) pick(r *rng) T {
	x := r.IntN(t.total)
	i := sort.Search(len(t.cum), func(i int) bool { return t.cum[i] > x })
	return t.vals[i]
}
