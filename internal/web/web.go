// Package web serves the agent's HTTP endpoints: metrics, health, reload and the status pages.
package web

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/touchprobe/touchprobe/config"
	"github.com/touchprobe/touchprobe/internal/maintenance"
	"github.com/touchprobe/touchprobe/internal/runs"
)

// ReloadResult is what a reload of the configuration did.
type ReloadResult struct {
	At time.Time
	// Err says why the reload failed, leaving the configuration in force
	// as it was; nil when the reload applied.
	Err error
	// Journeys is how many journeys the configuration in force has.
	Journeys int
	// Restart names the [browser] keys whose new values take effect only
	// when touchprobe restarts: those that differ from what the browser
	// was started with, after this reload or the last one that applied.
	Restart []string
}

// Deps is what the pages need from the agent.
type Deps struct {
	// Metrics serves /metrics.
	Metrics http.Handler
	Runs    *runs.Store
	Config  func() *config.Config
	Ready   func() bool
	// Reload loads the configuration again and says what it did;
	// LastReload says what the last reload did, false before the first.
	// LastReload may be nil.
	Reload     func() ReloadResult
	LastReload func() (ReloadResult, bool)
	// Maintenance lists the maintenance windows open now or soon;
	// StartMaintenance opens an ad hoc one. Either may be nil, when
	// there are none and none can be started.
	Maintenance      func() []maintenance.Occurrence
	StartMaintenance func(name, mode string, journeys []string, d time.Duration) (maintenance.Occurrence, error)
	// ExternalURL is how users reach the agent. Its path, if any, is the
	// prefix every route is served under, as Prometheus derives its route
	// prefix from --web.external-url.
	ExternalURL string
	Logger      *slog.Logger
}

// restartNote says that the [browser] keys changed and wait for a
// restart of touchprobe.
func restartNote(keys []string) string {
	return fmt.Sprintf("Changed in [browser]: %s. The browser runs with the values it started with until touchprobe restarts.", strings.Join(keys, ", "))
}

//go:embed templates/*.html
var templateFS embed.FS

var pages = template.Must(template.New("").Funcs(funcs).ParseFS(templateFS, "templates/*.html"))

// contentSecurityPolicy allows the pages nothing but their own inline CSS
// and images from the agent itself: they need no script, and nothing a
// captured page or journey name smuggles in can run or load.
const contentSecurityPolicy = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

type server struct {
	Deps
	mux *http.ServeMux
	// prefix is the escaped path of the external URL without its trailing
	// slash, "" when the agent is served at the root.
	prefix string
	// crossOrigin refuses what a page of another site makes a browser
	// send: a form posted to /-/maintenance or /-/reload from any page an
	// operator opens would otherwise mute every journey, with the
	// browser's saved basic-auth credentials. curl, Prometheus and deploy
	// pipelines send no Origin or Sec-Fetch-Site and pass.
	crossOrigin *http.CrossOriginProtection
}

// New returns the handler for every endpoint.
func New(d Deps) http.Handler {
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	s := &server{Deps: d, mux: http.NewServeMux(), prefix: routePrefix(d.ExternalURL), crossOrigin: http.NewCrossOriginProtection()}
	s.mux.Handle("GET /metrics", d.Metrics)
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
		res := d.Reload()
		if res.Err != nil {
			http.Error(w, "reload failed; the running configuration is unchanged:\n"+res.Err.Error(), http.StatusInternalServerError)
			return
		}
		fmt.Fprintf(w, "Reloaded: %d journeys in force.\n", res.Journeys)
		if len(res.Restart) > 0 {
			fmt.Fprintf(w, "%s\n", restartNote(res.Restart))
		}
	}
	s.mux.HandleFunc("POST /-/reload", reload)
	s.mux.HandleFunc("PUT /-/reload", reload)
	s.mux.HandleFunc("GET /-/maintenance", s.listMaintenance)
	s.mux.HandleFunc("POST /-/maintenance", s.startMaintenance)
	s.mux.HandleFunc("GET /{$}", s.index)
	s.mux.HandleFunc("GET /journeys/{journey}", s.journey)
	s.mux.HandleFunc("GET /journeys/{journey}/runs/{run}", s.run)
	s.mux.HandleFunc("GET /journeys/{journey}/runs/{run}/{file}", s.file)
	// Any other method on a known path is 405, as ServeMux would answer
	// without the catch-all below; every other path gets a page that
	// leads back.
	for path, allowed := range map[string]string{
		"/metrics": "GET, HEAD", "/-/healthy": "GET, HEAD", "/-/ready": "GET, HEAD", "/-/reload": "POST, PUT", "/-/maintenance": "GET, HEAD, POST",
		"/{$}": "GET, HEAD", "/journeys/{journey}": "GET, HEAD", "/journeys/{journey}/runs/{run}": "GET, HEAD",
		"/journeys/{journey}/runs/{run}/{file}": "GET, HEAD",
	} {
		s.mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Allow", allowed)
			http.Error(w, http.StatusText(http.StatusMethodNotAllowed), http.StatusMethodNotAllowed)
		})
	}
	s.mux.HandleFunc("/", s.notFound)
	return s
}

