package format

import (
	"bufio"
	"bytes"

	"github.com/secpipe/secpipe/pkg/format/evtx"
)

// EVTX is a Windows event log file (.evtx), read as a stream of chunks.
const EVTX Format = "evtx"

func init() {
	register(spec{
		name:  EVTX,
		rank:  10,
		about: "Windows event log (.evtx)",
		detect: func(head []byte, _ string) bool {
			return bytes.HasPrefix(head, []byte(evtx.Magic))
		},
		open: func(r *bufio.Reader, opt Options) (Reader, error) {
			rd, err := evtx.NewReader(r, opt.Name)
			if err != nil {
				return nil, err
			}
			return rd, nil
		},
	})
}
