package main

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
)

// exposition is BenchmarkExposition of internal/metrics: /metrics of an
// agent with 1,000 journeys of 8 steps.
type exposition struct {
	PerScrapeMS float64
	MiB         float64
	AllocMiB    float64
}

var benchLine = regexp.MustCompile(`BenchmarkExposition\S*\s+\d+\s+([0-9.]+) ns/op\s+([0-9.]+) MiB/scrape\s+([0-9]+) B/op`)

func runExposition(ctx context.Context) (*exposition, error) {
	cmd := exec.CommandContext(ctx, "go", "test", "-run", "^$", "-bench", "Exposition", "-benchtime", "10x", "-benchmem", "./internal/metrics")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("BenchmarkExposition: %w: %s", err, lastLine(out.String()))
	}
	m := benchLine.FindStringSubmatch(out.String())
	if m == nil {
		return nil, fmt.Errorf("BenchmarkExposition: no result in its output: %s", lastLine(out.String()))
	}
	ns, _ := strconv.ParseFloat(m[1], 64)
	mib, _ := strconv.ParseFloat(m[2], 64)
	alloc, _ := strconv.ParseFloat(m[3], 64)
	return &exposition{PerScrapeMS: ns / 1e6, MiB: mib, AllocMiB: alloc / (1 << 20)}, nil
}

func (x *exposition) markdown(w func(string, ...any)) {
	w("\n#### /metrics with 1,000 journeys of 8 steps\n\n")
	w("`BenchmarkExposition` in internal/metrics (`go test -run '^$' -bench Exposition ./internal/metrics`): every journey with one successful run, every step on a page.\n\n")
	w("| one scrape | size | allocated per scrape |\n| ---: | ---: | ---: |\n")
	w("| %.0f ms | %.1f MiB | %.0f MiB |\n", x.PerScrapeMS, x.MiB, x.AllocMiB)
}
