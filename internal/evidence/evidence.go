// Package evidence keeps what a customer saw when a run failed or was slow: screenshot, HTML, console and network, under retention.
package evidence

import (
	"crypto/sha256"
	"encoding/hex"
	"path/filepath"
	"strings"
	"time"
)

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

// JourneyDir is the folder name of a journey's evidence: readable, safe on
// any file system, and distinct for names that differ only in characters the
// folder name cannot hold.
func JourneyDir(journey string) string {
	var b strings.Builder
	for _, r := range journey {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
		if b.Len() >= 48 {
			break
		}
	}
	sum := sha256.Sum256([]byte(journey))
	return strings.TrimLeft(b.String(), ".") + "-" + hex.EncodeToString(sum[:4])
}

// RunDir is the folder of one run's evidence under root.
func RunDir(root, journey, runID string) string {
	return filepath.Join(root, JourneyDir(journey), runID)
}
