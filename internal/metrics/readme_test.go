package metrics

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/touchprobe/touchprobe/probes"
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

// README's table of failure reasons is the closed set of the reason label:
// every reason a failed run can carry, and no other. A cancelled run (the
// agent stopping, the journey removed) measured nothing and is not counted.
func TestReadmeListsEveryFailureReason(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, table, ok := strings.Cut(string(b), "### Failure reasons\n")
	if !ok {
		t.Fatal(`README.md has no "### Failure reasons" section; keep it or change this test`)
	}
	_, table, _ = strings.Cut(table, "| reason |")
	table, _, _ = strings.Cut(table, "\n\n")
	var listed []string
	for _, line := range strings.Split(table, "\n") {
		first, _, _ := strings.Cut(strings.TrimPrefix(line, "| "), " |")
		for _, m := range regexp.MustCompile("`([a-z_]+)`").FindAllStringSubmatch(first, -1) {
			listed = append(listed, m[1])
		}
	}
	var want []string
	for _, r := range probes.Reasons {
		if r != probes.ReasonCanceled {
			want = append(want, string(r))
		}
	}
	slices.Sort(listed)
	slices.Sort(want)
	if !slices.Equal(listed, want) {
		t.Errorf("README.md's table of failure reasons lists %q; the reason label takes %q", listed, want)
	}
}
