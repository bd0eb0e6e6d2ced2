// Package report prints journey results as a step table for people or as JSON for pipelines.
package report

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/touchprobe/touchprobe/probes"
)

// Verdict is the one-word judgement of a step in the table.
func Verdict(s probes.StepResult) string {
	switch {
	case s.Status == probes.StepFailed:
		return "FAIL"
	case s.Status == probes.StepNotRun:
		return "not run"
	case s.Status == probes.StepSkipped:
		return "skipped"
	case s.OverBudget():
		return "OVER BUDGET"
	default:
		return "ok"
	}
}

// TraceLink says where a run's trace is seen: a link made of its trace id,
// or "" when there is none to make.
type TraceLink func(traceID string) string

// Text writes one table per result. With a non-nil trace, each run names
// its trace (and links to it where trace gives a link): the runs of a
// configuration that sends trace context or exports traces.
func Text(w io.Writer, results []*probes.Result, trace TraceLink) error {
	for i, r := range results {
		if i > 0 {
			fmt.Fprintln(w)
		}
		headline := strings.ToUpper(string(r.Status))
		if r.Status == probes.StatusSuccess && r.OverBudget() {
			headline = "SUCCESS, OVER BUDGET"
		}
		profile := ""
		if r.Profile != "" {
			profile = fmt.Sprintf("  profile %q", r.Profile)
		}
		fmt.Fprintf(w, "journey %q%s  run %s  %s  %s\n", r.Journey, profile, r.RunID, headline, seconds(r.Duration))
		tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "#\tSTEP\tTOUCHPOINT\tTIME\tBUDGET\tVERDICT\tLCP\tTTFB\tINP\tTBT\t")
		for _, s := range r.Steps {
			lcp, ttfb, inp, tbt := "", "", "", ""
			if s.Page != nil {
				lcp, ttfb = optSeconds(s.Page.LCP), optSeconds(s.Page.TTFB)
			}
			if im := s.Interaction; im != nil {
				inp, tbt = seconds(im.INP), seconds(im.TBT)
			}
			t := seconds(s.Duration)
			if s.Status == probes.StepNotRun {
				t = ""
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", s.Index+1, s.Name, s.Touchpoint, t, seconds(s.Budget), Verdict(s), lcp, ttfb, inp, tbt)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		if trace != nil && r.TraceID != "" {
			if link := trace(r.TraceID); link != "" {
				fmt.Fprintf(w, "trace %s  %s\n", r.TraceID, link)
			} else {
				fmt.Fprintf(w, "trace %s\n", r.TraceID)
			}
		}
		if r.Status != probes.StatusSuccess {
			fmt.Fprintf(w, "failed at step %q: %s: %s\n", r.FailedStep, r.Reason, r.Message)
		}
		if e := r.Evidence; e != nil {
			fmt.Fprintf(w, "evidence of step %d: %s (%s)\n", e.Step+1, e.Dir, strings.Join(e.Files, ", "))
		}
	}
	return nil
}

func seconds(d time.Duration) string { return fmt.Sprintf("%.3fs", d.Seconds()) }

func optSeconds(d time.Duration) string {
	if d <= 0 {
		return "-"
	}
	return seconds(d)
}

