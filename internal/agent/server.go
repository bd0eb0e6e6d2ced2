package agent

import (
	"net"
	"net/http"
	"slices"
	"sync"
	"time"
)

// The web server's limits. A scrape of 10,000 journeys is 43 MB and takes
// seconds to render, so writes get minutes; requests have no bodies worth
// waiting for. An idle keep-alive connection outlives a one-minute scrape
// interval, so that Prometheus reuses it.
const (
	readHeaderTimeout = 10 * time.Second
	readTimeout       = 30 * time.Second
	writeTimeout      = 2 * time.Minute
	idleTimeout       = 90 * time.Second

	// DefaultMaxConnections bounds the connections the server holds open,
	// as Prometheus's own --web.max-connections does.
	DefaultMaxConnections = 512
)

// newServer returns the agent's HTTP server: bounded in time for every
// phase of a request, and in the connections it holds open.
func (a *Agent) newServer() *http.Server {
	limit := newConnLimit(a.opts.MaxConnections)
	return &http.Server{
		Handler:           a.Handler(),
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		ConnState:         limit.track,
	}
}

// connLimit keeps the open connections of a server at or below max. A
// listener that stops accepting at the limit (as Prometheus's does) lets
// idle keep-alive connections starve new ones until they time out; here a
// new connection over the limit closes the longest idle ones instead, as a
// web server reuses its keep-alive connections when it runs short. Only
// when every connection is busy is the new one closed at once. An idle
// connection closed just as its next request arrives is one a client
// retries, as after any idle timeout.
type connLimit struct {
	max   int
	mu    sync.Mutex
	conns map[net.Conn]connState
}

type connState struct {
	idle      bool
	idleSince time.Time
}

func newConnLimit(max int) *connLimit {
	if max <= 0 {
		max = DefaultMaxConnections
	}
	return &connLimit{max: max, conns: map[net.Conn]connState{}}
}

// track is the server's ConnState hook.
func (l *connLimit) track(c net.Conn, state http.ConnState) {
	var victims []net.Conn
	l.mu.Lock()
	switch state {
	case http.StateNew:
		l.conns[c] = connState{}
		if over := len(l.conns) - l.max; over > 0 {
			victims = l.evictLocked(over, c)
		}
	case http.StateActive:
		if _, ok := l.conns[c]; ok {
			l.conns[c] = connState{}
		}
	case http.StateIdle:
		if _, ok := l.conns[c]; ok {
			l.conns[c] = connState{idle: true, idleSince: time.Now()}
		}
	case http.StateClosed, http.StateHijacked:
		delete(l.conns, c)
	}
	l.mu.Unlock()
	for _, v := range victims {
		v.Close()
	}
}

// evictLocked forgets and returns the n longest idle connections, or,
// when fewer are idle, those and the new connection.
func (l *connLimit) evictLocked(n int, newConn net.Conn) []net.Conn {
	type idleConn struct {
		c     net.Conn
		since time.Time
	}
	var idle []idleConn
	for c, s := range l.conns {
		if s.idle {
			idle = append(idle, idleConn{c, s.idleSince})
		}
	}
	slices.SortFunc(idle, func(a, b idleConn) int { return a.since.Compare(b.since) })
	var victims []net.Conn
	for _, ic := range idle[:min(n, len(idle))] {
		victims = append(victims, ic.c)
		delete(l.conns, ic.c)
	}
	if len(victims) < n {
		victims = append(victims, newConn)
		delete(l.conns, newConn)
	}
	return victims
}
