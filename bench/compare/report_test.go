package main

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/touchprobe/touchprobe/bench/record"
)

// pageSample is a successful journey whose pages had the given first byte
// to DOMContentLoaded and to load times, and whose tree spent cpu in its
// renderers (two of them) and a tenth of a second in the tool.
func pageSample(landingDCL, landingLoad, productDCL float64, renderers time.Duration) sample {
	const firstByte = 120 // the shop's delay, the same for every tool
	return sample{
		usage: Usage{
			CPU: renderers + 150*time.Millisecond,
			Kinds: map[string]KindUsage{
				kindTool:     {CPU: 100 * time.Millisecond, Processes: 1},
				kindRenderer: {CPU: renderers, Processes: 2},
			},
		},
		rec: record.Journey{Pages: []record.Page{
			{Step: "landing", ResponseStartMS: firstByte, DOMContentLoadedMS: firstByte + landingDCL, LoadMS: firstByte + landingLoad},
			{Step: "accept cookies"},
			// load not reported: counts for DOMContentLoaded only
			{Step: "product page", ResponseStartMS: firstByte, DOMContentLoadedMS: firstByte + productDCL},
		}},
	}
}

func TestSummarizePagesAndKinds(t *testing.T) {
	tp := &tool{name: "touchprobe", label: "touchprobe", browser: true}
	pw := &tool{name: "playwright", label: "Playwright", browser: true}
	samples := map[string][]sample{
		"touchprobe": {
			pageSample(190, 230, 198, 2*time.Second),
			pageSample(210, 250, 202, 3*time.Second),
			pageSample(200, 240, 200, 4*time.Second),
			{err: errors.New("a failed run counts in no median"), rec: record.Journey{Pages: []record.Page{{Step: "landing", ResponseStartMS: 1, DOMContentLoadedMS: 9000}}}},
		},
		"playwright": {
			pageSample(100, 140, 92, time.Second),
			pageSample(96, 136, 94, time.Second),
		},
	}
	res := summarize([]*tool{tp, pw}, samples, nil)
	got := res.tool("touchprobe")
	if p := got.Pages["landing"]; p.FirstByteToDCL != 200 || p.FirstByteToLoad != 240 || p.Runs != 3 {
		t.Errorf("landing %+v, want medians 200 and 240 ms over 3 runs", p)
	}
	if p := got.Pages["product page"]; p.FirstByteToDCL != 200 || !math.IsNaN(p.FirstByteToLoad) {
		t.Errorf("product page %+v, want 200 ms and no load time", p)
	}
	if k := got.Kinds[kindRenderer]; k.CPU != 3 || k.Processes != 2 {
		t.Errorf("renderers %+v, want 3 s over 2 processes", k)
	}
	if k := got.Kinds[kindBrowser]; k.CPU != 0 || k.Processes != 0 {
		t.Errorf("browser %+v, want none", k)
	}
	if math.Abs(got.Unsampled-0.05) > 1e-9 {
		t.Errorf("unsampled %v s, want 0.05", got.Unsampled)
	}

	text := res.markdown()
	for _, want := range []string{
		"| touchprobe | 0.10 (1) | – | 3.00 (2) |",
		"| landing | DOMContentLoaded | 200 | 98 | 2.04 missed |",
		"| landing | load | 240 | 138 | 1.74 missed |",
		"| product page | DOMContentLoaded | 200 | 93 | 2.15 missed |",
		"| product page | load | – | – | – |",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("report lacks %q:\n%s", want, text)
		}
	}
}

func TestPageGoalMet(t *testing.T) {
	res := summarize([]*tool{{name: "touchprobe", label: "touchprobe", browser: true}, {name: "playwright", label: "Playwright", browser: true}},
		map[string][]sample{
			"touchprobe": {pageSample(104, 140, 92, time.Second)},
			"playwright": {pageSample(100, 140, 92, time.Second)},
		}, nil)
	text := res.markdown()
	for _, want := range []string{"| landing | DOMContentLoaded | 104 | 100 | 1.04 met |", "| landing | load | 140 | 140 | 1.00 met |"} {
		if !strings.Contains(text, want) {
			t.Errorf("report lacks %q:\n%s", want, text)
		}
	}
}

