package probes

import "time"

// VitalsJS is the script that reads a page's timings as a run does,
// waiting up to patience for a paint to come.
func VitalsJS(patience time.Duration) string { return vitalsWaiting(patience) }
