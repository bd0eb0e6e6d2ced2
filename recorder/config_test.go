package recorder

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/touchprobe/touchprobe/config"
)

// recordingConfig writes a recording and a configuration that names it
// beside it, and returns the configuration's path.
func recordingConfig(t *testing.T, recording, journey string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "flows"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "flows", "checkout.json"), []byte(recording), 0o644); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "touchprobe.toml")
	if err := os.WriteFile(path, []byte("[[journey]]\nname = \"checkout\"\n"+journey), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func flowOf(steps ...string) string {
	return `{"title":"shop","steps":[` + strings.Join(steps, ",") + `]}`
}

func TestJourneyRunsARecording(t *testing.T) {
	rec := flowOf(home, click(`[["aria/Basket"],["#basket"]]`), `{"type":"waitForElement","selectors":["li"],"operator":"==","count":2}`)
	path := recordingConfig(t, rec, `recording = "flows/checkout.json"
budgets = { "Basket" = "1500ms", "3" = "4s" }
touchpoints = { "Basket" = "basket" }
`)
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	steps := cfg.Journeys[0].Steps
	if len(steps) != 3 {
		t.Fatalf("%d steps: %+v", len(steps), steps)
	}
	if s := steps[1]; s.Name != "Basket" || s.Action != "click" || len(s.Selectors) != 2 || s.Budget.Duration != 1500*time.Millisecond || s.Touchpoint != "basket" {
		t.Errorf("step 2: %+v", s)
	}
	if s := steps[2]; s.Action != "wait" || s.Count != 2 || s.Operator != "==" || s.Budget.Duration != 4*time.Second {
		t.Errorf("step 3: %+v", s)
	}
	if s := steps[0]; s.Budget.Duration != config.DefaultBudget || s.Timeout.Duration != config.DefaultStepTimeout {
		t.Errorf("step 1 lacks the defaults: %+v", s)
	}

	// A reload reads the file again.
	before := cfg.Journeys[0].Version()
	if err := os.WriteFile(filepath.Join(filepath.Dir(path), "flows", "checkout.json"), []byte(flowOf(home, click(`[["aria/Basket"],["#cart"]]`), `{"type":"waitForElement","selectors":["li"],"operator":">=","count":1}`)), 0o644); err != nil {
		t.Fatal(err)
	}
	again, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if again.Journeys[0].Version() == before || again.Journeys[0].Steps[1].Selectors[1][0] != "#cart" {
		t.Errorf("the reload did not read the changed recording: %+v", again.Journeys[0].Steps)
	}

	// An absolute path is read as it is, as ${file:...} reads one.
	abs := filepath.Join(t.TempDir(), "touchprobe.toml")
	if err := os.WriteFile(abs, []byte(fmt.Sprintf("[[journey]]\nname = \"checkout\"\nrecording = %q\n", filepath.Join(filepath.Dir(path), "flows", "checkout.json"))), 0o644); err != nil {
		t.Fatal(err)
	}
	if cfg, err := config.Load(abs); err != nil || len(cfg.Journeys[0].Steps) != 3 {
		t.Errorf("a recording at an absolute path: %v", err)
	}
}

func TestJourneyRecordingErrors(t *testing.T) {
	ok := flowOf(home, click(`[["aria/Basket"],["#basket"]]`))
	cases := []struct {
		name, recording, journey, want string
	}{
		{"missing file", ok, `recording = "flows/nothere.json"`, `journey "checkout" (#1): recording: cannot read "flows/nothere.json" (relative to the configuration file): no such file or directory`},
		{"missing file, absolute path", ok, `recording = "/nonexistent/flows/checkout.json"`, `journey "checkout" (#1): recording: cannot read "/nonexistent/flows/checkout.json": no such file or directory`},
		{"not JSON", `{"title":`, `recording = "flows/checkout.json"`, `journey "checkout" (#1): recording: "flows/checkout.json": recording: not a Recorder JSON export`},
		{"a step touchprobe cannot run", flowOf(home, `{"type":"customStep","name":"x","parameters":{}}`), `recording = "flows/checkout.json"`, `recording: "flows/checkout.json": step 2 (customStep)`},
		{"steps and a recording", ok, "recording = \"flows/checkout.json\"\n[[journey.step]]\nname = \"x\"\naction = \"navigate\"\nurl = \"https://a.example/\"", `recording: written with [[journey.step]]`},
		{"a budget for no step", ok, "recording = \"flows/checkout.json\"\nbudgets = { \"Baskets\" = \"2s\" }", `budgets: no step of the recording is called "Baskets": did you mean "Basket"?`},
		{"a position past the end", ok, "recording = \"flows/checkout.json\"\nbudgets = { \"3\" = \"2s\" }", `budgets: "3": the recording has steps 1 to 2`},
		{"a bad budget", ok, "recording = \"flows/checkout.json\"\nbudgets = { \"1\" = \"soon\" }", `budgets: the budget of "1" must be a Go duration`},
		{"a bad touchpoint", ok, "recording = \"flows/checkout.json\"\ntouchpoints = { \"1\" = \"home\" }", `step "/" (#1): touchpoint: unknown touchpoint "home"`},
		{"budgets without a recording", ok, "budgets = { \"1\" = \"2s\" }\n[[journey.step]]\nname = \"x\"\naction = \"navigate\"\nurl = \"https://a.example/\"", `budgets: only used with recording`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := recordingConfig(t, tc.recording, tc.journey+"\n")
			_, err := config.Load(path)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Load: %v\nwant an error containing %q", err, tc.want)
			}
		})
	}
}
