package agent

import (
	"log/slog"

	"github.com/touchprobe/touchprobe/config"
	"github.com/touchprobe/touchprobe/internal/browser"
	"github.com/touchprobe/touchprobe/internal/version"
	"github.com/touchprobe/touchprobe/probes"
)

// BrowserOptions are the options of the browser that runs cfg's journeys,
// for the daemon and for once alike: cfg's [browser] path and flags, the
// path replaced by pathFlag (--browser.path) when that is set, and dir for
// the profile (--browser.dir).
func BrowserOptions(cfg *config.Config, pathFlag, dir string, logger *slog.Logger) browser.Options {
	path := cfg.Browser.Path
	if pathFlag != "" {
		path = pathFlag
	}
	return browser.Options{Path: path, ExtraFlags: cfg.Browser.ExtraFlags, Dir: dir, Logger: logger}
}

// NewProber returns the prober that runs journeys in b, for the daemon and
// for once alike; its HARs name this build of touchprobe.
func NewProber(b probes.Browser, logger *slog.Logger) *probes.Prober {
	return &probes.Prober{Browser: b, Logger: logger, Version: version.Version}
}
