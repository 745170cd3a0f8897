package stats

import "hash/maphash"

// table interns byte strings as dense indexes 0, 1, 2... It is a hash
// table with open addressing, seeded so that crafted input cannot make it
// slow. Keys of up to 23 bytes (hosts, users, addresses, tactic and
// technique IDs) are kept in the slot itself, so that a lookup mostly
// touches one cache line.
type table struct {
	seed  maphash.Seed
	slots []slot
	keys  []string
}

type slot struct {
	meta uint64 // 0: empty; else the hash's high 32 bits << 32 | index+1
	n    uint8  // the key's length if inline, else noInline
	key  [23]byte
}

const noInline = 0xff

func newTable() *table {
	return &table{seed: maphash.MakeSeed(), slots: make([]slot, 64)}
}

// index returns b's index, adding b if new; added tells.
func (t *table) index(b []byte) (i int32, added bool) {
	h := maphash.Bytes(t.seed, b)
	tag := h >> 32 << 32
	mask := uint64(len(t.slots) - 1)
	for s := h & mask; ; s = (s + 1) & mask {
		sl := &t.slots[s]
		if sl.meta == 0 {
			i = int32(len(t.keys))
			t.keys = append(t.keys, string(b))
			t.set(sl, tag, i, b)
			if 2*len(t.keys) > len(t.slots) {
				t.grow()
			}
			return i, true
		}
		if sl.meta>>32<<32 != tag {
			continue
		}
		if sl.n != noInline {
			if int(sl.n) == len(b) && string(sl.key[:sl.n]) == string(b) {
				return int32(uint32(sl.meta) - 1), false
			}
		} else if t.keys[uint32(sl.meta)-1] == string(b) {
			return int32(uint32(sl.meta) - 1), false
		}
	}
}

func (t *table) set(sl *slot, tag uint64, i int32, b []byte) {
	sl.meta = tag | uint64(i+1)
	if len(b) <= len(sl.key) {
		sl.n = uint8(len(b))
		copy(sl.key[:], b)
	} else {
		sl.n = noInline
	}
}

func (t *table) grow() {
	t.slots = make([]slot, 2*len(t.slots))
	mask := uint64(len(t.slots) - 1)
	for i, k := range t.keys {
		h := maphash.String(t.seed, k)
		s := h & mask
		for t.slots[s].meta != 0 {
			s = (s + 1) & mask
		}
		t.set(&t.slots[s], h>>32<<32, int32(i), []byte(k))
	}
}

// len returns the number of keys.
func (t *table) len() int { return len(t.keys) }

// addKey adds b as the next index without making it found by index: for
// keys that are found another way (addrTable).
func (t *table) addKey(k string) int32 {
	t.keys = append(t.keys, k)
	return int32(len(t.keys) - 1)
}

// addrTable maps IPv4 addresses, as 32 bits, to dense indexes: a table of
// 8-byte slots, a quarter of table's, so that the tens of thousands of
// source addresses a month of events holds fit in a core's cache.
type addrTable struct {
	seed    maphash.Seed
	slots   []uint64 // 0: empty; else the address << 32 | index+1
	n       int
	touched uint64 // what touch read, so that its reads are kept
}

func newAddrTable() *addrTable {
	return &addrTable{seed: maphash.MakeSeed(), slots: make([]uint64, 256)}
}

// index returns the index of addr, or calls add for one and keeps it.
func (t *addrTable) index(addr uint32, add func() int32) int32 {
	mask := uint64(len(t.slots) - 1)
	for s := maphash.Comparable(t.seed, addr) & mask; ; s = (s + 1) & mask {
		v := t.slots[s]
		if v == 0 {
			i := add()
			t.slots[s] = uint64(addr)<<32 | uint64(uint32(i+1))
			if t.n++; 2*t.n > len(t.slots) {
				t.grow()
			}
			return i
		}
		if uint32(v>>32) == addr {
			return int32(uint32(v) - 1)
		}
	}
}

// touch reads the first slot of each address, one read independent of
// the others, so that the lines missing from the cache are fetched
// together.
func (t *addrTable) touch(addrs []uint32) {
	mask := uint64(len(t.slots) - 1)
	var v uint64
	for _, a := range addrs {
		v |= t.slots[maphash.Comparable(t.seed, a)&mask]
	}
	t.touched = v
}

func (t *addrTable) grow() {
	old := t.slots
	t.slots = make([]uint64, 2*len(old))
	mask := uint64(len(t.slots) - 1)
	for _, v := range old {
		if v == 0 {
			continue
		}
		s := maphash.Comparable(t.seed, uint32(v>>32)) & mask
		for t.slots[s] != 0 {
			s = (s + 1) & mask
		}
		t.slots[s] = v
	}
}
