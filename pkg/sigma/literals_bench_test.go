package sigma

import (
	"strings"
	"testing"
)

// BenchmarkLiteralSet scans a lowered command line for literals of the
// shapes SigmaHQ's rules test: short flags (the automaton), longer
// literals (every window), and keywords of nine bytes or more (every
// sixth window).
func BenchmarkLiteralSet(b *testing.B) {
	text := []byte(strings.ToLower(`"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe" -NoProfile -ExecutionPolicy Bypass -Command "& {Get-ChildItem C:\Users\alice\AppData\Local\Temp | Where-Object { $_.Extension -eq '.tmp' } | Remove-Item -Force}"`))
	sets := map[string][]string{
		"short":    {" -e", "/c ", ".7z", "-ep", " -w", "iex", ".js", "| ", "&&", "vbs"},
		"long":     {"-nop", "\\powershell.exe", "-executionpolicy bypass", "invoke-expression", "downloadstring", "\\appdata\\local\\temp\\", "frombase64string", "-encodedcommand"},
		"keywords": {"sekurlsa::", "lsadump::", "privilege::debug", "kerberos::golden", "mimidrv.sys", "\\mimilib.dll", "gentilkiwi.com"},
	}
	for name, pats := range sets {
		b.Run(name, func(b *testing.B) {
			l := newLiteralSet(pats)
			b.SetBytes(int64(len(text)))
			hits := 0
			for i := 0; i < b.N; i++ {
				l.scan(text, func(int32, int, int) { hits++ })
			}
			if hits == 0 && name != "keywords" {
				b.Fatal("no literal found")
			}
		})
	}
}

// BenchmarkHoldsFolded scans one of gen's Windows events, as JSON, for the
// keywords of SigmaHQ's "HackTool - Mimikatz Use", a keyword search that
// applies to every Windows source: what Matcher.rawRulesOut does for every
// such event before a keyword rule is tried.
func BenchmarkHoldsFolded(b *testing.B) {
	text := []byte(`{"@timestamp":"2026-01-01T00:00:00.062Z","event":{"id":"f29a8b79-f133-48c6-85f5-164ec27608a3","kind":"event","category":["registry"],"type":["change"],"action":"registry-value-set","code":"13","provider":"Microsoft-Windows-Sysmon","dataset":"windows.sysmon_operational","module":"windows"},"host":{"name":"WS-0010","hostname":"ws-0010","os":{"type":"windows","family":"windows","name":"Windows 11 Enterprise"},"ip":["10.10.0.29"]},"user":{"name":"SYSTEM","domain":"NT AUTHORITY"},"registry":{"hive":"HKLM","key":"SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\{2B3C7399-B691-4856-871A-6A787BDC6993}","value":"DisplayName","path":"HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\{2B3C7399-B691-4856-871A-6A787BDC6993}\\DisplayName","data":{"type":"REG_SZ","strings":["Zoom Workplace"]}},"process":{"pid":16076,"executable":"C:\\Windows\\System32\\msiexec.exe","name":"msiexec.exe"},"winlog":{"channel":"Microsoft-Windows-Sysmon/Operational","event_id":"13","provider_name":"Microsoft-Windows-Sysmon","computer_name":"WS-0010.corp.local","event_data":{"EventType":"SetValue","TargetObject":"HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\{2B3C7399-B691-4856-871A-6A787BDC6993}\\DisplayName","Details":"Zoom Workplace"}},"related":{"user":["SYSTEM"]},"message":"Registry value set: HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\{2B3C7399-B691-4856-871A-6A787BDC6993}\\DisplayName by msiexec.exe","truth":{"scenario":"benign"}}`)
	l := newLiteralSet([]string{"mimikatz", "dpapi::masterkey", "eo.oe.kiwi", "event::clear", "event::drop",
		"gentilkiwi.com", "kerberos::golden", "kerberos::ptc", "kerberos::ptt", "kerberos::tgt", "kiwi legit printer",
		"lsadump::", "mimidrv.sys", "\\\\mimilib.dll", "misc::printnightmare", "misc::shadowcopies", "misc::skeleton",
		"privilege::backup", "privilege::debug", "privilege::driver", "sekurlsa::"})
	b.SetBytes(int64(len(text)))
	for i := 0; i < b.N; i++ {
		if l.holdsFolded(text) {
			b.Fatal("a keyword found in an event that has none")
		}
	}
}