// routePrefix is the path of the external URL, escaped and without a
// trailing slash: "" for http://host:9747/, "/touchprobe" for
// http://host/touchprobe/.
func routePrefix(externalURL string) string {
	u, err := url.Parse(externalURL)
	if err != nil {
		return ""
	}
	return strings.TrimRight(u.EscapedPath(), "/")
}

// ServeHTTP serves every route under the external URL's path. A request
// without the prefix is served as well, so that a reverse proxy that strips
// the prefix before passing the request on works too.
func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Set("Referrer-Policy", "no-referrer")
	if err := s.crossOrigin.Check(r); err != nil {
		http.Error(w, "refused: a browser sent this "+r.Method+" from a page of another site (only GET and HEAD are served across sites)", http.StatusForbidden)
		return
	}
	p := r.URL.EscapedPath()
	rest := p
	switch {
	case s.prefix == "":
	case p == s.prefix:
		// The pages link relative to the root, which therefore needs its
		// trailing slash.
		http.Redirect(w, r, s.prefix+"/", http.StatusFound)
		return
	case strings.HasPrefix(p, s.prefix+"/"):
		// An external URL written with a trailing slash makes the alert
		// rules' links ".../touchprobe//journeys/x"; ServeMux would
		// redirect that out of the prefix.
		rest = "/" + strings.TrimLeft(strings.TrimPrefix(p, s.prefix), "/")
	}
	// ServeMux redirects a path it would clean ("//", "." or "..") to the
	// clean path without the prefix, and escapes its escapes again, so
	// that a journey named "a/b" would be sent to "a%252Fb". Clean it
	// here instead, as the external URL's path, with its escaping kept.
	if c := cleanPath(rest); c != rest && r.Method != http.MethodConnect {
		if r.URL.RawQuery != "" {
			c += "?" + r.URL.RawQuery
		}
		http.Redirect(w, r, s.prefix+c, http.StatusTemporaryRedirect)
		return
	}
	if rest != p {
		path, err := url.PathUnescape(rest)
		if err != nil {
			s.notFound(w, r)
			return
		}
		r2 := new(http.Request)
		*r2 = *r
		r2.URL = new(url.URL)
		*r2.URL = *r.URL
		r2.URL.Path, r2.URL.RawPath = path, rest
		r = r2
	}
	s.mux.ServeHTTP(w, r)
}

// cleanPath is the path without "." and ".." segments and doubled
// slashes, keeping a trailing slash, as ServeMux cleans it.
func cleanPath(p string) string {
	if p == "" || p[0] != '/' {
		p = "/" + p
	}
	c := path.Clean(p)
	if strings.HasSuffix(p, "/") && c != "/" {
		c += "/"
	}
	return c
}

func (s *server) render(w http.ResponseWriter, status int, name string, data any) {
	// Render into a buffer first, so that a template error is a clean 500
	// and not half a page.
	var buf bytes.Buffer
	if err := pages.ExecuteTemplate(&buf, name, data); err != nil {
		s.Logger.Error("rendering page", "page", name, "err", err)
		http.Error(w, "internal error while rendering the page; see the agent's log", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}
