package main

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// The report reads every sub-benchmark of BenchmarkExposition, in each
// unit the benchmark reports, and BenchmarkExpositionGathered's times.
func TestParseExposition(t *testing.T) {
	out, err := os.ReadFile("testdata/exposition.txt")
	if err != nil {
		t.Fatal(err)
	}
	x := parseExposition(string(out))
	if len(x.Rows) != 3 {
		t.Fatalf("got %d rows, want 3: %+v", len(x.Rows), x.Rows)
	}
	want := expositionRow{Journeys: 1000, PerScrapeMS: 46.157198, GatheredMS: 1245.682647, Text: 31325402, Gzip: 863137, OpenMetrics: 36706217, Protobuf: 27191921, AllocBytes: 3461236}
	if got := x.Rows[2]; got != want {
		t.Errorf("row of 1,000 journeys:\n got %+v\nwant %+v", got, want)
	}
	var b strings.Builder
	x.markdown(func(format string, a ...any) { b.WriteString(fmt.Sprintf(format, a...)) })
	for _, s := range []string{"| 10 | 2.2 ms | 11 ms | 319 KiB | 15 KiB |", "| 1000 | 46 ms | 1246 ms | 29.9 MiB | 843 KiB | 35.0 MiB | 25.9 MiB | 3.3 MiB |"} {
		if !strings.Contains(b.String(), s) {
			t.Errorf("report lacks %q:\n%s", s, b.String())
		}
	}
}
