package metrics

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
	"sync"
)

// Counter is a monotonically increasing series per label values.
type Counter struct {
	name, help string
	labels     []string
	mu         sync.Mutex
	values     map[string]float64
}

// Histogram counts observations into fixed buckets per label values.
type Histogram struct {
	name, help string
	buckets    []float64
	mu         sync.Mutex
	counts     []uint64
	sum        float64
	count      uint64
}

// GaugeFunc reads its values when scraped: label values joined by "\x00" to a value.
type GaugeFunc struct {
	name, help string
	labels     []string
	read       func() map[string]float64
}

var (
	mu       sync.Mutex
	counters []*Counter
	hists    []*Histogram
	gauges   []*GaugeFunc
)

// NewCounter registers a counter.
func NewCounter(name, help string, labels ...string) *Counter {
	c := &Counter{name: name, help: help, labels: labels, values: map[string]float64{}}
	mu.Lock()
	counters = append(counters, c)
	mu.Unlock()
	return c
}

// Add adds v to the series with these label values (in the order the labels were declared).
func (c *Counter) Add(v float64, labelValues ...string) {
	c.mu.Lock()
	c.values[strings.Join(labelValues, "\x00")] += v
	c.mu.Unlock()
}

// Inc adds one.
func (c *Counter) Inc(labelValues ...string) { c.Add(1, labelValues...) }

// Value reads the series with these label values (tests await counts with it).
func (c *Counter) Value(labelValues ...string) float64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.values[strings.Join(labelValues, "\x00")]
}

// NewHistogram registers a histogram with the given upper bounds.
func NewHistogram(name, help string, buckets ...float64) *Histogram {
	h := &Histogram{name: name, help: help, buckets: buckets, counts: make([]uint64, len(buckets))}
	mu.Lock()
	hists = append(hists, h)
	mu.Unlock()
	return h
}

// Observe records one value.
func (h *Histogram) Observe(v float64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for i, b := range h.buckets {
		if v <= b {
			h.counts[i]++
		}
	}
	h.sum += v
	h.count++
}

// SetGaugeFunc registers (or replaces) a gauge read at scrape time.
func SetGaugeFunc(name, help string, labels []string, read func() map[string]float64) {
	mu.Lock()
	defer mu.Unlock()
	for _, g := range gauges {
		if g.name == name {
			g.read = read
			return
		}
	}
	gauges = append(gauges, &GaugeFunc{name: name, help: help, labels: labels, read: read})
}

func labelPairs(names []string, joined string) string {
	if len(names) == 0 {
		return ""
	}
	values := strings.Split(joined, "\x00")
	pairs := make([]string, len(names))
	for i, n := range names {
		v := ""
		if i < len(values) {
			v = values[i]
		}
		pairs[i] = n + `="` + labelEscaper.Replace(v) + `"`
	}
	return "{" + strings.Join(pairs, ",") + "}"
}

// labelEscaper escapes a label value as the Prometheus text format requires: backslash, double
// quote and line feed, and nothing else (UTF-8 passes as is). Go's %q would also write \t and
// \u escapes, which the format does not know, and one odd client name would then break the
// whole scrape.
var labelEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)

// helpEscaper escapes HELP text: backslash and line feed.
var helpEscaper = strings.NewReplacer(`\`, `\\`, "\n", `\n`)

// SetBuildInfo exposes seedgate_build_info{version, commit, go_version} 1, the usual way to
// see which build a scrape came from.
func SetBuildInfo(version, commit, goVersion string) {
	SetGaugeFunc("seedgate_build_info", "Which seedgate build is running; always 1.", []string{"version", "commit", "go_version"},
		func() map[string]float64 {
			return map[string]float64{version + "\x00" + commit + "\x00" + goVersion: 1}
		})
}

func sortedKeys(m map[string]float64) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func formatFloat(v float64) string {
	if math.IsInf(v, 1) {
		return "+Inf"
	}
	return fmt.Sprint(v)
}

// Write writes every series in the Prometheus text format.
func Write(w io.Writer) {
	mu.Lock()
	cs, hs, gs := append([]*Counter(nil), counters...), append([]*Histogram(nil), hists...), append([]*GaugeFunc(nil), gauges...)
	mu.Unlock()
	for _, c := range cs {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s counter\n", c.name, helpEscaper.Replace(c.help), c.name)
		c.mu.Lock()
		for _, k := range sortedKeys(c.values) {
			fmt.Fprintf(w, "%s%s %s\n", c.name, labelPairs(c.labels, k), formatFloat(c.values[k]))
		}
		c.mu.Unlock()
	}
	for _, g := range gs {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s gauge\n", g.name, helpEscaper.Replace(g.help), g.name)
		values := g.read()
		for _, k := range sortedKeys(values) {
			fmt.Fprintf(w, "%s%s %s\n", g.name, labelPairs(g.labels, k), formatFloat(values[k]))
		}
	}
	for _, h := range hs {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s histogram\n", h.name, helpEscaper.Replace(h.help), h.name)
		h.mu.Lock()
		for i, b := range h.buckets {
			fmt.Fprintf(w, "%s_bucket{le=%q} %d\n", h.name, formatFloat(b), h.counts[i])
		}
		fmt.Fprintf(w, "%s_bucket{le=\"+Inf\"} %d\n%s_sum %s\n%s_count %d\n", h.name, h.count, h.name, formatFloat(h.sum), h.name, h.count)
		h.mu.Unlock()
	}
}
