package main

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
)

// exposition is BenchmarkExposition of internal/metrics: /metrics of an
// agent with 10, 100 and 1,000 journeys of 8 steps; and
// BenchmarkExpositionGathered, the same scrapes served as before journeys
// were rendered, in the same run.
type exposition struct {
	Rows []expositionRow
}

// expositionRow is one sub-benchmark: the time of a scrape as Prometheus
// 2.x asks by default (text, gzip) and the size of one in each format.
type expositionRow struct {
	Journeys    int
	PerScrapeMS float64
	// GatheredMS is one scrape when promhttp gathers every series.
	GatheredMS float64
	// Sizes in bytes: the text format, the same gzipped (on the wire),
	// OpenMetrics and protobuf (what a Prometheus with native histograms
	// asks for).
	Text, Gzip, OpenMetrics, Protobuf float64
	AllocBytes                        float64
}

func runExposition(ctx context.Context) (*exposition, error) {
	cmd := exec.CommandContext(ctx, "go", "test", "-run", "^$", "-bench", "Exposition", "-benchtime", "10x", "-benchmem", "./internal/metrics")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("BenchmarkExposition: %w: %s", err, lastLine(out.String()))
	}
	x := parseExposition(out.String())
	if len(x.Rows) == 0 {
		return nil, fmt.Errorf("BenchmarkExposition: no result in its output: %s", lastLine(out.String()))
	}
	return x, nil
}

// parseExposition reads the lines of BenchmarkExposition's sub-benchmarks
// from go test's output: a name, the iterations, then value and unit
// pairs.
func parseExposition(out string) *exposition {
	x := &exposition{}
	gathered := map[int]float64{}
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		name, isGathered := strings.CutPrefix(firstOf(f), "BenchmarkExpositionGathered/journeys=")
		ok := isGathered
		if !isGathered {
			name, ok = strings.CutPrefix(firstOf(f), "BenchmarkExposition/journeys=")
		}
		if !ok || len(f) < 4 {
			continue
		}
		if i := strings.LastIndexByte(name, '-'); i > 0 {
			name = name[:i] // the GOMAXPROCS suffix
		}
		n, err := strconv.Atoi(name)
		if err != nil {
			continue
		}
		row := expositionRow{Journeys: n}
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				continue
			}
			switch f[i+1] {
			case "ns/op":
				row.PerScrapeMS = v / 1e6
			case "bytes/scrape":
				row.Text = v
			case "gzip-bytes/scrape":
				row.Gzip = v
			case "openmetrics-bytes/scrape":
				row.OpenMetrics = v
			case "protobuf-bytes/scrape":
				row.Protobuf = v
			case "B/op":
				row.AllocBytes = v
			}
		}
		if isGathered {
			gathered[n] = row.PerScrapeMS
			continue
		}
		x.Rows = append(x.Rows, row)
	}
	for i := range x.Rows {
		x.Rows[i].GatheredMS = gathered[x.Rows[i].Journeys]
	}
	return x
}

func firstOf(f []string) string {
	if len(f) == 0 {
		return ""
	}
	return f[0]
}

func (x *exposition) markdown(w func(string, ...any)) {
	w("\n#### /metrics with 10, 100 and 1,000 journeys of 8 steps\n\n")
	w("`BenchmarkExposition` in internal/metrics (`go test -run '^$' -bench Exposition ./internal/metrics`): every journey after 12 successful runs with step times spread over the buckets, every step on a page, so that a scrape holds the exemplars it holds once an agent has run a while; between two scrapes a quarter of the journeys record a run, and every journey's lag and maintenance state are recorded as the agent does. One scrape as Prometheus 2.x asks by default (text format, gzip), the same scrape gathered by promhttp as before (`BenchmarkExpositionGathered`, same run), and the size of one in each format.\n\n")
	w("| journeys | one scrape | gathered (before) | text | gzip (on the wire) | OpenMetrics | protobuf | allocated per scrape |\n| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n")
	for _, r := range x.Rows {
		w("| %d | %s | %s | %s | %s | %s | %s | %s |\n", r.Journeys, millis(r.PerScrapeMS), millis(r.GatheredMS), mib(r.Text), mib(r.Gzip), mib(r.OpenMetrics), mib(r.Protobuf), mib(r.AllocBytes))
	}
}

// millis writes a time in ms, with a decimal under 10 ms; "-" when not
// measured.
func millis(ms float64) string {
	switch {
	case ms == 0:
		return "-"
	case ms < 10:
		return fmt.Sprintf("%.1f ms", ms)
	}
	return fmt.Sprintf("%.0f ms", ms)
}

// mib writes a size in bytes in MiB, or in KiB under one MiB.
func mib(b float64) string {
	if b < 1<<20 {
		return fmt.Sprintf("%.0f KiB", b/(1<<10))
	}
	return fmt.Sprintf("%.1f MiB", b/(1<<20))
}
