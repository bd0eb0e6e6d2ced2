// Package dashboards_test checks the shipped Grafana dashboard and
// Prometheus rules against what the agent exposes. promtool checks the
// rules themselves (make check-rules).
package dashboards_test

import (
	"encoding/json"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v2"

	"github.com/touchprobe/touchprobe/internal/metrics"
)

// dashboard is the part of Grafana's dashboard model the checks read.
type dashboard struct {
	UID           string  `json:"uid"`
	Title         string  `json:"title"`
	SchemaVersion int     `json:"schemaVersion"`
	Panels        []panel `json:"panels"`
	Templating    struct {
		List []variable `json:"list"`
	} `json:"templating"`
}

type datasource struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

type panel struct {
	ID          int         `json:"id"`
	Type        string      `json:"type"`
	Title       string      `json:"title"`
	Description string      `json:"description"`
	Datasource  *datasource `json:"datasource"`
	GridPos     *struct {
		H, W, X, Y int
	} `json:"gridPos"`
	FieldConfig struct {
		Defaults struct {
			Unit string `json:"unit"`
		} `json:"defaults"`
		Overrides []struct {
			Matcher struct {
				ID      string `json:"id"`
				Options string `json:"options"`
			} `json:"matcher"`
			Properties []struct {
				ID    string          `json:"id"`
				Value json.RawMessage `json:"value"`
			} `json:"properties"`
		} `json:"overrides"`
	} `json:"fieldConfig"`
	Targets []target `json:"targets"`
	Panels  []panel  `json:"panels"`
}

type target struct {
	Datasource   *datasource `json:"datasource"`
	Expr         string      `json:"expr"`
	RefID        string      `json:"refId"`
	Exemplar     bool        `json:"exemplar"`
	LegendFormat string      `json:"legendFormat"`
}

type variable struct {
	Name       string          `json:"name"`
	Type       string          `json:"type"`
	Query      json.RawMessage `json:"query"`
	Datasource *datasource     `json:"datasource"`
	Refresh    int             `json:"refresh"`
}

// query is a variable's query text, which Grafana stores either as a
// string or as an object.
func (v variable) query() string {
	var s string
	if json.Unmarshal(v.Query, &s) == nil {
		return s
	}
	var o struct {
		Query string `json:"query"`
	}
	json.Unmarshal(v.Query, &o)
	return o.Query
}

func loadDashboard(t *testing.T) *dashboard {
	t.Helper()
	b, err := os.ReadFile("touchprobe.json")
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("touchprobe.json: %v", err)
	}
	return &d
}

// allPanels flattens rows.
func (d *dashboard) allPanels() []panel {
	var out []panel
	for _, p := range d.Panels {
		out = append(out, p)
		out = append(out, p.Panels...)
	}
	return out
}

func (d *dashboard) exprs() []string {
	var out []string
	for _, p := range d.allPanels() {
		for _, tg := range p.Targets {
			out = append(out, tg.Expr)
		}
	}
	for _, v := range d.Templating.List {
		if v.Type == "query" {
			out = append(out, v.query())
		}
	}
	return out
}

func loadRules(t *testing.T) (exprs []string, annotations []string) {
	t.Helper()
	for _, file := range []string{"touchprobe.rules.yml", "touchprobe.slo.rules.yml"} {
		e, a := loadRuleFile(t, file)
		exprs, annotations = append(exprs, e...), append(annotations, a...)
	}
	return exprs, annotations
}

