package metrics

import (
	"io"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestExposition(t *testing.T) {
	c := NewCounter("test_things_total", "Things.", "kind")
	c.Inc("a")
	c.Add(2, `b"quoted`)
	h := NewHistogram("test_seconds", "Seconds.", 1, 10)
	h.Observe(0.5)
	h.Observe(5)
	SetGaugeFunc("test_depth", "Depth.", []string{"state"}, func() map[string]float64 { return map[string]float64{"pending": 3} })
	srv := httptest.NewServer(Handler())
	defer srv.Close()

	resp, err := srv.Client().Get(srv.URL + "/health/ready")
	if err != nil || resp.StatusCode != 503 {
		t.Fatalf("ready before start: %v %v", resp.StatusCode, err)
	}
	Ready.Store(true)
	resp, _ = srv.Client().Get(srv.URL + "/health/ready")
	if resp.StatusCode != 200 {
		t.Fatalf("ready after start: %d", resp.StatusCode)
	}
	resp, err = srv.Client().Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	for _, want := range []string{
		"# TYPE test_things_total counter", `test_things_total{kind="a"} 1`, `test_things_total{kind="b\"quoted"} 2`,
		`test_seconds_bucket{le="1"} 1`, `test_seconds_bucket{le="10"} 2`, `test_seconds_bucket{le="+Inf"} 2`, "test_seconds_sum 5.5",
		`test_depth{state="pending"} 3`, "# TYPE seedgate_votes_total counter",
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("exposition lacks %q:\n%s", want, body)
		}
	}
}
