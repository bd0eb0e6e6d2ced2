// Package shard splits the runs of a configuration over the replicas of a
// fleet by rendezvous (highest random weight) hashing: every replica
// computes the same owner for every key on its own, without talking to the
// others, and going from N to N+1 replicas moves only the keys the new
// replica wins, about 1/(N+1) of them.
package shard

import (
	"fmt"
	"hash/fnv"
	"os"
	"regexp"
	"strconv"

	"github.com/touchprobe/touchprobe/config"
)

// Environment variables that set the shard when the flags are not given.
const (
	EnvCount = "TOUCHPROBE_SHARD_COUNT"
	EnvIndex = "TOUCHPROBE_SHARD_INDEX"
)

// Shard is one replica's place in the fleet: Index of Count. The zero
// value and {0, 1} own everything.
type Shard struct {
	Index int
	Count int
}

// Key is what a run is assigned by: the journey and the profile it runs
// under, so that the profiles of one journey spread over the fleet too.
func Key(journey, profile string) string {
	return journey + "\x00" + profile
}

// Owner returns the index, in [0, count), of the shard that owns key: the
// one with the highest weight hash(key, index). count below 1 is taken as 1.
func Owner(key string, count int) int {
	best, bestW := 0, uint64(0)
	for i := range max(count, 1) {
		if w := weight(key, i); i == 0 || w > bestW {
			best, bestW = i, w
		}
	}
	return best
}

// weight is FNV-1a of the key and the index, finished with a 64-bit mixer
// (splitmix64's) so that neighbouring indexes give independent weights.
func weight(key string, index int) uint64 {
	h := fnv.New64a()
	h.Write([]byte(key))
	h.Write([]byte{0, byte(index), byte(index >> 8), byte(index >> 16), byte(index >> 24)})
	x := h.Sum64()
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// Owns reports whether s runs key.
func (s Shard) Owns(key string) bool {
	if s.Count <= 1 {
		return true
	}
	return Owner(key, s.Count) == s.Index
}

// Sharded reports whether s splits the work at all.
func (s Shard) Sharded() bool { return s.Count > 1 }

// Validate says what is wrong with s, in the flags' terms.
func (s Shard) Validate() error {
	if s.Count < 1 {
		return fmt.Errorf("--shard.count %d: must be at least 1 (the number of replicas sharing the journeys)", s.Count)
	}
	if s.Index < 0 || s.Index >= s.Count {
		return fmt.Errorf("--shard.index %d: must be from 0 to %d for --shard.count %d", s.Index, s.Count-1, s.Count)
	}
	return nil
}

// Filter returns cfg with only the runs s owns: a journey keeps the
// profiles whose key s owns and is left out when it keeps none. cfg itself
// is not changed; with no sharding it is returned as it is.
func (s Shard) Filter(cfg *config.Config) *config.Config {
	if !s.Sharded() || cfg == nil {
		return cfg
	}
	out := *cfg
	out.Journeys = make([]config.Journey, 0, len(cfg.Journeys)/s.Count+1)
	for i := range cfg.Journeys {
		j := &cfg.Journeys[i]
		profiles := cfg.JourneyProfiles(j)
		var owned []string
		for _, p := range profiles {
			if s.Owns(Key(j.Name, p.Name)) {
				owned = append(owned, p.Name)
			}
		}
		switch len(owned) {
		case 0:
			continue
		case len(profiles):
			out.Journeys = append(out.Journeys, *j)
		default:
			part := *j
			part.Profiles = owned
			out.Journeys = append(out.Journeys, part)
		}
	}
	return &out
}

// Runs returns how many runs (journey × profile) of cfg each of count
// shards owns, by index.
func Runs(cfg *config.Config, count int) []int {
	n := make([]int, max(count, 1))
	for i := range cfg.Journeys {
		j := &cfg.Journeys[i]
		for _, p := range cfg.JourneyProfiles(j) {
			n[Owner(Key(j.Name, p.Name), count)]++
		}
	}
	return n
}

// ordinalRE is a StatefulSet pod's host name: <set name>-<ordinal>.
var ordinalRE = regexp.MustCompile(`-(0|[1-9][0-9]*)$`)

// HostOrdinal returns the ordinal a StatefulSet pod's host name ends in.
func HostOrdinal(host string) (int, bool) {
	m := ordinalRE.FindStringSubmatch(host)
	if m == nil {
		return 0, false
	}
	n, err := strconv.Atoi(m[1])
	return n, err == nil
}

// Resolve works out the shard from what the command line said: count and
// index when given (the flags, or their environment variables), else the
// index from the host name's ordinal when the work is split, else 0.
func Resolve(count int, countGiven bool, index int, indexGiven bool, hostname func() (string, error)) (Shard, error) {
	if !countGiven {
		count = 1
	}
	s := Shard{Index: index, Count: count}
	if !indexGiven && count > 1 {
		host, err := hostname()
		if err != nil {
			return s, fmt.Errorf("--shard.index not given and the host name cannot be read (%w): give --shard.index or %s", err, EnvIndex)
		}
		n, ok := HostOrdinal(host)
		if !ok {
			return s, fmt.Errorf("--shard.index not given and the host name %q does not end in -<ordinal> as a StatefulSet pod's does: give --shard.index or %s", host, EnvIndex)
		}
		s.Index = n
		if err := s.Validate(); err != nil {
			return s, fmt.Errorf("host name %q: ordinal %d taken as the shard index: %w", host, n, err)
		}
	}
	return s, s.Validate()
}

// Hostname is os.Hostname, for Resolve.
var Hostname = os.Hostname
