package web

import (
	"html/template"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/touchprobe/touchprobe/internal/evidence"
	"github.com/touchprobe/touchprobe/probes"
)

func get(t *testing.T, h http.Handler, target string) *http.Response {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil))
	return rec.Result()
}

func body(t *testing.T, resp *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// alertLink builds a journey's link as the alert rules do: urlquery, then
// "+" written as "%20" (dashboards/touchprobe.rules.yml, journey_url).
func alertLink(externalURL, journey string) string {
	return externalURL + "/journeys/" + strings.ReplaceAll(url.QueryEscape(journey), "+", "%20")
}

func TestPages(t *testing.T) {
	fx := newFixture(t)
	h := New(fx.deps)
	runPage := "/journeys/checkout/runs/" + failedRun
	tests := []struct {
		name   string
		target string
		status int
		want   []string
		reject []string
	}{
		{"front page", "/", 200,
			[]string{`href="journeys/checkout"`, `href="journeys/Checkout%20EU%2FNO%20&amp;%20more"`, `href="metrics"`, "location <strong>oslo</strong>", "failure", "http_status",
				`href="journeys/checkout/runs/` + failedRun + `"`, "<svg class=\"spark\"", "product page", "OVER BUDGET",
				// Each profile has its card, with its own last run.
				"profile desktop", "profile mobile-4g", `href="journeys/checkout/runs/` + mobileRun + `"`, "2.345s"},
			nil},
		{"journey page: each profile's steps and runs", "/journeys/checkout", 200,
			[]string{"profiles: desktop, mobile-4g", `under profile <span class="profile">desktop</span>`, `under profile <span class="profile">mobile-4g</span>`,
				"<td>mobile-4g</td>", `href="../journeys/checkout/runs/` + mobileRun + `"`, "5.000s"},
			nil},
		{"run page names its profile", "/journeys/checkout/runs/" + mobileRun, 200,
			[]string{`profile <strong class="profile">mobile-4g</strong>`, "run " + mobileRun + " (mobile-4g)"}, nil},
		{"journey page", "/journeys/checkout", 200,
			[]string{failedRun, slowRun, "http_status", "over budget", `href="../journeys/checkout/runs/` + failedRun + `"`, "product page", `href="../metrics"`, "steps: 1 · 11 recent runs kept"},
			nil},
		{"journey page of a name with space, slash and ampersand, as alerts link it", alertLink("", spacedJourney), 200,
			[]string{"<h2>Checkout EU/NO &amp; more</h2>", `href="../journeys/Checkout%20EU%2FNO%20&amp;%20more/runs/` + okRun + `"`},
			nil},
		{"run page", runPage, 200,
			[]string{"http_status", "answered 500 Internal Server Error &lt;b&gt;bold&lt;/b&gt;", `src="../../../journeys/checkout/runs/` + failedRun + `/screenshot.png"`,
				"at step 3, checkout", "Uncaught TypeError", "&lt;img src=x onerror=alert(1)&gt;", "shop.js:42", "1 warnings and 1 other messages",
				`href="../../../journeys/checkout/runs/` + failedRun + `/network.har" download`, `href="../../../journeys/checkout/runs/` + failedRun + `/page.html" download`,
				"/product/3", "4.020s", "0.012", "47.1 KiB", `class="waterfall"`, "ERR_NAME_NOT_RESOLVED", "The 15 slowest of 23 requests",
				`href="../../../journeys/checkout"`, `href="../../../metrics"`, "token &lt;secret&gt; rejected",
				// The click's INP and blocking time, and the script that blocked.
				"Interactions", "0.344s", "0.268s", "/static/&lt;recs&gt;.js", "showRecommendations()", "(A#product-3.onclick) 0.312s"},
			[]string{fixtureSecret, "product-0.svg"}},
		{"run page whose evidence expired", "/journeys/checkout/runs/" + slowRun, 200,
			[]string{"evidence expired", "over budget", "product page</strong> (4.100s of 3.000s)"},
			[]string{"<img"}},
		{"run page of a slow run that kept nothing", "/journeys/checkout/runs/oldera", 200,
			[]string{"kept no evidence: capturing it failed"}, nil},
		{"run page of a passing run", alertLink("", spacedJourney) + "/runs/" + okRun, 200,
			[]string{"kept no evidence: only runs that fail or go over budget"}, nil},
		{"unknown journey", "/journeys/nope", 404, []string{"No journey named &#34;nope&#34;", `href="../metrics"`}, nil},
		{"unknown run", "/journeys/checkout/runs/nope", 404, []string{"no recent run"}, nil},
		{"run of another journey", alertLink("", spacedJourney) + "/runs/" + failedRun, 404, []string{"no recent run"}, nil},
		{"unknown file", runPage + "/secrets.txt", 404, []string{"kept no file"}, nil},
		{"file the run did not keep", "/journeys/" + url.PathEscape(spacedJourney) + "/runs/" + okRun + "/screenshot.png", 404, []string{"kept no file"}, nil},
		{"unknown page", "/nope", 404, []string{"no page at this address"}, nil},
		{"trailing slash", "/journeys/checkout/", 404, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := get(t, h, tt.target)
			page := body(t, resp)
			if resp.StatusCode != tt.status {
				t.Fatalf("GET %s: %d, want %d\n%s", tt.target, resp.StatusCode, tt.status, page)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
				t.Errorf("Content-Type %q", ct)
			}
			for _, w := range tt.want {
				if !strings.Contains(page, w) {
					t.Errorf("GET %s: page lacks %q", tt.target, w)
				}
			}
			// The pages need no script, and none can be smuggled in.
			if strings.Contains(page, "<script") {
				t.Errorf("GET %s: the page has a script", tt.target)
			}
			for _, r := range tt.reject {
				if strings.Contains(page, r) {
					t.Errorf("GET %s: page shows %q", tt.target, r)
				}
			}
		})
	}
}

