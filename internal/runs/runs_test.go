package runs

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/touchprobe/touchprobe/probes"
)

func result(journey string, n int) *probes.Result {
	return &probes.Result{Journey: journey, RunID: fmt.Sprintf("%s-%d", journey, n)}
}

func ids(rs []*probes.Result) []string {
	out := make([]string, 0, len(rs))
	for _, r := range rs {
		out = append(out, r.RunID)
	}
	return out
}

// The store keeps the last keep results of each journey, newest last.
func TestKeepsTheNewestOfEachJourney(t *testing.T) {
	tests := []struct {
		name  string
		keep  int
		adds  []string // journey of each added run, in order; run n is "<journey>-<n>"
		want  map[string][]string
		wantL map[string]string // Last
	}{
		{"empty", 3, nil, map[string][]string{"checkout": {}}, map[string]string{"checkout": ""}},
		{"under capacity", 3, []string{"checkout", "checkout"},
			map[string][]string{"checkout": {"checkout-0", "checkout-1"}}, map[string]string{"checkout": "checkout-1"}},
		{"at capacity", 2, []string{"checkout", "checkout"},
			map[string][]string{"checkout": {"checkout-0", "checkout-1"}}, map[string]string{"checkout": "checkout-1"}},
		{"over capacity: the oldest go", 2, []string{"checkout", "checkout", "checkout", "checkout"},
			map[string][]string{"checkout": {"checkout-2", "checkout-3"}}, map[string]string{"checkout": "checkout-3"}},
		{"capacity per journey", 2, []string{"checkout", "search", "checkout", "checkout", "search"},
			map[string][]string{"checkout": {"checkout-2", "checkout-3"}, "search": {"search-1", "search-4"}},
			map[string]string{"checkout": "checkout-3", "search": "search-4"}},
		{"keep below 1 keeps 1", 0, []string{"checkout", "checkout"},
			map[string][]string{"checkout": {"checkout-1"}}, map[string]string{"checkout": "checkout-1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New(tt.keep)
			for n, j := range tt.adds {
				s.Add(result(j, n))
			}
			for j, want := range tt.want {
				if got := ids(s.Recent(j)); !slices.Equal(got, want) {
					t.Errorf("Recent(%s) = %v, want %v", j, got, want)
				}
				last := s.Last(j, "")
				if want := tt.wantL[j]; (last == nil) != (want == "") || last != nil && last.RunID != want {
					t.Errorf("Last(%s) = %v, want %q", j, last, want)
				}
			}
		})
	}
}

func TestFind(t *testing.T) {
	s := New(2)
	for n := range 3 {
		s.Add(result("checkout", n))
	}
	s.Add(result("search", 3))
	tests := []struct {
		journey, runID string
		found          bool
	}{
		{"checkout", "checkout-2", true},
		{"checkout", "checkout-1", true},
		{"checkout", "checkout-0", false}, // dropped for capacity
		{"search", "search-3", true},
		{"search", "checkout-2", false}, // another journey's run
		{"gone", "gone-1", false},
	}
	for _, tt := range tests {
		r := s.Find(tt.journey, tt.runID)
		if (r != nil) != tt.found || r != nil && (r.RunID != tt.runID || r.Journey != tt.journey) {
			t.Errorf("Find(%s, %s) = %v, want found %v", tt.journey, tt.runID, r, tt.found)
		}
	}
}

// Recent returns a copy: what a caller does to it does not reach the store.
func TestRecentIsACopy(t *testing.T) {
	s := New(3)
	s.Add(result("checkout", 0))
	s.Add(result("checkout", 1))
	got := s.Recent("checkout")
	got[0] = result("checkout", 99)
	_ = append(got[:1], result("checkout", 98))
	if ids := ids(s.Recent("checkout")); !slices.Equal(ids, []string{"checkout-0", "checkout-1"}) {
		t.Errorf("after changing the returned slice the store holds %v", ids)
	}
}

