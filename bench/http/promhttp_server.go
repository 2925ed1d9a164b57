// promhttp_server: Go's client_golang serving a fixed Prometheus exposition through
// promhttp.HandlerFor, for the /metrics server comparison of bench/http_compare.sh. The text is
// parsed once (expfmt) into metric families; every scrape encodes them again, as a real
// registry's Gather would. With -process the exposition's process_* families are left out and
// client_golang's own process collector computes them live from /proc at every scrape, as
// kopiur-controller does, so both servers do the same work per scrape.
//
//	promhttp_server -listen 127.0.0.1:9101 -body metrics.prom [-process]
package main

import (
	"flag"
	"log"
	"net/http"
	"os"
	"sort"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
)

type fixed []*dto.MetricFamily

func (f fixed) Gather() ([]*dto.MetricFamily, error) { return f, nil }

func main() {
	listen := flag.String("listen", "127.0.0.1:9101", "host:port")
	body := flag.String("body", "", "Prometheus text exposition to serve")
	process := flag.Bool("process", false, "compute process_* live with the process collector")
	flag.Parse()
	file, err := os.Open(*body)
	if err != nil {
		log.Fatalf("promhttp_server: -body: %v", err)
	}
	var parser expfmt.TextParser
	families, err := parser.TextToMetricFamilies(file)
	if err != nil {
		log.Fatalf("promhttp_server: %s does not parse: %v", *body, err)
	}
	names := make([]string, 0, len(families))
	for name := range families {
		if *process && strings.HasPrefix(name, "process_") {
			continue
		}
		names = append(names, name)
	}
	sort.Strings(names)
	var gathered fixed
	for _, name := range names {
		gathered = append(gathered, families[name])
	}
	var gatherer prometheus.Gatherer = gathered
	if *process {
		live := prometheus.NewRegistry()
		live.MustRegister(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
		gatherer = prometheus.Gatherers{gathered, live}
	}
	http.Handle("/metrics", promhttp.HandlerFor(gatherer, promhttp.HandlerOpts{}))
	log.Printf("promhttp_server: %d families on http://%s/metrics", len(gathered), *listen)
	log.Fatal(http.ListenAndServe(*listen, nil))
}
