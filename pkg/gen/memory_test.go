package gen

import (
	"runtime"
	"testing"
)

// The generator's memory stays flat over a long run: what big attack
// runs needed is given back once they end.
func TestMemoryFlat(t *testing.T) {
	g, err := New(Config{Seed: 7, Count: 2000000, AttackShare: 0.05})
	if err != nil {
		t.Fatal(err)
	}
	live := func() uint64 {
		var ms runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	var dst []byte
	var early, late uint64
	for i := 1; i <= 1900000; i++ {
		dst, _ = g.Next(dst[:0])
		switch i {
		case 250000:
			early = live()
		case 1900000:
			late = live()
		}
	}
	runtime.KeepAlive(g)
	t.Logf("live heap %d KiB after 250000 events, %d KiB after 1900000", early>>10, late>>10)
	if late > early+4<<20 {
		t.Errorf("live heap grew from %d to %d MiB over 1.65 million events", early>>20, late>>20)
	}
}
