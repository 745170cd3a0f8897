package classify

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Rules written the SigmaHQ way (Sigma taxonomy field names, logsources)
// must reach every supported event shape through the built-in mapping.
func TestEventShapes(t *testing.T) {
	dir := t.TempDir()
	rules := map[string]string{
		"proc.yml": `title: Whoami Execution
id: 11111111-0000-4000-8000-000000000001
level: low
description: t
tags: [attack.discovery, attack.t1033]
logsource: {category: process_creation, product: windows}
detection:
  selection:
    - Image|endswith: '\whoami.exe'
    - OriginalFileName: 'whoami.exe'
  condition: selection
`,
		"auditd.yml": `title: Auditd Netcat Exec
id: 11111111-0000-4000-8000-000000000002
level: medium
description: t
tags: [attack.execution, attack.t1059.004]
logsource: {product: linux, service: auditd}
detection:
  selection:
    type: EXECVE
    a0: nc
    a1: '-e'
  condition: selection
`,
		"sshd.yml": `title: SSHD Error Message
id: 11111111-0000-4000-8000-000000000003
level: medium
description: t
tags: [attack.initial-access, attack.t1190]
logsource: {product: linux, service: sshd}
detection:
  keywords:
    - 'unexpected internal error'
    - 'Corrupted MAC on input'
  condition: keywords
`,
		"reg.yml": `title: Run Key Set
id: 11111111-0000-4000-8000-000000000004
level: medium
description: t
tags: [attack.persistence, attack.t1547.001]
logsource: {category: registry_event, product: windows}
detection:
  selection:
    TargetObject|contains: '\CurrentVersion\Run\'
  condition: selection
`,
		"sec.yml": `title: New Process 4688
id: 11111111-0000-4000-8000-000000000005
level: low
description: t
tags: [attack.execution]
logsource: {category: process_creation, product: windows}
detection:
  selection:
    Image|endswith: '\certutil.exe'
    CommandLine|contains: 'urlcache'
  condition: selection
`,
	}
	for name, body := range rules {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct{ name, event, want string }{
		{"sysmon evtx", `{"Event":{"System":{"Channel":"Microsoft-Windows-Sysmon/Operational","EventID":1},"EventData":{"Image":"C:\\Windows\\System32\\whoami.exe","CommandLine":"whoami"}}}`, "Whoami Execution"},
		{"evtx EventID with attributes", `{"Event":{"System":{"Channel":"Microsoft-Windows-Sysmon/Operational","EventID":{"#text":1,"#attributes":{"Qualifiers":0}}},"EventData":{"OriginalFileName":"whoami.exe"}}}`, "Whoami Execution"},
		{"security 4688", `{"Event":{"System":{"Channel":"Security","EventID":4688},"EventData":{"NewProcessName":"C:\\Windows\\System32\\certutil.exe","CommandLine":"certutil -urlcache -f http://x"}}}`, "New Process 4688"},
		{"sysmon 13 is registry_event", `{"Event":{"System":{"Channel":"Microsoft-Windows-Sysmon/Operational","EventID":13},"EventData":{"TargetObject":"HKU\\S-1\\Software\\Microsoft\\Windows\\CurrentVersion\\Run\\x"}}}`, "Run Key Set"},
		{"ECS", `{"event":{"category":["process"],"type":["start"]},"host":{"os":{"type":"windows"}},"process":{"executable":"C:\\Windows\\System32\\whoami.exe"}}`, "Whoami Execution"},
		{"auditd flat", `{"type":"EXECVE","msg":"audit(1700000000.123:42):","argc":3,"a0":"nc","a1":"-e","a2":"/bin/sh"}`, "Auditd Netcat Exec"},
		{"auditbeat ECS", `{"event":{"module":"auditd"},"auditd":{"message_type":"execve","data":{"a0":"nc","a1":"-e"}}}`, "Auditd Netcat Exec"},
		{"syslog sshd", `{"timestamp":"2026-01-15T07:00:00Z","host":"srv","program":"sshd","pid":42,"message":"Corrupted MAC on input."}`, "SSHD Error Message"},
		{"syslog other program", `{"timestamp":"2026-01-15T07:00:00Z","host":"srv","program":"kernel","message":"Corrupted MAC on input."}`, ""},
	}
	for _, tc := range cases {
		out := run(t, Config{RulePaths: []string{dir}, NoBuiltin: true}, tc.event)
		c := decode(t, out[0])
		if got := strings.Join(c.Rule.Name, ","); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
		}
	}
}
