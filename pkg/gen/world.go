package gen

import (
	"strconv"
	"strings"
)

// osType is a host's operating system.
type osType uint8

const (
	windows osType = iota + 1
	linux
)

// role is what a host is for.
type role uint8

const (
	workstation role = iota + 1
	domainController
	fileServer
	webServer // IIS on Windows, nginx on Linux
	sqlServer
	mailServer
	appServer
	bastion
	monitoring
	ciServer
	dbServer
)

// machine is one host of the simulated network.
type machine struct {
	Name   string
	FQDN   string
	IP     string
	OS     osType
	Role   role
	User   *person   // primary user of a workstation
	Admins []*person // the admins who look after a server

	// Long-lived processes, so that parent PIDs agree across events.
	explorerPID, servicesPID, lsassPID, w3wpPID, sshdPID int

	// lastTypo is when a user last mistyped a password here (ms), to space them.
	lastTypo int64

	ecs []byte // the "host" object, encoded once
}

// person is a user account of the simulated organisation.
type person struct {
	Name  string
	SID   string
	Admin bool
	WS    *machine // the user's workstation
	// disco holds the at most two discovery commands this user runs as part
	// of normal admin work, so that benign output never shows a burst.
	disco [2]int
	// discoLinux says whether the admin's discovery commands are Linux ones.
	discoLinux bool
	// servers lists the servers an admin looks after, Windows and Linux.
	servers []*machine
}

// site is an external service: a registered domain, the few names of it
// that clients look up, and its address.
type site struct {
	reg   string
	names []string
	ip    string
	port  int // usual destination port
}

// orgDomain is the organisation's Windows (NetBIOS) domain.
const orgDomain = "CORP"

// world is the simulated organisation: hosts, users, and the Internet
// services they use.
type world struct {
	domain    string // NetBIOS domain, "CORP"
	dnsDomain string // "corp.local"
	sidBase   string // "S-1-5-21-a-b-c"

	workstations            []*machine
	winServers              []*machine
	linServers              []*machine
	dcs                     []*machine
	fs, web, sql, exch, app *machine // Windows servers by role
	nginx                   []*machine
	bastionHost             *machine
	monHost                 *machine
	ciHost                  *machine

	users  []*person
	admins []*person

	sites       []*site
	cdnSites    []*site  // sites whose page loads look up several names
	internal    []string // internal names clients look up
	internalIPs []string // their addresses ("" for SRV names)

	lbIP string // the load balancer in front of the web servers
}

var firstNames = []string{
	"alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy",
	"karl", "laura", "mallory", "nina", "oscar", "peggy", "quentin", "rita", "sam", "trent",
	"ursula", "victor", "wendy", "xavier", "yara", "zoe", "aaron", "bella", "chris", "diana",
	"ethan", "fiona", "george", "hannah", "isaac", "julia", "kevin", "lena", "marco", "nora",
	"omar", "paula", "ravi", "sara", "tom", "uma", "vera", "will", "yusuf", "zara",
	"adam", "beth", "caleb", "dora", "elias", "freya", "gavin", "hugo", "ines", "jonas",
}

var lastNames = []string{
	"smith", "jones", "garcia", "miller", "davis", "lopez", "wilson", "moore", "taylor", "thomas",
	"lee", "martin", "clark", "lewis", "walker", "young", "king", "wright", "hill", "scott",
	"green", "baker", "adams", "nelson", "carter", "mitchell", "perez", "roberts", "turner", "phillips",
	"novak", "schmidt", "rossi", "kowalski", "ivanova", "nakamura", "chen", "patel", "kim", "silva",
}

