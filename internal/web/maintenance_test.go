package web

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/touchprobe/touchprobe/config"
	"github.com/touchprobe/touchprobe/internal/maintenance"
)

func TestMaintenanceEndpoints(t *testing.T) {
	fx := newFixture(t)
	set := maintenance.NewSet()
	type call struct {
		name, mode string
		journeys   []string
		d          time.Duration
	}
	var calls []call
	fx.deps.Maintenance = func() []maintenance.Occurrence { return set.List(time.Now()) }
	fx.deps.StartMaintenance = func(name, mode string, journeys []string, d time.Duration) (maintenance.Occurrence, error) {
		calls = append(calls, call{name, mode, journeys, d})
		if slices.Contains(journeys, "nope") {
			return maintenance.Occurrence{}, errors.New(`unknown journey "nope"`)
		}
		return set.StartAdHoc(name, mode, journeys, d, time.Now())
	}
	h := New(fx.deps)
	post := func(form string) *http.Response {
		req := httptest.NewRequest("POST", "/-/maintenance", strings.NewReader(form))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Result()
	}

	tests := []struct {
		form   string
		status int
		want   string
		call   *call
	}{
		{"journeys=checkout&duration=15m", 200, `"mode": "mute"`, &call{"", "", []string{"checkout"}, 15 * time.Minute}},
		{"journeys=checkout,Checkout%20EU%2FNO%20%26%20more&journeys=x&duration=1h&mode=skip&name=deploy", 200, `"name": "deploy"`,
			&call{"deploy", "skip", []string{"checkout", spacedJourney, "x"}, time.Hour}},
		{"journeys=checkout", 400, "duration: required", nil},
		{"duration=soon", 400, "duration: invalid duration", nil},
		{"journeys=nope&duration=1m", 400, `unknown journey "nope"`, &call{"", "", []string{"nope"}, time.Minute}},
	}
	for _, tt := range tests {
		calls = nil
		resp := post(tt.form)
		page := body(t, resp)
		if resp.StatusCode != tt.status || !strings.Contains(page, tt.want) {
			t.Errorf("POST %s: %d %q, want %d with %q", tt.form, resp.StatusCode, page, tt.status, tt.want)
		}
		if tt.call != nil && (len(calls) != 1 || calls[0].name != tt.call.name || calls[0].mode != tt.call.mode || !slices.Equal(calls[0].journeys, tt.call.journeys) || calls[0].d != tt.call.d) {
			t.Errorf("POST %s: started %+v, want %+v", tt.form, calls, *tt.call)
		}
	}

	resp := get(t, h, "/-/maintenance")
	var list struct{ Windows []maintenance.Occurrence }
	if err := json.Unmarshal([]byte(body(t, resp)), &list); err != nil || len(list.Windows) != 2 {
		t.Fatalf("GET /-/maintenance: %v, %+v", err, list)
	}
	page := body(t, get(t, h, "/"))
	for _, want := range []string{`id="maintenance"`, "<strong>skip</strong> now", "deploy", "in maintenance (skip) until"} {
		if !strings.Contains(page, want) {
			t.Errorf("front page lacks %q", want)
		}
	}
	if resp := get(t, h, "/journeys/"+url.PathEscape(spacedJourney)); resp.StatusCode != 200 {
		t.Errorf("journey page: %d", resp.StatusCode)
	}
	req := httptest.NewRequest("DELETE", "/-/maintenance", nil)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusMethodNotAllowed || rec.Header().Get("Allow") != "GET, HEAD, POST" {
		t.Errorf("DELETE: %d, Allow %q", rec.Code, rec.Header().Get("Allow"))
	}
}

