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
	srv := httptest.NewServer(Handler(false))
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

// Label values are escaped exactly as the text format says (backslash, quote, line feed) and
// nothing more, so an odd client name cannot break the scrape.
func TestLabelValuesAreEscapedForPrometheus(t *testing.T) {
	c := NewCounter("test_escaped_total", "Escaped\nhelp \\ text.", "client")
	c.Inc("tab\there \"q\" back\\slash\nnew ünï")
	SetBuildInfo("v1.2.3", "abc1234", "go1.26.8")
	var sb strings.Builder
	Write(&sb)
	out := sb.String()
	want := `test_escaped_total{client="tab` + "\t" + `here \"q\" back\\slash\nnew ünï"} 1`
	if !strings.Contains(out, want+"\n") {
		t.Fatalf("escaped series missing; want %q in:\n%s", want, out)
	}
	if !strings.Contains(out, "# HELP test_escaped_total Escaped\\nhelp \\\\ text.\n") {
		t.Fatalf("HELP not escaped:\n%s", out)
	}
	if !strings.Contains(out, `seedgate_build_info{version="v1.2.3",commit="abc1234",go_version="go1.26.8"} 1`) {
		t.Fatalf("no build info:\n%s", out)
	}
	// Every sample line has the form the text format allows: name{labels} value.
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if strings.HasPrefix(line, "#") {
			continue
		}
		if strings.Count(line, "\n") > 0 || !strings.Contains(line, " ") || strings.Contains(line, `\t`) || strings.Contains(line, `\u`) {
			t.Fatalf("sample line the format cannot parse: %q", line)
		}
	}
}

// Go's profiles are served only when profiling is asked for: they name every function and
// allocation site, and a CPU profile costs CPU while it runs.
func TestProfilesOnlyWhenAskedFor(t *testing.T) {
	for _, profiling := range []bool{false, true} {
		srv := httptest.NewServer(Handler(profiling))
		resp, err := srv.Client().Get(srv.URL + "/debug/pprof/heap?debug=1")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		srv.Close()
		served := resp.StatusCode == 200 && strings.Contains(string(body), "heap profile:")
		if served != profiling {
			t.Errorf("profiling %v: /debug/pprof/heap answered %d, heap profile served %v", profiling, resp.StatusCode, served)
		}
	}
}
