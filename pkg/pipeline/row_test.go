package pipeline

import (
	"bytes"
	"strings"
	"testing"
)

func TestRowCells(t *testing.T) {
	long := []byte(strings.Repeat("x", 300)) // a length of two uvarint bytes
	cells := make([][]byte, 200)             // indexes of two bytes too
	cells[0], cells[3], cells[130], cells[199] = []byte("alice"), []byte{}, long, []byte("last")
	var b Batch
	row := b.CopyRow(cells)
	cells[0][0] = 'X' // the row is a copy
	got := make([][]byte, len(cells))
	if !RowCells(row, got) {
		t.Fatal("the row does not unpack")
	}
	for i := range cells {
		want := cells[i]
		if i == 0 {
			want = []byte("alice")
		}
		if !bytes.Equal(got[i], want) || (got[i] == nil) != (want == nil) {
			t.Errorf("cell %d: %q, want %q", i, got[i], want)
		}
	}
	if RowCells(row, make([][]byte, 100)) {
		t.Error("a row of 200 cells unpacked into 100")
	}
	if RowCells(row[:len(row)-1], got) {
		t.Error("a cut row unpacked")
	}
	if empty := b.CopyRow(make([][]byte, 5)); empty == nil || len(empty) != 0 {
		t.Errorf("a row without cells is %q, want empty and not nil", empty)
	}
}
