package enrich

import (
	"encoding/binary"
	"net/netip"
)

// addrCacheSlots is the size of a stage's address cache: 64Ki slots of 32
// bytes, 2 MiB.
const addrCacheSlots = 1 << 16

// addrCache remembers what the loaded tables say of the addresses seen
// last: their rendered GeoIP members and the IP indicators holding them.
// A SOC's traffic repeats its addresses (its own hosts, a few resolvers,
// proxies and cloud front ends take much of it), and a hit saves a walk of
// each database's tree and the indicator probes.
//
// It is direct-mapped and of a fixed size, and it belongs to one
// generation of the loaded tables (gen): a stage that takes a reload
// empties it first, so a result of older files is never served.
type addrCache struct {
	gen   *tables
	slots []addrSlot
	shift uint
	// hits and lookups count the answers asked of it, for the benchmarks.
	hits, lookups int64
}

type addrSlot struct {
	addr  [2]uint64 // the address as 16 bytes (IPv4 mapped)
	geo   int32     // 1 + index of its fragment in Stage.frags; 0: none
	nids  int8      // indicators in ids; -1: more than fit, probe again
	state uint8
	ids   [2]int32 // an address and a range holding it, say
}

// The bits of addrSlot.state.
const (
	slotUsed   = 1 << iota
	geoKnown   // geo is its GeoIP members
	intelKnown // ids are its IP indicators
)

func newAddrCache(slots int) addrCache {
	shift := uint(64)
	for n := slots; n > 1; n >>= 1 {
		shift--
	}
	return addrCache{slots: make([]addrSlot, 1<<(64-shift)), shift: shift}
}

// forTables empties the cache unless it belongs to t already.
func (c *addrCache) forTables(t *tables) {
	if c.gen != t {
		c.reset()
		c.gen = t
	}
}

func (c *addrCache) reset() { clear(c.slots) }

// slot returns addr's slot: what is known of it, or an emptied slot that
// is now its own.
func (c *addrCache) slot(addr netip.Addr) *addrSlot {
	b := addr.As16()
	k := [2]uint64{binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:])}
	h := (k[0]*0x9e3779b97f4a7c15 ^ k[1]) * 0xff51afd7ed558ccd
	sl := &c.slots[h>>c.shift]
	if sl.state != 0 && sl.addr == k {
		return sl
	}
	*sl = addrSlot{addr: k, state: slotUsed}
	return sl
}
