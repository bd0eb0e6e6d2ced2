// Package version identifies the touchprobe build.
package version

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// Set at link time with -ldflags "-X github.com/touchprobe/touchprobe/internal/version.Version=…".
var (
	Version  = "dev"
	Revision = "unknown"
)

func init() {
	// A plain "go build" or "go install" leaves the ldflags unset, but the
	// toolchain still records what it built from; use that rather than
	// reporting nothing.
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return
	}
	if Version == "dev" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		Version = bi.Main.Version
	}
	if Revision != "unknown" {
		return
	}
	var rev string
	var dirty bool
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev == "" {
		return
	}
	if dirty {
		// A binary built from uncommitted changes must not claim to be
		// that commit.
		rev += "-dirty"
	}
	Revision = rev
}

// GoVersion is the Go release the binary was built with.
func GoVersion() string {
	return runtime.Version()
}

// Info is the one-line identity printed by --version and logged at start.
func Info() string {
	return fmt.Sprintf("touchprobe, version %s (revision: %s) %s", Version, Revision, GoVersion())
}
