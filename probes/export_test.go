package probes

import "fmt"

// VitalsJS is vitalsJS with the given patience in milliseconds, for tests
// that read a page's timings as a run does.
func VitalsJS(patienceMS int) string { return fmt.Sprintf(vitalsJS, patienceMS) }
