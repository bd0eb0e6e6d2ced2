package config

import (
	"fmt"
	"slices"
	"strings"
)

// ReservedLabelNames are the label names a journey's own labels must not
// use: every label touchprobe's metrics set, those of histograms and
// summaries (le, quantile), and the target labels Prometheus attaches on
// scrape (instance, job). Names starting with "__" are reserved too; see
// LabelNameProblem. The metrics package tests that every label it sets is
// listed here.
var ReservedLabelNames = []string{
	"location", "journey", "profile", "step", "touchpoint", "reason", "result", "timing",
	"external_url", "index", "count", "version", "revision", "goversion",
	"le", "quantile", "instance", "job",
}

// LabelNameProblem says why name cannot be a journey's label name, with
// what to write instead, or "".
func LabelNameProblem(name string) string {
	switch {
	case !validLabelName(name):
		return fmt.Sprintf("invalid label name %q: write letters, digits and underscores, not starting with a digit", name)
	case strings.HasPrefix(name, "__"):
		return fmt.Sprintf("label name %q starts with \"__\", which Prometheus reserves for itself: rename it", name)
	case slices.Contains(ReservedLabelNames, name):
		return fmt.Sprintf("label name %q is reserved: touchprobe or Prometheus sets it on touchprobe's metrics; rename it, such as \"site\" (reserved: %s)", name, strings.Join(ReservedLabelNames, ", "))
	}
	return ""
}

// validLabelName reports whether s is a Prometheus label name in the
// legacy syntax: a UTF-8 label name would force every consumer of the
// metrics onto the newer exposition and query syntax.
func validLabelName(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		switch {
		case r == '_', r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z':
		case r >= '0' && r <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}
