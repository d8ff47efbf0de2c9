package metrics

import "sync"

// GaugeSet is a gauge with one label whose values its owner sets as things change (a client's
// door closed or not), read at scrape time.
type GaugeSet struct {
	mu     sync.Mutex
	values map[string]float64
}

// NewGaugeSet registers a gauge with one label.
func NewGaugeSet(name, help, label string) *GaugeSet {
	g := &GaugeSet{values: map[string]float64{}}
	SetGaugeFunc(name, help, []string{label}, func() map[string]float64 {
		g.mu.Lock()
		defer g.mu.Unlock()
		out := make(map[string]float64, len(g.values))
		for k, v := range g.values {
			out[k] = v
		}
		return out
	})
	return g
}

// Set sets the value for one label value.
func (g *GaugeSet) Set(labelValue string, v float64) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.values[labelValue] = v
}