// newWorld builds the organisation from r: its size and names depend on the seed.
func newWorld(r *rng) *world {
	w := &world{domain: orgDomain, dnsDomain: "corp.local", lbIP: "10.0.0.5"}
	w.sidBase = "S-1-5-21-" + strconv.Itoa(r.between(1000000000, 2147483647)) + "-" +
		strconv.Itoa(r.between(1000000000, 2147483647)) + "-" + strconv.Itoa(r.between(1000000000, 2147483647))

	nws := r.between(150, 250)
	seen := map[string]bool{}
	for i := 0; i < nws+20; i++ {
		var name string
		for {
			name = pick(r, firstNames) + "." + pick(r, lastNames)
			if !seen[name] {
				break
			}
		}
		seen[name] = true
		u := &person{Name: name, SID: w.sidBase + "-" + strconv.Itoa(1104+i)}
		w.users = append(w.users, u)
	}
	for i := 0; i < nws; i++ {
		h := w.host("WS-"+pad4(i+1), "10.10."+strconv.Itoa(i/200)+"."+strconv.Itoa(20+i%200), windows, workstation, r)
		h.User = w.users[i]
		w.users[i].WS = h
		w.workstations = append(w.workstations, h)
	}
	// The remaining users share workstations (hot desks); a few are admins.
	for i := nws; i < len(w.users); i++ {
		w.users[i].WS = w.workstations[r.IntN(nws)]
	}
	nadm := r.between(6, 10)
	for i := 0; i < nadm; i++ {
		u := w.users[i*nws/nadm]
		u.Admin = true
		u.discoLinux = i%2 == 1
		w.admins = append(w.admins, u)
	}
	for _, u := range w.users {
		a := r.IntN(len(winDiscovery))
		b := r.IntN(len(winDiscovery))
		u.disco = [2]int{a, b}
	}

	ip := 10
	srv := func(name string, os osType, ro role) *machine {
		ip++
		h := w.host(name, "10.0.1."+strconv.Itoa(ip), os, ro, r)
		w.winServers = append(w.winServers, h)
		return h
	}
	w.dcs = []*machine{srv("DC01", windows, domainController), srv("DC02", windows, domainController)}
	w.fs = srv("FS01", windows, fileServer)
	w.web = srv("WEB01", windows, webServer)
	w.sql = srv("SQL01", windows, sqlServer)
	w.exch = srv("EXCH01", windows, mailServer)
	w.app = srv("APP01", windows, appServer)
	srv("PRINT01", windows, appServer)

	lip := 10
	lsrv := func(name string, ro role) *machine {
		lip++
		h := w.host(name, "10.0.2."+strconv.Itoa(lip), linux, ro, r)
		w.linServers = append(w.linServers, h)
		return h
	}
	w.nginx = []*machine{lsrv("web-01", webServer), lsrv("web-02", webServer)}
	lsrv("db-01", dbServer)
	w.bastionHost = lsrv("bastion-01", bastion)
	w.ciHost = lsrv("ci-01", ciServer)
	lsrv("git-01", appServer)
	w.monHost = lsrv("mon-01", monitoring)
	lsrv("k8s-node-01", appServer)
	lsrv("k8s-node-02", appServer)

	for _, h := range append(append([]*machine{}, w.winServers...), w.linServers...) {
		a := pick(r, w.admins)
		b := pick(r, w.admins)
		h.Admins = []*person{a, a, b} // a main admin and a deputy
		a.servers = append(a.servers, h)
		if b != a {
			b.servers = append(b.servers, h)
		}
	}

	w.sites = buildSites(r)
	for _, s := range w.sites {
		if len(s.names) >= 4 {
			w.cdnSites = append(w.cdnSites, s)
		}
	}
	w.internal = []string{"dc01.corp.local", "dc02.corp.local", "fs01.corp.local", "exch01.corp.local",
		"intranet.corp.local", "wpad.corp.local", "print01.corp.local", "_ldap._tcp.dc._msdcs.corp.local"}
	w.internalIPs = []string{w.dcs[0].IP, w.dcs[1].IP, w.fs.IP, w.exch.IP, w.web.IP, w.app.IP, w.winServers[len(w.winServers)-1].IP, ""}
	return w
}

func pad4(n int) string {
	s := strconv.Itoa(n)
	return strings.Repeat("0", max(0, 4-len(s))) + s
}

