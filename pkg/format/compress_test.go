package format

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/klauspost/compress/zstd"
)

const sshLines = "Jan  2 03:04:05 host sshd[12]: Failed password for root from 203.0.113.7 port 22 ssh2\n" +
	"Jan  2 03:04:06 host sshd[12]: Failed password for admin from 203.0.113.7 port 22 ssh2\n"

func gzipped(t *testing.T, parts ...string) []byte {
	t.Helper()
	var buf bytes.Buffer
	for _, p := range parts { // one gzip member each, as cat a.gz b.gz writes
		z := gzip.NewWriter(&buf)
		if _, err := z.Write([]byte(p)); err != nil {
			t.Fatal(err)
		}
		if err := z.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}

func zstded(t *testing.T, s string) []byte {
	t.Helper()
	var buf bytes.Buffer
	z, err := zstd.NewWriter(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := z.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// events reads all of data as an auto-detected input and returns how many
// events came before the end, and the error that ended it (nil at EOF).
func events(t *testing.T, data []byte, name string) (Format, int, error) {
	t.Helper()
	r, f, err := Open(bytes.NewReader(data), Auto, Options{Name: name})
	if err != nil {
		return "", 0, err
	}
	defer r.(io.Closer).Close()
	n := 0
	for {
		_, err := r.Next()
		if err == io.EOF {
			return f, n, nil
		}
		if err != nil {
			return f, n, err
		}
		n++
	}
}

func TestCompressedInputsAreReadAsTheirContent(t *testing.T) {
	for _, c := range []struct {
		name string
		data []byte
		want int
	}{
		{"auth.log.gz", gzipped(t, sshLines), 2},
		{"auth.log.gz (two members, as cat a.gz b.gz)", gzipped(t, sshLines, sshLines), 4},
		{"auth.log.zst", zstded(t, sshLines), 2},
	} {
		f, n, err := events(t, c.data, c.name)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if f != "syslog" || n != c.want {
			t.Errorf("%s: read as %s with %d events, want syslog with %d", c.name, f, n, c.want)
		}
	}
}

func TestTruncatedCompressedInputNamesTheCodecAfterItsEvents(t *testing.T) {
	var lines bytes.Buffer
	for i := 0; lines.Len() < 1<<20; i++ { // varied, so that it spans many compressed blocks
		fmt.Fprintf(&lines, "Jan  2 03:%02d:%02d host sshd[%d]: Failed password for user%d from 198.51.%d.%d port %d ssh2\n",
			i/60%60, i%60, 1000+i%7919, i*7%1009, i%251, i*13%256, 1024+i*31%60000)
	}
	whole := int(bytes.Count(lines.Bytes(), []byte{'\n'}))
	for _, c := range []struct {
		name, codec string
		data        []byte
	}{
		{"auth.log.gz", "gzip", gzipped(t, lines.String())},
		{"auth.log.zst", "zstd", zstded(t, lines.String())},
	} {
		cut := c.data[:len(c.data)*3/4]
		_, n, err := events(t, cut, c.name)
		var corrupt *CorruptError
		if !errors.As(err, &corrupt) || corrupt.Codec != c.codec {
			t.Fatalf("%s cut short: err %v, want a %s CorruptError", c.name, err, c.codec)
		}
		if n == 0 || n >= whole {
			t.Errorf("%s cut short: %d of %d events before the error, want some but not all", c.name, n, whole)
		}
	}
}
