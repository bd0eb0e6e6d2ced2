package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"time"

	"github.com/touchprobe/touchprobe/internal/evidence"
	"github.com/touchprobe/touchprobe/probes"
)

// Reading evidence is bounded: a run's files are written by the agent, but
// a page must stay quick and small whatever they hold.
const (
	maxConsoleBytes = 4 << 20
	maxHARBytes     = 32 << 20
	maxConsoleRows  = 50
	waterfallRows   = 15
)

// errExpired says a file the run kept has since been removed by retention.
var errExpired = errors.New("evidence expired")

// servable lists the files a run's page may link to and serve, with how.
var servable = map[string]struct {
	contentType string
	attachment  bool
}{
	evidence.ScreenshotFile: {"image/png", false},
	// The captured page is the shop's markup, scripts and all: it must
	// never run on the agent's origin, so it is only ever downloaded.
	evidence.HTMLFile:    {"text/html; charset=utf-8", true},
	evidence.HARFile:     {"application/json", true},
	evidence.ConsoleFile: {"application/json", true},
	evidence.RunFile:     {"application/json", true},
}

// openEvidence opens one file a run kept. Only names the run lists and that
// the agent knows are opened, so no request reaches any other file.
func openEvidence(r *probes.Result, name string) (*os.File, fs.FileInfo, error) {
	if r.Evidence == nil || r.Evidence.Dir == "" || !slices.Contains(r.Evidence.Files, name) {
		return nil, nil, fs.ErrNotExist
	}
	if _, ok := servable[name]; !ok {
		return nil, nil, fs.ErrNotExist
	}
	// Through os.Root and only a regular file: a symbolic link put into
	// the folder never makes the agent serve a file from elsewhere.
	root, err := os.OpenRoot(r.Evidence.Dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, errExpired
	}
	if err != nil {
		return nil, nil, err
	}
	defer root.Close()
	lst, err := root.Lstat(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, errExpired
	}
	if err != nil {
		return nil, nil, err
	}
	if !lst.Mode().IsRegular() {
		return nil, nil, fmt.Errorf("evidence file %s is not a regular file", name)
	}
	f, err := root.Open(name)
	if err != nil {
		return nil, nil, err
	}
	info, err := f.Stat()
	if err != nil || !info.Mode().IsRegular() {
		f.Close()
		return nil, nil, fmt.Errorf("evidence file %s is not a regular file", name)
	}
	return f, info, nil
}

// kept reports whether the run kept a file and it is still there.
func kept(r *probes.Result, name string) (bool, error) {
	f, _, err := openEvidence(r, name)
	if err != nil {
		return false, err
	}
	f.Close()
	return true, nil
}

func readEvidenceJSON(r *probes.Result, name string, limit int64, v any) error {
	f, info, err := openEvidence(r, name)
	if err != nil {
		return err
	}
	defer f.Close()
	if info.Size() > limit {
		return fmt.Errorf("%s is %s, too large to show here; download it instead", name, formatBytes(info.Size()))
	}
	if err := json.NewDecoder(io.LimitReader(f, limit)).Decode(v); err != nil {
		return fmt.Errorf("reading %s: %w", name, err)
	}
	return nil
}

// consoleView is what the run page shows of console.json: the errors and
// uncaught exceptions, and how many quieter messages there were.
type consoleView struct {
	Errors   []evidence.ConsoleEntry
	Warnings int
	Others   int
	// Dropped counts errors beyond what the page lists.
	Dropped int
}

func readConsole(r *probes.Result, mask func(string) string) (*consoleView, error) {
	var entries []evidence.ConsoleEntry
	if err := readEvidenceJSON(r, evidence.ConsoleFile, maxConsoleBytes, &entries); err != nil {
		return nil, err
	}
	v := &consoleView{}
	for _, e := range entries {
		switch e.Level {
		case "error", "exception":
			if len(v.Errors) == maxConsoleRows {
				v.Dropped++
				continue
			}
			e.Text, e.URL = mask(e.Text), mask(e.URL)
			v.Errors = append(v.Errors, e)
		case "warning":
			v.Warnings++
		default:
			v.Others++
		}
	}
	return v, nil
}

