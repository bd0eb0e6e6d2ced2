package agent_test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/touchprobe/touchprobe/internal/demoshop"
	"github.com/touchprobe/touchprobe/internal/evidence"
	"github.com/touchprobe/touchprobe/probes"
)

func withArtifacts(dir string) func(*demoshop.Shop) string {
	return func(shop *demoshop.Shop) string {
		text := shop.Journey("@every 1h")
		// The failures under test answer at once (HTTP 500); the passing
		// steps keep the shop's 20s step timeout, which a loaded machine
		// needs.
		text = strings.Replace(text, `default_step_timeout = "20s"`, `default_step_timeout = "20s"`+"\nartifacts_dir = \""+dir+"\"", 1)
		return text
	}
}

// A failed run's evidence is written and named in the result before the
// result is published, and the gauges count it.
func TestFailedRunKeepsEvidence(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	h := start(t, withArtifacts(root))
	// A loaded machine may push the passing run over budget, and a slow
	// run keeps its evidence too.
	kept := 1
	if r := h.next("checkout"); r.Status != probes.StatusSuccess {
		t.Fatalf("first run: %s %s %s", r.FailedStep, r.Reason, r.Message)
	} else if r.Evidence != nil && !r.OverBudget() {
		t.Errorf("a passing run kept evidence in %s", r.Evidence.Dir)
	} else if r.Evidence != nil {
		kept++
	}
	if err := h.shop.SetFail("checkout", true); err != nil {
		t.Fatal(err)
	}
	h.runNow("checkout")
	r := h.next("checkout")
	if r.Status != probes.StatusFailure {
		t.Fatalf("want a failure, got %s", r.Status)
	}
	if r.Evidence == nil {
		t.Fatalf("failed run has no evidence; log:\n%s", h.logs.String())
	}
	if want := evidence.RunDir(root, "checkout", r.RunID); r.Evidence.Dir != want {
		t.Errorf("evidence in %s, want %s", r.Evidence.Dir, want)
	}
	wantFiles := []string{evidence.ConsoleFile, evidence.HARFile, evidence.HTMLFile, evidence.RunFile, evidence.ScreenshotFile}
	slices.Sort(wantFiles)
	if !slices.Equal(r.Evidence.Files, wantFiles) {
		t.Errorf("files %v, want %v", r.Evidence.Files, wantFiles)
	}
	for _, name := range r.Evidence.Files {
		if info, err := os.Stat(filepath.Join(r.Evidence.Dir, name)); err != nil || info.Size() == 0 {
			t.Errorf("%s: %v", name, err)
		}
	}
	// The folder says which run, under which profile, it is the evidence of.
	if b, err := os.ReadFile(filepath.Join(r.Evidence.Dir, evidence.RunFile)); err != nil ||
		!strings.Contains(string(b), `"profile": "desktop"`) || !strings.Contains(string(b), `"run_id": "`+r.RunID+`"`) {
		t.Errorf("%s does not name the run and its profile: %v\n%s", evidence.RunFile, err, b)
	}
	if failed := r.Steps[r.Evidence.Step]; failed.Name != "checkout" {
		t.Errorf("evidence shows step %q, want the failed checkout", failed.Name)
	}
	// The store the pages read from holds the same.
	if last := h.agent.Runs().Last("checkout", r.Profile); last == nil || last.Evidence == nil || last.Evidence.Dir != r.Evidence.Dir {
		t.Errorf("the runs store's last run does not name the evidence")
	}
	// The run's page shows what was kept, and every file downloads.
	page := "/journeys/checkout/runs/" + r.RunID
	if code, body := h.get(page); code != 200 || !strings.Contains(body, evidence.ScreenshotFile) || !strings.Contains(body, "/checkout") {
		t.Errorf("run page: %d, does not show the evidence of the failed checkout", code)
	}
	for _, name := range r.Evidence.Files {
		if code, body := h.get(page + "/" + name); code != 200 || len(body) == 0 {
			t.Errorf("%s: HTTP %d, %d bytes", name, code, len(body))
		}
	}
	_, body := h.get("/metrics")
	if !strings.Contains(body, fmt.Sprintf(`touchprobe_artifacts_runs{location="demo"} %d`, kept)) {
		t.Errorf("/metrics does not count the run's evidence:\n%s", grepLines(body, "touchprobe_artifacts"))
	}
}

