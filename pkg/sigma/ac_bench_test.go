package sigma

import (
	"strings"
	"testing"
)

// BenchmarkAhoCorasick scans a command line for short literals, the part of
// a literal set that the 4-byte window index does not cover.
func BenchmarkAhoCorasick(b *testing.B) {
	a := newAhoCorasick([]string{" -e", "/c ", ".7z", "-ep", " -w", "iex", ".js", "| ", "&&", "-nop", "vbs"}[:10])
	text := []byte(strings.ToLower(`"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe" -NoProfile -ExecutionPolicy Bypass -Command "& {Get-ChildItem C:\Users\alice\AppData\Local\Temp | Where-Object { $_.Extension -eq '.tmp' } | Remove-Item -Force}"`))
	b.SetBytes(int64(len(text)))
	hits := 0
	for i := 0; i < b.N; i++ {
		a.scan(text, func(int32, int, int) { hits++ })
	}
	if hits == 0 {
		b.Fatal("no literal found")
	}
}
