// Package record is the line every tool of the benchmark reports one journey as: the floor prints it, the comparison reads it.
package record

// Journey is one journey as a tool reported it, printed as one JSON line.
// The k6 and Playwright scripts print the same fields; touchprobe's and
// blackbox_exporter's own output is turned into one.
type Journey struct {
	Tool      string  `json:"tool"`
	StartMS   int64   `json:"start_unix_ms"`
	JourneyMS float64 `json:"journey_ms"`
	Steps     []Step  `json:"steps"`
	Error     string  `json:"error,omitempty"`
}

// Step is one step's name and reported duration in milliseconds.
type Step struct {
	Name string  `json:"name"`
	MS   float64 `json:"ms"`
}