// touchprobe's report gives a step's page in seconds; the record holds the
// same Navigation Timing fields as the peers' scripts, in milliseconds.
func TestParseTouchprobePages(t *testing.T) {
	out := `{"runs":[{"start":"2026-11-23T12:00:00Z","duration_seconds":1.5,"status":"success","steps":[
	  {"name":"landing","status":"ok","duration_seconds":0.25,"page":{"url":"http://127.0.0.1/","ttfb_seconds":0.12,"dom_content_loaded_seconds":0.3,"load_seconds":0.35,"fcp_seconds":0.31}},
	  {"name":"accept cookies","status":"ok","duration_seconds":0.01}]}]}`
	rec, err := parseTouchprobe([]byte(out))
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.Pages) != 1 {
		t.Fatalf("pages %+v, want the landing page only", rec.Pages)
	}
	p := rec.Pages[0]
	dcl, ok1 := p.FirstByteToDOMContentLoaded()
	load, ok2 := p.FirstByteToLoad()
	if p.Step != "landing" || !ok1 || !ok2 || math.Abs(dcl-180) > 1e-6 || math.Abs(load-230) > 1e-6 {
		t.Errorf("page %+v: first byte to DOMContentLoaded %v, to load %v; want 180 and 230 ms", p, dcl, load)
	}
}

// Start-up plus shut-down is each run's own process time minus its journey:
// on a loaded machine the median process and the median journey come from
// different runs, and their difference says little.
func TestOutsideTheJourneyIsPerRun(t *testing.T) {
	run := func(journeyMS, processMS float64) sample {
		return sample{rec: record.Journey{JourneyMS: journeyMS}, usage: Usage{Wall: time.Duration(processMS * float64(time.Millisecond))}}
	}
	tp := &tool{name: "touchprobe", label: "touchprobe", browser: true}
	samples := map[string][]sample{"touchprobe": {
		run(5000, 5600), // 600 outside
		run(9000, 9500), // 500
		run(6000, 7000), // 1000
	}}
	got := summarize([]*tool{tp}, samples, nil).tool("touchprobe")
	if got.OutsideMS != 600 {
		t.Errorf("outside the journey %v ms, want the median of 600, 500 and 1000 ms", got.OutsideMS)
	}
	// The medians' difference would say 1000 ms.
	if got.ProcessMS-got.JourneyMS != 1000 {
		t.Fatalf("process %v ms, journey %v ms: the fixture no longer shows the difference", got.ProcessMS, got.JourneyMS)
	}
}

// The agent's CPU per journey is split by kind and set against a journey
// in a process of its own, for each browser tool.
func TestAgentCPUAgainstPerProcess(t *testing.T) {
	sc := &scaleResult{Window: time.Minute, Throughput: []throughput{{
		Concurrency: 1, Runs: 10, Ended: 10, PerMinute: 10, CPUPerJourneyS: 3,
		Kinds: map[string]kindSummary{
			kindTool:     {CPU: 0.2, Processes: 1},
			kindRenderer: {CPU: 1.5, Processes: 25},
		},
		Unsampled: 0.05,
	}}}
	var b strings.Builder
	sc.markdown(func(f string, a ...any) { fmt.Fprintf(&b, f, a...) }, []toolSummary{
		{Label: "k6 browser", Browser: true, CPU: 6},
		{Label: "Playwright", Browser: true, CPU: 5},
		{Label: "blackbox_exporter", CPU: 0.02},
	})
	text := b.String()
	for _, want := range []string{
		"| concurrency 1, 10 runs | 0.20 (1) | – | 1.50 (25) |",
		"| 0.05 | 26 |",
		"costs 0.50 of k6 browser's, 0.60 of Playwright's CPU",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("report lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "blackbox") {
		t.Errorf("report sets the agent against a tool without a browser:\n%s", text)
	}
}