// JSON writes the results as one JSON document, durations in seconds.
func JSON(w io.Writer, results []*probes.Result) error {
	type page struct {
		URL              string  `json:"url"`
		Status           int     `json:"status,omitempty"`
		TTFB             float64 `json:"ttfb_seconds"`
		DOMContentLoaded float64 `json:"dom_content_loaded_seconds"`
		Load             float64 `json:"load_seconds"`
		FCP              float64 `json:"fcp_seconds"`
		LCP              float64 `json:"lcp_seconds"`
		CLS              float64 `json:"cls"`
		TBT              float64 `json:"tbt_seconds"`
		TransferBytes    int64   `json:"transfer_bytes"`
		Requests         int     `json:"requests"`
	}
	type script struct {
		URL      string  `json:"url,omitempty"`
		Function string  `json:"function,omitempty"`
		Invoker  string  `json:"invoker,omitempty"`
		Duration float64 `json:"duration_seconds"`
	}
	type frame struct {
		Duration float64  `json:"duration_seconds"`
		Blocking float64  `json:"blocking_seconds"`
		Scripts  []script `json:"scripts"`
	}
	type interaction struct {
		Interactions int     `json:"interactions"`
		INP          float64 `json:"inp_seconds"`
		TBT          float64 `json:"tbt_seconds"`
		LongFrames   []frame `json:"long_animation_frames"`
	}
	type step struct {
		Name        string       `json:"name"`
		Touchpoint  string       `json:"touchpoint"`
		Action      string       `json:"action"`
		SpanID      string       `json:"span_id,omitempty"`
		Status      string       `json:"status"`
		Verdict     string       `json:"verdict"`
		Duration    float64      `json:"duration_seconds"`
		Budget      float64      `json:"budget_seconds"`
		OverBudget  bool         `json:"over_budget"`
		Reason      string       `json:"reason,omitempty"`
		Message     string       `json:"message,omitempty"`
		Page        *page        `json:"page,omitempty"`
		Interaction *interaction `json:"interaction,omitempty"`
	}
	type evidence struct {
		Dir   string   `json:"dir"`
		Step  string   `json:"step"`
		Files []string `json:"files"`
	}
	type run struct {
		Journey    string    `json:"journey"`
		Profile    string    `json:"profile,omitempty"`
		RunID      string    `json:"run_id"`
		TraceID    string    `json:"trace_id,omitempty"`
		Start      time.Time `json:"start"`
		Duration   float64   `json:"duration_seconds"`
		Status     string    `json:"status"`
		OverBudget bool      `json:"over_budget"`
		Reason     string    `json:"reason,omitempty"`
		FailedStep string    `json:"failed_step,omitempty"`
		Message    string    `json:"message,omitempty"`
		Steps      []step    `json:"steps"`
		Evidence   *evidence `json:"evidence,omitempty"`
	}
	out := struct {
		Runs []run `json:"runs"`
	}{Runs: []run{}}
	for _, r := range results {
		jr := run{Journey: r.Journey, Profile: r.Profile, RunID: r.RunID, TraceID: r.TraceID, Start: r.Start, Duration: r.Duration.Seconds(), Status: string(r.Status),
			OverBudget: r.OverBudget(), Reason: string(r.Reason), FailedStep: r.FailedStep, Message: r.Message, Steps: []step{}}
		for _, s := range r.Steps {
			js := step{Name: s.Name, Touchpoint: s.Touchpoint, Action: s.Action, SpanID: s.SpanID, Status: string(s.Status), Verdict: Verdict(s),
				Duration: s.Duration.Seconds(), Budget: s.Budget.Seconds(), OverBudget: s.OverBudget(), Reason: string(s.Reason), Message: s.Message}
			if p := s.Page; p != nil {
				js.Page = &page{URL: p.URL, Status: p.Status, TTFB: p.TTFB.Seconds(), DOMContentLoaded: p.DOMContentLoaded.Seconds(),
					Load: p.Load.Seconds(), FCP: p.FCP.Seconds(), LCP: p.LCP.Seconds(), CLS: p.CLS, TBT: max(0, p.TBT.Seconds()), TransferBytes: p.TransferBytes, Requests: p.Requests}
			}
			if im := s.Interaction; im != nil {
				js.Interaction = &interaction{Interactions: im.Interactions, INP: im.INP.Seconds(), TBT: im.TBT.Seconds(), LongFrames: []frame{}}
				for _, f := range im.LongFrames {
					jf := frame{Duration: f.Duration.Seconds(), Blocking: f.Blocking.Seconds(), Scripts: []script{}}
					for _, sc := range f.Scripts {
						jf.Scripts = append(jf.Scripts, script{URL: sc.URL, Function: sc.Function, Invoker: sc.Invoker, Duration: sc.Duration.Seconds()})
					}
					js.Interaction.LongFrames = append(js.Interaction.LongFrames, jf)
				}
			}
			jr.Steps = append(jr.Steps, js)
		}
		if e := r.Evidence; e != nil {
			jr.Evidence = &evidence{Dir: e.Dir, Files: e.Files}
			if e.Step >= 0 && e.Step < len(r.Steps) {
				jr.Evidence.Step = r.Steps[e.Step].Name
			}
		}
		out.Runs = append(out.Runs, jr)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// Failed reports whether any run failed or had a step over budget: the exit
// status of `touchprobe once`.
func Failed(results []*probes.Result) bool {
	for _, r := range results {
		if r.Status != probes.StatusSuccess || r.OverBudget() {
			return true
		}
	}
	return false
}
