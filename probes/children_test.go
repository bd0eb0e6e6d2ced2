package probes

import (
	"fmt"
	"sync"
	"testing"
	"time"
)

// TestNewChildrenAreNeverDropped: however many children attach before the
// goroutine that resumes them takes them, each is taken, once and in
// order: a child left out would stay paused for ever.
func TestNewChildrenAreNeverDropped(t *testing.T) {
	const n = 1000
	q := newChildQueue[string]()
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := range n {
			q.push(fmt.Sprint(i))
		}
	})
	wg.Wait()
	var got []string
	deadline := time.After(10 * time.Second)
	for len(got) < n {
		select {
		case <-q.ready:
			got = append(got, q.take()...)
		case <-deadline:
			t.Fatalf("%d children taken, want %d", len(got), n)
		}
	}
	for i, m := range got {
		if m != fmt.Sprint(i) {
			t.Fatalf("child #%d is %q, want %q", i, m, fmt.Sprint(i))
		}
	}
	if more := q.take(); len(more) != 0 {
		t.Errorf("%d children taken twice", len(more))
	}
}
