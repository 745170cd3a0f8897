package format

import (
	"bufio"

	"github.com/secpipe/secpipe/pkg/event"
)

// Suricata is Suricata's EVE JSON log (eve.json): one object a line, its
// kind in event_type (alert, dns, http, tls, flow ...). Events are kept as
// Suricata writes them. Detected by event_type with src_ip or flow_id.
const Suricata Format = "suricata"

func init() {
	register(spec{
		name:  Suricata,
		rank:  51,
		about: "Suricata EVE JSON (eve.json)",
		detect: func(head []byte, _ string) bool {
			keys, ok := firstObjectKeys(head)
			// The lab's flat events have event_type and timestamp too.
			return ok && keys["event_type"] && (keys["src_ip"] || keys["flow_id"])
		},
		open: func(r *bufio.Reader, opt Options) (Reader, error) {
			return event.NewReader(r, opt.Name, opt.MaxRecord), nil
		},
	})
}
