package web

import (
	"fmt"
	"html/template"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/touchprobe/touchprobe/internal/report"
	"github.com/touchprobe/touchprobe/probes"
)

var funcs = template.FuncMap{
	"secs":  formatSeconds,
	"ago":   func(t time.Time) string { return formatAgo(time.Since(t)) },
	"utc":   func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") },
	"hms":   func(t time.Time) string { return t.UTC().Format("Jan 2 15:04:05") },
	"inc":   func(i int) int { return i + 1 },
	"bytes": formatBytes,
	"ms":    func(f float64) string { return strconv.FormatFloat(f, 'f', 0, 64) + " ms" },
}

// formatSeconds shows a duration in seconds with millisecond precision,
// the unit of every budget.
func formatSeconds(d time.Duration) string {
	return strconv.FormatFloat(d.Seconds(), 'f', 3, 64) + "s"
}

// formatAgo says how long ago something was, as precisely as a glance needs.
func formatAgo(d time.Duration) string {
	switch {
	case d < time.Second:
		return "just now"
	case d < time.Minute:
		return fmt.Sprintf("%ds ago", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm ago", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh %dm ago", int(d.Hours()), int(d.Minutes())%60)
	default:
		return fmt.Sprintf("%dd ago", int(d.Hours()/24))
	}
}

func formatBytes(n int64) string {
	switch {
	case n < 0:
		return ""
	case n < 1024:
		return fmt.Sprintf("%d B", n)
	case n < 1024*1024:
		return fmt.Sprintf("%.1f KiB", float64(n)/1024)
	default:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1024*1024))
	}
}

// pct formats a share of a whole as a CSS percentage value.
func pct(part, whole float64) string {
	if whole <= 0 || part <= 0 {
		return "0"
	}
	return strconv.FormatFloat(min(part/whole, 1)*100, 'f', 2, 64)
}

// Links are relative, so that the pages work whether a reverse proxy
// passes the external URL's path on or strips it. root leads from the
// current page back to the root ("", "../", "../../../").

func rootOf(escapedPath string) string {
	return strings.Repeat("../", max(strings.Count(escapedPath, "/")-1, 0))
}

// escapeSegment escapes a journey name or run ID as one path segment:
// a "/" in a name must not split it.
func escapeSegment(s string) string {
	return url.PathEscape(s)
}

func journeyHref(root, journey string) string {
	return root + "journeys/" + escapeSegment(journey)
}

func runHref(root, journey, runID string) string {
	return journeyHref(root, journey) + "/runs/" + escapeSegment(runID)
}

// headline is a run's status in one or two words, and the class that
// colours it.
func headline(r *probes.Result) (text, class string) {
	switch {
	case r == nil:
		return "no run yet", "none"
	case r.Status == probes.StatusSuccess && r.OverBudget():
		return "over budget", "over"
	case r.Status == probes.StatusSuccess:
		return "success", "success"
	case r.Status == probes.StatusFailure:
		return "failure", "failure"
	case r.Status == probes.StatusFlaky:
		return "flaky", "flaky"
	default:
		return string(r.Status), "error"
	}
}

// stepRow is one step of a run with its time drawn against its budget.
type stepRow struct {
	probes.StepResult
	Verdict string
	Class   string // ok, over, fail, skipped, notrun
	Ran     bool
	// BarPct and BudgetPct place the bar and the budget mark on a scale of
	// twice the budget, so that the mark sits in the middle of every row
	// and a step over budget is seen crossing it.
	BarPct, BudgetPct string
}

func stepRows(steps []probes.StepResult) []stepRow {
	rows := make([]stepRow, 0, len(steps))
	for _, s := range steps {
		row := stepRow{StepResult: s, Verdict: report.Verdict(s), Ran: s.Status != probes.StepNotRun}
		switch {
		case s.Status == probes.StepFailed:
			row.Class = "fail"
		case s.Status == probes.StepNotRun:
			row.Class = "notrun"
		case s.Status == probes.StepSkipped:
			row.Class = "skipped"
		case s.OverBudget():
			row.Class = "over"
		default:
			row.Class = "ok"
		}
		scale := max(2*s.Budget, s.Duration)
		if row.Ran {
			row.BarPct = pct(float64(s.Duration), float64(scale))
		} else {
			row.BarPct = "0"
		}
		row.BudgetPct = pct(float64(s.Budget), float64(scale))
		rows = append(rows, row)
	}
	return rows
}

