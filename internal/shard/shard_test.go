package shard

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/touchprobe/touchprobe/config"
)

func keys(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = Key(fmt.Sprintf("journey-%d", i), []string{"desktop", "mobile"}[i%2])
	}
	return out
}

// TestEveryKeyHasExactlyOneOwner checks, for fleets of 1 to 16, that each
// of 1000 keys is owned by exactly one shard, and that the shards' shares
// are even within a binomial bound.
func TestEveryKeyHasExactlyOneOwner(t *testing.T) {
	ks := keys(1000)
	for count := 1; count <= 16; count++ {
		per := make([]int, count)
		for _, k := range ks {
			owners := 0
			for i := range count {
				if (Shard{Index: i, Count: count}).Owns(k) {
					owners++
					per[i]++
				}
			}
			if owners != 1 {
				t.Fatalf("count %d: key %q owned by %d shards, want exactly 1", count, k, owners)
			}
		}
		// Each shard's share is Binomial(1000, 1/count); 5 standard
		// deviations fails a correct hash about once in 3 million.
		mean := 1000.0 / float64(count)
		sd := math.Sqrt(1000 * (1 / float64(count)) * (1 - 1/float64(count)))
		for i, n := range per {
			if math.Abs(float64(n)-mean) > 5*sd+1 {
				t.Errorf("count %d: shard %d owns %d keys, want %.0f ± %.0f", count, i, n, mean, 5*sd)
			}
		}
	}
}

// TestGrowingMovesOnlyTheNewShardsShare checks that going from N to N+1
// shards moves keys only to the new shard, and about 1/(N+1) of them.
func TestGrowingMovesOnlyTheNewShardsShare(t *testing.T) {
	ks := keys(1000)
	for n := 1; n <= 15; n++ {
		moved := 0
		for _, k := range ks {
			before, after := Owner(k, n), Owner(k, n+1)
			if before == after {
				continue
			}
			moved++
			if after != n {
				t.Errorf("%d→%d shards: %q moved from %d to %d, want only moves to the new shard %d", n, n+1, k, before, after, n)
			}
		}
		p := 1 / float64(n+1)
		mean, sd := 1000*p, math.Sqrt(1000*p*(1-p))
		if math.Abs(float64(moved)-mean) > 5*sd+1 {
			t.Errorf("%d→%d shards: %d of 1000 keys moved, want %.0f ± %.0f", n, n+1, moved, mean, 5*sd)
		}
	}
}

func TestValidate(t *testing.T) {
	cases := []struct {
		s    Shard
		want string
	}{
		{Shard{0, 1}, ""},
		{Shard{2, 3}, ""},
		{Shard{0, 0}, "--shard.count 0: must be at least 1"},
		{Shard{-1, 3}, "--shard.index -1: must be from 0 to 2 for --shard.count 3"},
		{Shard{3, 3}, "--shard.index 3: must be from 0 to 2 for --shard.count 3"},
	}
	for _, tc := range cases {
		err := tc.s.Validate()
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%+v: %v, want %q", tc.s, err, tc.want)
		}
	}
}

func TestResolve(t *testing.T) {
	host := func(name string) func() (string, error) {
		return func() (string, error) { return name, nil }
	}
	cases := []struct {
		name       string
		count      int
		countGiven bool
		index      int
		indexGiven bool
		hostname   func() (string, error)
		want       Shard
		err        string
	}{
		{"nothing given", 0, false, 0, false, host("laptop"), Shard{0, 1}, ""},
		{"both given", 4, true, 3, true, host("laptop"), Shard{3, 4}, ""},
		{"ordinal of a StatefulSet pod", 3, true, 0, false, host("touchprobe-2"), Shard{2, 3}, ""},
		{"index given beats the ordinal", 3, true, 1, true, host("touchprobe-2"), Shard{1, 3}, ""},
		{"one shard needs no ordinal", 1, true, 0, false, host("laptop"), Shard{0, 1}, ""},
		{"no ordinal", 3, true, 0, false, host("laptop"), Shard{}, `host name "laptop" does not end in -<ordinal>`},
		{"leading zero is no ordinal", 3, true, 0, false, host("pod-01"), Shard{}, `does not end in -<ordinal>`},
		{"ordinal out of range", 3, true, 0, false, host("touchprobe-3"), Shard{}, `host name "touchprobe-3": ordinal 3 taken as the shard index: --shard.index 3: must be from 0 to 2`},
		{"host name unreadable", 3, true, 0, false, func() (string, error) { return "", errors.New("no uts") }, Shard{}, "host name cannot be read"},
		{"count zero", 0, true, 0, true, host("x"), Shard{}, "--shard.count 0"},
		{"index out of range", 2, true, 2, true, host("x"), Shard{}, "--shard.index 2"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Resolve(tc.count, tc.countGiven, tc.index, tc.indexGiven, tc.hostname)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}

// TestFilter checks that the shards of a fleet together keep every run of
// a configuration exactly once, and split a journey's profiles.
func TestFilter(t *testing.T) {
	cfg := &config.Config{Agent: config.Agent{DefaultProfile: "desktop"}}
	for i := range 40 {
		j := config.Journey{Name: fmt.Sprintf("j%d", i)}
		if i%4 == 0 {
			j.Profiles = []string{"desktop", "mobile-4g"}
		}
		cfg.Journeys = append(cfg.Journeys, j)
	}
	const count = 3
	seen := map[string]int{}
	split := false
	for i := range count {
		part := Shard{Index: i, Count: count}.Filter(cfg)
		for k := range part.Journeys {
			j := &part.Journeys[k]
			orig := cfg.Journey(j.Name)
			if got, all := len(part.JourneyProfiles(j)), len(cfg.JourneyProfiles(orig)); got < all {
				split = true
			}
			for _, p := range part.JourneyProfiles(j) {
				seen[Key(j.Name, p.Name)]++
			}
		}
		if n := Runs(cfg, count)[i]; n != countRuns(part) {
			t.Errorf("shard %d: Runs says %d, Filter keeps %d", i, n, countRuns(part))
		}
	}
	want := 0
	for k := range cfg.Journeys {
		for _, p := range cfg.JourneyProfiles(&cfg.Journeys[k]) {
			want++
			if n := seen[Key(cfg.Journeys[k].Name, p.Name)]; n != 1 {
				t.Errorf("%s under %s: kept by %d shards, want 1", cfg.Journeys[k].Name, p.Name, n)
			}
		}
	}
	if len(seen) != want {
		t.Errorf("%d runs kept, want %d", len(seen), want)
	}
	if !split {
		t.Error("no journey had its profiles split over shards; the test's configuration does not exercise it")
	}
	if len(cfg.Journeys) != 40 || cfg.Journeys[0].Profiles[1] != "mobile-4g" {
		t.Error("Filter changed the configuration it was given")
	}
	if got := (Shard{0, 1}).Filter(cfg); got != cfg {
		t.Error("one shard should keep the configuration as it is")
	}
}

func countRuns(cfg *config.Config) int {
	n := 0
	for k := range cfg.Journeys {
		n += len(cfg.JourneyProfiles(&cfg.Journeys[k]))
	}
	return n
}
