package web

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestReload: POST /-/reload says how many journeys are in force and which
// browser settings wait for a restart, or why it failed; every page says
// that the last reload failed, and which browser settings wait, until a
// reload applies.
func TestReload(t *testing.T) {
	at := time.Date(2026, 3, 1, 12, 0, 5, 0, time.UTC)
	restart := []string{"path", "extra_flags"}
	for _, tc := range []struct {
		name    string
		res     ReloadResult
		status  int
		answer  []string
		page    []string // on every page after the reload
		notPage []string
	}{
		{
			name:    "applied",
			res:     ReloadResult{At: at, Journeys: 3},
			status:  http.StatusOK,
			answer:  []string{"Reloaded: 3 journeys in force.\n"},
			notPage: []string{`id="reload-failed"`, `id="restart"`},
		},
		{
			name:    "applied, browser settings wait",
			res:     ReloadResult{At: at, Journeys: 3, Restart: restart},
			status:  http.StatusOK,
			answer:  []string{"Reloaded: 3 journeys in force.\n", "Changed in [browser]: path, extra_flags.", "until touchprobe restarts"},
			page:    []string{`id="restart"`, "Changed in [browser]: path, extra_flags."},
			notPage: []string{`id="reload-failed"`},
		},
		{
			name:   "failed",
			res:    ReloadResult{At: at, Journeys: 3, Err: errors.New(`touchprobe.toml: journey "checkout": step 2: selector "<b>" is not valid`), Restart: restart},
			status: http.StatusInternalServerError,
			answer: []string{"reload failed; the running configuration is unchanged:\n", `selector "<b>" is not valid`},
			page: []string{`id="reload-failed"`, "The last reload failed", "2026-03-01 12:00:05 UTC",
				`selector &#34;&lt;b&gt;&#34; is not valid`, `id="restart"`},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			var last *ReloadResult
			f.deps.Reload = func() ReloadResult { r := tc.res; last = &r; return r }
			f.deps.LastReload = func() (ReloadResult, bool) {
				if last == nil {
					return ReloadResult{}, false
				}
				return *last, true
			}
			h := New(f.deps)
			pages := []string{"/", "/journeys/" + url.PathEscape(plainJourney)}
			for _, p := range pages {
				if b := body(t, get(t, h, p)); strings.Contains(b, `id="reload-failed"`) || strings.Contains(b, `id="restart"`) {
					t.Errorf("%s before any reload speaks of one:\n%s", p, b)
				}
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/-/reload", nil))
			if rec.Code != tc.status {
				t.Errorf("POST /-/reload: %d, want %d", rec.Code, tc.status)
			}
			for _, want := range tc.answer {
				if !strings.Contains(rec.Body.String(), want) {
					t.Errorf("POST /-/reload answered %q, want it to hold %q", rec.Body.String(), want)
				}
			}
			for _, p := range pages {
				b := body(t, get(t, h, p))
				for _, want := range tc.page {
					if !strings.Contains(b, want) {
						t.Errorf("%s lacks %q", p, want)
					}
				}
				for _, unwanted := range tc.notPage {
					if strings.Contains(b, unwanted) {
						t.Errorf("%s holds %q", p, unwanted)
					}
				}
			}
		})
	}
}
