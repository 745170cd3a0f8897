package enrich

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/secpipe/secpipe/pkg/enrich/enrichtest"
	"github.com/secpipe/secpipe/pkg/pipeline"
)

// TestAddrCacheAgrees enriches events whose addresses repeat, as a SOC's
// do, with the stage's address cache, with a cache of two slots (nearly
// every address evicts another) and with a new cache for every event
// (none across events): all three give the same bytes. One address is
// held by three indicators, more than a slot keeps.
func TestAddrCacheAgrees(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"bad.txt": "81.2.69.142\n89.160.20.0/24\n31.254.141.223\n31.254.128.0/18\n31.254.0.0/16\n2a02:cf40::77\n10.0.0.9\n"})
	city, asn, _ := testDBs(t)
	e, err := New(Config{GeoIP: []string{city, asn}, Intel: []string{dir}})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	var addrs []string
	for _, n := range enrichtest.Networks {
		a := strings.TrimSuffix(n.CIDR[:strings.IndexByte(n.CIDR, '/')], "::") // a network's first address
		addrs = append(addrs, a)
	}
	addrs = append(addrs, "81.2.69.142", "89.160.20.112", "31.254.141.223", "2a02:cf40::77", "10.0.0.9", "10.0.0.10", "8.8.8.8", "::ffff:81.2.69.142", "not an address")
	r := rand.New(rand.NewPCG(1, 2))
	var in []pipeline.Message
	for i := range 3000 {
		ev := fmt.Sprintf(`{"seq":%d,"source":{"ip":%q},"destination":{"ip":%q},"client":{"ip":%q}}`,
			i, addrs[r.IntN(len(addrs))], addrs[r.IntN(len(addrs))], addrs[r.IntN(len(addrs))])
		in = append(in, pipeline.Message{Value: []byte(ev)})
	}
	enrich := func(st *Stage, msgs []pipeline.Message) []string {
		out := &pipeline.Batch{}
		if err := st.Process(context.Background(), msgs, out); err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, m := range out.Msgs {
			got = append(got, string(m.Value))
		}
		return got
	}
	cached := e.NewStage()
	got := enrich(cached, in)
	if cached.cache.hits == 0 {
		t.Fatal("the address cache was never hit")
	}
	tiny := e.NewStage()
	tiny.cache = newAddrCache(2)
	evicting := enrich(tiny, in)
	var fresh []string
	one := e.NewStage()
	for _, m := range in {
		one.cache = newAddrCache(1)
		one.clearGeo()
		fresh = append(fresh, enrich(one, []pipeline.Message{m})...)
	}
	matched := 0
	for i := range in {
		if got[i] != fresh[i] || evicting[i] != fresh[i] {
			t.Fatalf("event %d:\n  cached %s\nevicting %s\n   fresh %s", i, got[i], evicting[i], fresh[i])
		}
		if strings.Contains(fresh[i], `"enrichments"`) {
			matched++
		}
	}
	if matched == 0 || matched == len(in) {
		t.Errorf("%d of %d events matched: the events do not test both cases", matched, len(in))
	}
}

// TestReloadCachedAddress: an address enriched before a reload is
// enriched after it from the new files, not from the stage's cache.
func TestReloadCachedAddress(t *testing.T) {
	dir := t.TempDir()
	intel, geo := filepath.Join(dir, "bad.txt"), filepath.Join(dir, "geo.mmdb")
	writeFiles(t, dir, map[string]string{"bad.txt": "81.2.69.142\n"})
	if err := enrichtest.WriteCity(geo); err != nil {
		t.Fatal(err)
	}
	e, err := New(Config{GeoIP: []string{geo}, Intel: []string{intel}, Reload: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	st := e.NewStage()
	ev := []pipeline.Message{{Value: []byte(`{"source":{"ip":"81.2.69.142"}}`)}}
	enrich := func() string {
		out := &pipeline.Batch{}
		if err := st.Process(context.Background(), ev, out); err != nil {
			t.Fatal(err)
		}
		return string(out.Msgs[0].Value)
	}
	before := enrich()
	if !strings.Contains(before, `"city_name":"London"`) || !strings.Contains(before, `"enrichments":[{`) {
		t.Fatalf("before the reload: %s", before)
	}
	if enrich() != before {
		t.Fatal("the same event enriched twice differs")
	}
	// The address leaves the indicators; the City database makes way for
	// a Country one.
	if err := os.WriteFile(intel, []byte("185.220.101.4\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := enrichtest.WriteDBIPCountry(geo); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the reload", func() bool { return e.Reloads() >= 1 && e.GeoIP().Types()[0] != "GeoLite2-City" })
	after := enrich()
	if strings.Contains(after, "enrichments") || strings.Contains(after, "city_name") || !strings.Contains(after, `"country_iso_code":"GB"`) {
		t.Errorf("after the reload: %s\nbefore: %s", after, before)
	}
}

func TestAddrSlotSize(t *testing.T) {
	if n := unsafe.Sizeof(addrSlot{}); n != 32 {
		t.Errorf("an address cache slot takes %d bytes, not the 32 that addrCacheSlots' comment says", n)
	}
}
