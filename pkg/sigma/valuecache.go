package sigma

import (
	"bytes"
	"hash/maphash"
)

// A valueCache keeps, for one literal set, the literals found in the
// values it scanned last, by their JSON text, so that a value seen again
// is neither unescaped, lowered nor scanned again.
// Event logs repeat most of their bytes: in OTRF's recorded Windows logs
// (../shared/realdata) 89% of the bytes of string values belong to values
// seen before (image paths, call traces, hashes, GUIDs). Each matcher has
// its own caches. A cache that finds too few of its values stops looking
// for a while, so that unique values (most command lines) pay little.
type valueCache struct {
	seed   maphash.Seed
	slots  []cachedValue // direct-mapped by the value's hash
	missed *cachedValue  // where the value find did not find goes (nil: nowhere)
	hash   uint64        // that value's hash
	// The rate at which values are found again, checked every checkEvery
	// lookups; while bypass > 0 the cache is skipped.
	lookups, found, bypass int
}

// cachedValue is one value and the literals found in it.
type cachedValue struct {
	hash uint64
	text []byte
	hits []localHit
}

// localHit is an occurrence of a literal of the set, by its index in the
// set, with the hit flags it gives (hitAny, hitStart, ...).
type localHit struct {
	local int32
	flags uint8
}

const (
	cacheSlots = 1024
	// Values shorter than minCached bytes are scanned about as fast as
	// they are hashed; longer ones than maxCached would make caches large.
	minCached = 16
	maxCached = 4096
	// Every checkEvery lookups, a cache that found fewer than one value in
	// minRate is skipped for the next bypassFor values.
	checkEvery = 1024
	minRate    = 8
	bypassFor  = 16 * checkEvery
)

func newValueCache() *valueCache {
	return &valueCache{seed: maphash.MakeSeed(), slots: make([]cachedValue, cacheSlots)}
}

// find returns the hits kept for text. When it has none, keep, called
// next, may keep text's.
func (c *valueCache) find(text []byte) ([]localHit, bool) {
	c.missed = nil
	if len(text) < minCached || len(text) > maxCached {
		return nil, false
	}
	if c.bypass > 0 {
		c.bypass--
		return nil, false
	}
	if c.lookups++; c.lookups == checkEvery {
		if c.found*minRate < c.lookups {
			c.bypass = bypassFor
		}
		c.lookups, c.found = 0, 0
	}
	h := maphash.Bytes(c.seed, text)
	s := &c.slots[h%cacheSlots]
	if s.hash == h && s.text != nil && bytes.Equal(s.text, text) {
		c.found++
		return s.hits, true
	}
	c.missed, c.hash = s, h
	return nil, false
}

// keep keeps the hits of the value find did not find, in place of the
// value in its slot.
func (c *valueCache) keep(text []byte, hits []localHit) {
	s := c.missed
	if s == nil {
		return
	}
	s.hash = c.hash
	s.text = append(s.text[:0], text...)
	s.hits = append(s.hits[:0], hits...)
	c.missed = nil
}
