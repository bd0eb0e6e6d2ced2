// The evidence a run keeps: the names of its files and the formats of the
// console messages and the HAR, as probes writes them and as viewers read them.

package probes

import "time"

// The files of one run's folder. A run keeps only those it could capture.
const (
	ScreenshotFile = "screenshot.png" // full page, at the failing or slowest step
	HTMLFile       = "page.html"      // the page's DOM at that moment
	ConsoleFile    = "console.json"   // []ConsoleEntry, in the order they happened
	HARFile        = "network.har"    // HAR 1.2 of the whole run
)

// ConsoleEntry is one console message or uncaught exception of a run.
type ConsoleEntry struct {
	Time time.Time `json:"time"`
	// Level is "error", "warning", "info", "log", "debug" or "exception"
	// (an uncaught JavaScript exception).
	Level string `json:"level"`
	Text  string `json:"text"`
	URL   string `json:"url,omitempty"`
	Line  int    `json:"line,omitempty"`
	// Step is the name of the step that was running.
	Step string `json:"step,omitempty"`
}