func (w *world) host(name, ip string, os osType, ro role, r *rng) *machine {
	h := &machine{Name: name, IP: ip, OS: os, Role: ro, lastTypo: -1 << 60}
	if os == windows {
		h.FQDN = name + "." + w.dnsDomain
		h.explorerPID = r.winPID()
		h.servicesPID = 4 * r.between(150, 200)
		h.lsassPID = h.servicesPID + 4*r.between(2, 12)
		h.w3wpPID = r.winPID()
	} else {
		h.FQDN = name
		h.sshdPID = r.between(700, 1100)
	}
	var b []byte
	b = append(b, `"host":{"name":`...)
	b = appendStr(b, name)
	b = append(b, `,"hostname":`...)
	b = appendStr(b, strings.ToLower(name))
	if os == windows {
		osName := "Windows 11 Enterprise"
		if ro != workstation {
			osName = "Windows Server 2022 Standard"
		}
		b = append(b, `,"os":{"type":"windows","family":"windows","name":`...)
		b = appendStr(b, osName)
	} else {
		b = append(b, `,"os":{"type":"linux","family":"debian","name":"Ubuntu 22.04.4 LTS"`...)
	}
	b = append(b, `},"ip":[`...)
	b = appendStr(b, ip)
	h.ecs = append(b, "]}"...)
	return h
}

// admin returns an admin who works on h: one of a server's admins, or
// any admin for a workstation.
func (w *world) admin(r *rng, h *machine) *person {
	if len(h.Admins) > 0 {
		return pick(r, h.Admins)
	}
	return pick(r, w.admins)
}

// pickUser returns a random user.
func (w *world) pickUser(r *rng) *person { return pick(r, w.users) }

// pickWS returns a random workstation.
func (w *world) pickWS(r *rng) *machine { return pick(r, w.workstations) }

// pickWinServer returns a random Windows server.
func (w *world) pickWinServer(r *rng) *machine { return pick(r, w.winServers) }

// pickWinActor returns, with probability pWS, a workstation and its user,
// else a Windows server and an administrator.
func (w *world) pickWinActor(r *rng, pWS float64) (*machine, *person) {
	if r.chance(pWS) {
		h := w.pickWS(r)
		return h, h.User
	}
	return w.pickWinServer(r), pick(r, w.admins)
}

// pickLinux returns a random Linux server.
func (w *world) pickLinux(r *rng) *machine { return pick(r, w.linServers) }

// publicFirstOctets are first octets of ordinary public address space.
var publicFirstOctets = []int{5, 23, 31, 37, 45, 46, 62, 77, 78, 80, 81, 82, 85, 87, 89, 91, 92, 93, 94, 95,
	103, 104, 109, 138, 141, 146, 151, 154, 157, 162, 176, 178, 185, 188, 193, 194, 195, 212, 213, 217}

// docRanges are the documentation prefixes of RFC 5737.
var docRanges = []string{"198.51.100.", "203.0.113.", "192.0.2."}

// publicIP returns an external address: from the documentation ranges with
// probability docShare, else from ordinary public space.
func publicIP(r *rng, docShare float64) string {
	if r.chance(docShare) {
		return pick(r, docRanges) + strconv.Itoa(r.between(1, 254))
	}
	return strconv.Itoa(pick(r, publicFirstOctets)) + "." + strconv.Itoa(r.between(0, 255)) + "." +
		strconv.Itoa(r.between(0, 255)) + "." + strconv.Itoa(r.between(1, 254))
}

// siteSpec lists a service's registered domain and the names of it clients use.
type siteSpec struct {
	reg    string
	prefix string // first octets of its address, "" for a random public one
	names  []string
}

