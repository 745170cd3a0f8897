package evtx

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// sampleFile is a real log of 7 chunks.
const sampleFile = "EVTX_full_APT_attack_steps__ID5145-4624-DonPAPI_full_extraction.evtx"

func readSample(t *testing.T) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(realData(t), "evtx", sampleFile))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// chunkAt returns the bytes of chunk i of an .evtx file.
func chunkAt(data []byte, i int) []byte {
	off := fileHeaderSize + i*chunkSize
	return data[off : off+chunkSize]
}

// recordIDs returns the EventRecordIDs of events.
func recordIDs(events []map[string]any) []string {
	ids := make([]string, len(events))
	for i, e := range events {
		ids[i] = asText(path(e, "Event", "System", "EventRecordID"))
	}
	return ids
}

// recordOffsets returns the offsets of the records of a chunk.
func recordOffsets(chunk []byte) []int {
	var offs []int
	last := int(binary.LittleEndian.Uint32(chunk[0x2c:]))
	for off := firstRecord; off <= last; off += int(binary.LittleEndian.Uint32(chunk[off+4:])) {
		offs = append(offs, off)
	}
	return offs
}

func TestDamagedChunkAndRecordsAreSkipped(t *testing.T) {
	clean := readSample(t)
	want, bad, _ := readAll(t, bytes.NewReader(clean), "clean.evtx")
	if len(bad) > 0 {
		t.Fatalf("clean file has bad records: %v", bad)
	}

	damaged := bytes.Clone(clean)
	// Chunk 1 loses its magic: all of it is skipped.
	copy(chunkAt(damaged, 1), "XXXXXXXX")
	// Events are numbered as records in the file: chunk 1 holds
	// [n0, n0+n1).
	n0, n1 := len(recordOffsets(chunkAt(clean, 0))), len(recordOffsets(chunkAt(clean, 1)))
	// In chunk 2, record 3 loses its magic and record 5 its BinXML.
	c2 := chunkAt(damaged, 2)
	offs := recordOffsets(c2)
	copy(c2[offs[2]:], "XXXX")
	c2[offs[4]+recordHeaderSize] = 0xff
	brokenID := binary.LittleEndian.Uint64(c2[offs[4]+8:])

	file := filepath.Join(t.TempDir(), "damaged.evtx")
	if err := os.WriteFile(file, damaged, 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, bad, _ := readAll(t, f, file)

	var reasons []string
	for _, b := range bad {
		if b.Line != 0 || b.Input != file {
			t.Errorf("bad record %+v: want Line 0 and Input %s", b, file)
		}
		reasons = append(reasons, b.Error())
	}
	wantReasons := []string{
		file + ": chunk 1: bad chunk magic",
		file + ": chunk 2, record at offset",
		file + ": chunk 2, record " + strconv.FormatUint(brokenID, 10) + ":",
	}
	if len(reasons) != len(wantReasons) {
		t.Fatalf("bad records:\n%s\nwant %d", strings.Join(reasons, "\n"), len(wantReasons))
	}
	for i, w := range wantReasons {
		if !strings.HasPrefix(reasons[i], w) {
			t.Errorf("bad record %d: %q, want it to start %q", i, reasons[i], w)
		}
	}

	var wantIDs []string
	for i, id := range recordIDs(want) {
		if (i >= n0 && i < n0+n1) || i == n0+n1+2 || i == n0+n1+4 {
			continue
		}
		wantIDs = append(wantIDs, id)
	}
	if g, w := strings.Join(recordIDs(got), " "), strings.Join(wantIDs, " "); g != w {
		t.Errorf("record IDs read:\n%s\nwant\n%s", g, w)
	}
}

func TestTruncatedFileKeepsWholeRecords(t *testing.T) {
	clean := readSample(t)
	want, _, _ := readAll(t, bytes.NewReader(clean), "clean.evtx")
	cut := fileHeaderSize + chunkSize + 20000
	got, bad, _ := readAll(t, bytes.NewReader(clean[:cut]), "cut.evtx")
	if len(bad) != 1 || !strings.Contains(bad[0].Reason, "chunk 1: truncated after 20000") {
		t.Fatalf("bad records %v, want one saying chunk 1 is truncated", bad)
	}
	c1 := chunkAt(clean, 1)
	whole := 0
	for _, off := range recordOffsets(c1) {
		if off+int(binary.LittleEndian.Uint32(c1[off+4:])) <= 20000 {
			whole++
		}
	}
	inChunk0 := len(recordOffsets(chunkAt(clean, 0)))
	if len(got) != inChunk0+whole {
		t.Fatalf("%d events, want %d of chunk 0 and %d whole ones of chunk 1", len(got), inChunk0, whole)
	}
	if g, w := strings.Join(recordIDs(got), " "), strings.Join(recordIDs(want[:len(got)]), " "); g != w {
		t.Errorf("record IDs read:\n%s\nwant\n%s", g, w)
	}
}

func TestGzipStreamReadsLikeFile(t *testing.T) {
	clean := readSample(t)
	want, _, _ := readAll(t, bytes.NewReader(clean), "plain")
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	zw.Write(clean)
	zw.Close()
	zr, err := gzip.NewReader(&z)
	if err != nil {
		t.Fatal(err)
	}
	// The struct hides every method but Read, as a pipe would.
	got, bad, _ := readAll(t, struct{ io.Reader }{zr}, "gz")
	if len(bad) > 0 {
		t.Fatalf("bad records: %v", bad)
	}
	if g, w := strings.Join(recordIDs(got), " "), strings.Join(recordIDs(want), " "); g != w {
		t.Errorf("record IDs read:\n%s\nwant\n%s", g, w)
	}
}

func TestNotEvtx(t *testing.T) {
	for _, tc := range []struct {
		name, input, want string
	}{
		{"empty", "", "empty input"},
		{"json", `{"Event":{}}` + "\n", "not an .evtx file"},
		{"short header", Magic + strings.Repeat("\x00", 100), "truncated .evtx file header"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewReader(strings.NewReader(tc.input), "in")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestHeaderOnlyFileHasNoEvents(t *testing.T) {
	head := make([]byte, fileHeaderSize)
	copy(head, Magic)
	rd, err := NewReader(bytes.NewReader(head), "empty.evtx")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rd.Next(); err != io.EOF {
		t.Fatalf("Next: %v, want io.EOF", err)
	}
}

// FuzzChunk damages a real chunk: reading must end, without a panic, and
// every event must be a JSON object.
func FuzzChunk(f *testing.F) {
	data, err := os.ReadFile(filepath.Join(realData(f), "evtx", sampleFile))
	if err != nil {
		f.Fatal(err)
	}
	head, chunk := data[:fileHeaderSize], chunkAt(data, 2)
	f.Add(uint16(0x200), byte(0xff), uint16(0x300), byte(0x00))
	f.Add(uint16(0x218), byte(0x0c), uint16(0x4000), byte(0x41))
	f.Add(uint16(0x21a), byte(0x00), uint16(0x21c), byte(0x80))
	f.Fuzz(func(t *testing.T, at1 uint16, b1 byte, at2 uint16, b2 byte) {
		damaged := bytes.Clone(chunk)
		damaged[int(at1)%len(damaged)] = b1
		damaged[int(at2)%len(damaged)] = b2
		rd, err := NewReader(bytes.NewReader(append(bytes.Clone(head), damaged...)), "fuzz.evtx")
		if err != nil {
			t.Fatal(err)
		}
		for range 10000 {
			rec, err := rd.Next()
			if err == io.EOF {
				return
			}
			if err != nil {
				continue
			}
			if !json.Valid(rec.Raw) || rec.Raw[0] != '{' {
				t.Fatalf("event is not a JSON object: %s", rec.Raw)
			}
		}
		t.Fatal("reading did not end")
	})
}

// repeatedChunks streams an .evtx image: a header, then chunks over and
// over, n in all, without holding the image in memory.
type repeatedChunks struct {
	head   []byte
	chunks [][]byte
	n, i   int
	pos    int // in the current piece
}

func (r *repeatedChunks) Read(p []byte) (int, error) {
	piece := r.head
	if r.i > 0 {
		if r.i > r.n {
			return 0, io.EOF
		}
		piece = r.chunks[(r.i-1)%len(r.chunks)]
	}
	k := copy(p, piece[r.pos:])
	r.pos += k
	if r.pos == len(piece) {
		r.i, r.pos = r.i+1, 0
	}
	return k, nil
}

func TestMemoryFlatInFileSize(t *testing.T) {
	data := readSample(t)
	var chunks [][]byte
	for i := 0; fileHeaderSize+(i+1)*chunkSize <= len(data); i++ {
		if c := chunkAt(data, i); string(c[:len(chunkMagic)]) == chunkMagic {
			chunks = append(chunks, c)
		}
	}
	const n = 1000 // 65 MB
	rd, err := NewReader(&repeatedChunks{head: data[:fileHeaderSize], chunks: chunks, n: n}, "big.evtx")
	if err != nil {
		t.Fatal(err)
	}
	var ms runtime.MemStats
	var peak uint64
	events := 0
	for {
		_, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if events++; events%500 == 0 {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapAlloc)
		}
	}
	if events < n {
		t.Fatalf("%d events from %d chunks", events, n)
	}
	// The input is 65 MB; a reader that kept it, or its events, would
	// need more.
	if peak > 32<<20 {
		t.Errorf("heap peaked at %d MiB reading %d MB", peak>>20, n*chunkSize/1000000)
	}
	t.Logf("%d events, %d MB, heap peak %.1f MiB", events, n*chunkSize/1000000, float64(peak)/(1<<20))
}
