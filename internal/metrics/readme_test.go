package metrics

import (
	"os"
	"strings"
	"testing"
)

// Every metric must be documented where users look for it, with the labels
// its series carry.
func TestEveryMetricIsInTheREADME(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	for _, d := range Docs() {
		row := "| `" + d.Name + "` | " + d.Type + " |"
		i := strings.Index(readme, row)
		if i < 0 {
			t.Errorf("README.md has no row for %s (%s) in its metrics table", d.Name, d.Type)
			continue
		}
		labels := strings.Join(d.Labels, ", ")
		if d.JourneyLabels {
			labels += ", journey labels"
		}
		if !strings.HasPrefix(readme[i+len(row):], " "+labels+" |") {
			got, _, _ := strings.Cut(readme[i+len(row):], "|")
			t.Errorf("README.md's row for %s lists the labels %q; its series carry %q", d.Name, strings.TrimSpace(got), labels)
		}
	}
}