func TestMethods(t *testing.T) {
	fx := newFixture(t)
	h := New(fx.deps)
	for _, tt := range []struct {
		method, target string
		status         int
	}{
		{"GET", "/-/reload", 405},
		{"POST", "/-/reload", 200},
		{"POST", "/metrics", 405},
		{"DELETE", "/journeys/checkout", 405},
		{"HEAD", "/journeys/checkout", 200},
		{"POST", "/nope", 404},
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(tt.method, tt.target, nil))
		if rec.Code != tt.status {
			t.Errorf("%s %s: %d, want %d", tt.method, tt.target, rec.Code, tt.status)
		}
	}
}

func TestEvidenceFiles(t *testing.T) {
	fx := newFixture(t)
	h := New(fx.deps)
	base := "/journeys/checkout/runs/" + failedRun + "/"
	tests := []struct {
		file        string
		contentType string
		attachment  bool
	}{
		{evidence.ScreenshotFile, "image/png", false},
		{evidence.HARFile, "application/json", true},
		{evidence.HTMLFile, "text/html; charset=utf-8", true},
		{evidence.ConsoleFile, "application/json", true},
		{evidence.RunFile, "application/json", true},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			resp := get(t, h, base+tt.file)
			got := body(t, resp)
			if resp.StatusCode != 200 {
				t.Fatalf("%d: %s", resp.StatusCode, got)
			}
			want, _ := os.ReadFile(filepath.Join(fx.runDir, tt.file))
			if got != string(want) {
				t.Errorf("body differs from the file (%d bytes, want %d)", len(got), len(want))
			}
			if ct := resp.Header.Get("Content-Type"); ct != tt.contentType {
				t.Errorf("Content-Type %q, want %q", ct, tt.contentType)
			}
			cd := resp.Header.Get("Content-Disposition")
			if tt.attachment != strings.HasPrefix(cd, "attachment;") {
				t.Errorf("Content-Disposition %q, attachment wanted: %v", cd, tt.attachment)
			}
			if tt.attachment && !strings.Contains(cd, failedRun+"-"+tt.file) {
				t.Errorf("Content-Disposition %q does not name the run", cd)
			}
			if tt.attachment && !strings.HasPrefix(resp.Header.Get("Content-Security-Policy"), "sandbox") {
				t.Errorf("a download is not sandboxed: %q", resp.Header.Get("Content-Security-Policy"))
			}
			if resp.Header.Get("X-Content-Type-Options") != "nosniff" {
				t.Error("no nosniff")
			}
			// As every page, no evidence file may be framed by another site.
			if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") {
				t.Errorf("may be framed: Content-Security-Policy %q", csp)
			}
		})
	}
}

