package probes_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image"
	"image/draw"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/touchprobe/touchprobe/probes"
)

// TestEvidenceHidesSecretFieldsInShadowRootsAndFrames: a secret typed into
// a field inside an open shadow root, and into a field of a cross-origin
// iframe (a renderer and target of its own), shows as dots in the evidence
// screenshot, as it does in a field of the page.
//
// The test runs the same journey twice with two secrets of the same length
// and compares the screenshots pixel for pixel: dots of the same number
// look the same, the secrets' own letters do not. The pages hide the caret
// and have nothing that moves, so the two are the same wherever no secret
// shows, however loaded the machine.
func TestEvidenceHidesSecretFieldsInShadowRootsAndFrames(t *testing.T) {
	t.Parallel()
	const style = `<style>input { caret-color: transparent; font: 18px monospace; width: 320px; outline: none; }</style>`
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	// Another host name: Chromium runs the frame in a renderer of its own.
	frameURL := strings.Replace(srv.URL, "127.0.0.1", "localhost", 1) + "/frame"
	mux.HandleFunc("/page", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `<!doctype html><title>fields</title>%s
<div id="host"></div>
<script>document.getElementById("host").attachShadow({mode: "open"}).innerHTML = %q;</script>
<iframe id="widget" src=%q width="400" height="80"></iframe>`, style, style+`<input id="email">`, frameURL)
	})
	mux.HandleFunc("/frame", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `<!doctype html><title>widget</title>%s<input id="email">`, style)
	})

	cases := []struct{ name, step string }{
		{"open shadow root", `fields = { "#host >> #email" = "${file:%s}" }`},
		{"cross-origin frame", `frame = "#widget"
  fields = { "#email" = "${file:%s}" }`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			screenshotsHideSecret(t, srv.URL+"/page", tc.step)
		})
	}
}

// closedFieldsPage is a page whose text fields sit in closed shadow roots,
// which the page's scripts cannot look into: a custom element <secret-box>
// with a closed root that passes focus on to its field, and, next to a
// field of the page (#email), copies of what is typed there that the page
// keeps in closed roots of its own: one at the top, one inside an open
// root, one inside another closed root.
const closedFieldsPage = `<!doctype html><title>closed</title>
<style>input { caret-color: transparent; font: 18px monospace; width: 320px; outline: none; } secret-box { display: inline-block; }</style>
<input id="email"><br><secret-box id="box"></secret-box>
<div id="top"></div><div id="open"></div>
<script>
const style = document.querySelector("style").outerHTML;
customElements.define("secret-box", class extends HTMLElement {
  constructor() {
    super();
    this.attachShadow({mode: "closed", delegatesFocus: true}).innerHTML = style + '<input id="inner">';
  }
});
const closed = (host, html) => { const r = host.attachShadow({mode: "closed"}); r.innerHTML = style + html; return r; };
const atTop = closed(document.getElementById("top"), '<input>');
const inOpen = document.createElement("div");
document.getElementById("open").attachShadow({mode: "open"}).appendChild(inOpen);
const outer = closed(inOpen, '<input><div></div>');
const inner = closed(outer.querySelector("div"), '<input>');
const copies = [atTop, outer, inner].map(r => r.querySelector("input"));
document.getElementById("email").addEventListener("input", (e) => {
  for (const c of copies) c.value = e.target.value;
});
</script>`

// TestEvidenceHidesSecretFieldsInClosedShadowRoots: a secret in a field
// inside a closed shadow root, where the page's scripts cannot see it,
// shows as dots in the evidence screenshot: typed there through a custom
// element that passes focus on to it, or copied there by the page from a
// field the journey filled, in the page and in a cross-origin iframe.
// As in TestEvidenceHidesSecretFieldsInShadowRootsAndFrames, two runs with
// two secrets of the same length must give the same screenshot.
func TestEvidenceHidesSecretFieldsInClosedShadowRoots(t *testing.T) {
	t.Parallel()
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	frameURL := strings.Replace(srv.URL, "127.0.0.1", "localhost", 1) + "/fields"
	mux.HandleFunc("/fields", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, closedFieldsPage)
	})
	mux.HandleFunc("/page", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `<!doctype html><title>outer</title><iframe id="widget" src=%q width="400" height="240"></iframe>`, frameURL)
	})

	// The journey types the secret into #email, whence the page copies
	// it, and into the field of #box.
	const fill = `fields = { "#email" = "${file:%[2]s}", "#box" = "${file:%[2]s}" }`
	cases := []struct{ name, page, step string }{
		{"page", "/fields", fill},
		{"cross-origin frame", "/page", `frame = "#widget"
  ` + fill},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			screenshotsHideSecret(t, srv.URL+tc.page, tc.step)
		})
	}
}