// sparkline is an SVG line of durations, oldest first, with the runs that
// failed or went over budget marked.
type sparkline struct {
	Width, Height int
	Points        string
	Marks         []sparkMark
	// BudgetY is where a budget line is drawn; "" for none.
	BudgetY string
}

type sparkMark struct {
	X, Y  string
	Class string
	Title string
	Href  string
}

type sparkPoint struct {
	d     time.Duration
	class string // "" for a plain run
	title string
	href  string
}

func newSparkline(width, height int, pts []sparkPoint, budget time.Duration) *sparkline {
	if len(pts) == 0 {
		return nil
	}
	top := budget
	for _, p := range pts {
		top = max(top, p.d)
	}
	if top <= 0 {
		top = time.Millisecond
	}
	const pad = 3
	x := func(i int) float64 {
		if len(pts) == 1 {
			return float64(width) / 2
		}
		return pad + float64(i)*float64(width-2*pad)/float64(len(pts)-1)
	}
	y := func(d time.Duration) float64 {
		return pad + (1-float64(d)/float64(top))*float64(height-2*pad)
	}
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }
	sp := &sparkline{Width: width, Height: height}
	var b strings.Builder
	for i, p := range pts {
		fmt.Fprintf(&b, "%s,%s ", f(x(i)), f(y(p.d)))
		sp.Marks = append(sp.Marks, sparkMark{X: f(x(i)), Y: f(y(p.d)), Class: p.class, Title: p.title, Href: p.href})
	}
	sp.Points = strings.TrimSpace(b.String())
	if budget > 0 {
		sp.BudgetY = f(y(budget))
	}
	return sp
}

// runSparkline draws the duration of each recent run of a journey.
func runSparkline(root string, recent []*probes.Result, width, height int) *sparkline {
	pts := make([]sparkPoint, 0, len(recent))
	for _, r := range recent {
		text, class := headline(r)
		if class == "success" {
			class = ""
		}
		pts = append(pts, sparkPoint{
			d:     r.Duration,
			class: class,
			title: fmt.Sprintf("%s  %s  %s", r.Start.UTC().Format("15:04:05"), text, formatSeconds(r.Duration)),
			href:  runHref(root, r.Journey, r.RunID),
		})
	}
	return newSparkline(width, height, pts, 0)
}

// stepStats is how one step fared over the recent runs.
type stepStats struct {
	Name, Touchpoint       string
	Budget                 time.Duration
	Last, Median, Max      time.Duration
	Runs, OverBudget, Fail int
	Spark                  *sparkline
}

func recentStepStats(root string, recent []*probes.Result) []stepStats {
	var order []string
	byName := map[string]*stepStats{}
	durations := map[string][]time.Duration{}
	points := map[string][]sparkPoint{}
	for _, r := range recent {
		for _, s := range r.Steps {
			st, ok := byName[s.Name]
			if !ok {
				st = &stepStats{Name: s.Name}
				byName[s.Name] = st
				order = append(order, s.Name)
			}
			// The newest run's touchpoint and budget are the ones in force.
			st.Touchpoint, st.Budget = s.Touchpoint, s.Budget
			if s.Status == probes.StepNotRun || s.Status == probes.StepSkipped {
				continue
			}
			st.Runs++
			st.Last = s.Duration
			st.Max = max(st.Max, s.Duration)
			durations[s.Name] = append(durations[s.Name], s.Duration)
			p := sparkPoint{d: s.Duration, title: fmt.Sprintf("%s  %s", r.Start.UTC().Format("15:04:05"), formatSeconds(s.Duration)), href: runHref(root, r.Journey, r.RunID)}
			switch {
			case s.Status == probes.StepFailed:
				st.Fail++
				p.class = "failure"
			case s.OverBudget():
				st.OverBudget++
				p.class = "over"
			}
			points[s.Name] = append(points[s.Name], p)
		}
	}
	out := make([]stepStats, 0, len(order))
	for _, name := range order {
		st := byName[name]
		if d := durations[name]; len(d) > 0 {
			d = slices.Clone(d)
			slices.Sort(d)
			st.Median = d[len(d)/2]
		}
		st.Spark = newSparkline(160, 28, points[name], st.Budget)
		out = append(out, *st)
	}
	return out
}
