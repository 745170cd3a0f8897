package pipeline

import "encoding/binary"

// A row (Message.Row) is packed without pointers, so that a batch of them
// costs the garbage collector nothing, and holds only the cells that are
// there: for each, its index and its length as uvarints, then its bytes.

// CopyRow returns cells packed as a Message.Row, held by the batch until
// its next Reset; it is never nil. RowCells gives the cells back.
func (b *Batch) CopyRow(cells [][]byte) []byte {
	n := 0
	for i, c := range cells {
		if c != nil {
			n += uvarintLen(uint64(i)) + uvarintLen(uint64(len(c))) + len(c)
		}
	}
	row := b.Alloc(n)[:0]
	for i, c := range cells {
		switch {
		case c == nil:
			continue
		case i < 0x80 && len(c) < 0x80: // most cells
			row = append(row, byte(i), byte(len(c)))
		default:
			row = binary.AppendUvarint(row, uint64(i))
			row = binary.AppendUvarint(row, uint64(len(c)))
		}
		row = append(row, c...)
	}
	return row
}

// RowCells unpacks a Message.Row into cells, as many as were packed: each
// cell points into row, or is nil where none was packed. It returns false
// for a row that does not unpack into that many cells.
func RowCells(row []byte, cells [][]byte) bool {
	clear(cells)
	for len(row) > 0 {
		i, k := uvarint(row)
		if k <= 0 || i >= uint64(len(cells)) {
			return false
		}
		row = row[k:]
		n, k := uvarint(row)
		if k <= 0 || n > uint64(len(row)-k) {
			return false
		}
		cells[i] = row[k : k+int(n) : k+int(n)]
		row = row[k+int(n):]
	}
	return true
}

// uvarint is binary.Uvarint, quicker for the one-byte values of most cells.
func uvarint(b []byte) (uint64, int) {
	if len(b) > 0 && b[0] < 0x80 {
		return uint64(b[0]), 1
	}
	return binary.Uvarint(b)
}

func uvarintLen(x uint64) int {
	n := 1
	for x >= 0x80 {
		x >>= 7
		n++
	}
	return n
}
