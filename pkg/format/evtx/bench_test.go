package evtx

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/secpipe/secpipe/pkg/event"
)

// denseCorpus returns an .evtx image of every used chunk of the shared
// files, after one file header: how a long log is laid out.
func denseCorpus(b *testing.B) []byte {
	b.Helper()
	files, err := filepath.Glob(filepath.Join(realData(b), "evtx", "*.evtx"))
	if err != nil {
		b.Fatal(err)
	}
	var out []byte
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			b.Fatal(err)
		}
		if out == nil {
			out = append(out, data[:fileHeaderSize]...)
		}
		for off := fileHeaderSize; off+chunkSize <= len(data); off += chunkSize {
			if string(data[off:off+len(chunkMagic)]) == chunkMagic {
				out = append(out, data[off:off+chunkSize]...)
			}
		}
	}
	return out
}

// BenchmarkRead reads every event of the shared data set's chunks.
func BenchmarkRead(b *testing.B) {
	data := denseCorpus(b)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	events := 0
	for b.Loop() {
		rd, err := NewReader(bytes.NewReader(data), "corpus.evtx")
		if err != nil {
			b.Fatal(err)
		}
		for {
			_, err := rd.Next()
			if err == io.EOF {
				break
			}
			var bad *event.BadRecordError
			if err != nil && !errors.As(err, &bad) {
				b.Fatal(err)
			}
			events++
		}
	}
	b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
}