// TestEvidenceHidesSecretFieldsInFramesTheJourneyNeverEntered: a secret
// the page posts to iframes of other origins, which show it in a field and
// in a field of a closed shadow root, shows as dots in the evidence
// screenshot, although no step entered the frames: one of another port of
// the same site runs in the page's renderer, so it is no target of its
// own, and the page's scripts cannot look into it; one of another site is
// a target of its own that the run never attached to.
func TestEvidenceHidesSecretFieldsInFramesTheJourneyNeverEntered(t *testing.T) {
	t.Parallel()
	frame := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<!doctype html><title>widget</title>
<style>input { caret-color: transparent; font: 18px monospace; width: 320px; outline: none; }</style>
<input id="shown"><div id="host"></div>
<script>const root = document.getElementById("host").attachShadow({mode: "closed"});
root.innerHTML = document.querySelector("style").outerHTML + "<input>";
addEventListener("message", (e) => {
  document.getElementById("shown").value = e.data;
  root.querySelector("input").value = e.data;
});</script>`)
	}))
	t.Cleanup(frame.Close)
	sameSite := frame.URL + "/frame"
	otherSite := strings.Replace(frame.URL, "127.0.0.1", "localhost", 1) + "/frame"
	page := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `<!doctype html><title>fields</title>
<style>input { caret-color: transparent; font: 18px monospace; width: 320px; outline: none; }</style>
<input id="email"><br>
<iframe src=%q width="400" height="100"></iframe><iframe src=%q width="400" height="100"></iframe>
<script>document.getElementById("email").addEventListener("input", (e) => {
  for (const f of document.querySelectorAll("iframe")) f.contentWindow.postMessage(e.target.value, "*");
});</script>`, sameSite, otherSite)
	}))
	t.Cleanup(page.Close)

	screenshotsHideSecret(t, page.URL, `fields = { "#email" = "${file:%s}" }`)
}

// screenshotsHideSecret runs a journey that fills page with fill (see
// typeSecretThenFail) twice, with two different secrets, and fails t
// unless both runs kept the same screenshot: a secret that showed would
// make them differ.
func screenshotsHideSecret(t *testing.T, page, fill string) {
	t.Helper()
	dir := t.TempDir()
	shot := func(secret string) image.Image {
		t.Helper()
		c := typeSecretThenFail(t, page, fill, filepath.Join(dir, secret), secret)
		if len(c.Screenshot) == 0 {
			t.Fatal("no screenshot kept")
		}
		img, err := png.Decode(bytes.NewReader(c.Screenshot))
		if err != nil {
			t.Fatalf("screenshot: %v", err)
		}
		return img
	}
	a, b := shot("alpha-AAAA-1111"), shot("omega-WWWW-9999")
	if !samePixels(a, b) {
		// Where they differ tells a secret (a field's box) from a frame
		// that had not drawn yet; the two crops show which.
		d := diffBounds(a, b)
		t.Errorf("the screenshots of two runs that typed different secrets differ, within %v: a secret shows in at least one of them\nfirst, as a base64 PNG: %s\nsecond: %s",
			d, pngBase64(t, a, d), pngBase64(t, b, d))
	}
}

func toRGBA(m image.Image) *image.RGBA {
	out := image.NewRGBA(m.Bounds())
	draw.Draw(out, out.Bounds(), m, m.Bounds().Min, draw.Src)
	return out
}

// samePixels reports whether a and b show the same image.
func samePixels(a, b image.Image) bool {
	if a.Bounds() != b.Bounds() {
		return false
	}
	return bytes.Equal(toRGBA(a).Pix, toRGBA(b).Pix)
}

// diffBounds is the smallest rectangle holding every pixel in which a and
// b differ, or the union of their bounds when those differ.
func diffBounds(a, b image.Image) image.Rectangle {
	if a.Bounds() != b.Bounds() {
		return a.Bounds().Union(b.Bounds())
	}
	ra, rb := toRGBA(a), toRGBA(b)
	var d image.Rectangle
	for y := ra.Rect.Min.Y; y < ra.Rect.Max.Y; y++ {
		for x := ra.Rect.Min.X; x < ra.Rect.Max.X; x++ {
			if ra.RGBAAt(x, y) != rb.RGBAAt(x, y) {
				d = d.Union(image.Rect(x, y, x+1, y+1))
			}
		}
	}
	return d
}

// pngBase64 is the part r of m, as a base64 PNG for a failure's log.
func pngBase64(t *testing.T, m image.Image, r image.Rectangle) string {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, toRGBA(m).SubImage(r.Intersect(m.Bounds()))); err != nil {
		return "(" + err.Error() + ")"
	}
	return base64.StdEncoding.EncodeToString(buf.Bytes())
}

// TestEvidenceWithoutScreenshotWhenSecretFieldStaysShown: when a field
// holding a secret cannot be hidden, the run keeps no screenshot rather
// than one showing the secret, and run.json says why. Here a script breaks
// the lookup of the fields once typed into: that of a cross-origin
// frame's document, or that of the closed shadow root where the page
// copies what is typed. Likewise when a cross-origin frame, whose renderer
// draws its own pixels, does not show that it drew its fields as dots
// before the screenshot: the screenshot would show the frame as it last
// drew it, secret and all. Here its script keeps it from saying so.
func TestEvidenceWithoutScreenshotWhenSecretFieldStaysShown(t *testing.T) {
	t.Parallel()
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	frameURL := strings.Replace(srv.URL, "127.0.0.1", "localhost", 1) + "/frame"
	mux.HandleFunc("/page", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `<!doctype html><title>fields</title><iframe id="widget" src=%q width="400" height="80"></iframe>`, frameURL)
	})
	mux.HandleFunc("/frame", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<!doctype html><title>widget</title><input id="email">
<script>document.getElementById("email").addEventListener("input", () => {
  Document.prototype.querySelectorAll = () => { throw new Error("no fields here"); };
});</script>`)
	})
	mux.HandleFunc("/silent", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `<!doctype html><title>fields</title><iframe id="widget" src=%q width="400" height="80"></iframe>`, frameURL+"-silent")
	})
	mux.HandleFunc("/frame-silent", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<!doctype html><title>widget</title><input id="email">
<script>document.getElementById("email").addEventListener("input", () => {
  window.requestAnimationFrame = () => 0;
});</script>`)
	})
	mux.HandleFunc("/closed", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<!doctype html><title>closed</title><input id="email"><div id="copy"></div>
<script>const root = document.getElementById("copy").attachShadow({mode: "closed"});
root.innerHTML = "<input>";
document.getElementById("email").addEventListener("input", (e) => {
  root.querySelector("input").value = e.target.value;
  ShadowRoot.prototype.querySelectorAll = () => { throw new Error("no fields here"); };
});</script>`)
	})

	cases := []struct{ name, page, step string }{
		{"cross-origin frame", "/page", `frame = "#widget"
  fields = { "#email" = "${file:%s}" }`},
		{"closed shadow root", "/closed", `fields = { "#email" = "${file:%s}" }`},
		{"cross-origin frame that does not show it drew", "/silent", `frame = "#widget"
  fields = { "#email" = "${file:%s}" }`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			const secret = "kappa-KKKK-5555"
			c := typeSecretThenFail(t, srv.URL+tc.page, tc.step, filepath.Join(t.TempDir(), "secret"), secret)
			if len(c.Screenshot) > 0 {
				t.Errorf("a screenshot was kept although the field holding the secret could not be hidden")
			}
			if len(c.HTML) == 0 {
				t.Errorf("no page.html kept")
			}
			var summary probes.RunSummary
			if err := json.Unmarshal(c.Files()[probes.RunFile], &summary); err != nil {
				t.Fatalf("run.json: %v", err)
			}
			if !slices.ContainsFunc(summary.Notes, func(n string) bool { return strings.Contains(n, "no screenshot") }) {
				t.Errorf("run.json does not say why there is no screenshot: notes %q", summary.Notes)
			}
		})
	}
}

