package scheduler

import (
	"context"
	"slices"
	"sync"
)

// limiter is a FIFO counting semaphore whose size can change while it is in
// use. Slots are handed to waiters in arrival order, so a journey that has
// waited longest runs first and none starves.
type limiter struct {
	mu      sync.Mutex
	limit   int
	used    int
	waiters []chan struct{}
}

func newLimiter(n int) *limiter {
	return &limiter{limit: max(n, 1)}
}

// acquire blocks until a slot is free or ctx is done.
func (l *limiter) acquire(ctx context.Context) error {
	l.mu.Lock()
	if l.used < l.limit && len(l.waiters) == 0 {
		l.used++
		l.mu.Unlock()
		return nil
	}
	ready := make(chan struct{})
	l.waiters = append(l.waiters, ready)
	l.mu.Unlock()

	select {
	case <-ready:
		return nil
	case <-ctx.Done():
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	select {
	case <-ready:
		// The slot was granted while ctx ended: pass it on rather than
		// leak it.
		l.used--
		l.grant()
	default:
		l.waiters = slices.DeleteFunc(l.waiters, func(w chan struct{}) bool { return w == ready })
	}
	return ctx.Err()
}

func (l *limiter) release() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.used--
	l.grant()
}

// setLimit changes the number of slots. Lowering it cancels nothing: no
// slot is granted until fewer than n are in use.
func (l *limiter) setLimit(n int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.limit = max(n, 1)
	l.grant()
}

func (l *limiter) inUse() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.used
}

// grant must be called with l.mu held.
func (l *limiter) grant() {
	for l.used < l.limit && len(l.waiters) > 0 {
		w := l.waiters[0]
		l.waiters = l.waiters[1:]
		l.used++
		close(w)
	}
}
