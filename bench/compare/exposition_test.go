package main

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// The report reads every sub-benchmark of BenchmarkExposition, in each
// unit the benchmark reports.
func TestParseExposition(t *testing.T) {
	out, err := os.ReadFile("testdata/exposition.txt")
	if err != nil {
		t.Fatal(err)
	}
	x := parseExposition(string(out))
	if len(x.Rows) != 3 {
		t.Fatalf("got %d rows, want 3: %+v", len(x.Rows), x.Rows)
	}
	want := expositionRow{Journeys: 1000, PerScrapeMS: 2956.089651, Text: 31235510, Gzip: 718490, OpenMetrics: 31962169, Protobuf: 19142874, AllocBytes: 66217968}
	if got := x.Rows[2]; got != want {
		t.Errorf("row of 1,000 journeys:\n got %+v\nwant %+v", got, want)
	}
	var b strings.Builder
	x.markdown(func(format string, a ...any) { b.WriteString(fmt.Sprintf(format, a...)) })
	for _, s := range []string{"| 10 | 26 ms | 318 KiB | 13 KiB |", "| 1000 | 2956 ms | 29.8 MiB | 702 KiB | 30.5 MiB | 18.3 MiB | 63.2 MiB |"} {
		if !strings.Contains(b.String(), s) {
			t.Errorf("report lacks %q:\n%s", s, b.String())
		}
	}
}