// typeSecretThenFail writes secret to the file path, runs a journey that
// opens page, fills with fill (the step's keys after its action, with %s,
// or %[2]s each time, where the file goes) and then fails waiting for an
// element, and returns the run's evidence. It fails the test unless the
// run failed at that wait, kept evidence, and no file of it holds the
// secret.
func typeSecretThenFail(t *testing.T, page, fill, path, secret string) *kept {
	t.Helper()
	if err := os.WriteFile(path, []byte(secret), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := parse(t, fmt.Sprintf(`[[journey]]
name = "fields"
timeout = "60s"
  [[journey.step]]
  name = "open"
  action = "navigate"
  url = %q
  [[journey.step]]
  name = "type"
  action = "fill"
  `+fill+`
  [[journey.step]]
  name = "never"
  action = "wait"
  selector = "#never"
  timeout = "2s"
`, page, path))
	r, c := runCapturing(t, cfg, "fields")
	if r.FailedStep != "never" || r.Reason != probes.ReasonSelector {
		t.Fatalf("want a selector failure at the step after typing:\n%s", describe(r))
	}
	if c == nil {
		t.Fatalf("no evidence kept:\n%s", describe(r))
	}
	for name, b := range c.Files() {
		if bytes.Contains(b, []byte(secret)) {
			t.Errorf("%s holds the secret", name)
		}
	}
	return c
}