// A folder that cannot be written costs the evidence, not the run: the
// run is recorded and the error logged.
func TestUnwritableEvidenceFolderKeepsRunning(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	h := start(t, withArtifacts(root))
	h.next("checkout")
	// A file where the journey's folder goes stops even root.
	jdir := filepath.Join(root, evidence.JourneyDir("checkout"))
	if err := os.RemoveAll(jdir); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(jdir, []byte("in the way"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := h.shop.SetFail("checkout", true); err != nil {
		t.Fatal(err)
	}
	h.runNow("checkout")
	r := h.next("checkout")
	if r.Status != probes.StatusFailure || r.Reason != probes.ReasonHTTPStatus {
		t.Fatalf("want the checkout's failure recorded, got %s %s", r.Status, r.Reason)
	}
	if r.Evidence != nil {
		t.Errorf("evidence named in %s, but it could not be written", r.Evidence.Dir)
	}
	if logs := h.logs.String(); !strings.Contains(logs, "could not keep the run's evidence") {
		t.Errorf("no error logged:\n%s", logs)
	}
	_, body := h.get("/metrics")
	if !strings.Contains(body, `touchprobe_journey_runs_total{brand="nordlys",journey="checkout",location="demo",profile="desktop",result="failure"} 1`) {
		t.Errorf("the failed run is not counted:\n%s", grepLines(body, "touchprobe_journey_runs_total"))
	}
}

// A folder that cannot even be created: the agent starts, says why once,
// and runs journeys without evidence.
func TestEvidenceFolderUnusableAtStart(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "a-file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	h := start(t, withArtifacts(filepath.Join(file, "evidence")))
	if r := h.next("checkout"); r.Status != probes.StatusSuccess {
		t.Errorf("run: %s %s", r.Status, r.Message)
	}
	if logs := h.logs.String(); !strings.Contains(logs, "evidence of failed and slow runs is not kept: its folder cannot be used") {
		t.Errorf("no error logged:\n%s", logs)
	}
}

func grepLines(text, substr string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, substr) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// A reload moves the evidence to the new folder with its new limits.
func TestReloadChangesEvidenceFolder(t *testing.T) {
	t.Parallel()
	first, second := t.TempDir(), t.TempDir()
	h := start(t, withArtifacts(first))
	h.next("checkout")
	if s := h.agent.Evidence(); s == nil || s.Root() != first {
		t.Fatalf("evidence store %v, want one in %s", s, first)
	}
	text := strings.Replace(withArtifacts(second)(h.shop), `artifacts_dir = "`+second+`"`, `artifacts_dir = "`+second+`"`+"\nartifacts_max_bytes = \"64MiB\"", 1)
	h.setConfig(text)
	if err := h.agent.Reload(); err != nil {
		t.Fatal(err)
	}
	s := h.agent.Evidence()
	if s == nil || s.Root() != second {
		t.Fatalf("after reload the evidence store is %v, want one in %s", s, second)
	}
	if _, size := s.Limits(); size != 64<<20 {
		t.Errorf("size limit %d after reload, want 64MiB", size)
	}
	if err := h.shop.SetFail("checkout", true); err != nil {
		t.Fatal(err)
	}
	h.runNow("checkout")
	if r := h.next("checkout"); r.Evidence == nil || !strings.HasPrefix(r.Evidence.Dir, second) {
		t.Errorf("evidence after reload: %+v, want it under %s", r.Evidence, second)
	}
}

// runNow starts a run of journey. A run has left the scheduler by the
// time its result is seen, so a test that has the last result can start
// the next run at once.
func (h *harness) runNow(journey string) {
	h.t.Helper()
	if !h.agent.Scheduler().RunNow(journey) {
		h.t.Fatalf("RunNow(%q) refused: the run whose result the test saw is still in flight (running: %q)", journey, h.agent.Scheduler().Running())
	}
}
