package web

import (
	"errors"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"slices"

	"github.com/touchprobe/touchprobe/config"
	"github.com/touchprobe/touchprobe/internal/evidence"
	"github.com/touchprobe/touchprobe/internal/maintenance"
	"github.com/touchprobe/touchprobe/internal/version"
	"github.com/touchprobe/touchprobe/probes"
)

// layout is what every page's header and footer show.
type layout struct {
	Title    string
	Root     string
	Home     string // the link to the front page
	Location string
	Version  string
	Ready    bool
	// ReloadFailed is the last reload, when it failed; Restart says
	// which browser settings wait for a restart.
	ReloadFailed *ReloadResult
	Restart      string
}

func (s *server) layout(r *http.Request, cfg *config.Config, title string) layout {
	root := rootOf(r.URL.EscapedPath())
	home := root
	if home == "" {
		home = "./"
	}
	l := layout{
		Title:    title,
		Root:     root,
		Home:     home,
		Location: cfg.Agent.Location,
		Version:  version.Info(),
		Ready:    s.Ready(),
	}
	if s.LastReload != nil {
		if last, ok := s.LastReload(); ok {
			if last.Err != nil {
				l.ReloadFailed = &last
			}
			if len(last.Restart) > 0 {
				l.Restart = restartNote(last.Restart)
			}
		}
	}
	return l
}

// journeyCard is one journey under one profile on the front page: each
// profile has its own status, last run and history.
type journeyCard struct {
	Name, Schedule string
	Profile        string
	Href           string
	Last           *probes.Result
	LastHref       string
	Status, Class  string
	Steps          []stepRow
	Spark          *sparkline
	Runs           int
	Failed         int
	// Maintenance is the window open now that covers the journey, if any.
	Maintenance *maintenance.Occurrence
}

func (s *server) index(w http.ResponseWriter, r *http.Request) {
	cfg := s.Config()
	l := s.layout(r, cfg, "touchprobe")
	cards := make([]journeyCard, 0, len(cfg.Journeys))
	windows := s.windows()
	for i := range cfg.Journeys {
		j := &cfg.Journeys[i]
		for _, p := range cfg.JourneyProfiles(j) {
			recent := s.Runs.RecentProfile(j.Name, p.Name)
			c := journeyCard{Name: j.Name, Schedule: j.Schedule, Profile: p.Name, Href: journeyHref(l.Root, j.Name), Runs: len(recent)}
			if len(recent) > 0 {
				c.Last = recent[len(recent)-1]
				c.LastHref = runHref(l.Root, j.Name, c.Last.RunID)
				c.Steps = stepRows(c.Last.Steps)
				c.Spark = runSparkline(l.Root, recent, 240, 36)
			}
			for _, run := range recent {
				if run.Status != probes.StatusSuccess {
					c.Failed++
				}
			}
			c.Status, c.Class = headline(c.Last)
			if active := maintenance.ActiveIn(windows, j.Name); len(active) > 0 {
				// The one that decides: skip outranks mute, as in the agent.
				c.Maintenance = &active[0]
			}
			cards = append(cards, c)
		}
	}
	s.render(w, http.StatusOK, "index.html", map[string]any{"Layout": l, "Journeys": cards, "Maintenance": windows})
}

// findJourney returns the configured journey the request names, or nil.
func findJourney(cfg *config.Config, name string) *config.Journey {
	for i := range cfg.Journeys {
		if cfg.Journeys[i].Name == name {
			return &cfg.Journeys[i]
		}
	}
	return nil
}

// runLine is one run in the journey page's list.
type runLine struct {
	*probes.Result
	Href          string
	Status, Class string
	OverBudget    []string
}

// profileStats is how a journey fared under one profile over its recent runs.
type profileStats struct {
	Profile string
	Steps   []stepStats
	Spark   *sparkline
}

