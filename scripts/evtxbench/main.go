// Command evtxbench measures the .evtx reader, for scripts/bench_evtx.sh.
//
//	evtxbench read FILE...            read every event; print MB/s
//	evtxbench dense -o OUT [-mb N] FILE...
//	                                  write an .evtx file: a file header,
//	                                  then the used chunks of FILEs, once,
//	                                  or copied over and over to N MB
package main

import (
	"bufio"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"time"

	"github.com/secpipe/secpipe/pkg/event"
	"github.com/secpipe/secpipe/pkg/format/evtx"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	switch os.Args[1] {
	case "read":
		err = read(os.Args[2:])
	case "dense":
		err = dense(os.Args[2:])
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "evtxbench:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: evtxbench read FILE... | evtxbench dense -o OUT [-mb N] FILE...")
	os.Exit(2)
}

// read reads the events of files and prints the totals and the rate.
func read(files []string) error {
	var size, events, bad int64
	start := time.Now()
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			return err
		}
		cr := &countingReader{r: f}
		rd, err := evtx.NewReader(bufio.NewReaderSize(cr, 64<<10), name)
		if err != nil {
			f.Close()
			return err
		}
		for {
			_, err := rd.Next()
			if err == io.EOF {
				break
			}
			var b *event.BadRecordError
			if errors.As(err, &b) {
				bad++
				continue
			}
			if err != nil {
				f.Close()
				return err
			}
			events++
		}
		size += cr.n
		f.Close()
	}
	secs := time.Since(start).Seconds()
	fmt.Printf("files %d bytes %d events %d bad %d seconds %.3f MB/s %.1f events/s %.0f\n",
		len(files), size, events, bad, secs, float64(size)/1e6/secs, float64(events)/secs)
	return nil
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

const (
	headerSize = 4096
	chunkSize  = 64 << 10
)

// dense writes a header and copies of the used chunks of files, until the
// output reaches the size asked for. The header counts the chunks, and its
// checksum is fixed, so other readers accept the file too.
func dense(args []string) error {
	fs := flag.NewFlagSet("dense", flag.ExitOnError)
	out := fs.String("o", "", "output file")
	mb := fs.Int("mb", 0, "size in MB (1e6 bytes); 0: each chunk once")
	fs.Parse(args)
	if *out == "" || fs.NArg() == 0 {
		usage()
	}
	var header []byte
	var chunks [][]byte
	for _, name := range fs.Args() {
		data, err := os.ReadFile(name)
		if err != nil {
			return err
		}
		if len(data) < headerSize || string(data[:8]) != evtx.Magic {
			return fmt.Errorf("%s: not an .evtx file", name)
		}
		if header == nil {
			header = append([]byte(nil), data[:headerSize]...)
		}
		for off := headerSize; off+chunkSize <= len(data); off += chunkSize {
			if string(data[off:off+8]) == "ElfChnk\x00" {
				chunks = append(chunks, data[off:off+chunkSize])
			}
		}
	}
	if len(chunks) == 0 {
		return errors.New("no chunks in the input")
	}
	n := len(chunks)
	if *mb > 0 {
		n = max(1, *mb*1e6/chunkSize)
	}
	if n > 0xffff {
		return fmt.Errorf("%d chunks: an .evtx header counts at most 65535", n)
	}
	binary.LittleEndian.PutUint64(header[0x08:], 0)           // first chunk number
	binary.LittleEndian.PutUint64(header[0x10:], uint64(n-1)) // last chunk number
	binary.LittleEndian.PutUint16(header[0x2a:], uint16(n))   // chunk count
	binary.LittleEndian.PutUint32(header[0x78:], 0)           // flags: clean
	binary.LittleEndian.PutUint32(header[0x7c:], crc32.ChecksumIEEE(header[:0x78]))

	f, err := os.Create(*out)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	w.Write(header)
	for i := range n {
		w.Write(chunks[i%len(chunks)])
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
