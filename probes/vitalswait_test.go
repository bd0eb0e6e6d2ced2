package probes_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/touchprobe/touchprobe/probes"
)

// TestTimingsReadWaitsOnlyForAPaintThatComes: reading a page's timings
// waits for its first contentful paint only where one will come. A page
// whose only content is an empty form field or a blank canvas never gets
// one; with a patience far longer than the test's bound, the read must
// return without it. (A drawing of shapes gets one in some runs and not
// in others: it is not waited for.) A page with content, text in a field
// say, gets one, and the read reports it.
func TestTimingsReadWaitsOnlyForAPaintThatComes(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, body string
		// content: the page paints content, which the read reports.
		content bool
	}{
		{"empty field", `<input>`, false},
		{"empty fields and a select without options", `<input><textarea></textarea><select></select><input type="checkbox">`, false},
		{"blank canvas", `<canvas width="50" height="50"></canvas>`, false},
		{"button without text", `<button></button>`, false},
		{"field with a value", `<input value="Oslo">`, true},
		{"field with a placeholder", `<input placeholder="Where to?">`, true},
		{"button with text", `<button>Buy</button>`, true},
		{"text", `<p>Gear for the northern light</p>`, true},
		{"select with a choice", `<select><option>Oslo</option></select>`, true},
		{"submit button", `<input type="submit">`, true},
		{"drawing with text", `<svg width="90" height="50"><text x="5" y="30">Nordlys</text></svg>`, true},
		{"drawing of shapes", `<svg width="50" height="50"><rect width="50" height="50" fill="navy"/></svg>`, false},
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for _, c := range cases {
			if r.URL.Query().Get("case") == c.name {
				fmt.Fprintf(w, `<!doctype html><title>t</title>%s`, c.body)
				return
			}
		}
		http.NotFound(w, r)
	}))
	t.Cleanup(srv.Close)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			tab, closeTab, err := shared.Tab(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer closeTab()
			if err := chromedp.Do(tab, chromedp.Navigate(srv.URL+"/?case="+c.name)); err != nil {
				t.Fatal(err)
			}
			// A patience of two minutes: a read that waits for a
			// paint that never comes outlasts the test's bound.
			got, err := chromedp.Run(tab, chromedp.Evaluate[map[string]any](probes.VitalsJS(2*time.Minute), chromedp.EvalAwaitPromise))
			if err != nil {
				t.Fatalf("reading the timings of a page with %s: %v (it waited for a paint that never came)", c.name, err)
			}
			if fcp, _ := got["fcp"].(float64); c.content && fcp <= 0 {
				t.Errorf("page with %s: no first contentful paint reported", c.name)
			}
		})
	}
}
