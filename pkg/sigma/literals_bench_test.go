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
