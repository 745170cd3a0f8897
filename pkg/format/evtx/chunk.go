package evtx

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"

	gevtx "github.com/0xrawsec/golang-evtx/evtx"
)

const (
	chunkHeaderSize  = 128
	firstRecord      = 0x200 // after the chunk header, string and template tables
	recordHeaderSize = 24
	recordMagic      = "**\x00\x00"
)

// chunkDecoder decodes the records of one chunk at a time into JSON,
// appended to out, which it reuses from chunk to chunk.
type chunkDecoder struct {
	out    jsonWriter
	native native
	// gchunk is the chunk as golang-evtx parsed it, once a record needed it.
	gchunk    gevtx.Chunk
	gchunkErr error
	gparsed   bool
	// checked tells whether intact was worked out for this chunk: whether
	// its records match their checksum.
	checked, intact bool
	velocidex       velocidex
	// viaGolangEvtx and viaVelocidex count the records the native decoder
	// left to each library.
	viaGolangEvtx, viaVelocidex int
	// noNative, for tests, leaves every record to the libraries.
	noNative bool
}

// decode appends to items the records of chunk number index, whose first
// valid bytes are read (the rest is zero), in file order.
func (d *chunkDecoder) decode(items []item, data []byte, index, valid int) []item {
	d.out.reset()
	d.native.reset(data)
	d.gparsed, d.checked = false, false
	d.velocidex.reset(data)
	if allZero(data[:valid]) {
		return items
	}
	if string(data[:len(chunkMagic)]) != chunkMagic {
		return append(items, item{err: fmt.Errorf("chunk %d: bad chunk magic %q", index, data[:len(chunkMagic)])})
	}
	if size := binary.LittleEndian.Uint32(data[0x28:]); size != chunkHeaderSize {
		return append(items, item{err: fmt.Errorf("chunk %d: bad chunk header size %d", index, size)})
	}
	last := int(binary.LittleEndian.Uint32(data[0x2c:]))
	if last >= len(data) {
		return append(items, item{err: fmt.Errorf("chunk %d: last record offset 0x%x is out of the chunk", index, last)})
	}
	for off := firstRecord; off <= last && off+recordHeaderSize <= valid; {
		size := int(binary.LittleEndian.Uint32(data[off+4:]))
		id := binary.LittleEndian.Uint64(data[off+8:])
		var bad error
		switch {
		case string(data[off:off+4]) != recordMagic:
			bad = fmt.Errorf("chunk %d, record at offset 0x%x: bad record magic", index, off)
		case off+size > valid && valid < len(data):
			// Cut off by the end of input, which the caller reports.
			return items
		case size < recordHeaderSize+4 || off+size > len(data):
			bad = fmt.Errorf("chunk %d, record %d: bad record size %d", index, id, size)
		case int(binary.LittleEndian.Uint32(data[off+size-4:])) != size:
			bad = fmt.Errorf("chunk %d, record %d: record size %d does not match its trailer", index, id, size)
		}
		if bad != nil {
			items = append(items, item{err: bad})
			// Resynchronise on the next record header.
			next := bytes.Index(data[off+1:min(last+recordHeaderSize, len(data))], []byte(recordMagic))
			if next < 0 {
				break
			}
			off += 1 + next
			continue
		}
		items = append(items, d.record(off, size, id, index))
		off += size
	}
	return items
}

// record decodes the record at off into out: natively, else with
// golang-evtx, else with velocidex. The libraries only see a record whose
// values the native decoder does not know, in a chunk whose records match
// their checksum: on damaged BinXML they can loop for good or recurse
// until the stack overflows, which no recover catches.
func (d *chunkDecoder) record(off, size int, id uint64, index int) item {
	start := len(d.out.buf)
	roots, err := d.nativeEvent(off, size)
	if d.noNative {
		err = fmt.Errorf("native decoder off: %w", errUnsupported)
	}
	if err == nil {
		d.out.first = true
		writeEvent(&d.out, roots)
		return item{start: start, end: len(d.out.buf)}
	}
	if !errors.Is(err, errUnsupported) {
		return item{err: fmt.Errorf("chunk %d, record %d: %v", index, id, err)}
	}
	if !d.checked {
		d.checked, d.intact = true, recordsIntact(d.native.data)
	}
	if !d.intact {
		return item{err: fmt.Errorf("chunk %d, record %d: %v, and the chunk fails its checksum", index, id, err)}
	}
	if !d.gparsed {
		d.gparsed = true
		d.gchunk, d.gchunkErr = parseChunk(d.native.data)
	}
	err = d.gchunkErr
	if err == nil {
		err = d.golangEvtx(&d.gchunk, off)
	}
	if err == nil {
		d.viaGolangEvtx++
		return item{start: start, end: len(d.out.buf)}
	}
	d.out.buf = d.out.buf[:start]
	if verr := d.velocidex.record(&d.out, id); verr != nil {
		d.out.buf = d.out.buf[:start]
		return item{err: fmt.Errorf("chunk %d, record %d: %v", index, id, err)}
	}
	d.viaVelocidex++
	return item{start: start, end: len(d.out.buf)}
}

// nativeEvent decodes the record at off natively; a panic on damaged
// BinXML becomes an error.
func (d *chunkDecoder) nativeEvent(off, size int) (roots []*element, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("native decoder: %v", p)
		}
	}()
	return d.native.event(off+recordHeaderSize, off+size-4)
}

// recordsIntact reports whether a chunk's records match the checksum in
// its header.
func recordsIntact(data []byte) bool {
	free := int(binary.LittleEndian.Uint32(data[0x30:]))
	if free < firstRecord || free > len(data) {
		return false
	}
	return crc32.ChecksumIEEE(data[firstRecord:free]) == binary.LittleEndian.Uint32(data[0x34:])
}