// Every response, pages and errors alike, forbids sniffing and scripts.
func TestSecurityHeaders(t *testing.T) {
	fx := newFixture(t)
	h := New(fx.deps)
	for _, target := range []string{"/", "/journeys/checkout", "/journeys/checkout/runs/" + failedRun, "/nope", "/journeys/x/runs/y/z", "/metrics"} {
		resp := get(t, h, target)
		if got := resp.Header.Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("%s: X-Content-Type-Options %q", target, got)
		}
		csp := resp.Header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "script-src") {
			t.Errorf("%s: Content-Security-Policy %q", target, csp)
		}
	}
}

// No request reaches a file outside the run's folder, whatever it encodes.
func TestPathTraversal(t *testing.T) {
	fx := newFixture(t)
	// A file next to the run folder that a traversal would reach.
	secret := filepath.Join(filepath.Dir(fx.runDir), "secret.txt")
	if err := os.WriteFile(secret, []byte("TRAVERSED"), 0o644); err != nil {
		t.Fatal(err)
	}
	h := New(fx.deps)
	run := "/journeys/checkout/runs/" + failedRun
	for _, target := range []string{
		run + "/..%2Fsecret.txt",
		run + "/%2E%2E%2Fsecret.txt",
		run + "/..%5Csecret.txt",
		"/journeys/checkout/runs/..%2F" + failedRun + "/screenshot.png",
		"/journeys/checkout/runs/" + failedRun + "%2F..%2F..%2Fsecret.txt/screenshot.png",
		"/journeys/..%2Fcheckout/runs/" + failedRun + "/screenshot.png",
		run + "/../../secret.txt",
		run + "/%00screenshot.png",
		run + "/screenshot.png%00",
		run + "/screenshot.png/",
	} {
		resp := get(t, h, target)
		page := body(t, resp)
		if resp.StatusCode == http.StatusOK || strings.Contains(page, "TRAVERSED") {
			t.Errorf("GET %s: %d %.80q", target, resp.StatusCode, page)
		}
	}
}

func TestHostileNamesAreEscaped(t *testing.T) {
	fx := newFixture(t)
	h := New(fx.deps)
	for _, target := range []string{"/", "/journeys/" + url.PathEscape(hostileJourney), "/journeys/" + url.PathEscape(hostileJourney) + "/runs/" + okRun} {
		resp := get(t, h, target)
		page := body(t, resp)
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s: %d", target, resp.StatusCode)
		}
		for _, raw := range []string{"<script", "<img src=x", "<i>x</i>"} {
			if strings.Contains(page, raw) {
				t.Errorf("GET %s: %q is not escaped", target, raw)
			}
		}
		if !strings.Contains(page, "&lt;script&gt;alert(&#34;name&#34;)&lt;/script&gt;") {
			t.Errorf("GET %s: the journey's name is not shown escaped", target)
		}
	}
}

// The link an alert carries leads to the journey's page, for every kind of
// name and whether or not the external URL has a path.
func TestAlertLinksResolve(t *testing.T) {
	for _, external := range []string{"http://probe-1.example:9747", "https://example.test/touchprobe", "https://example.test/ops/touch%20probe/"} {
		fx := newFixture(t)
		fx.deps.ExternalURL = external
		h := New(fx.deps)
		for _, journey := range []string{plainJourney, spacedJourney, hostileJourney} {
			link := alertLink(strings.TrimRight(external, "/"), journey)
			resp := get(t, h, link)
			page := body(t, resp)
			if resp.StatusCode != 200 {
				t.Errorf("alert link %s: %d", link, resp.StatusCode)
				continue
			}
			if want := "<h2>" + templateEscape(journey) + "</h2>"; !strings.Contains(page, want) {
				t.Errorf("alert link %s: page is not the journey's (no %q)", link, want)
			}
		}
	}
}

func templateEscape(s string) string { return template.HTMLEscapeString(s) }

var linkAttr = regexp.MustCompile(`(?:href|src)="([^"]*)"`)

