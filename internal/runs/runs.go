// Package runs keeps the recent results of every journey in memory for the web pages and the demo.
package runs

import (
	"slices"
	"sync"

	"github.com/touchprobe/touchprobe/probes"
)

// Store holds the last N results of each journey under each of its
// profiles, newest last: the runs of one profile never push out another's.
type Store struct {
	mu    sync.RWMutex
	keep  int
	byJob map[key][]*probes.Result
}

// key is one journey under one profile.
type key struct{ journey, profile string }

// New returns a store that keeps keep results per journey and profile.
func New(keep int) *Store {
	if keep < 1 {
		keep = 1
	}
	return &Store{keep: keep, byJob: make(map[key][]*probes.Result)}
}

// Add records a finished run.
func (s *Store) Add(r *probes.Result) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := key{r.Journey, r.Profile}
	list := append(s.byJob[k], r)
	if len(list) > s.keep {
		// Copy rather than reslice so the dropped results can be freed.
		list = append([]*probes.Result(nil), list[len(list)-s.keep:]...)
	}
	s.byJob[k] = list
}

// Recent returns the journey's results under every profile, oldest first
// by start time. The slice is a copy; the results themselves must not be
// modified.
func (s *Store) Recent(journey string) []*probes.Result {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []*probes.Result
	for k, list := range s.byJob {
		if k.journey == journey {
			out = append(out, list...)
		}
	}
	slices.SortStableFunc(out, func(a, b *probes.Result) int { return a.Start.Compare(b.Start) })
	return out
}

// RecentProfile returns the journey's results under one profile, newest
// last. The slice is a copy.
func (s *Store) RecentProfile(journey, profile string) []*probes.Result {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return append([]*probes.Result(nil), s.byJob[key{journey, profile}]...)
}

// Last returns the journey's newest result under profile, or nil.
func (s *Store) Last(journey, profile string) *probes.Result {
	s.mu.RLock()
	defer s.mu.RUnlock()
	list := s.byJob[key{journey, profile}]
	if len(list) == 0 {
		return nil
	}
	return list[len(list)-1]
}

// Find returns the result of one run of the journey, under whichever
// profile, or of an earlier attempt of a retried run, or nil.
func (s *Store) Find(journey, runID string) *probes.Result {
	r, _ := s.FindAttempt(journey, runID)
	return r
}

// FindAttempt is Find that also returns, for an earlier attempt of a
// retried run, the run's result; for a run it returns nil as the run.
func (s *Store) FindAttempt(journey, runID string) (res, run *probes.Result) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for k, list := range s.byJob {
		if k.journey != journey {
			continue
		}
		for _, r := range list {
			if r.RunID == runID {
				return r, nil
			}
			for _, a := range r.Retried {
				if a.RunID == runID {
					return a, r
				}
			}
		}
	}
	return nil, nil
}

// Retain drops the results of every journey and profile keep rejects:
// those no longer configured.
func (s *Store) Retain(keep func(journey, profile string) bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k := range s.byJob {
		if !keep(k.journey, k.profile) {
			delete(s.byJob, k)
		}
	}
}
