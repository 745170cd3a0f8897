package format

import (
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/secpipe/secpipe/pkg/event"
)

func TestDetectEVTX(t *testing.T) {
	head := "ElfFile\x00" + strings.Repeat("\x00", 200)
	if f, ok := Detect([]byte(head), "Security.evtx"); !ok || f != EVTX {
		t.Fatalf("Detect = %q, %v; want %q", f, ok, EVTX)
	}
	// The magic decides, not the name.
	if f, ok := Detect([]byte(`{"a":1}`), "x.evtx"); !ok || f != JSON {
		t.Fatalf("Detect of JSON named .evtx = %q, %v; want %q", f, ok, JSON)
	}
	if _, err := Parse("EVTX"); err != nil {
		t.Fatal(err)
	}
}

func TestOpenEVTX(t *testing.T) {
	// A file header and no chunks: no events.
	input := "ElfFile\x00" + strings.Repeat("\x00", 4096-8)
	rd, f, err := Open(strings.NewReader(input), Auto, Options{Name: "empty.evtx"})
	if err != nil {
		t.Fatal(err)
	}
	if f != EVTX {
		t.Fatalf("format %q, want %q", f, EVTX)
	}
	if _, err := rd.Next(); err != io.EOF {
		t.Fatalf("Next: %v, want io.EOF", err)
	}

	// A chunk that is not one: reported, then the end.
	input += "ElfChnkX" + strings.Repeat("\x01", 64<<10-8)
	rd, _, err = Open(strings.NewReader(input), EVTX, Options{Name: "bad.evtx"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = rd.Next()
	var bad *event.BadRecordError
	if !errors.As(err, &bad) || !strings.HasPrefix(bad.Error(), "bad.evtx: chunk 0: bad chunk magic") {
		t.Fatalf("Next: %v, want a bad chunk 0", err)
	}
	if _, err := rd.Next(); err != io.EOF {
		t.Fatalf("Next: %v, want io.EOF", err)
	}

	// Named as EVTX but is not.
	if _, _, err := Open(strings.NewReader("hello\n"), EVTX, Options{Name: "x"}); err == nil || !strings.Contains(err.Error(), "not an .evtx file") {
		t.Fatalf("Open of text as evtx: %v", err)
	}
}
