package cli

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/touchprobe/touchprobe/internal/demoshop"
	"github.com/touchprobe/touchprobe/internal/testutil"
)

func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := Main(args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func writeFile(t *testing.T, name, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestCheck(t *testing.T) {
	cases := []struct {
		name   string
		file   string
		code   int
		stdout string
		stderr []string
	}{
		{"reference example", "../../examples/touchprobe.toml", 0, "OK: 1 journeys, 6 steps", nil},
		{"every error at once", writeFile(t, "bad.toml", `
[agent]
concurrency = 0

[[journey]]
name = "storefront"
schedule = "every minute"

  [[journey.step]]
  name = "landing"
  action = "navigate"
  url = "https://shop.example.com/"
  budget = "3 s"

  [[journey.step]]
  name = "product"
  action = "clik"
  selector = "a.product-link"
`), 1, "", []string{
			`agent: concurrency: must be at least 1, got 0`,
			`journey "storefront" (#1): schedule:`,
			`journey "storefront" (#1), step "landing" (#1): budget: invalid duration "3 s"`,
			`journey "storefront" (#1), step "product" (#2): action:`,
		}},
		{"missing file", "no-such-file.toml", 1, "", []string{"no-such-file.toml"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, "check", "--config", tc.file)
			if code != tc.code {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, tc.code, stderr)
			}
			if !strings.Contains(stdout, tc.stdout) {
				t.Errorf("stdout %q lacks %q", stdout, tc.stdout)
			}
			for _, want := range tc.stderr {
				if !strings.Contains(stderr, tc.file) || !strings.Contains(stderr, want) {
					t.Errorf("stderr lacks %q (and the file name):\n%s", want, stderr)
				}
			}
		})
	}
}

