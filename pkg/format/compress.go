package format

import (
	"bufio"
	"bytes"
	"fmt"
	"io"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// The magic numbers of the compressed inputs read transparently.
var (
	gzipMagic = []byte{0x1f, 0x8b}
	zstdMagic = []byte{0x28, 0xb5, 0x2f, 0xfd}
)

// decompress returns the content of br, decompressed when it starts as a
// gzip or zstd stream does, and the decoder to close afterwards (nil when
// br is not compressed).
func decompress(br *bufio.Reader, name string) (*bufio.Reader, io.Closer, error) {
	head, _ := br.Peek(len(zstdMagic))
	switch {
	case bytes.HasPrefix(head, gzipMagic):
		z, err := gzip.NewReader(br)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: gzip: %w", name, err)
		}
		z.Multistream(true) // concatenated .gz files, as zcat reads them
		return bufio.NewReaderSize(z, HeadSize), z, nil
	case bytes.HasPrefix(head, zstdMagic):
		z, err := zstd.NewReader(br, zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true))
		if err != nil {
			return nil, nil, fmt.Errorf("%s: zstd: %w", name, err)
		}
		return bufio.NewReaderSize(z, HeadSize), closerFunc(func() error { z.Close(); return nil }), nil
	}
	return br, nil, nil
}

type closerFunc func() error

func (f closerFunc) Close() error { return f() }
