package pipeline

import "encoding/binary"

// A row (Message.Row) is packed without pointers, so that a batch of them
// costs the garbage collector nothing: each cell is its length plus one
// as a uvarint, then its bytes; an absent cell is a single 0.

// CopyRow returns cells packed as a Message.Row, held by the batch until
// its next Reset; it is never nil. A nil cell stays nil in RowCells, an
// empty one comes back empty.
func (b *Batch) CopyRow(cells [][]byte) []byte {
	n := 0
	for _, c := range cells {
		n += len(c) + uvarintLen(uint64(len(c))+1) // a nil cell: a single 0
	}
	row := b.Alloc(n)[:0]
	for _, c := range cells {
		if c == nil {
			row = append(row, 0)
			continue
		}
		row = binary.AppendUvarint(row, uint64(len(c))+1)
		row = append(row, c...)
	}
	return row
}

// RowCells unpacks a Message.Row into dst's storage; the cells point into
// row. A row that does not unpack gives the cells read up to its fault.
func RowCells(row []byte, dst [][]byte) [][]byte {
	dst = dst[:0]
	for len(row) > 0 {
		n, k := uint64(row[0]), 1
		switch {
		case n == 0:
			dst = append(dst, nil)
			row = row[1:]
			continue
		case n >= 0x80:
			n, k = binary.Uvarint(row)
		}
		if k <= 0 || n-1 > uint64(len(row)-k) {
			break
		}
		dst = append(dst, row[k:k+int(n-1):k+int(n-1)])
		row = row[k+int(n-1):]
	}
	return dst
}

func uvarintLen(x uint64) int {
	n := 1
	for x >= 0x80 {
		x >>= 7
		n++
	}
	return n
}