func TestOnceAgainstTheDemoShop(t *testing.T) {
	shop, err := demoshop.Start(demoshop.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer shop.Close()
	artifacts := t.TempDir()
	example := strings.Replace(shop.ExampleConfig(), `artifacts_dir = "/var/lib/touchprobe"`, `artifacts_dir = "`+artifacts+`"`, 1)
	// Only the product page's own 2s budget is under test; a loaded test
	// machine must not push the other steps over theirs.
	example = strings.Replace(example, `default_budget = "3s"`, `default_budget = "30s"`, 1)
	// once exports its runs over OTLP as the agent does, and names each
	// run's trace.
	collector := httptest.NewServer(&traceReceiver{})
	defer collector.Close()
	example += "\n[otlp]\nendpoint = \"" + collector.URL + "\"\n"
	path := writeFile(t, "touchprobe.toml", example)
	browserDir := t.TempDir()

	code, stdout, stderr := runCLI(t, "once", "--config", path, "--browser.dir", browserDir)
	if code != 0 {
		t.Fatalf("once on a healthy shop: exit %d\n%s\n%s", code, stdout, stderr)
	}
	for _, want := range []string{`journey "storefront"`, "SUCCESS", "product page", "chat reply", "ok"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("step table lacks %q:\n%s", want, stdout)
		}
	}
	traceID := regexp.MustCompile(`(?m)^trace ([0-9a-f]{32})$`).FindStringSubmatch(stdout)
	if traceID == nil {
		t.Errorf("once with [otlp] does not name the run's trace:\n%s", stdout)
	} else if spans := collector.Config.Handler.(*traceReceiver).spansOf(traceID[1]); spans < 2 {
		// The journey's span and one per step, sent before once exits.
		t.Errorf("the collector holds %d spans of trace %s, want the journey's and its steps'", spans, traceID[1])
	}

	// A product page slower than its 2s budget fails the pipeline, but the
	// run itself succeeds.
	shop.SetSlow("product", 2500*time.Millisecond)
	code, stdout, stderr = runCLI(t, "once", "--config", path, "--browser.dir", browserDir, "--format", "json")
	if code != 1 {
		t.Fatalf("once with a step over budget: exit %d, want 1\n%s\n%s", code, stdout, stderr)
	}
	var out struct {
		Runs []struct {
			Journey    string `json:"journey"`
			Profile    string `json:"profile"`
			Status     string `json:"status"`
			OverBudget bool   `json:"over_budget"`
			Steps      []struct {
				Name       string  `json:"name"`
				Verdict    string  `json:"verdict"`
				Duration   float64 `json:"duration_seconds"`
				Budget     float64 `json:"budget_seconds"`
				OverBudget bool    `json:"over_budget"`
			} `json:"steps"`
			Evidence *struct {
				Dir   string   `json:"dir"`
				Step  string   `json:"step"`
				Files []string `json:"files"`
			} `json:"evidence"`
		} `json:"runs"`
	}
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatalf("--format json is not JSON: %v\n%s", err, stdout)
	}
	if len(out.Runs) != 1 || out.Runs[0].Status != "success" || !out.Runs[0].OverBudget || out.Runs[0].Profile != "desktop" {
		t.Fatalf("want one successful run over budget: %+v", out.Runs)
	}
	for _, s := range out.Runs[0].Steps {
		if s.Name == "product page" && (!s.OverBudget || s.Verdict != "OVER BUDGET" || s.Budget != 2 || s.Duration < 2.5) {
			t.Errorf("product page step: %+v, want over its 2s budget", s)
		}
	}

	// The slow run's evidence is kept, and once says where.
	if e := out.Runs[0].Evidence; e == nil || e.Step != "product page" || len(e.Files) != 5 || !slices.Contains(e.Files, "run.json") {
		t.Errorf("evidence of the slow run: %+v, want the product page's five files, run.json among them", e)
	} else if !strings.HasPrefix(e.Dir, artifacts) {
		t.Errorf("evidence in %s, want under artifacts_dir %s", e.Dir, artifacts)
	} else {
		for _, f := range e.Files {
			if _, err := os.Stat(filepath.Join(e.Dir, f)); err != nil {
				t.Error(err)
			}
		}
	}
	code, stdout, stderr = runCLI(t, "once", "--config", path, "--browser.dir", browserDir)
	if code != 1 || !strings.Contains(stdout, "evidence of step 3: "+artifacts) || !strings.Contains(stdout, "screenshot.png") {
		t.Errorf("once with a step over budget: exit %d, want 1 and where the evidence is:\n%s\n%s", code, stdout, stderr)
	}

	code, _, stderr = runCLI(t, "once", "--config", path, "--journey", "nope")
	if code != 1 || !strings.Contains(stderr, `no journey named "nope"`) || !strings.Contains(stderr, `"storefront"`) {
		t.Errorf("unknown journey: exit %d, stderr %q", code, stderr)
	}
	code, _, stderr = runCLI(t, "once", "--config", path, "--profile", "mobile4g")
	if code != 1 || !strings.Contains(stderr, `no profile named "mobile4g"`) || !strings.Contains(stderr, `"mobile-4g"`) {
		t.Errorf("unknown profile: exit %d, stderr %q", code, stderr)
	}
	if entries, _ := os.ReadDir(browserDir); len(entries) > 0 {
		t.Errorf("once left browser files behind: %d entries", len(entries))
	}
	// once kills its browser rather than wait for it to close: what it
	// killed is gone, its helpers outside the browser's group too. A
	// killed process takes a moment to exit; the wait is bounded.
	testutil.WaitFor(t, 30*time.Second, "no process of once's browser to be left", func() bool { return len(testutil.ProcessesUsing(browserDir)) == 0 })
}

// traceReceiver is an OTLP/HTTP collector that counts the spans of each
// trace it receives.
type traceReceiver struct {
	mu    sync.Mutex
	spans map[string]int
}

