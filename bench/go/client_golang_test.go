// Go's client_golang doing what bench/metrics_bench.cpp measures for kopiur and prometheus-cpp:
// bound counter add, counter add resolving 3 labels per call, histogram observe, gauge set,
// rendering N gauge series (Gather + text encoding) and heap bytes per series.
// Run by tools/bench.sh: GOPATH=/usr/share/gocode GO111MODULE=off go test -bench . -benchmem
package gobench

import (
	"bytes"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"
)

var bounds = []float64{0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}
var values = [8]float64{0.003, 0.04, 0.2, 0.7, 1.5, 3.0, 8.0, 0.09}

// newCounterVec holds 1,000 other series, as the C++ fixtures do.
func newCounterVec() *prometheus.CounterVec {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "bench_ops_total", Help: "Ops."},
		[]string{"kind", "namespace", "name"})
	for i := 0; i < 1000; i++ {
		c.WithLabelValues("Backup", "ns", "b"+strconv.Itoa(i)).Inc()
	}
	return c
}

func BenchmarkCounterAddBound(b *testing.B) {
	c := newCounterVec().WithLabelValues("Backup", "ns", "bound")
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			c.Add(1)
		}
	})
}

func BenchmarkCounterAdd3Labels(b *testing.B) {
	c := newCounterVec()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			c.WithLabelValues("Backup", "ns", "b7").Add(1)
		}
	})
}

func BenchmarkHistogramObserve(b *testing.B) {
	h := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "bench_latency_seconds",
		Help: "Latency.", Buckets: bounds}, []string{"kind"}).WithLabelValues("Backup")
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			h.Observe(values[i&7])
			i++
		}
	})
}

func BenchmarkGaugeSet(b *testing.B) {
	g := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "bench_level", Help: "Level."},
		[]string{"kind"}).WithLabelValues("Backup")
	b.RunParallel(func(pb *testing.PB) {
		v := 0.0
		for pb.Next() {
			v++
			g.Set(v)
		}
	})
}

// sizes: the series counts of the growth rows, from KOPIUR_BENCH_SERIES ("1000 10000 ...").
func sizes() []int {
	spec := os.Getenv("KOPIUR_BENCH_SERIES")
	if spec == "" {
		spec = "1000 10000 100000"
	}
	var out []int
	for _, f := range strings.Fields(spec) {
		n, err := strconv.Atoi(f)
		if err != nil {
			panic("KOPIUR_BENCH_SERIES: not a number: " + f)
		}
		out = append(out, n)
	}
	return out
}

// newGauges registers n gauge series labelled as the C++ render fixtures label theirs.
func newGauges(n int) *prometheus.Registry {
	reg := prometheus.NewRegistry()
	g := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "kopiur_backup_size_bytes",
		Help: "Size."}, []string{"namespace", "name"})
	reg.MustRegister(g)
	for i := 0; i < n; i++ {
		g.WithLabelValues("namespace-"+strconv.Itoa(i%50), "backup-"+strconv.Itoa(i)).
			Set(float64(1000000 + i))
	}
	return reg
}

func BenchmarkRender(b *testing.B) {
	for _, n := range sizes() {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			reg := newGauges(n)
			var buf bytes.Buffer
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				buf.Reset() // reused, as kopiur's reader reuses its buffer
				mfs, err := reg.Gather()
				if err != nil {
					b.Fatal(err)
				}
				enc := expfmt.NewEncoder(&buf, expfmt.FmtText)
				for _, mf := range mfs {
					if err := enc.Encode(mf); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(buf.Len()), "bytes")
		})
	}
}

// BenchmarkMemoryPerSeries: live heap after creating n series, less the heap before, per series
// (runtime.MemStats.HeapAlloc after a GC on both sides).
func BenchmarkMemoryPerSeries(b *testing.B) {
	for _, n := range sizes() {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			var perSeries float64
			for i := 0; i < b.N; i++ {
				var before, after runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&before)
				reg := newGauges(n)
				runtime.GC()
				runtime.ReadMemStats(&after)
				perSeries = float64(after.HeapAlloc-before.HeapAlloc) / float64(n)
				runtime.KeepAlive(reg)
			}
			b.ReportMetric(perSeries, "B/series")
		})
	}
}