// Retain drops the journeys no longer configured and keeps the others'
// results whole.
func TestRetain(t *testing.T) {
	tests := []struct {
		name   string
		retain map[string]bool
		want   map[string]int
	}{
		{"all kept", map[string]bool{"checkout": true, "search": true}, map[string]int{"checkout": 2, "search": 1}},
		{"one removed", map[string]bool{"checkout": true}, map[string]int{"checkout": 2, "search": 0}},
		{"false is removed", map[string]bool{"checkout": true, "search": false}, map[string]int{"checkout": 2, "search": 0}},
		{"none configured", map[string]bool{}, map[string]int{"checkout": 0, "search": 0}},
		{"a new journey", map[string]bool{"login": true}, map[string]int{"checkout": 0, "search": 0, "login": 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New(5)
			s.Add(result("checkout", 0))
			s.Add(result("checkout", 1))
			s.Add(result("search", 2))
			s.Retain(func(j, _ string) bool { return tt.retain[j] })
			for j, n := range tt.want {
				if got := len(s.Recent(j)); got != n {
					t.Errorf("%s has %d results, want %d", j, got, n)
				}
			}
			// A retained journey goes on keeping runs.
			s.Add(result("checkout", 3))
			if r := s.Last("checkout", ""); r == nil || r.RunID != "checkout-3" {
				t.Errorf("Last after Retain and Add = %v", r)
			}
		})
	}
}

// Writers and readers at once (run with -race): every read sees at most
// keep results, in the order each writer added them.
func TestConcurrentAddAndRead(t *testing.T) {
	const (
		keep    = 5
		writers = 4
		runs    = 200
	)
	s := New(keep)
	journeys := []string{"checkout", "search"}
	var wg sync.WaitGroup
	problems := make(chan string, 100)
	report := func(format string, args ...any) {
		select {
		case problems <- fmt.Sprintf(format, args...):
		default:
		}
	}
	for w := range writers {
		wg.Go(func() {
			for n := range runs {
				// Run IDs "<writer>.<n>": one writer's runs must stay in order.
				s.Add(&probes.Result{Journey: journeys[n%2], RunID: fmt.Sprintf("%d.%d", w, n)})
			}
		})
	}
	for range 2 {
		wg.Go(func() {
			for range runs {
				for _, j := range journeys {
					rs := s.Recent(j)
					if len(rs) > keep {
						report("Recent(%s) has %d results, more than %d", j, len(rs), keep)
					}
					last := map[string]int{}
					for _, r := range rs {
						if r.Journey != j {
							report("Recent(%s) holds a run of %s", j, r.Journey)
						}
						w, seq, _ := strings.Cut(r.RunID, ".")
						n, _ := strconv.Atoi(seq)
						if prev, ok := last[w]; ok && n <= prev {
							report("Recent(%s) out of order: %v", j, ids(rs))
						}
						last[w] = n
					}
					if l := s.Last(j, ""); l != nil && l.Journey != j {
						report("Last(%s) is a run of %s", j, l.Journey)
					}
				}
			}
		})
	}
	wg.Go(func() {
		for range runs {
			s.Retain(func(string, string) bool { return true })
		}
	})
	wg.Wait()
	close(problems)
	for p := range problems {
		t.Error(p)
	}
	for _, j := range journeys {
		if got := len(s.Recent(j)); got != keep {
			t.Errorf("%s: %d results at the end, want %d", j, got, keep)
		}
	}
}

// Two profiles of one journey keep their own last runs: a busy profile
// never pushes out the other's, Recent merges them by start time, Find
// finds either, and Retain drops a profile no longer configured.
func TestProfilesKeepTheirOwnRuns(t *testing.T) {
	s := New(2)
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	add := func(profile string, n int) {
		s.Add(&probes.Result{Journey: "shop", Profile: profile, RunID: fmt.Sprintf("%s-%d", profile, n), Start: start.Add(time.Duration(n) * time.Second)})
	}
	add("mobile-4g", 0)
	for n := 1; n <= 4; n++ {
		add("desktop", n)
	}
	if r := s.Last("shop", "mobile-4g"); r == nil || r.RunID != "mobile-4g-0" {
		t.Errorf("Last(mobile-4g) = %v, want the only mobile run", r)
	}
	if r := s.Last("shop", "desktop"); r == nil || r.RunID != "desktop-4" {
		t.Errorf("Last(desktop) = %v, want desktop-4", r)
	}
	if got, want := ids(s.Recent("shop")), []string{"mobile-4g-0", "desktop-3", "desktop-4"}; !slices.Equal(got, want) {
		t.Errorf("Recent = %v, want %v", got, want)
	}
	if got, want := ids(s.RecentProfile("shop", "desktop")), []string{"desktop-3", "desktop-4"}; !slices.Equal(got, want) {
		t.Errorf("RecentProfile(desktop) = %v, want %v", got, want)
	}
	if r := s.Find("shop", "mobile-4g-0"); r == nil {
		t.Error("Find did not find the mobile run")
	}
	s.Retain(func(_, profile string) bool { return profile == "desktop" })
	if r := s.Last("shop", "mobile-4g"); r != nil {
		t.Errorf("a dropped profile kept its run %s", r.RunID)
	}
}
