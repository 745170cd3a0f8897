package enrich

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"

	"github.com/secpipe/secpipe/pkg/pipeline"
)

// writeIndicators writes n indicators, one a line: 60% addresses, 5% CIDR
// ranges, 25% domains, 5% URLs, 5% SHA-256 digests. It returns some of
// each kind, for events that match.
func writeIndicators(tb testing.TB, path string, n int) (ips, domains, hashes []string) {
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	w := bufio.NewWriter(f)
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < n; i++ {
		var line string
		switch k := i % 20; {
		case k < 12:
			line = fmt.Sprintf("%d.%d.%d.%d", 1+r.IntN(222), r.IntN(256), r.IntN(256), 1+r.IntN(254))
			if len(ips) < 1000 {
				ips = append(ips, line)
			}
		case k == 12:
			line = fmt.Sprintf("%d.%d.%d.0/24", 1+r.IntN(222), r.IntN(256), r.IntN(256))
		case k < 18:
			line = fmt.Sprintf("h%x.example%d.net", r.Uint64(), r.IntN(1000))
			if len(domains) < 1000 {
				domains = append(domains, line)
			}
		case k == 18:
			line = fmt.Sprintf("http://u%x.example.org/p/%x", r.Uint32(), r.Uint64())
		default:
			line = fmt.Sprintf("%016x%016x%016x%016x", r.Uint64(), r.Uint64(), r.Uint64(), r.Uint64())
			if len(hashes) < 1000 {
				hashes = append(hashes, line)
			}
		}
		fmt.Fprintln(w, line)
	}
	if err := w.Flush(); err != nil {
		tb.Fatal(err)
	}
	f.Close()
	return
}

// writeCityDB writes a City-layout database of n /24 networks sharing
// records per country, as GeoLite2 does.
func writeCityDB(tb testing.TB, path string, n int) {
	t, err := mmdbwriter.New(mmdbwriter.Options{DatabaseType: "GeoLite2-City", RecordSize: 28})
	if err != nil {
		tb.Fatal(err)
	}
	recs := make([]mmdbtype.Map, 2000)
	for i := range recs {
		recs[i] = mmdbtype.Map{
			"city":      mmdbtype.Map{"names": mmdbtype.Map{"en": mmdbtype.String(fmt.Sprintf("City %d", i))}},
			"continent": mmdbtype.Map{"code": mmdbtype.String("EU"), "names": mmdbtype.Map{"en": mmdbtype.String("Europe")}},
			"country":   mmdbtype.Map{"iso_code": mmdbtype.String(fmt.Sprintf("C%d", i%200)), "names": mmdbtype.Map{"en": mmdbtype.String(fmt.Sprintf("Country %d", i%200))}},
			"location":  mmdbtype.Map{"latitude": mmdbtype.Float64(float64(i%180) - 90), "longitude": mmdbtype.Float64(float64(i%360) - 180), "time_zone": mmdbtype.String("Europe/Paris")},
		}
	}
	r := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < n; i++ {
		ip := net.IPv4(byte(1+r.IntN(222)), byte(r.IntN(256)), byte(r.IntN(256)), 0)
		if err := t.Insert(&net.IPNet{IP: ip, Mask: net.CIDRMask(24, 32)}, recs[i%len(recs)]); err != nil {
			continue // a reserved network: mmdbwriter refuses it
		}
	}
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := t.WriteTo(f); err != nil {
		tb.Fatal(err)
	}
	f.Close()
}

