package telemetry

import (
	"math"
	"sort"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// histogram counts durations in fine buckets, ten a decade (the R10
// series: 1, 1.25, 1.6, 2, 2.5, 3.15, 4, 5, 6.3, 8), for quantiles within
// about 12%; Prometheus gets the coarser 1, 2.5, 5 of each decade. Unlike
// Prometheus's own histograms, it takes weighted observations: a batch of
// n events that took d counts as n events of d/n, in one call.
type histogram struct {
	desc   *prometheus.Desc
	bounds []float64 // fine upper bounds, seconds
	export []bool    // bounds that Prometheus gets

	mu     sync.Mutex
	counts []uint64 // by bound, then one for +Inf
	n      uint64
	sum    float64
}

var r10 = [...]float64{1, 1.25, 1.6, 2, 2.5, 3.15, 4, 5, 6.3, 8}

// newHistogram returns a histogram from 10^lo to 10^hi seconds.
func newHistogram(desc *prometheus.Desc, lo, hi int) *histogram {
	h := &histogram{desc: desc}
	for e := lo; e < hi; e++ {
		for i, m := range r10 {
			h.bounds = append(h.bounds, m*math.Pow10(e))
			h.export = append(h.export, i == 0 || i == 4 || i == 7)
		}
	}
	h.bounds = append(h.bounds, math.Pow10(hi))
	h.export = append(h.export, true)
	h.counts = make([]uint64, len(h.bounds)+1)
	return h
}

// add counts n observations of d seconds; the caller holds h.mu.
func (h *histogram) add(d float64, n uint64) {
	h.counts[sort.SearchFloat64s(h.bounds, d)] += n
	h.n += n
	h.sum += d * float64(n)
}

// observe counts n observations of d.
func (h *histogram) observe(d time.Duration, n int) {
	h.mu.Lock()
	h.add(d.Seconds(), uint64(n))
	h.mu.Unlock()
}

// quantile estimates the q-quantile (0 < q < 1), interpolating within a
// fine bucket; 0 without observations.
func (h *histogram) quantile(q float64) time.Duration {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.n == 0 {
		return 0
	}
	rank := q * float64(h.n)
	var seen float64
	for i, c := range h.counts {
		if c == 0 || seen+float64(c) < rank {
			seen += float64(c)
			continue
		}
		lo := 0.0
		if i > 0 {
			lo = h.bounds[i-1]
		}
		if i == len(h.bounds) {
			return seconds(lo) // beyond the last bound
		}
		return seconds(lo + (h.bounds[i]-lo)*(rank-seen)/float64(c))
	}
	return seconds(h.bounds[len(h.bounds)-1])
}

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// count returns the number of observations.
func (h *histogram) count() uint64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.n
}

// metric returns the histogram in Prometheus's form.
func (h *histogram) metric() prometheus.Metric {
	h.mu.Lock()
	defer h.mu.Unlock()
	buckets := map[float64]uint64{}
	var cum uint64
	for i, b := range h.bounds {
		cum += h.counts[i]
		if h.export[i] {
			buckets[b] = cum
		}
	}
	return prometheus.MustNewConstHistogram(h.desc, h.n, h.sum, buckets)
}
