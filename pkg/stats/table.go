package stats

import "hash/maphash"

// table interns byte strings as dense indexes 0, 1, 2... It is a hash
// table with open addressing, cheaper than a Go map for the many short
// lookups of a row (hosts, users, addresses, tactic and technique IDs),
// and seeded, so that crafted input cannot make it slow.
type table struct {
	seed  maphash.Seed
	slots []uint64 // 0: empty; else the hash's high 32 bits << 32 | index+1
	keys  []string
}

func newTable() *table {
	return &table{seed: maphash.MakeSeed(), slots: make([]uint64, 64)}
}

// index returns b's index, adding b if new; added tells.
func (t *table) index(b []byte) (i int32, added bool) {
	h := maphash.Bytes(t.seed, b)
	tag := h >> 32 << 32
	mask := uint64(len(t.slots) - 1)
	for s := h & mask; ; s = (s + 1) & mask {
		e := t.slots[s]
		if e == 0 {
			i = int32(len(t.keys))
			t.keys = append(t.keys, string(b))
			t.slots[s] = tag | uint64(i+1)
			if 2*len(t.keys) > len(t.slots) {
				t.grow()
			}
			return i, true
		}
		if e>>32<<32 == tag {
			if k := t.keys[uint32(e)-1]; k == string(b) {
				return int32(uint32(e) - 1), false
			}
		}
	}
}

func (t *table) grow() {
	t.slots = make([]uint64, 2*len(t.slots))
	mask := uint64(len(t.slots) - 1)
	for i, k := range t.keys {
		h := maphash.String(t.seed, k)
		s := h & mask
		for t.slots[s] != 0 {
			s = (s + 1) & mask
		}
		t.slots[s] = h>>32<<32 | uint64(i+1)
	}
}

// len returns the number of keys.
func (t *table) len() int { return len(t.keys) }