// Every link of every page leads somewhere, served at the root and under a
// path prefix: the pages link relative to where they are.
func TestLinksResolve(t *testing.T) {
	for _, prefix := range []string{"", "/touchprobe"} {
		t.Run("prefix "+prefix, func(t *testing.T) {
			fx := newFixture(t)
			fx.deps.ExternalURL = "http://probe-1.example:9747" + prefix
			h := New(fx.deps)
			base, _ := url.Parse("http://probe-1.example:9747" + prefix + "/")
			seen := map[string]bool{}
			queue := []*url.URL{base}
			for len(queue) > 0 && len(seen) < 200 {
				u := queue[0]
				queue = queue[1:]
				if seen[u.String()] {
					continue
				}
				seen[u.String()] = true
				resp := get(t, h, u.RequestURI())
				page := body(t, resp)
				if resp.StatusCode != 200 {
					t.Errorf("%s: %d", u, resp.StatusCode)
					continue
				}
				if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
					continue
				}
				for _, m := range linkAttr.FindAllStringSubmatch(page, -1) {
					ref, err := url.Parse(strings.ReplaceAll(m[1], "&amp;", "&"))
					if err != nil {
						t.Errorf("%s links to %q: %v", u, m[1], err)
						continue
					}
					next := u.ResolveReference(ref)
					if next.Host != base.Host || !strings.HasPrefix(next.Path, base.Path) {
						t.Errorf("%s links to %q, outside the agent (%s)", u, m[1], next)
						continue
					}
					queue = append(queue, next)
				}
			}
			for _, want := range []string{"journeys/checkout/runs/" + failedRun + "/network.har", "journeys/Checkout%20EU%2FNO%20&%20more", "metrics"} {
				found := false
				for s := range seen {
					found = found || strings.HasSuffix(s, want)
				}
				if !found {
					t.Errorf("no page links to %s", want)
				}
			}
		})
	}
}

func TestRoutePrefix(t *testing.T) {
	fx := newFixture(t)
	fx.deps.ExternalURL = "https://example.test/touchprobe/"
	h := New(fx.deps)
	resp := get(t, h, "/touchprobe")
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "/touchprobe/" {
		t.Errorf("/touchprobe: %d to %q, want a redirect to /touchprobe/", resp.StatusCode, resp.Header.Get("Location"))
	}
	for _, target := range []string{"/touchprobe/", "/touchprobe/metrics", "/touchprobe/-/healthy", "/touchprobe/journeys/checkout",
		// A proxy that strips the prefix.
		"/", "/journeys/checkout"} {
		if resp := get(t, h, target); resp.StatusCode != 200 {
			t.Errorf("%s: %d", target, resp.StatusCode)
		}
	}
	// The journey_url the rule tests in dashboards/tests expect.
	resp = get(t, h, "https://ops.example/touchprobe/journeys/Checkout%20EU%2FNO%20%26%20more")
	if page := body(t, resp); resp.StatusCode != 200 || !strings.Contains(page, "<h2>Checkout EU/NO &amp; more</h2>") {
		t.Errorf("the alert rules' link: %d\n%s", resp.StatusCode, page)
	}
	// The rules join the external URL and "/journeys/" as they are.
	resp = get(t, h, alertLink(fx.deps.ExternalURL, plainJourney))
	if page := body(t, resp); resp.StatusCode != 200 || !strings.Contains(page, "<h2>checkout</h2>") {
		t.Errorf("link from an external URL with a trailing slash: %d\n%s", resp.StatusCode, page)
	}
	if resp := get(t, h, "/touchprobeX/"); resp.StatusCode != 404 {
		t.Errorf("/touchprobeX/: %d", resp.StatusCode)
	}
}

// Retention may remove a run's files at any moment; the pages say so.
func TestEvidenceExpires(t *testing.T) {
	fx := newFixture(t)
	h := New(fx.deps)
	if err := os.RemoveAll(fx.runDir); err != nil {
		t.Fatal(err)
	}
	run := "/journeys/checkout/runs/" + failedRun
	resp := get(t, h, run)
	page := body(t, resp)
	if resp.StatusCode != 200 || strings.Count(page, "evidence expired") != 8 || strings.Contains(page, "<img") {
		t.Errorf("run page without its files: %d\n%s", resp.StatusCode, page)
	}
	resp = get(t, h, run+"/screenshot.png")
	if page := body(t, resp); resp.StatusCode != 404 || !strings.Contains(page, "has expired") {
		t.Errorf("expired screenshot: %d\n%s", resp.StatusCode, page)
	}
}

