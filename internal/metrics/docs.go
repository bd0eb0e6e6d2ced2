package metrics

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/touchprobe/touchprobe/config"
)

// Doc describes one metric touchprobe exposes, for the README and for tests
// that check every exposed metric is documented.
type Doc struct {
	Name string
	// Type is "counter", "gauge" or "histogram".
	Type string
	// Labels are the fixed label names, in the order they are documented.
	Labels []string
	Help   string
	// JourneyLabels says whether each series also carries the journey's own
	// configured labels.
	JourneyLabels bool
}

const (
	typeCounter   = "counter"
	typeGauge     = "gauge"
	typeHistogram = "histogram"
)

// def is a Doc that the collector builds series from, so that what is
// documented and what is exposed cannot drift apart.
type def Doc

var (
	stepDurationSeconds = &def{
		Name: "touchprobe_step_duration_seconds", Type: typeHistogram,
		Labels: []string{"location", "journey", "profile", "step", "touchpoint"}, JourneyLabels: true,
		Help: "Duration of completed steps as a customer felt it. Every step also has a bucket at its own budget.",
	}
	stepLastDurationSeconds = &def{
		Name: "touchprobe_step_last_duration_seconds", Type: typeGauge,
		Labels: []string{"location", "journey", "profile", "step", "touchpoint"}, JourneyLabels: true,
		Help: "Duration of the last completed run of the step.",
	}
	stepBudgetSeconds = &def{
		Name: "touchprobe_step_budget_seconds", Type: typeGauge,
		Labels: []string{"location", "journey", "profile", "step", "touchpoint"}, JourneyLabels: true,
		Help: "Configured duration budget of the step.",
	}
	stepOverBudgetTotal = &def{
		Name: "touchprobe_step_over_budget_total", Type: typeCounter,
		Labels: []string{"location", "journey", "profile", "step", "touchpoint"}, JourneyLabels: true,
		Help: "Completed runs of the step that took longer than its budget.",
	}
	stepConsecutiveOverBudgetRuns = &def{
		Name: "touchprobe_step_consecutive_over_budget_runs", Type: typeGauge,
		Labels: []string{"location", "journey", "profile", "step", "touchpoint"}, JourneyLabels: true,
		Help: "Completed runs of the step in a row, up to the last, that took longer than its budget; a run within budget resets it. Alerts count runs with it, whatever the schedule.",
	}
	stepConsecutiveFailedRuns = &def{
		Name: "touchprobe_step_consecutive_failed_runs", Type: typeGauge,
		Labels: []string{"location", "journey", "profile", "step", "touchpoint"}, JourneyLabels: true,
		Help: "Runs in a row, up to the last, in which the site failed at this step; completing the step resets it. Runs the agent could not measure do not count.",
	}
	stepSuccess = &def{
		Name: "touchprobe_step_success", Type: typeGauge,
		Labels: []string{"location", "journey", "profile", "step", "touchpoint"}, JourneyLabels: true,
		Help: "Whether the step completed in the journey's last run (1) or failed or did not run (0). A skipped optional step counts as completed.",
	}
	journeySuccess = &def{
		Name: "touchprobe_journey_success", Type: typeGauge,
		Labels: []string{"location", "journey", "profile"}, JourneyLabels: true,
		Help: "Whether the journey's last run succeeded (1) or not (0).",
	}
	journeyDurationSeconds = &def{
		Name: "touchprobe_journey_duration_seconds", Type: typeHistogram,
		Labels: []string{"location", "journey", "profile"}, JourneyLabels: true,
		Help: "Duration of successful journey runs.",
	}
	journeyRunsTotal = &def{
		Name: "touchprobe_journey_runs_total", Type: typeCounter,
		Labels: []string{"location", "journey", "profile", "result"}, JourneyLabels: true,
		Help: "Journey runs by result: success, flaky (failed, then passed when retried), failure (the site failed), error (the agent could not measure) or skipped (the previous run still ran).",
	}
	journeyAttemptsTotal = &def{
		Name: "touchprobe_journey_attempts_total", Type: typeCounter,
		Labels: []string{"location", "journey", "profile", "result"}, JourneyLabels: true,
		Help: "Attempts of journey runs by result (success, failure or error): a run retried after a failure counts one attempt more than one run.",
	}
	journeyMuted = &def{
		Name: "touchprobe_journey_muted", Type: typeGauge,
		Labels: []string{"location", "journey", "profile"}, JourneyLabels: true,
		Help: "Whether a maintenance window (mute or skip) covers the journey now (1) or not (0); the shipped alert rules hold pages while it is 1.",
	}
	journeyFailuresTotal = &def{
		Name: "touchprobe_journey_failures_total", Type: typeCounter,
		Labels: []string{"location", "journey", "profile", "step", "reason"}, JourneyLabels: true,
		Help: "Journey runs that did not succeed, by the step that failed and the reason.",
	}
	journeyLastRunTimestampSeconds = &def{
		Name: "touchprobe_journey_last_run_timestamp_seconds", Type: typeGauge,
		Labels: []string{"location", "journey", "profile"}, JourneyLabels: true,
		Help: "Unix time at which the journey's last run ended.",
	}
	journeyIntervalSeconds = &def{
		Name: "touchprobe_journey_interval_seconds", Type: typeGauge,
		Labels: []string{"location", "journey", "profile"}, JourneyLabels: true,
		Help: "Longest period between two scheduled runs of the journey, so that alerts can tell a stale last run from a quiet schedule.",
	}
	journeyOverBudget = &def{
		Name: "touchprobe_journey_over_budget", Type: typeGauge,
		Labels: []string{"location", "journey", "profile"}, JourneyLabels: true,
		Help: "Whether any step of the journey's last run took longer than its budget.",
	}
	pageTimingSeconds = &def{
		Name: "touchprobe_page_timing_seconds", Type: typeGauge,
		Labels: []string{"location", "journey", "profile", "step", "timing"}, JourneyLabels: true,
		Help: "Timing the browser reported for the step: of the page it last landed on, ttfb, dom_content_loaded, load, fcp or lcp; of how the page responded to its input (click, fill, press, select, chat), inp (Interaction to Next Paint, the longest interaction) and tbt (total blocking time: of each long task, the part over 50 ms).",
	}
	pageCLS = &def{
		Name: "touchprobe_page_cls", Type: typeGauge,
		Labels: []string{"location", "journey", "profile", "step"}, JourneyLabels: true,
		Help: "Cumulative layout shift of the page the step last landed on.",
	}
	pageTransferBytes = &def{
		Name: "touchprobe_page_transfer_bytes", Type: typeGauge,
		Labels: []string{"location", "journey", "profile", "step"}, JourneyLabels: true,
		Help: "Bytes transferred to load the page the step last landed on.",
	}
	pageRequests = &def{
		Name: "touchprobe_page_requests", Type: typeGauge,
		Labels: []string{"location", "journey", "profile", "step"}, JourneyLabels: true,
		Help: "Requests made to load the page the step last landed on.",
	}
	scheduleLagSeconds = &def{
		Name: "touchprobe_schedule_lag_seconds", Type: typeGauge,
		Labels: []string{"location", "journey", "profile"}, JourneyLabels: true,
		Help: "How late the journey's last run started against its schedule, including time spent waiting for a concurrency slot.",
	}
	browserRestartsTotal = &def{
		Name: "touchprobe_browser_restarts_total", Type: typeCounter,
		Labels: []string{"location"},
		Help:   "Times the agent restarted Chromium.",
	}
	browserUp = &def{
		Name: "touchprobe_browser_up", Type: typeGauge,
		Labels: []string{"location"},
		Help:   "Whether Chromium is running (1) or not (0).",
	}
	configLastReloadSuccessful = &def{
		Name: "touchprobe_config_last_reload_successful", Type: typeGauge,
		Labels: []string{"location"},
		Help:   "Whether the last configuration reload succeeded (1) or not (0).",
	}
	configLastReloadSuccessTimestampSeconds = &def{
		Name: "touchprobe_config_last_reload_success_timestamp_seconds", Type: typeGauge,
		Labels: []string{"location"},
		Help:   "Unix time of the last successful configuration reload.",
	}
	artifactsBytes = &def{
		Name: "touchprobe_artifacts_bytes", Type: typeGauge,
		Labels: []string{"location"},
		Help:   "Bytes of evidence of failed and slow runs kept in artifacts_dir.",
	}
	artifactsRuns = &def{
		Name: "touchprobe_artifacts_runs", Type: typeGauge,
		Labels: []string{"location"},
		Help:   "Runs whose evidence is kept in artifacts_dir; 0 when evidence is not kept.",
	}
	agentInfo = &def{
		Name: "touchprobe_agent_info", Type: typeGauge,
		Labels: []string{"location", "external_url"},
		Help:   "A metric with a constant '1' value labeled by the URL under which the agent is reached, for links in alerts.",
	}
	shardInfo = &def{
		Name: "touchprobe_shard_info", Type: typeGauge,
		Labels: []string{"index", "count"},
		Help:   "A metric with a constant '1' value labeled by this agent's shard index and the number of shards its configuration is split over (--shard.index, --shard.count).",
	}
	otlpSpansDroppedTotal = &def{
		Name: "touchprobe_otlp_spans_dropped_total", Type: typeCounter,
		Labels: []string{"location"},
		Help:   "Spans of runs not exported over OTLP: the export queue was full, the collector refused them or did not answer in time, or the agent stopped first.",
	}
	buildInfo = &def{
		Name: "touchprobe_build_info", Type: typeGauge,
		Labels: []string{"version", "revision", "goversion"},
		Help:   "A metric with a constant '1' value labeled by the version, revision and Go version touchprobe was built from.",
	}
)

