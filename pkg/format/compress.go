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
		return bufio.NewReaderSize(corruptReader{z, "gzip"}, HeadSize), z, nil
	case bytes.HasPrefix(head, zstdMagic):
		z, err := zstd.NewReader(br, zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true))
		if err != nil {
			return nil, nil, fmt.Errorf("%s: zstd: %w", name, err)
		}
		return bufio.NewReaderSize(corruptReader{z, "zstd"}, HeadSize), closerFunc(func() error { z.Close(); return nil }), nil
	}
	return br, nil, nil
}

type closerFunc func() error

func (f closerFunc) Close() error { return f() }

// CorruptError ends an input whose compressed stream is truncated or
// damaged: the events decoded before it were read.
type CorruptError struct {
	Codec string // gzip or zstd
	Err   error
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("%s stream truncated or corrupt: %v", e.Codec, e.Err)
}

func (e *CorruptError) Unwrap() error { return e.Err }

// corruptReader names the codec in a decoder's errors.
type corruptReader struct {
	r     io.Reader
	codec string
}

func (c corruptReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if err != nil && err != io.EOF {
		err = &CorruptError{Codec: c.codec, Err: err}
	}
	return n, err
}