func TestWaterfall(t *testing.T) {
	fx := newFixture(t)
	res := fx.store.Find(plainJourney, failedRun)
	wf, err := readWaterfall(res, func(s string) string { return s })
	if err != nil {
		t.Fatal(err)
	}
	if wf.Requests != 23 || len(wf.Rows) != waterfallRows {
		t.Fatalf("%d requests, %d rows; want 23 and %d", wf.Requests, len(wf.Rows), waterfallRows)
	}
	byURL := map[string]waterfallRow{}
	for i, r := range wf.Rows {
		byURL[r.URL] = r
		if i > 0 && r.StartMS < wf.Rows[i-1].StartMS {
			t.Errorf("row %d starts before the one above it", i)
		}
	}
	slow, ok := byURL["http://127.0.0.1:40501/product/3"]
	if !ok {
		t.Fatal("the slowest request is missing")
	}
	if slow.StartMS != 300 || len(slow.Segments) != 4 || slow.Segments[2].Phase != "wait" || slow.Segments[2].MS != 4020 {
		t.Errorf("slow request: start %v, segments %+v", slow.StartMS, slow.Segments)
	}
	tls := byURL["https://127.0.0.1:40502/widget?x=1&y=<b>"]
	var phases []string
	for _, s := range tls.Segments {
		phases = append(phases, s.Phase+"="+formatMS(s.MS))
	}
	// connect includes ssl in HAR; the bar shows them apart.
	if got := strings.Join(phases, " "); got != "blocked=0.5 dns=2 connect=6 ssl=14 send=0.2 wait=40 receive=2" {
		t.Errorf("TLS request phases: %s", got)
	}
	if failed := byURL["https://cdn.example.test/font.woff2"]; !failed.Failed || failed.Error != "net::ERR_NAME_NOT_RESOLVED" {
		t.Errorf("failed request: %+v", failed)
	}
	if byURL["http://127.0.0.1:40501/checkout"].Failed != true {
		t.Error("a 500 is not marked failed")
	}
	if _, ok := byURL["http://127.0.0.1:40501/static/img/product-0.svg"]; ok {
		t.Error("a fast request is among the slowest")
	}
}

