// Package evidence keeps what a customer saw when a run failed or was slow: screenshot, HTML, console and network, under retention.
package evidence

import (
	"crypto/sha256"
	"encoding/hex"
	"path/filepath"
	"strings"

	"github.com/touchprobe/touchprobe/probes"
)

// The files of one run's folder, as probes names them. A run keeps only
// those it could capture.
const (
	ScreenshotFile = probes.ScreenshotFile
	HTMLFile       = probes.HTMLFile
	ConsoleFile    = probes.ConsoleFile
	HARFile        = probes.HARFile
	RunFile        = probes.RunFile
)

// ConsoleEntry is one console message or uncaught exception of a run.
type ConsoleEntry = probes.ConsoleEntry

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