// benchEvents returns ECS events of a SOC's mix: connections between
// internal and public addresses, DNS queries, process starts with hashes;
// about one in ten matches an indicator. pick(n) chooses one of n values
// of a population (public addresses, sites, file hashes): uniformly, the
// worst case, where nearly every address is new; or heavy-tailed, as real
// traffic is (benchZipf).
func benchEvents(n int, ips, domains, hashes []string, pick func(r *rand.Rand, n int) int) []pipeline.Message {
	r := rand.New(rand.NewPCG(5, 6))
	pop := rand.New(rand.NewPCG(7, 8))
	addrs := make([]string, benchPopulation)
	for i := range addrs {
		addrs[i] = fmt.Sprintf("%d.%d.%d.%d", 1+pop.IntN(222), pop.IntN(256), pop.IntN(256), 1+pop.IntN(254))
	}
	sums := make([]string, benchPopulation/10)
	for i := range sums {
		sums[i] = fmt.Sprintf("%016x%016x%016x%016x", pop.Uint64(), pop.Uint64(), pop.Uint64(), pop.Uint64())
	}
	pub := func() string {
		if r.IntN(10) == 0 {
			return ips[r.IntN(len(ips))]
		}
		return addrs[pick(r, len(addrs))]
	}
	msgs := make([]pipeline.Message, n)
	for i := range msgs {
		var e string
		ts := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Millisecond).Format("2006-01-02T15:04:05.000Z")
		switch i % 4 {
		case 0, 1:
			e = fmt.Sprintf(`{"@timestamp":%q,"event":{"kind":"event","category":["network"],"action":"firewall-allow"},"host":{"name":"WS-%04d"},"source":{"ip":"10.10.%d.%d","port":%d},"destination":{"ip":%q,"port":443},"network":{"transport":"tcp"},"message":"Firewall allowed connection"}`,
				ts, i%500, r.IntN(256), 1+r.IntN(254), 1024+r.IntN(60000), pub())
		case 2:
			d := fmt.Sprintf("www.site%d.example.com", pick(r, benchPopulation/10))
			if r.IntN(10) == 0 {
				d = "cdn." + domains[r.IntN(len(domains))]
			}
			e = fmt.Sprintf(`{"@timestamp":%q,"event":{"kind":"event","category":["network"],"action":"dns-query"},"host":{"name":"WS-%04d"},"source":{"ip":"10.10.0.%d"},"destination":{"ip":"10.0.1.11","port":53},"dns":{"question":{"name":%q,"type":"A"}}}`,
				ts, i%500, 1+r.IntN(254), d)
		default:
			h := sums[pick(r, len(sums))]
			if r.IntN(10) == 0 {
				h = hashes[r.IntN(len(hashes))]
			}
			e = fmt.Sprintf(`{"@timestamp":%q,"event":{"kind":"event","category":["process"],"action":"process-started"},"host":{"name":"WS-%04d"},"user":{"name":"u%d"},"process":{"pid":%d,"name":"tool.exe","command_line":"tool.exe -x","hash":{"sha256":%q}}}`,
				ts, i%500, r.IntN(3000), r.IntN(60000), h)
		}
		msgs[i] = pipeline.Message{Value: []byte(e)}
	}
	return msgs
}

// benchPopulation is the number of distinct public addresses the
// benchmark events draw from (a tenth as many sites and file hashes).
const benchPopulation = 1_000_000

// benchUniform picks uniformly: every value as likely as any other.
func benchUniform(r *rand.Rand, n int) int { return r.IntN(n) }

// benchZipf picks with a Zipf law (s = 1.1): a few values make most of the
// traffic and most values are rare, as a network's destinations, queried
// sites and run programs are.
func benchZipf(r *rand.Rand, n int) int {
	z, ok := zipfs[n]
	if !ok {
		z = rand.NewZipf(rand.New(rand.NewPCG(9, uint64(n))), 1.1, 1, uint64(n-1))
		zipfs[n] = z
	}
	return int(z.Uint64())
}

var zipfs = map[int]*rand.Zipf{}

// BenchmarkLoadIntel1M reads a million indicators from a plain list.
func BenchmarkLoadIntel1M(b *testing.B) {
	path := filepath.Join(b.TempDir(), "iocs.txt")
	writeIndicators(b, path, 1_000_000)
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	b.ResetTimer()
	var x *Index
	for range b.N {
		var problems []Problem
		var err error
		x, problems, err = LoadIntel([]string{path}, time.Now())
		if err != nil || len(problems) > 0 || x.Len() != 1_000_000 {
			b.Fatalf("%v %v %d", err, problems, x.Len())
		}
	}
	b.StopTimer()
	runtime.GC()
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/(1<<20), "MiB-held")
	runtime.KeepAlive(x)
}

// BenchmarkEnrich enriches events against a million indicators and a City
// database of 200,000 networks, on one goroutine: the stage's cost per
// event, input parsing aside (the events are in memory). "uniform" draws
// every address, site and hash uniformly from its population (nearly every
// lookup goes to a cold part of the tables: the worst case); "zipf" draws
// them as real traffic repeats them.
func BenchmarkEnrich(b *testing.B) {
	dir := b.TempDir()
	iocs, city := filepath.Join(dir, "iocs.txt"), filepath.Join(dir, "city.mmdb")
	ips, domains, hashes := writeIndicators(b, iocs, 1_000_000)
	writeCityDB(b, city, benchNetworks)
	e, err := New(Config{GeoIP: []string{city}, Intel: []string{iocs}})
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	for _, c := range []struct {
		name string
		pick func(*rand.Rand, int) int
	}{{"uniform", benchUniform}, {"zipf", benchZipf}} {
		msgs := benchEvents(100_000, ips, domains, hashes, c.pick)
		b.Run(c.name, func(b *testing.B) {
			st := e.NewStage()
			out := &pipeline.Batch{}
			const batch = 4096
			n := 0
			for i := 0; b.Loop(); i++ {
				lo := (i * batch) % len(msgs)
				hi := min(lo+batch, len(msgs))
				out.Reset()
				if err := st.Process(context.Background(), msgs[lo:hi], out); err != nil {
					b.Fatal(err)
				}
				n += hi - lo
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")
			b.ReportMetric(b.Elapsed().Seconds()*1e9/float64(n), "ns/event")
			s := st.Stats()
			b.ReportMetric(float64(s.Matched)/float64(s.Events), "matched/event")
		})
	}
}

// benchNetworks is the size of the benchmark's City database.
var benchNetworks = 200_000