var siteSpecs = []siteSpec{
	{"google.com", "142.250.", []string{"www.google.com", "accounts.google.com", "mail.google.com", "drive.google.com", "docs.google.com", "apis.google.com"}},
	{"googleapis.com", "142.251.", []string{"www.googleapis.com", "fonts.googleapis.com", "update.googleapis.com", "safebrowsing.googleapis.com", "content-autofill.googleapis.com"}},
	{"gstatic.com", "142.250.", []string{"www.gstatic.com", "fonts.gstatic.com", "ssl.gstatic.com"}},
	{"microsoft.com", "20.70.", []string{"www.microsoft.com", "go.microsoft.com", "teams.microsoft.com", "login.microsoft.com", "support.microsoft.com"}},
	{"microsoftonline.com", "20.190.", []string{"login.microsoftonline.com", "device.login.microsoftonline.com"}},
	{"office.com", "52.97.", []string{"www.office.com", "outlook.office.com", "substrate.office.com", "officeclient.office.com"}},
	{"office365.com", "52.98.", []string{"outlook.office365.com"}},
	{"live.com", "13.107.", []string{"login.live.com", "onedrive.live.com"}},
	{"windowsupdate.com", "13.107.", []string{"ctldl.windowsupdate.com", "download.windowsupdate.com", "au.download.windowsupdate.com"}},
	{"msftconnecttest.com", "13.107.", []string{"www.msftconnecttest.com"}},
	{"akamaiedge.net", "23.", []string{"e10370.dspg.akamaiedge.net", "e13678.dscb.akamaiedge.net", "e28578.d.akamaiedge.net", "e6858.dsce9.akamaiedge.net", "e1723.g.akamaiedge.net"}},
	{"cloudfront.net", "13.32.", []string{"d3ag4hukkh62yn.cloudfront.net", "d1x2vn2jxjkb6d.cloudfront.net", "dt4ygfp2v1r8y.cloudfront.net", "d2v9ipibika81v.cloudfront.net"}},
	{"fastly.net", "151.101.", []string{"dualstack.n.sni.global.fastly.net", "f2.shared.global.fastly.net"}},
	{"cloudflare.com", "104.16.", []string{"www.cloudflare.com", "cdnjs.cloudflare.com"}},
	{"github.com", "140.82.", []string{"github.com", "api.github.com", "codeload.github.com"}},
	{"githubusercontent.com", "185.199.", []string{"raw.githubusercontent.com", "objects.githubusercontent.com", "avatars.githubusercontent.com"}},
	{"slack.com", "", []string{"app.slack.com", "edgeapi.slack.com", "wss-primary.slack.com"}},
	{"slack-edge.com", "", []string{"a.slack-edge.com", "ca.slack-edge.com"}},
	{"zoom.us", "", []string{"zoom.us", "us02web.zoom.us", "us04st1.zoom.us"}},
	{"dropbox.com", "162.125.", []string{"www.dropbox.com", "client.dropbox.com", "bolt.dropbox.com"}},
	{"salesforce.com", "", []string{"login.salesforce.com", "corp.my.salesforce.com"}},
	{"okta.com", "", []string{"corp.okta.com", "login.okta.com"}},
	{"atlassian.net", "", []string{"corp.atlassian.net", "api.atlassian.net"}},
	{"linkedin.com", "", []string{"www.linkedin.com"}},
	{"wikipedia.org", "", []string{"en.wikipedia.org", "de.wikipedia.org"}},
	{"stackoverflow.com", "", []string{"stackoverflow.com"}},
	{"bbc.co.uk", "", []string{"www.bbc.co.uk", "static.files.bbc.co.uk"}},
	{"nytimes.com", "", []string{"www.nytimes.com", "static01.nytimes.com"}},
	{"adobe.com", "", []string{"www.adobe.com", "acroipm2.adobe.com", "armmf.adobe.com"}},
	{"digicert.com", "", []string{"ocsp.digicert.com", "crl3.digicert.com"}},
	{"ubuntu.com", "", []string{"archive.ubuntu.com", "security.ubuntu.com", "changelogs.ubuntu.com"}},
	{"pypi.org", "", []string{"pypi.org"}},
	{"pythonhosted.org", "", []string{"files.pythonhosted.org"}},
	{"docker.io", "", []string{"registry-1.docker.io", "auth.docker.io"}},
	{"npmjs.org", "104.16.", []string{"registry.npmjs.org"}},
	{"example.com", "203.0.113.", []string{"portal.example.com", "sso.example.com", "www.example.com"}},
	{"example.net", "192.0.2.", []string{"files.example.net", "api.example.net"}},
	{"example.org", "198.51.100.", []string{"www.example.org"}},
}

func buildSites(r *rng) []*site {
	var out []*site
	for _, s := range siteSpecs {
		var ip string
		if s.prefix == "" {
			ip = publicIP(r, 0)
		} else {
			ip = s.prefix
			for strings.Count(ip, ".") < 3 {
				ip += strconv.Itoa(r.between(1, 254)) + "."
			}
			ip += strconv.Itoa(r.between(1, 254))
		}
		out = append(out, &site{reg: s.reg, names: s.names, ip: ip, port: 443})
	}
	return out
}