var defs = []*def{
	stepDurationSeconds, stepLastDurationSeconds, stepBudgetSeconds, stepOverBudgetTotal,
	stepConsecutiveOverBudgetRuns, stepConsecutiveFailedRuns, stepSuccess,
	journeySuccess, journeyDurationSeconds, journeyRunsTotal, journeyAttemptsTotal, journeyFailuresTotal, journeyMuted,
	journeyLastRunTimestampSeconds, journeyIntervalSeconds, journeyOverBudget,
	pageTimingSeconds, pageCLS, pageTransferBytes, pageRequests,
	scheduleLagSeconds,
	browserRestartsTotal, browserUp, configLastReloadSuccessful, configLastReloadSuccessTimestampSeconds,
	artifactsBytes, artifactsRuns, otlpSpansDroppedTotal,
	agentInfo, shardInfo, buildInfo,
}

// Docs lists every touchprobe_ metric, in the order the README should show
// them. Go and process metrics are not listed: client_golang documents them.
func Docs() []Doc {
	out := make([]Doc, len(defs))
	for i, d := range defs {
		out[i] = Doc(*d)
		out[i].Labels = slices.Clone(d.Labels)
	}
	return out
}

// ReservedLabels are the label names a journey's own labels must not use,
// sorted: config.ReservedLabelNames, the one definition.
func ReservedLabels() []string {
	return slices.Sorted(slices.Values(config.ReservedLabelNames))
}

// CheckJourneyLabels reports why a journey's configured labels cannot be
// exposed, so that configuration validation can reject them instead of the
// metrics silently dropping them.
func CheckJourneyLabels(labels map[string]string) error {
	var bad []string
	for name := range labels {
		if p := config.LabelNameProblem(name); p != "" {
			bad = append(bad, p)
		}
	}
	if len(bad) == 0 {
		return nil
	}
	sort.Strings(bad)
	return fmt.Errorf("labels: %s", strings.Join(bad, "; "))
}