func (s *server) journey(w http.ResponseWriter, r *http.Request) {
	cfg := s.Config()
	name := r.PathValue("journey")
	j := findJourney(cfg, name)
	if j == nil {
		s.notFoundPage(w, r, fmt.Sprintf("No journey named %q is configured.", name))
		return
	}
	l := s.layout(r, cfg, j.Name+" · touchprobe")
	recent := s.Runs.Recent(j.Name)
	lines := make([]runLine, 0, len(recent))
	for _, run := range slices.Backward(recent) {
		line := runLine{Result: run, Href: runHref(l.Root, j.Name, run.RunID)}
		line.Status, line.Class = headline(run)
		for _, st := range run.Steps {
			if st.OverBudget() {
				line.OverBudget = append(line.OverBudget, st.Name)
			}
		}
		lines = append(lines, line)
	}
	// Each profile's steps against its own budgets: a phone on 4G and a
	// desktop are not one distribution.
	var profiles []profileStats
	for _, p := range cfg.JourneyProfiles(j) {
		ps := profileStats{Profile: p.Name}
		if own := s.Runs.RecentProfile(j.Name, p.Name); len(own) > 0 {
			ps.Steps = recentStepStats(l.Root, own)
			ps.Spark = runSparkline(l.Root, own, 720, 60)
		}
		profiles = append(profiles, ps)
	}
	s.render(w, http.StatusOK, "journey.html", map[string]any{
		"Layout":   l,
		"Journey":  j,
		"Runs":     lines,
		"Profiles": profiles,
		"LastHref": journeyHref(l.Root, j.Name),
	})
}

// attemptLine is an earlier, failed attempt of a retried run.
type attemptLine struct {
	*probes.Result
	Href          string
	Status, Class string
}

// evidenceLink is one downloadable file of a run.
type evidenceLink struct {
	Name, Href string
	Kept       bool
	Expired    bool
}

// traceView is the run's trace on its page: its id, linked when [agent]
// trace_url is set, and the span of each step.
type traceView struct {
	ID, SpanID, Link string
	Steps            []probes.StepResult
}

func (s *server) run(w http.ResponseWriter, r *http.Request) {
	cfg := s.Config()
	name, id := r.PathValue("journey"), r.PathValue("run")
	j := findJourney(cfg, name)
	if j == nil {
		s.notFoundPage(w, r, fmt.Sprintf("No journey named %q is configured.", name))
		return
	}
	res, retriedAs := s.Runs.FindAttempt(j.Name, id)
	if res == nil {
		s.notFoundPage(w, r, fmt.Sprintf("Journey %q has no recent run %q: the agent keeps the last runs of each journey in memory, and forgets them when it restarts.", name, id))
		return
	}
	l := s.layout(r, cfg, fmt.Sprintf("%s run %s · touchprobe", j.Name, res.RunID))
	mask := cfg.Secrets().Mask
	href := runHref(l.Root, j.Name, res.RunID)
	data := map[string]any{
		"Layout":      l,
		"Run":         res,
		"JourneyHref": journeyHref(l.Root, j.Name),
		"Steps":       stepRows(res.Steps),
	}
	data["Status"], data["Class"] = headline(res)
	if res.TraceID != "" {
		data["Trace"] = traceView{ID: res.TraceID, SpanID: res.SpanID, Link: cfg.Agent.TraceLink(res.TraceID), Steps: res.Steps}
	}
	if retriedAs != nil {
		// An earlier attempt of a retried run links to the run.
		data["RetriedAs"], data["RetriedAsHref"] = retriedAs, runHref(l.Root, j.Name, retriedAs.RunID)
	}
	var attempts []attemptLine
	for _, a := range res.Retried {
		text, class := headline(a)
		attempts = append(attempts, attemptLine{Result: a, Href: runHref(l.Root, j.Name, a.RunID), Status: text, Class: class})
	}
	data["Attempts"] = attempts
	var pagesLanded []probes.StepResult
	for _, st := range res.Steps {
		if st.Page != nil {
			pagesLanded = append(pagesLanded, st)
		}
	}
	data["Pages"] = pagesLanded
	var interacted []probes.StepResult
	for _, st := range res.Steps {
		if st.Interaction != nil {
			interacted = append(interacted, st)
		}
	}
	data["Interactions"] = interacted
	if ev := res.Evidence; ev != nil {
		data["Evidence"] = true
		if ev.Step >= 0 && ev.Step < len(res.Steps) {
			data["EvidenceStep"] = res.Steps[ev.Step]
		}
		var links []evidenceLink
		for _, file := range []string{evidence.ScreenshotFile, evidence.HARFile, evidence.HTMLFile, evidence.ConsoleFile, evidence.RunFile} {
			ok, err := kept(res, file)
			link := evidenceLink{Name: file, Href: href + "/" + file, Kept: ok, Expired: errors.Is(err, errExpired)}
			if err != nil && !link.Expired && slices.Contains(ev.Files, file) {
				s.Logger.Warn("evidence file unreadable", "journey", j.Name, "run_id", res.RunID, "file", file, "err", err)
			}
			links = append(links, link)
			if file == evidence.ScreenshotFile {
				data["Screenshot"] = link
			}
		}
		data["Files"] = links
		if slices.Contains(ev.Files, evidence.ConsoleFile) {
			c, err := readConsole(res, mask)
			data["Console"], data["ConsoleErr"] = c, s.evidenceError(j.Name, res.RunID, err)
		}
		if slices.Contains(ev.Files, evidence.HARFile) {
			wf, err := readWaterfall(res, mask)
			data["Waterfall"], data["WaterfallErr"] = wf, s.evidenceError(j.Name, res.RunID, err)
		}
	}
	s.render(w, http.StatusOK, "run.html", data)
}

