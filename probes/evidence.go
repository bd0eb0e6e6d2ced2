// The evidence a run keeps: the names of its files and the formats of the
// console messages and the HAR, as probes writes them and as viewers read them.

package probes

import "time"

// The files of one run's folder. A run keeps only those it could capture.
const (
	ScreenshotFile = "screenshot.png" // full page, at the failing or slowest step
	HTMLFile       = "page.html"      // the page's DOM at that moment
	ConsoleFile    = "console.json"   // []ConsoleEntry, in the order they happened
	HARFile        = "network.har"    // HAR 1.2 of the whole run
	// RunFile names the run (journey, profile, run ID) and holds each
	// step's times, with the INP, blocking time and long animation frames
	// (the scripts that blocked) of its interactions: RunSummary.
	RunFile = "run.json"
)

// RunSummary is what RunFile holds.
type RunSummary struct {
	Journey string `json:"journey"`
	Profile string `json:"profile,omitempty"`
	RunID   string `json:"run_id"`
	// TraceID and SpanID are the run's trace and the journey's span in
	// it (see Result).
	TraceID string        `json:"trace_id,omitempty"`
	SpanID  string        `json:"span_id,omitempty"`
	Start   time.Time     `json:"start"`
	Status  Status        `json:"status"`
	Steps   []StepSummary `json:"steps"`
	// Notes say what the evidence leaves out and why, such as a
	// screenshot not kept because a field showing a secret could not be
	// hidden.
	Notes []string `json:"notes,omitempty"`
}

// StepSummary is one step of a RunSummary, durations in seconds.
type StepSummary struct {
	Name   string `json:"name"`
	Action string `json:"action"`
	// SpanID is the step's span in the run's trace.
	SpanID   string     `json:"span_id,omitempty"`
	Status   StepStatus `json:"status"`
	Duration float64    `json:"duration_seconds"`
	Budget   float64    `json:"budget_seconds"`
	// INP and TBT are those of an interaction step (click, fill, press,
	// select, chat); absent for other steps.
	INP        *float64       `json:"inp_seconds,omitempty"`
	TBT        *float64       `json:"tbt_seconds,omitempty"`
	LongFrames []FrameSummary `json:"long_animation_frames,omitempty"`
}

// FrameSummary is a long animation frame of a step and the scripts that
// ran in it.
type FrameSummary struct {
	Duration float64 `json:"duration_seconds"`
	Blocking float64 `json:"blocking_seconds"`
	Scripts  []struct {
		URL      string  `json:"url,omitempty"`
		Function string  `json:"function,omitempty"`
		Invoker  string  `json:"invoker,omitempty"`
		Duration float64 `json:"duration_seconds"`
	} `json:"scripts"`
}

// Summary returns the run's RunSummary.
func (r *Result) Summary() RunSummary {
	out := RunSummary{Journey: r.Journey, Profile: r.Profile, RunID: r.RunID, TraceID: r.TraceID, SpanID: r.SpanID, Start: r.Start, Status: r.Status, Steps: []StepSummary{}}
	for _, s := range r.Steps {
		ss := StepSummary{Name: s.Name, Action: s.Action, SpanID: s.SpanID, Status: s.Status, Duration: s.Duration.Seconds(), Budget: s.Budget.Seconds()}
		if im := s.Interaction; im != nil {
			inp, tbt := im.INP.Seconds(), im.TBT.Seconds()
			ss.INP, ss.TBT = &inp, &tbt
			for _, f := range im.LongFrames {
				fs := FrameSummary{Duration: f.Duration.Seconds(), Blocking: f.Blocking.Seconds()}
				for _, sc := range f.Scripts {
					fs.Scripts = append(fs.Scripts, struct {
						URL      string  `json:"url,omitempty"`
						Function string  `json:"function,omitempty"`
						Invoker  string  `json:"invoker,omitempty"`
						Duration float64 `json:"duration_seconds"`
					}{sc.URL, sc.Function, sc.Invoker, sc.Duration.Seconds()})
				}
				ss.LongFrames = append(ss.LongFrames, fs)
			}
		}
		out.Steps = append(out.Steps, ss)
	}
	return out
}

// ConsoleEntry is one console message or uncaught exception of a run.
type ConsoleEntry struct {
	Time time.Time `json:"time"`
	// Level is "error", "warning", "info", "log", "debug" or "exception"
	// (an uncaught JavaScript exception).
	Level string `json:"level"`
	Text  string `json:"text"`
	URL   string `json:"url,omitempty"`
	Line  int    `json:"line,omitempty"`
	// Step is the name of the step that was running.
	Step string `json:"step,omitempty"`
}
