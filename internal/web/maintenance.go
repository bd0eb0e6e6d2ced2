package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/touchprobe/touchprobe/internal/maintenance"
)

// maxFormBytes bounds the body of POST /-/maintenance.
const maxFormBytes = 64 << 10

// windows returns the maintenance windows open now or soon.
func (s *server) windows() []maintenance.Occurrence {
	if s.Maintenance == nil {
		return nil
	}
	return s.Maintenance()
}

// listMaintenance serves the windows open now or within a week as JSON.
func (s *server) listMaintenance(w http.ResponseWriter, r *http.Request) {
	windows := s.windows()
	if windows == nil {
		windows = []maintenance.Occurrence{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"windows": windows})
}

// startMaintenance opens an ad hoc window from the form fields journeys
// (repeated or comma-separated, or one name that holds a comma; none for
// all), duration, and optionally mode and name, as a deploy pipeline would:
//
//	curl -XPOST .../-/maintenance -d 'journeys=checkout&duration=15m'
func (s *server) startMaintenance(w http.ResponseWriter, r *http.Request) {
	if s.StartMaintenance == nil {
		http.Error(w, "maintenance windows cannot be started here", http.StatusNotImplemented)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			http.Error(w, fmt.Sprintf("the form is larger than %d bytes: send only journeys, duration, mode and name", maxFormBytes), http.StatusRequestEntityTooLarge)
			return
		}
		http.Error(w, "cannot read the form: "+err.Error(), http.StatusBadRequest)
		return
	}
	cfg := s.Config()
	var journeys []string
	for _, v := range r.PostForm["journeys"] {
		// A value that names a configured journey whole is that journey,
		// whose name may hold a comma.
		if name := strings.TrimSpace(v); findJourney(cfg, name) != nil {
			journeys = append(journeys, name)
			continue
		}
		for _, name := range strings.Split(v, ",") {
			if name = strings.TrimSpace(name); name != "" {
				journeys = append(journeys, name)
			}
		}
	}
	raw := r.PostForm.Get("duration")
	if raw == "" {
		http.Error(w, `duration: required: write how long the window lasts, such as duration=15m`, http.StatusBadRequest)
		return
	}
	d, err := time.ParseDuration(raw)
	if err != nil {
		http.Error(w, `duration: invalid duration: write a Go duration such as duration=15m or duration=1h30m`, http.StatusBadRequest)
		return
	}
	o, err := s.StartMaintenance(r.PostForm.Get("name"), r.PostForm.Get("mode"), journeys, d)
	if err != nil {
		status := http.StatusBadRequest
		if errors.Is(err, maintenance.ErrTooMany) {
			// Not the request's fault: it may be sent again once a
			// window has ended.
			status = http.StatusTooManyRequests
		}
		http.Error(w, "maintenance window not started: "+err.Error(), status)
		return
	}
	writeJSON(w, http.StatusOK, o)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}
