package agent

import (
	"errors"
	"io"
	"net"
	"net/http"
	"testing"
	"time"
)

// Over the limit, the longest idle connections go first; when none is
// idle, the new connection does.
func TestConnLimitClosesIdleFirst(t *testing.T) {
	l := newConnLimit(2)
	conn := func() (server, client net.Conn) {
		s, c := net.Pipe()
		t.Cleanup(func() { s.Close(); c.Close() })
		return s, c
	}
	// A pipe whose other end is closed says so; an open one, with no
	// reader, times out.
	closed := func(c net.Conn) bool {
		c.SetWriteDeadline(time.Now().Add(10 * time.Millisecond))
		_, err := c.Write([]byte{0})
		return errors.Is(err, io.ErrClosedPipe)
	}
	a, aPeer := conn()
	b, bPeer := conn()
	l.track(a, http.StateNew)
	l.track(a, http.StateIdle)
	l.track(b, http.StateNew)
	l.track(b, http.StateIdle)
	l.track(a, http.StateActive)
	l.track(a, http.StateIdle) // a is now idle for a shorter time than b

	c, cPeer := conn()
	l.track(c, http.StateNew)
	if !closed(bPeer) {
		t.Error("the longest idle connection was not closed")
	}
	if closed(aPeer) || closed(cPeer) {
		t.Error("a connection other than the longest idle one was closed")
	}
	l.track(b, http.StateClosed)

	l.track(a, http.StateActive)
	l.track(c, http.StateActive)
	d, dPeer := conn()
	l.track(d, http.StateNew)
	if !closed(dPeer) {
		t.Error("a new connection over the limit was kept although every other was busy")
	}
	if closed(aPeer) || closed(cPeer) {
		t.Error("a busy connection was closed")
	}
}
