// Package runs keeps the recent results of every journey in memory for the web pages and the demo.
package runs

import (
	"sync"

	"github.com/touchprobe/touchprobe/probes"
)

// Store holds the last N results of each journey, newest last.
type Store struct {
	mu    sync.RWMutex
	keep  int
	byJob map[string][]*probes.Result
}

// New returns a store that keeps keep results per journey.
func New(keep int) *Store {
	if keep < 1 {
		keep = 1
	}
	return &Store{keep: keep, byJob: make(map[string][]*probes.Result)}
}

// Add records a finished run.
func (s *Store) Add(r *probes.Result) {
	s.mu.Lock()
	defer s.mu.Unlock()
	list := append(s.byJob[r.Journey], r)
	if len(list) > s.keep {
		// Copy rather than reslice so the dropped results can be freed.
		list = append([]*probes.Result(nil), list[len(list)-s.keep:]...)
	}
	s.byJob[r.Journey] = list
}

// Recent returns the journey's results, newest last. The slice is a copy;
// the results themselves must not be modified.
func (s *Store) Recent(journey string) []*probes.Result {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return append([]*probes.Result(nil), s.byJob[journey]...)
}

// Last returns the journey's newest result, or nil.
func (s *Store) Last(journey string) *probes.Result {
	s.mu.RLock()
	defer s.mu.RUnlock()
	list := s.byJob[journey]
	if len(list) == 0 {
		return nil
	}
	return list[len(list)-1]
}

// Find returns the result of one run, or of an earlier attempt of a
// retried run, or nil.
func (s *Store) Find(journey, runID string) *probes.Result {
	r, _ := s.FindAttempt(journey, runID)
	return r
}

// FindAttempt is Find that also returns, for an earlier attempt of a
// retried run, the run's result; for a run it returns nil as the run.
func (s *Store) FindAttempt(journey, runID string) (res, run *probes.Result) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, r := range s.byJob[journey] {
		if r.RunID == runID {
			return r, nil
		}
		for _, a := range r.Retried {
			if a.RunID == runID {
				return a, r
			}
		}
	}
	return nil, nil
}

// Retain drops the results of journeys that are no longer configured.
func (s *Store) Retain(journeys map[string]bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for name := range s.byJob {
		if !journeys[name] {
			delete(s.byJob, name)
		}
	}
}
