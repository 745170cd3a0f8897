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
	"sync"
	"testing"
	"time"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"

	"github.com/secpipe/secpipe/pkg/internal/cputime"
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

// traffic picks an event's addresses.
type traffic interface {
	// internal returns the address of the workstation that sends the
	// i-th event.
	internal(r *rand.Rand, i int) string
	// public returns a public address it talks to.
	public(r *rand.Rand) string
}

// randomTraffic is the worst case: every address is drawn anew, so
// nearly none repeats and every lookup starts cold.
type randomTraffic struct{}

func (randomTraffic) internal(r *rand.Rand, _ int) string {
	return fmt.Sprintf("10.10.%d.%d", r.IntN(256), 1+r.IntN(254))
}

func (randomTraffic) public(r *rand.Rand) string {
	return fmt.Sprintf("%d.%d.%d.%d", 1+r.IntN(222), r.IntN(256), r.IntN(256), 1+r.IntN(254))
}

// zipfTraffic is a SOC's traffic as flow records show it: each of the 500
// workstations has its address, and the public addresses they talk to
// follow a heavy-tailed (Zipf) law over a large population, as do
// destinations in NetFlow and firewall logs: a few (resolvers, cloud and
// CDN front ends) take much of the traffic, the long tail is seen once or
// a few times. Here a population of about a million public addresses, s
// = 1.1: the 1,000 most common take about 69% of the connections, the
// 65,536 most common about 90%.
type zipfTraffic struct {
	addrs []string
	zipf  *rand.Zipf
}

func newZipfTraffic(r *rand.Rand, n int) *zipfTraffic {
	z := &zipfTraffic{addrs: make([]string, n), zipf: rand.NewZipf(r, 1.1, 1, uint64(n-1))}
	for i := range z.addrs {
		z.addrs[i] = randomTraffic{}.public(r)
	}
	return z
}

func (*zipfTraffic) internal(_ *rand.Rand, i int) string {
	h := i % 500
	return fmt.Sprintf("10.10.%d.%d", h/254, 1+h%254)
}

func (z *zipfTraffic) public(*rand.Rand) string { return z.addrs[z.zipf.Uint64()] }

// benchEvents returns ECS events of a SOC's mix: connections between
// internal and public addresses, DNS queries, process starts with hashes;
// about one in ten matches an indicator (one in ten public addresses is
// an indicator's, drawn evenly from a thousand).
func benchEvents(n int, tr traffic, ips, domains, hashes []string) []pipeline.Message {
	r := rand.New(rand.NewPCG(5, 6))
	pub := func() string {
		if r.IntN(10) == 0 {
			return ips[r.IntN(len(ips))]
		}
		return tr.public(r)
	}
	msgs := make([]pipeline.Message, n)
	for i := range msgs {
		var e string
		ts := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Millisecond).Format("2006-01-02T15:04:05.000Z")
		switch i % 4 {
		case 0, 1:
			e = fmt.Sprintf(`{"@timestamp":%q,"event":{"kind":"event","category":["network"],"action":"firewall-allow"},"host":{"name":"WS-%04d"},"source":{"ip":%q,"port":%d},"destination":{"ip":%q,"port":443},"network":{"transport":"tcp"},"message":"Firewall allowed connection"}`,
				ts, i%500, tr.internal(r, i), 1024+r.IntN(60000), pub())
		case 2:
			d := fmt.Sprintf("www.site%d.example.com", r.IntN(100000))
			if r.IntN(10) == 0 {
				d = "cdn." + domains[r.IntN(len(domains))]
			}
			e = fmt.Sprintf(`{"@timestamp":%q,"event":{"kind":"event","category":["network"],"action":"dns-query"},"host":{"name":"WS-%04d"},"source":{"ip":%q},"destination":{"ip":"10.0.1.11","port":53},"dns":{"question":{"name":%q,"type":"A"}}}`,
				ts, i%500, tr.internal(r, i), d)
		default:
			h := fmt.Sprintf("%016x%016x%016x%016x", r.Uint64(), r.Uint64(), r.Uint64(), r.Uint64())
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

// benchSet is the enrichers' set-up, made once per process: writing the
// City database takes minutes, and the testing package runs a benchmark
// function more than once.
var benchSet struct {
	once                 sync.Once
	e                    *Enricher
	ips, domains, hashes []string
	err                  error
}

// benchEnricher returns an enricher over a million indicators and a City
// database of benchNetworks networks.
func benchEnricher(b *testing.B) (*Enricher, []string, []string, []string) {
	s := &benchSet
	s.once.Do(func() {
		dir, err := os.MkdirTemp("", "enrich-bench")
		if err != nil {
			s.err = err
			return
		}
		defer os.RemoveAll(dir) // read into memory by New
		iocs, city := filepath.Join(dir, "iocs.txt"), filepath.Join(dir, "city.mmdb")
		s.ips, s.domains, s.hashes = writeIndicators(b, iocs, 1_000_000)
		writeCityDB(b, city, benchNetworks)
		s.e, s.err = New(Config{GeoIP: []string{city}, Intel: []string{iocs}})
	})
	if s.err != nil {
		b.Fatal(s.err)
	}
	return s.e, s.ips, s.domains, s.hashes
}

// BenchmarkEnrich enriches events against a million indicators and a City
// database of 200,000 networks, on one goroutine: the stage's cost per
// event, input parsing aside (the events are in memory). Its addresses
// are random, and as many events are made as are enriched, so that no
// event is seen twice: the worst case for every cache.
func BenchmarkEnrich(b *testing.B) {
	benchEnrich(b, randomTraffic{})
}

// BenchmarkEnrichZipf is BenchmarkEnrich with a SOC's traffic: the
// workstations' own addresses, and public addresses drawn from a million
// by a Zipf law (see zipfTraffic).
func BenchmarkEnrichZipf(b *testing.B) {
	benchEnrich(b, newZipfTraffic(rand.New(rand.NewPCG(9, 10)), 1_000_000))
}

func benchEnrich(b *testing.B, tr traffic) {
	e, ips, domains, hashes := benchEnricher(b)
	const batch = 4096
	msgs := benchEvents(b.N*batch, tr, ips, domains, hashes)
	st := e.NewStage()
	out := &pipeline.Batch{}
	runtime.GC()
	cpu0, cpuOK := cputime.Self()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		out.Reset()
		if err := st.Process(context.Background(), msgs[i*batch:(i+1)*batch], out); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	cpu1, _ := cputime.Self()
	n := b.N * batch
	if cpuOK {
		b.ReportMetric(float64(cpu1-cpu0)/float64(n), "cpu-ns/event")
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(b.Elapsed().Seconds()*1e9/float64(n), "ns/event")
	s := st.Stats()
	b.ReportMetric(float64(s.Matched)/float64(s.Events), "matched/event")
	if st.cache.lookups > 0 {
		b.ReportMetric(float64(st.cache.hits)/float64(st.cache.lookups), "addr-hits/lookup")
	}
}

// benchNetworks is the size of the benchmark's City database.
var benchNetworks = 200_000