// phases are the waterfall's colours, in the order a request goes through
// them.
var phases = []string{"blocked", "dns", "connect", "ssl", "send", "wait", "receive"}

type waterfallView struct {
	Rows     []waterfallRow
	Requests int     // in the whole HAR
	SpanMS   float64 // from the first request's start to the last one's end
	Phases   []string
}

type waterfallRow struct {
	Method, URL string
	Status      int
	StatusText  string
	Error       string
	Size        int64
	TimeMS      float64
	StartMS     float64
	Failed      bool
	LeftPct     string
	WidthPct    string
	Segments    []waterfallSegment
}

type waterfallSegment struct {
	Phase string
	MS    float64
	// WidthPct is the phase's share of its request's bar.
	WidthPct string
}

// readWaterfall picks the slowest requests of the run's HAR and places each
// on the run's time line, split into its phases.
func readWaterfall(r *probes.Result, mask func(string) string) (*waterfallView, error) {
	var h evidence.HAR
	if err := readEvidenceJSON(r, evidence.HARFile, maxHARBytes, &h); err != nil {
		return nil, err
	}
	type timed struct {
		evidence.HAREntry
		start time.Time
	}
	var all []timed
	var first, last time.Time
	for _, e := range h.Log.Entries {
		start, err := time.Parse(time.RFC3339Nano, e.StartedDateTime)
		if err != nil {
			continue
		}
		end := start.Add(time.Duration(max(e.Time, 0) * float64(time.Millisecond)))
		if first.IsZero() || start.Before(first) {
			first = start
		}
		if end.After(last) {
			last = end
		}
		all = append(all, timed{e, start})
	}
	v := &waterfallView{Requests: len(h.Log.Entries), Phases: phases}
	if len(all) == 0 {
		return v, nil
	}
	span := float64(last.Sub(first)) / float64(time.Millisecond)
	v.SpanMS = span
	slices.SortStableFunc(all, func(a, b timed) int { return compareFloat(b.Time, a.Time) })
	all = all[:min(len(all), waterfallRows)]
	slices.SortStableFunc(all, func(a, b timed) int { return a.start.Compare(b.start) })
	for _, e := range all {
		startMS := float64(e.start.Sub(first)) / float64(time.Millisecond)
		row := waterfallRow{
			Method: e.Request.Method, URL: mask(e.Request.URL),
			Status: e.Response.Status, StatusText: e.Response.StatusText, Error: mask(e.Error),
			Size: e.Response.Content.Size, TimeMS: e.Time, StartMS: startMS,
			Failed:  e.Error != "" || e.Response.Status == 0 || e.Response.Status >= 400,
			LeftPct: pct(startMS, span),
		}
		if e.Response.TransferSize > 0 {
			row.Size = e.Response.TransferSize
		}
		t := e.Timings
		connect := t.Connect
		if t.SSL > 0 && connect >= t.SSL {
			connect -= t.SSL
		}
		var total float64
		for i, ms := range []float64{t.Blocked, t.DNS, connect, t.SSL, t.Send, t.Wait, t.Receive} {
			if ms > 0 {
				row.Segments = append(row.Segments, waterfallSegment{Phase: phases[i], MS: ms})
				total += ms
			}
		}
		if len(row.Segments) == 0 && e.Time > 0 {
			// A request that failed before its phases were known still
			// took time.
			row.Segments = []waterfallSegment{{Phase: "blocked", MS: e.Time}}
			total = e.Time
		}
		// The bar spans the request on the run's time line; its phases
		// share the bar.
		row.WidthPct = pct(total, span)
		for i := range row.Segments {
			row.Segments[i].WidthPct = pct(row.Segments[i].MS, total)
		}
		v.Rows = append(v.Rows, row)
	}
	return v, nil
}

func compareFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
