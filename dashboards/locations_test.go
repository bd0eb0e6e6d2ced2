package dashboards_test

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v2"

	"github.com/touchprobe/touchprobe/internal/metrics"
)

// locationRules is touchprobe.locations.rules.yml, as far as the checks read it.
type locationRules struct {
	Groups []struct {
		Rules []struct {
			Record      string            `yaml:"record"`
			Alert       string            `yaml:"alert"`
			Expr        string            `yaml:"expr"`
			Labels      map[string]string `yaml:"labels"`
			Annotations map[string]string `yaml:"annotations"`
		} `yaml:"rules"`
	} `yaml:"groups"`
}

var (
	recordedRE = regexp.MustCompile(`\b[a-z]+:touchprobe_[a-z_]+:[a-z]+\b`)
)

// TestLocationRules: the location rules query only what the agent exposes
// or they record themselves, each alert has its runbook section, and the
// example inhibit rule names those alerts and compares labels both carry,
// so that a renamed alert or a dropped label cannot leave the
// single-location warnings uninhibited.
func TestLocationRules(t *testing.T) {
	var f locationRules
	if err := yaml.Unmarshal([]byte(readFile(t, "touchprobe.locations.rules.yml")), &f); err != nil {
		t.Fatal(err)
	}
	exposed := map[string]bool{}
	for _, d := range metrics.Docs() {
		exposed[d.Name] = true
	}
	recorded, alerts := map[string]bool{}, map[string]bool{}
	var grouping [][]string
	runbook := readFile(t, "../docs/runbook.md")
	for _, g := range f.Groups {
		for _, r := range g.Rules {
			if r.Record != "" {
				recorded[r.Record] = true
			}
			for _, name := range metricRE.FindAllString(recordedRE.ReplaceAllString(r.Expr, ""), -1) {
				if !exposed[name] {
					t.Errorf("%s%s queries %s, which the agent does not expose", r.Record, r.Alert, name)
				}
			}
			for _, m := range byRE.FindAllStringSubmatch(r.Expr, -1) {
				var labels []string
				for _, l := range strings.Split(m[1], ",") {
					labels = append(labels, strings.TrimSpace(l))
				}
				grouping = append(grouping, labels)
			}
			if r.Alert == "" {
				continue
			}
			alerts[r.Alert] = true
			if !strings.Contains(runbook, "\n## "+r.Alert+"\n") {
				t.Errorf("docs/runbook.md has no section for %s", r.Alert)
			}
			if want := "runbook.md#" + strings.ToLower(r.Alert); !strings.HasSuffix(r.Annotations["runbook_url"], want) {
				t.Errorf("%s: runbook_url %q, want one ending in %s", r.Alert, r.Annotations["runbook_url"], want)
			}
		}
	}
	for _, g := range f.Groups {
		for _, r := range g.Rules {
			for _, name := range recordedRE.FindAllString(r.Expr+r.Annotations["description"], -1) {
				if !recorded[name] {
					t.Errorf("%s%s uses %s, which no rule records", r.Record, r.Alert, name)
				}
			}
		}
	}
	for _, want := range []string{"TouchprobeJourneyFailingAtLocation", "TouchprobeJourneyFailingGlobally"} {
		if !alerts[want] {
			t.Errorf("no alert %s", want)
		}
	}

	var am struct {
		InhibitRules []struct {
			SourceMatchers []string `yaml:"source_matchers"`
			TargetMatchers []string `yaml:"target_matchers"`
			Equal          []string `yaml:"equal"`
		} `yaml:"inhibit_rules"`
	}
	if err := yaml.Unmarshal([]byte(readFile(t, "../examples/alertmanager.yml")), &am); err != nil {
		t.Fatal(err)
	}
	if len(am.InhibitRules) != 1 {
		t.Fatalf("examples/alertmanager.yml: %d inhibit rules, want 1", len(am.InhibitRules))
	}
	ir := am.InhibitRules[0]
	if !slices.Equal(ir.SourceMatchers, []string{"alertname = TouchprobeJourneyFailingGlobally"}) ||
		!slices.Equal(ir.TargetMatchers, []string{"alertname = TouchprobeJourneyFailingAtLocation"}) {
		t.Errorf("inhibit rule %+v: want the global alert to inhibit the single-location one", ir)
	}
	if len(ir.Equal) == 0 {
		t.Error("inhibit rule compares no labels: one global failure would silence every journey's warnings")
	}
	for _, l := range ir.Equal {
		for _, g := range grouping {
			if !slices.Contains(g, l) {
				t.Errorf("inhibit rule compares %q, which the rules drop (by (%s))", l, strings.Join(g, ", "))
			}
		}
	}
}