func formatMS(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

func TestBadEvidence(t *testing.T) {
	fx := newFixture(t)
	h := New(fx.deps)
	os.WriteFile(filepath.Join(fx.runDir, evidence.HARFile), []byte(`{"log": {"entries": [{"startedDateTime": "yesterday"`), 0o644)
	os.WriteFile(filepath.Join(fx.runDir, evidence.ConsoleFile), []byte(`"not a list"`), 0o644)
	resp := get(t, h, "/journeys/checkout/runs/"+failedRun)
	page := body(t, resp)
	if resp.StatusCode != 200 || strings.Count(page, "could not be read") != 2 {
		t.Errorf("run page with broken evidence: %d\n%s", resp.StatusCode, page)
	}
	if strings.Contains(page, fx.runDir) {
		t.Error("the page shows the agent's folder")
	}
}

func TestStepRows(t *testing.T) {
	rows := stepRows([]probes.StepResult{
		{Status: probes.StepOK, Duration: 1500e6, Budget: 3e9},
		{Status: probes.StepOK, Duration: 9e9, Budget: 3e9},
		{Status: probes.StepFailed, Duration: 1e9, Budget: 3e9},
		{Status: probes.StepNotRun, Budget: 3e9},
	})
	want := []struct{ class, bar, budget string }{
		{"ok", "25.00", "50.00"},
		{"over", "100.00", "33.33"},
		{"fail", "16.67", "50.00"},
		{"notrun", "0", "50.00"},
	}
	for i, w := range want {
		if r := rows[i]; r.Class != w.class || r.BarPct != w.bar || r.BudgetPct != w.budget {
			t.Errorf("row %d: %s %s %s, want %+v", i, r.Class, r.BarPct, r.BudgetPct, w)
		}
	}
}

func TestRoutePrefixOf(t *testing.T) {
	for _, tt := range []struct{ external, want string }{
		{"", ""},
		{"http://probe-1:9747", ""},
		{"http://probe-1:9747/", ""},
		{"https://ops.example/touchprobe", "/touchprobe"},
		{"https://ops.example/touchprobe/", "/touchprobe"},
		{"https://ops.example/ops/touch%20probe/", "/ops/touch%20probe"},
		{"::not a url", ""},
	} {
		if got := routePrefix(tt.external); got != tt.want {
			t.Errorf("routePrefix(%q) = %q, want %q", tt.external, got, tt.want)
		}
	}
}

func TestRootOf(t *testing.T) {
	for path, want := range map[string]string{
		"/":                          "",
		"/nope":                      "",
		"/journeys/checkout":         "../",
		"/journeys/a%2Fb/runs/x":     "../../../",
		"/journeys/a%2Fb/runs/x/y/z": "../../../../../",
	} {
		if got := rootOf(path); got != want {
			t.Errorf("rootOf(%q) = %q, want %q", path, got, want)
		}
	}
}

// A symbolic link put into a run's folder in place of an evidence file is
// never followed: the agent serves no file from outside the folder.
func TestEvidenceSymlinkIsNotFollowed(t *testing.T) {
	fx := newFixture(t)
	h := New(fx.deps)
	outside := filepath.Join(t.TempDir(), "private.txt")
	if err := os.WriteFile(outside, []byte("not evidence"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{evidence.HARFile, evidence.ScreenshotFile} {
		path := filepath.Join(fx.runDir, name)
		if err := os.Remove(path); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(outside, path); err != nil {
			t.Fatal(err)
		}
		resp := get(t, h, "/journeys/checkout/runs/"+failedRun+"/"+name)
		if got := body(t, resp); resp.StatusCode == 200 || strings.Contains(got, "not evidence") {
			t.Errorf("%s, a link out of the folder: %d %q", name, resp.StatusCode, got)
		}
	}
}

// A path ServeMux would clean (a doubled slash, a "." or ".." segment) is
// redirected to its clean form under the external URL's path, with its
// escaping kept: a "/" inside a journey's name stays %2F.
func TestNonCanonicalPathsRedirectUnderThePrefix(t *testing.T) {
	spaced := url.PathEscape(spacedJourney)
	for _, tt := range []struct {
		external, target, location string
	}{
		{"https://example.test/touchprobe", "/touchprobe/journeys//checkout", "/touchprobe/journeys/checkout"},
		{"https://example.test/touchprobe", "/touchprobe/journeys/./checkout?x=1", "/touchprobe/journeys/checkout?x=1"},
		{"https://example.test/touchprobe", "/touchprobe/journeys/x/../checkout", "/touchprobe/journeys/checkout"},
		{"https://example.test/touchprobe", "/touchprobe/journeys//" + spaced, "/touchprobe/journeys/" + spaced},
		// Through a proxy that strips the prefix.
		{"https://example.test/touchprobe", "/journeys//checkout", "/touchprobe/journeys/checkout"},
		{"http://probe-1.example:9747", "/journeys//" + spaced, "/journeys/" + spaced},
		{"http://probe-1.example:9747", "/journeys/" + spaced + "/runs/./x", "/journeys/" + spaced + "/runs/x"},
	} {
		fx := newFixture(t)
		fx.deps.ExternalURL = tt.external
		h := New(fx.deps)
		resp := get(t, h, tt.target)
		loc := resp.Header.Get("Location")
		if resp.StatusCode/100 != 3 || loc != tt.location {
			t.Errorf("%s under %s: %d to %q, want a redirect to %q", tt.target, tt.external, resp.StatusCode, loc, tt.location)
			continue
		}
		if !strings.HasSuffix(tt.target, "/x") {
			if resp := get(t, h, loc); resp.StatusCode != 200 {
				t.Errorf("%s under %s: the redirect to %s answers %d", tt.target, tt.external, loc, resp.StatusCode)
			}
		}
	}
}