func (rc *traceReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	var req coltrace.ExportTraceServiceRequest
	if err == nil {
		err = proto.Unmarshal(body, &req)
	}
	if err != nil || r.URL.Path != "/v1/traces" {
		http.Error(w, "not an OTLP export", http.StatusBadRequest)
		return
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if rc.spans == nil {
		rc.spans = map[string]int{}
	}
	for _, rs := range req.GetResourceSpans() {
		for _, ss := range rs.GetScopeSpans() {
			for _, sp := range ss.GetSpans() {
				rc.spans[hex.EncodeToString(sp.GetTraceId())]++
			}
		}
	}
	b, _ := proto.Marshal(&coltrace.ExportTraceServiceResponse{})
	w.Header().Set("Content-Type", "application/x-protobuf")
	w.Write(b)
}

func (rc *traceReceiver) spansOf(traceID string) int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.spans[traceID]
}

func TestUsageErrors(t *testing.T) {
	if code, _, stderr := runCLI(t, "once"); code != 2 || !strings.Contains(stderr, "--config") {
		t.Errorf("once without --config: exit %d, stderr %q", code, stderr)
	}
	if code, _, stderr := runCLI(t, "demo", "--demo.slow", "basket"); code != 2 || !strings.Contains(stderr, "product") {
		t.Errorf("bad --demo.slow: exit %d, stderr %q", code, stderr)
	}
	if code, stdout, _ := runCLI(t, "version"); code != 0 || !strings.Contains(stdout, "touchprobe, version") {
		t.Errorf("version: exit %d, %q", code, stdout)
	}
}

// The evidence folder is opened while Chromium starts; a folder that cannot
// be used is still reported, after the start, and costs only the evidence.
func TestOnceReportsAnUnusableArtifactsDir(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "touchprobe.toml")
	conf := `[agent]
artifacts_dir = "` + dir + `"

[[journey]]
name = "landing"
schedule = "@every 1m"

  [[journey.step]]
  name = "landing"
  action = "navigate"
  url = "http://127.0.0.1:1/"
`
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	// A browser that exits at once: the run fails without Chromium.
	code, stdout, stderr := runCLI(t, "once", "--config", path, "--browser.path", "/bin/false", "--browser.dir", t.TempDir())
	if code != 1 {
		t.Errorf("exit %d, want 1\n%s\n%s", code, stdout, stderr)
	}
	for _, want := range []string{path + ": artifacts_dir: ", "the configuration file's folder", "no evidence kept"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
}

// TestCheckNotesShortSecrets: check says which secrets are so short that
// masking them hides those characters everywhere, naming the reference
// and never the value.
func TestCheckNotesShortSecrets(t *testing.T) {
	t.Setenv("TOUCHPROBE_TEST_PIN", "7x9")
	t.Setenv("TOUCHPROBE_TEST_TOKEN", "long-enough-token")
	path := writeFile(t, "secrets.toml", `
[[journey]]
name = "sign-in"

  [[journey.step]]
  name = "landing"
  action = "navigate"
  url = "https://shop.example.com/?t=${env:TOUCHPROBE_TEST_TOKEN}"

  [[journey.step]]
  name = "pin"
  action = "fill"
  fields = { "#pin" = "${env:TOUCHPROBE_TEST_PIN}" }
`)
	code, stdout, stderr := runCLI(t, "check", "--config", path)
	if code != 0 {
		t.Fatalf("check: exit %d\n%s\n%s", code, stdout, stderr)
	}
	want := "note: the value of ${env:TOUCHPROBE_TEST_PIN} is 3 characters long"
	if !strings.Contains(stdout, want) {
		t.Errorf("check does not say %q:\n%s", want, stdout)
	}
	if strings.Contains(stdout, "TOUCHPROBE_TEST_TOKEN") {
		t.Errorf("check notes a secret of 17 characters:\n%s", stdout)
	}
	if strings.Contains(stdout+stderr, "7x9") || strings.Contains(stdout+stderr, "long-enough-token") {
		t.Errorf("check printed a secret:\n%s\n%s", stdout, stderr)
	}
}
