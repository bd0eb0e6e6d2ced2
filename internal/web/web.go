// Package web serves the agent's HTTP endpoints: metrics, health, reload and the status pages.
package web

import (
	"embed"
	"html/template"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/touchprobe/touchprobe/config"
	"github.com/touchprobe/touchprobe/internal/report"
	"github.com/touchprobe/touchprobe/internal/runs"
	"github.com/touchprobe/touchprobe/internal/version"
	"github.com/touchprobe/touchprobe/probes"
)

// Deps is what the pages need from the agent.
type Deps struct {
	Registry    *prometheus.Registry
	Runs        *runs.Store
	Config      func() *config.Config
	Ready       func() bool
	Reload      func() error
	ExternalURL string
	Logger      *slog.Logger
}

//go:embed templates/*.html
var templateFS embed.FS

var funcs = template.FuncMap{
	"secs":    formatSeconds,
	"verdict": report.Verdict,
	"ago":     func(t time.Time) string { return time.Since(t).Round(time.Second).String() + " ago" },
	"inc":     func(i int) int { return i + 1 },
}

var pages = template.Must(template.New("").Funcs(funcs).ParseFS(templateFS, "templates/*.html"))

// formatSeconds shows a duration in seconds with millisecond precision,
// the unit of every budget.
func formatSeconds(d time.Duration) string {
	return strconv.FormatFloat(d.Seconds(), 'f', 3, 64) + "s"
}

type server struct {
	Deps
	mux *http.ServeMux
}

// New returns the handler for every endpoint.
func New(d Deps) http.Handler {
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	s := &server{Deps: d, mux: http.NewServeMux()}
	s.mux.Handle("GET /metrics", promhttp.HandlerFor(d.Registry, promhttp.HandlerOpts{
		Registry:          d.Registry,
		EnableOpenMetrics: true,
		ErrorLog:          slog.NewLogLogger(d.Logger.Handler(), slog.LevelError),
	}))
	s.mux.HandleFunc("GET /-/healthy", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("Healthy\n"))
	})
	s.mux.HandleFunc("GET /-/ready", func(w http.ResponseWriter, r *http.Request) {
		if !d.Ready() {
			http.Error(w, "Not ready: the browser is not up yet", http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte("Ready\n"))
	})
	reload := func(w http.ResponseWriter, r *http.Request) {
		if err := d.Reload(); err != nil {
			http.Error(w, "reload failed; the running configuration is unchanged:\n"+err.Error(), http.StatusInternalServerError)
			return
		}
		w.Write([]byte("Reloaded\n"))
	}
	s.mux.HandleFunc("POST /-/reload", reload)
	s.mux.HandleFunc("PUT /-/reload", reload)
	s.mux.HandleFunc("GET /{$}", s.index)
	return s.mux
}

type journeyRow struct {
	Journey *config.Journey
	Last    *probes.Result
	Recent  []*probes.Result
}

func (s *server) index(w http.ResponseWriter, r *http.Request) {
	cfg := s.Config()
	rows := make([]journeyRow, 0, len(cfg.Journeys))
	for i := range cfg.Journeys {
		j := &cfg.Journeys[i]
		rows = append(rows, journeyRow{Journey: j, Last: s.Runs.Last(j.Name), Recent: s.Runs.Recent(j.Name)})
	}
	s.render(w, "index.html", map[string]any{
		"Location": cfg.Agent.Location,
		"Journeys": rows,
		"Version":  version.Info(),
		"Ready":    s.Ready(),
	})
}

func (s *server) render(w http.ResponseWriter, name string, data any) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := pages.ExecuteTemplate(w, name, data); err != nil {
		s.Logger.Error("rendering page", "page", name, "err", err)
	}
}
