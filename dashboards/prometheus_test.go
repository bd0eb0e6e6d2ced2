package dashboards_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/touchprobe/touchprobe/config"
	"github.com/touchprobe/touchprobe/internal/agent"
	"github.com/touchprobe/touchprobe/internal/demoshop"
	"github.com/touchprobe/touchprobe/internal/testutil"
	"github.com/touchprobe/touchprobe/internal/testutil/agenttest"
)

// prometheus is a real Prometheus server on loopback.
type prometheus struct {
	url string
}

// startPrometheus runs the Prometheus of the Debian package with a
// throwaway data directory, scraping target every second and evaluating
// the shipped rules every second, with flags added to its command line.
// It is stopped when the test ends.
func startPrometheus(t *testing.T, target string, flags ...string) *prometheus {
	t.Helper()
	return startPrometheusOf(t, []string{target}, []string{"touchprobe.rules.yml", "touchprobe.slo.rules.yml"}, flags...)
}

// startPrometheusOf is startPrometheus for several targets and rules files
// of the test's choice.
func startPrometheusOf(t *testing.T, targets []string, ruleFiles []string, flags ...string) *prometheus {
	t.Helper()
	bin, err := exec.LookPath("prometheus")
	if err != nil {
		t.Fatalf("this test needs a Prometheus server (Debian package prometheus): %v", err)
	}
	quoted := make([]string, len(targets))
	for i, target := range targets {
		quoted[i] = strconv.Quote(target)
	}
	var rules []string
	for _, file := range ruleFiles {
		abs, err := filepath.Abs(file)
		if err != nil {
			t.Fatal(err)
		}
		rules = append(rules, strconv.Quote(abs))
	}
	dir := t.TempDir()
	cfg := fmt.Sprintf(`global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
rule_files: [%s]
scrape_configs:
  - job_name: touchprobe
    static_configs:
      - targets: [%s]
`, strings.Join(rules, ", "), strings.Join(quoted, ", "))
	cfgFile := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfgFile, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := testutil.FreeAddr(t)

	var log bytes.Buffer
	cmd := exec.Command(bin, append([]string{
		"--config.file=" + cfgFile,
		"--storage.tsdb.path=" + filepath.Join(dir, "data"),
		"--web.listen-address=" + addr,
		"--log.level=warn",
	}, flags...)...)
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() {
		cmd.Wait()
		close(exited)
	}()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("Prometheus's log:\n%s", log.String())
		}
	})
	p := &prometheus{url: "http://" + addr}
	testutil.WaitFor(t, time.Minute, "Prometheus to be ready", func() bool {
		select {
		case <-exited:
			t.Fatalf("Prometheus exited:\n%s", log.String())
		default:
		}
		resp, err := http.Get(p.url + "/-/ready")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	return p
}

// api calls a Prometheus HTTP API endpoint and decodes its data.
func (p *prometheus) api(t *testing.T, path string, params url.Values, data any) error {
	t.Helper()
	resp, err := http.Get(p.url + path + "?" + params.Encode())
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	var r struct {
		Status string          `json:"status"`
		Error  string          `json:"error"`
		Data   json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(body, &r); err != nil {
		return fmt.Errorf("%s: %w: %s", path, err, body)
	}
	if r.Status != "success" {
		return fmt.Errorf("%s %s: %s", path, params.Encode(), r.Error)
	}
	return json.Unmarshal(r.Data, data)
}

type alert struct {
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
	State       string            `json:"state"`
	Value       string            `json:"value"`
}

func (p *prometheus) alerts(t *testing.T) []alert {
	t.Helper()
	var data struct {
		Alerts []alert `json:"alerts"`
	}
	if err := p.api(t, "/api/v1/alerts", nil, &data); err != nil {
		t.Fatal(err)
	}
	return data.Alerts
}

type sample struct {
	Metric map[string]string `json:"metric"`
	Value  [2]any            `json:"value"`
}

func (p *prometheus) query(t *testing.T, q string) ([]sample, error) {
	t.Helper()
	var data struct {
		ResultType string          `json:"resultType"`
		Result     json.RawMessage `json:"result"`
	}
	if err := p.api(t, "/api/v1/query", url.Values{"query": {q}}, &data); err != nil {
		return nil, err
	}
	if data.ResultType != "vector" {
		return nil, nil
	}
	var out []sample
	err := json.Unmarshal(data.Result, &out)
	return out, err
}

// value is the first sample's value of q, or -1 if there is none.
func (p *prometheus) value(t *testing.T, q string) float64 {
	t.Helper()
	s, err := p.query(t, q)
	if err != nil {
		t.Fatal(err)
	}
	if len(s) == 0 {
		return -1
	}
	var v float64
	fmt.Sscan(s[0].Value[1].(string), &v)
	return v
}

func find(alerts []alert, name string) *alert {
	for i := range alerts {
		if alerts[i].Labels["alertname"] == name {
			return &alerts[i]
		}
	}
	return nil
}

// TestAlertsInPrometheus puts the whole ops path under test: an agent
// probes the demo shop every 2 seconds, a real Prometheus scrapes it and
// evaluates the shipped rules unchanged. While the shop is fast no alert
// fires; once the product page is slower than its budget,
// TouchprobeStepOverBudget fires for that step after three slow runs in a
// row (the rule counts runs, so no for: needs shortening for the test).
// startDemo starts the demo shop and an agent that runs its checkout
// journey every 2 seconds, with agentTOML (keys of [agent]) in its
// configuration. It returns the shop, the agent's address and its external
// URL; both stop when the test ends.
func startDemo(t *testing.T, agentTOML string) (shop *demoshop.Shop, addr, agentURL string) {
	t.Helper()
	shop, err := demoshop.Start(demoshop.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { shop.Close() })

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr = l.Addr().String()
	agentURL = "http://" + addr
	cfg := shop.Journey("@every 2s")
	if agentTOML != "" {
		if !strings.Contains(cfg, "[agent]\n") {
			t.Fatalf("the demo shop's configuration has no [agent] table to add %q to", agentTOML)
		}
		cfg = strings.Replace(cfg, "[agent]\n", "[agent]\n"+agentTOML+"\n", 1)
	}
	agenttest.StartAgent(t, agent.Options{
		Load:        func() (*config.Config, error) { return config.Parse([]byte(cfg), "demo.toml") },
		Listeners:   []net.Listener{l},
		ExternalURL: agentURL,
		Logger:      slog.New(slog.DiscardHandler),
	})
	return shop, addr, agentURL
}

func TestAlertsInPrometheus(t *testing.T) {
	if testing.Short() {
		t.Skip("drives Chromium and Prometheus for a minute or two")
	}
	shop, addr, agentURL := startDemo(t, "")
	prom := startPrometheus(t, addr)

	// Fast shop: three successful runs seen by Prometheus and the rules
	// evaluated after them, without an alert about the journey.
	// The SLO alerts are left out: over the first minutes, one step
	// slowed by a busy machine is a real share of the few runs there are
	// (promtool's tests show them over hours and a month).
	quiet := func() {
		for _, al := range prom.alerts(t) {
			if al.Labels["slo"] != "" {
				continue
			}
			if al.Labels["journey"] != "" || al.Labels["alertname"] == "TouchprobeConfigReloadFailed" {
				t.Fatalf("alert while the shop is fast: %+v", al)
			}
		}
	}
	successes := `touchprobe_journey_runs_total{job="touchprobe",journey="checkout",result="success"}`
	testutil.WaitFor(t, 3*time.Minute, "three successful runs in Prometheus", func() bool {
		quiet()
		return prom.value(t, successes) >= 3
	})
	prom.waitEvaluation(t, "the fast runs")
	quiet()
	// On a busy machine a single step of the fast shop may take longer
	// than 3s once: that is the blip the rule must not page for.
	if v := prom.value(t, `max(touchprobe_step_consecutive_over_budget_runs{job="touchprobe"})`); v < 0 || v >= 3 {
		t.Fatalf("the fast shop: %v slow runs in a row of its slowest step, want a series below 3", v)
	}

	// Slow product page: the alert names the step and links to the agent.
	if err := shop.SetSlow("product", 4*time.Second); err != nil {
		t.Fatal(err)
	}
	var slow *alert
	testutil.WaitFor(t, 3*time.Minute, "TouchprobeStepOverBudget in Prometheus", func() bool {
		slow = find(prom.alerts(t), "TouchprobeStepOverBudget")
		return slow != nil
	})
	if slow.State != "pending" && slow.State != "firing" {
		t.Errorf("state %q", slow.State)
	}
	want := map[string]string{"journey": "checkout", "profile": "desktop", "step": "product page", "touchpoint": "product", "location": "demo", "severity": "warning"}
	for k, v := range want {
		if slow.Labels[k] != v {
			t.Errorf("label %s=%q, want %q (labels %v)", k, slow.Labels[k], v, slow.Labels)
		}
	}
	if s := slow.Annotations["summary"]; !strings.Contains(s, "checkout (desktop)") {
		t.Errorf("summary does not name the profile: %q", s)
	}
	if got, want := slow.Annotations["journey_url"], agentURL+"/journeys/checkout"; got != want {
		t.Errorf("journey_url %q, want %q", got, want)
	}
	// The last run took the 4s delay plus the page itself: "4.3s", or more
	// on a busy machine.
	if d := slow.Annotations["description"]; !strings.Contains(d, "Budget: 3s") || !regexp.MustCompile(`Last run: [4-9][.0-9]*s`).MatchString(d) {
		t.Errorf("description lacks the measured value or the budget: %q", d)
	}
	t.Logf("%s %s: %s", slow.Labels["alertname"], slow.State, slow.Annotations["description"])

	checkDashboardQueries(t, prom)

	// A maintenance window in mute mode, started as a deploy pipeline
	// would: the journey goes on failing, and nothing pages.
	resp, err := http.PostForm(agentURL+"/-/maintenance", url.Values{"journeys": {"checkout"}, "duration": {"30m"}, "name": {"deploy"}})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"mode": "mute"`) {
		t.Fatalf("POST /-/maintenance: %d %s", resp.StatusCode, body)
	}
	testutil.WaitFor(t, time.Minute, "the muted journey in Prometheus", func() bool {
		return prom.value(t, `touchprobe_journey_muted{job="touchprobe",journey="checkout"}`) == 1
	})
	if err := shop.SetSlow("product", 0); err != nil {
		t.Fatal(err)
	}
	if err := shop.SetFail("checkout", true); err != nil {
		t.Fatal(err)
	}
	failing := `touchprobe_step_consecutive_failed_runs{job="touchprobe",journey="checkout",step="checkout"}`
	testutil.WaitFor(t, 3*time.Minute, "three failed runs in a row in Prometheus", func() bool {
		return prom.value(t, failing) >= 3
	})
	prom.waitEvaluation(t, "the failed runs")
	for _, al := range prom.alerts(t) {
		if al.Labels["journey"] == "checkout" {
			t.Errorf("alert in a maintenance window: %s %s %v", al.Labels["alertname"], al.State, al.Labels)
		}
	}
}

// waitEvaluation waits until every rule group has been evaluated after
// now, so that the alerts reflect what Prometheus has seen so far.
func (p *prometheus) waitEvaluation(t *testing.T, after string) {
	t.Helper()
	since := time.Now()
	testutil.WaitFor(t, 30*time.Second, "a rule evaluation after "+after, func() bool {
		var data struct {
			Groups []struct {
				LastEvaluation time.Time `json:"lastEvaluation"`
			} `json:"groups"`
		}
		if err := p.api(t, "/api/v1/rules", nil, &data); err != nil {
			t.Fatal(err)
		}
		for _, g := range data.Groups {
			if !g.LastEvaluation.After(since) {
				return false
			}
		}
		return len(data.Groups) > 0
	})
}

// TestNativeHistogramsInPrometheus: a Prometheus with native histograms
// enabled scrapes protobuf and stores the step durations as native
// histograms, whose quantiles it computes; the dashboard's queries all
// find data there too. Each mode that serves native histograms is tried.
func TestNativeHistogramsInPrometheus(t *testing.T) {
	if testing.Short() {
		t.Skip("drives Chromium and Prometheus for a minute")
	}
	// Each mode has its own agent and Prometheus; they wait side by side,
	// after the alert test, which is not run in parallel: it judges budgets.
	t.Parallel()
	for _, mode := range []string{config.HistogramsBoth, config.HistogramsNative} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			_, addr, _ := startDemo(t, fmt.Sprintf("histograms = %q", mode))
			prom := startPrometheus(t, addr, "--enable-feature=native-histograms")

			successes := `touchprobe_journey_runs_total{job="touchprobe",journey="checkout",result="success"}`
			testutil.WaitFor(t, 3*time.Minute, "three successful runs in Prometheus", func() bool {
				return prom.value(t, successes) >= 3
			})
			p95 := `histogram_quantile(0.95, sum by (step) (rate(touchprobe_step_duration_seconds{job="touchprobe",journey="checkout"}[1m])))`
			var res []sample
			testutil.WaitFor(t, time.Minute, "a p95 from the native histogram", func() bool {
				var err error
				res, err = prom.query(t, p95)
				if err != nil {
					t.Fatal(err)
				}
				return len(res) > 0
			})
			for _, s := range res {
				var v float64
				if _, err := fmt.Sscan(s.Value[1].(string), &v); err != nil || !(v > 0 && v < 60) {
					t.Errorf("p95 of step %q = %v, want a duration in seconds", s.Metric["step"], s.Value[1])
				}
			}
			// Prometheus took the native histogram, not classic buckets.
			if v := prom.value(t, `count(touchprobe_step_duration_seconds_bucket{job="touchprobe"})`); v != -1 {
				t.Errorf("%v classic bucket series stored, want none: the scrape did not use native histograms", v)
			}
			// The shop is fast: no step is slow now.
			checkDashboardQueries(t, prom, "Steps slow now")
		})
	}
}

// traceID is a W3C trace id, as exemplars carry it.
var traceID = regexp.MustCompile(`^[0-9a-f]{32}$`)

// TestExemplarsInPrometheus: a Prometheus with exemplar storage, scraping
// OpenMetrics, stores the run_id exemplars of the step durations, and the
// dashboard's run link built from one opens that run's page on the agent.
func TestExemplarsInPrometheus(t *testing.T) {
	if testing.Short() {
		t.Skip("drives Chromium and Prometheus for a minute")
	}
	t.Parallel()
	_, addr, agentURL := startDemo(t, "")
	prom := startPrometheus(t, addr, "--enable-feature=exemplar-storage")

	type exemplars []struct {
		SeriesLabels map[string]string `json:"seriesLabels"`
		Exemplars    []struct {
			Labels map[string]string `json:"labels"`
			Value  string            `json:"value"`
		} `json:"exemplars"`
	}
	var got exemplars
	testutil.WaitFor(t, 3*time.Minute, "a run_id exemplar of the step durations in Prometheus", func() bool {
		now := time.Now()
		params := url.Values{
			"query": {`touchprobe_step_duration_seconds_bucket{job="touchprobe"}`},
			"start": {fmt.Sprint(now.Add(-10 * time.Minute).Unix())},
			"end":   {fmt.Sprint(now.Add(time.Minute).Unix())},
		}
		if err := prom.api(t, "/api/v1/query_exemplars", params, &got); err != nil {
			t.Fatal(err)
		}
		return len(got) > 0 && len(got[0].Exemplars) > 0
	})

	var external []string
	if err := prom.api(t, "/api/v1/label/external_url/values", url.Values{"match[]": {`touchprobe_agent_info{job="touchprobe"}`}}, &external); err != nil || len(external) != 1 {
		t.Fatalf("external_url of the agent in Prometheus: %v, %v", external, err)
	}
	panels := loadDashboard(t).stepDurationPanels()
	if len(panels) == 0 || len(panels[0].runLinks()) == 0 {
		t.Fatal("the dashboard has no run link on step duration exemplars")
	}
	link := panels[0].runLinks()[0]

	checked := 0
	for _, series := range got {
		journey := series.SeriesLabels["journey"]
		for _, e := range series.Exemplars {
			runID := e.Labels["run_id"]
			if journey == "" || runID == "" || !traceID.MatchString(e.Labels["trace_id"]) || len(e.Labels) != 2 {
				t.Errorf("exemplar %v of %v: want the labels run_id and trace_id, on a series with a journey", e.Labels, series.SeriesLabels)
				continue
			}
			if checked == 3 {
				continue
			}
			checked++
			u := expandRunLink(link, external[0], journey, runID)
			if !strings.HasPrefix(u, agentURL+"/journeys/") {
				t.Errorf("run link %q does not lead to the agent %s", u, agentURL)
			}
			resp, err := http.Get(u)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), runID) {
				t.Errorf("GET %s (exemplar of step %q): %d, page mentions the run: %v", u, series.SeriesLabels["step"], resp.StatusCode, strings.Contains(string(body), runID))
			}
		}
	}
	if checked == 0 {
		t.Error("no exemplar to follow")
	}
}