// A page of another site cannot make an operator's browser start a window
// or reload the configuration: the form it posts is refused, whatever
// credentials the browser holds. A deploy pipeline's curl sends no Origin
// and passes; a page of the agent itself passes too.
func TestCrossSitePostsAreRefused(t *testing.T) {
	fx := newFixture(t)
	started := 0
	fx.deps.StartMaintenance = func(name, mode string, journeys []string, d time.Duration) (maintenance.Occurrence, error) {
		started++
		return maintenance.Occurrence{}, nil
	}
	h := New(fx.deps)
	tests := []struct {
		name    string
		path    string
		headers map[string]string
		status  int
	}{
		{"maintenance, another site", "/-/maintenance", map[string]string{"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}, http.StatusForbidden},
		{"maintenance, another site, old browser", "/-/maintenance", map[string]string{"Origin": "https://evil.example"}, http.StatusForbidden},
		{"reload, another site", "/-/reload", map[string]string{"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}, http.StatusForbidden},
		{"maintenance, curl", "/-/maintenance", nil, http.StatusOK},
		{"maintenance, the agent's own page", "/-/maintenance", map[string]string{"Origin": "http://example.com", "Sec-Fetch-Site": "same-origin"}, http.StatusOK},
		{"reload, curl", "/-/reload", nil, http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			started = 0
			req := httptest.NewRequest("POST", tt.path, strings.NewReader("journeys=checkout&duration=15m"))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			for k, v := range tt.headers {
				req.Header.Set(k, v)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tt.status {
				t.Errorf("POST %s: %d %q, want %d", tt.path, rec.Code, rec.Body.String(), tt.status)
			}
			if tt.status == http.StatusForbidden && started != 0 {
				t.Errorf("a refused POST started %d windows", started)
			}
		})
	}
}

// A form over the limit is refused as too large, not as malformed, and
// starts nothing.
func TestMaintenanceFormTooLarge(t *testing.T) {
	fx := newFixture(t)
	started := 0
	fx.deps.StartMaintenance = func(name, mode string, journeys []string, d time.Duration) (maintenance.Occurrence, error) {
		started++
		return maintenance.Occurrence{}, nil
	}
	h := New(fx.deps)
	for _, tt := range []struct {
		form   string
		status int
	}{
		{"duration=1m&name=" + strings.Repeat("a", maxFormBytes), http.StatusRequestEntityTooLarge},
		{"duration=1m&%zz=1", http.StatusBadRequest},
	} {
		req := httptest.NewRequest("POST", "/-/maintenance", strings.NewReader(tt.form))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != tt.status {
			t.Errorf("POST of %d bytes: %d %q, want %d", len(tt.form), rec.Code, rec.Body.String(), tt.status)
		}
	}
	if started != 0 {
		t.Errorf("%d windows started", started)
	}
}

// A journey whose name holds a comma can be named: a value that names a
// configured journey whole is not split.
func TestMaintenanceJourneyNamedWithComma(t *testing.T) {
	fx := newFixture(t)
	cfg, err := config.Parse([]byte(`
[[journey]]
name = "Checkout, EU"
schedule = "@every 1m"

  [[journey.step]]
  name = "landing"
  action = "navigate"
  url = "http://127.0.0.1:1/"

[[journey]]
name = "search"
schedule = "@every 1m"

  [[journey.step]]
  name = "landing"
  action = "navigate"
  url = "http://127.0.0.1:1/"
`), "comma.toml")
	if err != nil {
		t.Fatal(err)
	}
	fx.deps.Config = func() *config.Config { return cfg }
	var got []string
	fx.deps.StartMaintenance = func(name, mode string, journeys []string, d time.Duration) (maintenance.Occurrence, error) {
		got = journeys
		return maintenance.Occurrence{Journeys: journeys}, nil
	}
	h := New(fx.deps)
	for _, tt := range []struct {
		form string
		want []string
	}{
		{"duration=1m&journeys=" + url.QueryEscape("Checkout, EU"), []string{"Checkout, EU"}},
		{"duration=1m&journeys=" + url.QueryEscape("Checkout, EU") + "&journeys=search", []string{"Checkout, EU", "search"}},
		{"duration=1m&journeys=" + url.QueryEscape(" Checkout, EU "), []string{"Checkout, EU"}},
		// Comma-separated names are still split.
		{"duration=1m&journeys=search,x", []string{"search", "x"}},
	} {
		got = nil
		req := httptest.NewRequest("POST", "/-/maintenance", strings.NewReader(tt.form))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 200 || !slices.Equal(got, tt.want) {
			t.Errorf("POST %s: %d, journeys %q, want %q", tt.form, rec.Code, got, tt.want)
		}
	}
}

// A window refused because too many are open is not the request's fault:
// it is answered 429, which a pipeline may retry, not 400.
func TestMaintenanceTooManyWindows(t *testing.T) {
	fx := newFixture(t)
	fx.deps.StartMaintenance = func(name, mode string, journeys []string, d time.Duration) (maintenance.Occurrence, error) {
		return maintenance.Occurrence{}, maintenance.ErrTooMany
	}
	req := httptest.NewRequest("POST", "/-/maintenance", strings.NewReader("duration=1m"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	New(fx.deps).ServeHTTP(rec, req)
	if rec.Code != http.StatusTooManyRequests || !strings.Contains(rec.Body.String(), maintenance.ErrTooMany.Error()) {
		t.Errorf("%d %q, want 429 saying why", rec.Code, rec.Body.String())
	}
}