// evidenceError is what the page says about a file it could not read; the
// details, which name the agent's folders, go to the log only.
func (s *server) evidenceError(journey, runID string, err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, errExpired):
		return "evidence expired: retention has removed this file since the run"
	}
	s.Logger.Warn("reading evidence", "journey", journey, "run_id", runID, "err", err)
	return "this file could not be read; the agent's log says why"
}

func (s *server) file(w http.ResponseWriter, r *http.Request) {
	cfg := s.Config()
	name, id, file := r.PathValue("journey"), r.PathValue("run"), r.PathValue("file")
	j := findJourney(cfg, name)
	var res *probes.Result
	if j != nil {
		res = s.Runs.Find(j.Name, id)
	}
	if res == nil {
		s.notFoundPage(w, r, fmt.Sprintf("Journey %q has no recent run %q.", name, id))
		return
	}
	how, known := servable[file]
	f, info, err := openEvidence(res, file)
	switch {
	case !known || errors.Is(err, fs.ErrNotExist):
		s.notFoundPage(w, r, fmt.Sprintf("Run %s of journey %q kept no file %q.", res.RunID, name, file))
		return
	case errors.Is(err, errExpired):
		s.notFoundPage(w, r, fmt.Sprintf("The %s of run %s of journey %q has expired: retention has removed it since the run.", file, res.RunID, name))
		return
	case err != nil:
		s.Logger.Warn("serving evidence", "journey", j.Name, "run_id", res.RunID, "file", file, "err", err)
		s.notFoundPage(w, r, fmt.Sprintf("The %s of run %s of journey %q could not be read.", file, res.RunID, name))
		return
	}
	defer f.Close()
	h := w.Header()
	h.Set("Content-Type", how.contentType)
	if how.attachment {
		h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": res.RunID + "-" + file}))
		// Should a browser render it anyway, it runs in a sandbox of
		// its own origin, with nothing allowed, and no other site may
		// frame it, as no page may be.
		h.Set("Content-Security-Policy", "sandbox; default-src 'none'; frame-ancestors 'none'")
	}
	http.ServeContent(w, r, "", info.ModTime(), f)
}

func (s *server) notFound(w http.ResponseWriter, r *http.Request) {
	s.notFoundPage(w, r, "There is no page at this address.")
}

func (s *server) notFoundPage(w http.ResponseWriter, r *http.Request, message string) {
	cfg := s.Config()
	s.render(w, http.StatusNotFound, "notfound.html", map[string]any{
		"Layout":  s.layout(r, cfg, "not found · touchprobe"),
		"Message": message,
	})
}
