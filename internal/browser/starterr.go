package browser

import (
	"regexp"
	"strings"

	"github.com/touchprobe/touchprobe/config"
)

// chromedp reports a browser that exits before it listens as this prefix
// followed by everything the browser printed.
const startFailurePrefix = "chrome failed to start:"

// startOutput returns what the browser printed before it exited at start.
func startOutput(err error) (string, bool) {
	msg := err.Error()
	i := strings.Index(msg, startFailurePrefix)
	if i < 0 {
		return "", false
	}
	return strings.TrimSpace(msg[i+len(startFailurePrefix):]), true
}

// logPrefix is Chromium's own log line header:
// [pid:tid:MMDD/HHMMSS.micros:LEVEL:file.cc(line)] .
var logPrefix = regexp.MustCompile(`^\[[0-9:/.]+:(?:[A-Z]+|VERBOSE\d*):[^\]]*\]\s*`)

// maxReasonLen keeps a start failure short enough to read in a run's
// message and on a status page.
const maxReasonLen = 200

// startReason picks the line of a failed start's output that says why: the
// last fatal line, else the last error, else the last line at all. Wrapper
// scripts and Chromium print much that is noise (warnings about D-Bus,
// crash reporters, fonts) before the line that matters.
func startReason(output string) string {
	var lastFatal, lastError, last string
	for _, line := range strings.Split(output, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		level := ""
		if m := logPrefix.FindString(line); m != "" {
			parts := strings.Split(strings.Trim(m, "[] "), ":")
			if len(parts) >= 4 {
				level = parts[3]
			}
			line = strings.TrimSpace(line[len(m):])
			if line == "" {
				continue
			}
		}
		switch {
		case level == "FATAL" || strings.Contains(line, "FATAL"):
			lastFatal = line
		case level == "ERROR" || strings.HasPrefix(strings.ToLower(line), "error"):
			lastError = line
		}
		if level != "WARNING" && level != "INFO" && level != "VERBOSE1" {
			last = line
		}
	}
	reason := lastFatal
	if reason == "" {
		reason = lastError
	}
	if reason == "" {
		reason = last
	}
	if reason == "" {
		return "no output"
	}
	return config.TruncateRunes(reason, maxReasonLen)
}