func loadRuleFile(t *testing.T, file string) (exprs []string, annotations []string) {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Groups []struct {
			Rules []struct {
				Alert       string            `yaml:"alert"`
				Expr        string            `yaml:"expr"`
				Annotations map[string]string `yaml:"annotations"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	if err := yaml.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	for _, g := range f.Groups {
		for _, r := range g.Rules {
			exprs = append(exprs, r.Expr)
			for _, a := range r.Annotations {
				annotations = append(annotations, a)
			}
		}
	}
	return exprs, annotations
}

var metricRE = regexp.MustCompile(`\btouchprobe_[a-zA-Z0-9_]+`)

// Alerts about a journey name its profile, and the series their text
// looks up are the alerting profile's, not another profile's of the same
// journey.
func TestAlertsNameTheProfile(t *testing.T) {
	_, annotations := loadRules(t)
	for _, a := range annotations {
		if strings.Contains(a, "journey=%q") && !strings.Contains(a, "profile=%q") {
			t.Errorf("annotation looks up a journey's series without its profile: %s", a)
		}
		if strings.Contains(a, "$labels.journey") && !strings.Contains(a, "/journeys/") && !strings.Contains(a, "$labels.profile") {
			t.Errorf("annotation names the journey but not the profile: %s", a)
		}
	}
}

// TestQueriedMetricsAreExposed checks that every touchprobe metric the
// dashboard and the rules (expressions and annotation templates) query is
// one the agent exposes, so a renamed metric cannot leave a blank panel or
// a silent alert behind.
func TestQueriedMetricsAreExposed(t *testing.T) {
	known := map[string]bool{}
	for _, d := range metrics.Docs() {
		known[d.Name] = true
		if d.Type == "histogram" {
			for _, s := range []string{"_bucket", "_sum", "_count"} {
				known[d.Name+s] = true
			}
		}
	}
	ruleExprs, annotations := loadRules(t)
	sources := map[string][]string{
		"touchprobe.json":       loadDashboard(t).exprs(),
		"the rules":             ruleExprs,
		"rules' annotations":    annotations,
		"runbook (docs)":        {readFile(t, "../docs/runbook.md")},
		"example configuration": {readFile(t, "../examples/prometheus.yml")},
	}
	used := map[string]bool{}
	for src, texts := range sources {
		for _, text := range texts {
			for _, name := range metricRE.FindAllString(text, -1) {
				used[name] = true
				if !known[name] {
					t.Errorf("%s queries %s, which the agent does not expose", src, name)
				}
			}
		}
	}
	for _, must := range []string{
		"touchprobe_step_consecutive_over_budget_runs", "touchprobe_step_consecutive_failed_runs",
		"touchprobe_journey_interval_seconds", "touchprobe_agent_info", "touchprobe_browser_restarts_total",
		"touchprobe_page_timing_seconds", "touchprobe_page_cls", "touchprobe_step_duration_seconds_bucket",
	} {
		if !used[must] {
			t.Errorf("%s is queried by neither the dashboard nor the rules", must)
		}
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestDashboardLint checks what grafana/dashboard-linter checks (its
// module could not be installed here, so these are its rules written out):
// a datasource variable that every panel and query uses, job and instance
// variables that every query filters on, $__rate_interval in rates,
// counters only inside rate or increase, titles, descriptions and units on
// every panel.
func TestDashboardLint(t *testing.T) {
	d := loadDashboard(t)
	if d.UID == "" || d.Title == "" {
		t.Error("dashboard needs a uid and a title")
	}
	// Grafana 11.x and 12.x.
	if d.SchemaVersion < 39 {
		t.Errorf("schemaVersion %d: export from a current Grafana", d.SchemaVersion)
	}
	vars := map[string]variable{}
	for _, v := range d.Templating.List {
		vars[v.Name] = v
	}
	if ds, ok := vars["datasource"]; !ok || ds.Type != "datasource" || ds.query() != "prometheus" {
		t.Errorf("no Prometheus datasource variable named datasource: %+v", ds)
	}
	for _, name := range []string{"job", "instance", "location", "journey", "profile"} {
		v, ok := vars[name]
		if !ok {
			t.Errorf("no %s variable", name)
			continue
		}
		if v.Datasource == nil || v.Datasource.UID != "${datasource}" {
			t.Errorf("variable %s does not use ${datasource}", name)
		}
		if v.Refresh != 2 {
			t.Errorf("variable %s: refresh %d, want 2 (on time range change)", name, v.Refresh)
		}
		if !strings.HasPrefix(v.query(), "label_values(") {
			t.Errorf("variable %s: query %q is not label_values(...)", name, v.query())
		}
	}

	ids := map[int]bool{}
	counter := regexp.MustCompile(`touchprobe_[a-z0-9_]+(_total|_bucket)\b`)
	rangeRE := regexp.MustCompile(`\[([^\]]+)\]`)
	wanted := []string{"success rate", "vs budget", "heatmap", "LCP", "FCP", "TTFB", "CLS", "Failures by reason", "Runs and skips", "Browser restarts"}
	var titles []string
	for _, p := range d.allPanels() {
		titles = append(titles, p.Title)
		if ids[p.ID] {
			t.Errorf("panel id %d used twice", p.ID)
		}
		ids[p.ID] = true
		if p.GridPos == nil || p.GridPos.W == 0 || p.GridPos.H == 0 {
			t.Errorf("panel %q has no gridPos", p.Title)
		}
		if p.Type == "row" {
			continue
		}
		if p.Title == "" || p.Description == "" {
			t.Errorf("panel %d (%q) needs a title and a description", p.ID, p.Title)
		}
		if p.Datasource == nil || p.Datasource.UID != "${datasource}" {
			t.Errorf("panel %q does not use ${datasource}", p.Title)
		}
		if p.FieldConfig.Defaults.Unit == "" {
			t.Errorf("panel %q has no unit", p.Title)
		}
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, tg := range p.Targets {
			where := p.Title + " " + tg.RefID
			if tg.Datasource == nil || tg.Datasource.UID != "${datasource}" {
				t.Errorf("%s: query does not use ${datasource}", where)
			}
			for _, sel := range []string{`job=~"$job"`, `instance=~"$instance"`} {
				if !strings.Contains(tg.Expr, sel) {
					t.Errorf("%s: query lacks %s: %s", where, sel, tg.Expr)
				}
			}
			// Each profile of a journey is a series of its own: a query
			// of journeys filters on the profile variable and keeps the
			// label wherever it keeps the journey's.
			if strings.Contains(tg.Expr, `journey=~"$journey"`) && !strings.Contains(tg.Expr, `profile=~"$profile"`) {
				t.Errorf("%s: query filters on $journey but not on $profile: %s", where, tg.Expr)
			}
			for _, m := range byRE.FindAllStringSubmatch(tg.Expr, -1) {
				if labels := strings.Split(m[1], ", "); slices.Contains(labels, "journey") && !slices.Contains(labels, "profile") {
					t.Errorf("%s: by (%s) drops the profile: two profiles of a journey would be summed", where, m[1])
				}
			}
			if strings.Contains(tg.LegendFormat, "{{journey}}") && !strings.Contains(tg.LegendFormat, "{{profile}}") {
				t.Errorf("%s: legend %q does not name the profile", where, tg.LegendFormat)
			}
			for _, m := range rangeRE.FindAllStringSubmatch(tg.Expr, -1) {
				if m[1] != "$__rate_interval" && m[1] != "$__range" {
					t.Errorf("%s: range [%s], want [$__rate_interval] or [$__range]", where, m[1])
				}
			}
			// A Prometheus that scrapes native histograms stores no
			// classic buckets: a query of buckets must also read the
			// native histogram.
			for _, m := range bucketRE.FindAllStringSubmatch(tg.Expr, -1) {
				if !strings.Contains(tg.Expr, m[1]+"{") {
					t.Errorf("%s: reads the classic buckets of %s but not its native histogram: %s", where, m[1], tg.Expr)
				}
			}
			if counter.MatchString(tg.Expr) && !strings.Contains(tg.Expr, "rate(") && !strings.Contains(tg.Expr, "increase(") {
				t.Errorf("%s: a counter outside rate() or increase(): %s", where, tg.Expr)
			}
		}
	}
	for _, w := range wanted {
		if !slices.ContainsFunc(titles, func(s string) bool { return strings.Contains(s, w) }) {
			t.Errorf("no panel about %q", w)
		}
	}
}

// runLinks returns the URLs of the data links a panel puts on the run_id
// field of its exemplars.
func (p panel) runLinks() []string {
	var urls []string
	for _, o := range p.FieldConfig.Overrides {
		if o.Matcher.ID != "byName" || o.Matcher.Options != metrics.ExemplarRunID {
			continue
		}
		for _, prop := range o.Properties {
			if prop.ID != "links" {
				continue
			}
			var links []struct {
				URL string `json:"url"`
			}
			json.Unmarshal(prop.Value, &links)
			for _, l := range links {
				urls = append(urls, l.URL)
			}
		}
	}
	return urls
}

// stepDurationPanels are the panels that read the step duration histogram.
func (d *dashboard) stepDurationPanels() []panel {
	var out []panel
	for _, p := range d.allPanels() {
		if slices.ContainsFunc(p.Targets, func(tg target) bool {
			return stepDurationRE.MatchString(tg.Expr)
		}) {
			out = append(out, p)
		}
	}
	return out
}

var stepDurationRE = regexp.MustCompile(`\btouchprobe_step_duration_seconds(_bucket)?\{`)

// expandRunLink does what Grafana does to a run link on an exemplar.
func expandRunLink(link, externalURL, journey, runID string) string {
	return strings.NewReplacer(
		"${external_url}", externalURL,
		"${__data.fields.journey:percentencode}", url.PathEscape(journey),
		"${__value.raw:percentencode}", url.PathEscape(runID),
	).Replace(link)
}

// TestStepDurationExemplars: the step duration panels ask for exemplars
// and link each one to its run's page on the agent.
func TestStepDurationExemplars(t *testing.T) {
	d := loadDashboard(t)
	panels := d.stepDurationPanels()
	if len(panels) < 2 {
		t.Fatalf("%d panels read touchprobe_step_duration_seconds, want the heatmap and the p95", len(panels))
	}
	for _, p := range panels {
		for _, tg := range p.Targets {
			if stepDurationRE.MatchString(tg.Expr) && !tg.Exemplar {
				t.Errorf("panel %q %s: exemplars not shown (\"exemplar\": true)", p.Title, tg.RefID)
			}
		}
		links := p.runLinks()
		if len(links) != 1 {
			t.Errorf("panel %q: %d data links on the run_id of exemplars, want 1", p.Title, len(links))
			continue
		}
		if got, want := expandRunLink(links[0], "https://probe.example/tp", "check out", "0123abcd"), "https://probe.example/tp/journeys/check%20out/runs/0123abcd"; got != want {
			t.Errorf("panel %q: run link %q becomes %q, want %q", p.Title, links[0], got, want)
		}
	}
	var found bool
	for _, v := range d.Templating.List {
		if v.Name == "external_url" {
			found = true
			if !strings.Contains(v.query(), "touchprobe_agent_info{") || !strings.HasSuffix(v.query(), ", external_url)") {
				t.Errorf("variable external_url: query %q, want the external_url of touchprobe_agent_info", v.query())
			}
		}
	}
	if !found {
		t.Error("no variable external_url for the run links")
	}
}

// bucketRE matches the classic buckets of a histogram and captures its name.
var bucketRE = regexp.MustCompile(`(touchprobe_[a-z0-9_]+)_bucket\b`)

// grafanaVars stands in for what Grafana substitutes before it queries.
var grafanaVars = strings.NewReplacer(
	"$__rate_interval", "30s",
	"$__range", "2m",
	`"$job"`, `".+"`, `"$instance"`, `".+"`, `"$location"`, `".+"`, `"$journey"`, `".+"`, `"$profile"`, `".+"`,
)

// byRE matches the labels of a "by (...)" clause.
var byRE = regexp.MustCompile(`by \(([^)]*)\)`)

// labelValuesRE matches a variable query label_values(selector, label).
var labelValuesRE = regexp.MustCompile(`^label_values\((.*),\s*([a-zA-Z_][a-zA-Z0-9_]*)\)$`)

// checkDashboardQueries runs every query of the dashboard against a real
// Prometheus that scraped a real agent: each must parse and evaluate, and
// each variable must find values. Panels whose title starts with one of
// mayBeEmpty, besides the failures panel, may find nothing.
func checkDashboardQueries(t *testing.T, prom *prometheus, mayBeEmpty ...string) {
	t.Helper()
	d := loadDashboard(t)
	var empty []string
	for _, p := range d.allPanels() {
		for _, tg := range p.Targets {
			q := grafanaVars.Replace(tg.Expr)
			res, err := prom.query(t, q)
			if err != nil {
				t.Errorf("panel %q: %v", p.Title, err)
				continue
			}
			if len(res) == 0 {
				empty = append(empty, p.Title+" "+tg.RefID)
			}
		}
	}
	// With a fast then slow shop, no failure and no browser restart.
	for _, e := range empty {
		if !strings.HasPrefix(e, "Failures by reason") && !slices.ContainsFunc(mayBeEmpty, func(p string) bool { return strings.HasPrefix(e, p) }) {
			t.Errorf("panel %s: no data from a real agent", e)
		}
	}
	for _, v := range d.Templating.List {
		if v.Type != "query" {
			continue
		}
		m := labelValuesRE.FindStringSubmatch(v.query())
		if m == nil {
			t.Errorf("variable %s: cannot read %q", v.Name, v.query())
			continue
		}
		var values []string
		err := prom.api(t, "/api/v1/label/"+m[2]+"/values", url.Values{"match[]": {grafanaVars.Replace(m[1])}}, &values)
		if err != nil {
			t.Errorf("variable %s: %v", v.Name, err)
		} else if len(values) == 0 {
			t.Errorf("variable %s: no values from a real agent", v.Name)
		}
	}
}
