package gen

import (
	"strconv"
	"time"
)

var ransomExts = []string{".locked", ".encrypted", ".crypt", ".lockbit"}
var ransomNotes = []string{"README_DECRYPT.txt", "HOW_TO_RESTORE.html", "Restore-My-Files.txt"}

var fileExts = []string{".docx", ".xlsx", ".pdf", ".pptx", ".jpg", ".png", ".txt", ".csv", ".zip", ".msg"}

// recovery lists the commands ransomware runs to prevent recovery.
var recovery = []struct{ exe, cmd string }{
	{`C:\Windows\System32\vssadmin.exe`, "vssadmin.exe delete shadows /all /quiet"},
	{`C:\Windows\System32\wbem\WMIC.exe`, "wmic shadowcopy delete"},
	{`C:\Windows\System32\bcdedit.exe`, "bcdedit /set {default} recoveryenabled no"},
	{`C:\Windows\System32\bcdedit.exe`, "bcdedit /set {default} bootstatuspolicy ignoreallfailures"},
	{`C:\Windows\System32\wbadmin.exe`, "wbadmin delete catalog -quiet"},
}

func buildRansomware(b *builder) {
	r, w := b.r, b.w
	var h *machine
	var u *person
	var dirs []string
	if r.chance(0.6) {
		h = w.pickWS(r)
		u = h.User
		for _, d := range []string{`\Documents`, `\Desktop`, `\Pictures`, `\Downloads`, `\Documents\Projects`, `\OneDrive - Corp`} {
			dirs = append(dirs, userDir(u, d))
		}
	} else {
		h, u = w.fs, pick(r, w.admins)
		for _, d := range []string{"Finance", "HR", "Sales", "Projects", "Legal", "Marketing", "IT"} {
			dirs = append(dirs, `D:\Shares\`+d)
		}
	}
	name := pick(r, []string{"lb3", "svchosts", "winupd", "encryptor", r.hex(8)}) + ".exe"
	exe := pick(r, []string{userDir(u, `\AppData\Local\Temp\`), `C:\Users\Public\`, `C:\ProgramData\`}) + name
	dropper := proc{PID: r.winPID(), Exe: pathPowerShell, Cmd: `powershell.exe -nop -w hidden`}
	b.add(b.tags("T1105")).file(h, u.Name, w.domain, dropper, "file-created", exe)
	b.wait(5*time.Second, 2*time.Minute)
	ransom := proc{PID: r.winPID(), Exe: exe, Cmd: `"` + exe + `"`, Orig: r.letters("abcdefghijklmnopqrstuvwxyz", 7) + ".exe"}
	if r.chance(0.4) {
		ransom.Cmd += " -pass " + r.hex(32)
	}
	// The encryptor starting is the impact beginning.
	b.add(b.tags("T1486")).winProcess(h, u.Name, w.domain, ransom, proc{PID: r.winPID(), Exe: pathCmd, Cmd: cmdLineCmd}, "High")

	inhibit := b.tags("T1490")
	inhibitShell := b.tags("T1490", "T1059.003")
	for i, c := range recovery {
		if i > 0 && !r.chance(0.85) {
			continue
		}
		b.wait(200*time.Millisecond, 3*time.Second)
		sh := proc{PID: r.winPID(), Exe: pathCmd, Cmd: `C:\Windows\system32\cmd.exe /c ` + c.cmd}
		b.add(inhibitShell).winProcess(h, u.Name, w.domain, sh, ransom, "High")
		b.wait(10*time.Millisecond, 100*time.Millisecond)
		b.add(inhibit).winProcess(h, u.Name, w.domain, proc{PID: r.winPID(), Exe: c.exe, Cmd: c.cmd}, sh, "High")
	}

	b.wait(2*time.Second, 20*time.Second)
	ext := pick(r, ransomExts)
	note := pick(r, ransomNotes)
	if ext == ".lockbit" {
		note = "Restore-My-Files.txt"
	}
	encrypt := b.tags("T1486")
	rename := r.chance(0.7)
	n := r.between(100, 1000)
	span := r.ms(30*time.Second, 180*time.Second)
	start := b.t
	noted := map[string]bool{}
	used := map[string]bool{}
	for i := 0; i < n; i++ {
		b.t = start + span*int64(i)/int64(n)
		dir := pick(r, dirs)
		if !noted[dir] {
			noted[dir] = true
			b.add(encrypt).file(h, u.Name, w.domain, ransom, "file-created", dir+`\`+note)
		}
		var path string
		for path == "" || used[path] {
			base := string(b.g.appendDocName(nil))
			if r.chance(0.3) {
				base = pick(r, []string{"IMG_", "scan_", "DSC", "export_"}) + strconv.Itoa(r.between(1000, 99999))
			}
			path = dir + `\` + base + pick(r, fileExts)
		}
		used[path] = true
		if rename {
			b.add(encrypt).file(h, u.Name, w.domain, ransom, "file-renamed", path+ext)
			continue
		}
		b.add(encrypt).file(h, u.Name, w.domain, ransom, "file-created", path+ext)
		b.t += r.ms(1*time.Millisecond, 20*time.Millisecond)
		b.add(encrypt).file(h, u.Name, w.domain, ransom, "file-deleted", path)
	}
}
