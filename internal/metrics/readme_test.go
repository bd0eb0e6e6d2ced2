package metrics

import (
	"os"
	"strings"
	"testing"
)

// Every metric must be documented where users look for it.
func TestEveryMetricIsInTheREADME(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	for _, d := range Docs() {
		if !strings.Contains(readme, "| `"+d.Name+"` | "+d.Type+" |") {
			t.Errorf("README.md has no row for %s (%s) in its metrics table", d.Name, d.Type)
		}
	}
}
