package agent_test

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/touchprobe/touchprobe/internal/agent"
	"github.com/touchprobe/touchprobe/internal/testutil"
)

// Clients that send one request each and then hold their connections open
// must not take the server's file descriptors: over its connection limit
// the server closes the longest idle ones, and /metrics and /-/ready still
// answer. With TLS and basic authentication too.
func TestIdleConnectionsDoNotStarveNewOnes(t *testing.T) {
	t.Parallel()
	const limit, extra = 40, 200
	tests := []struct {
		name string
		tls  bool
	}{
		{"plain", false},
		{"tls and basic auth", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := agent.Options{MaxConnections: limit, BrowserPath: "false"}
			var caPool *x509.CertPool
			if tt.tls {
				opts.WebConfigFile, caPool = tlsWebConfig(t)
			}
			opts.Load, _ = fileLoader(t, twoJourneys)
			r := serve(t, opts)

			dial := func() (raw net.Conn, c net.Conn, err error) {
				raw, err = net.Dial("tcp", r.Addr)
				if err != nil || !tt.tls {
					return raw, raw, err
				}
				tc := tls.Client(raw, &tls.Config{RootCAs: caPool, ServerName: "localhost"})
				return raw, tc, nil
			}
			request := func(c net.Conn, path string) (int, error) {
				c.SetDeadline(time.Now().Add(time.Minute))
				defer c.SetDeadline(time.Time{})
				fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: %s\r\nAuthorization: Basic cHJvbWV0aGV1czpzM2NyZXQ=\r\n\r\n", path, r.Addr)
				resp, err := http.ReadResponse(bufio.NewReader(c), nil)
				if err != nil {
					return 0, err
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				return resp.StatusCode, nil
			}

			var held []net.Conn // the TCP connections under any TLS
			t.Cleanup(func() {
				for _, c := range held {
					c.Close()
				}
			})
			for i := range limit + extra {
				raw, c, err := dial()
				if err != nil {
					t.Fatalf("connection %d: %v", i, err)
				}
				held = append(held, raw)
				if code, err := request(c, "/-/healthy"); err != nil || code != http.StatusOK {
					t.Fatalf("connection %d: GET /-/healthy: %d, %v", i, code, err)
				}
			}
			testutil.WaitFor(t, time.Minute, fmt.Sprintf("the server to keep at most %d of %d idle connections", limit, len(held)), func() bool {
				open := 0
				for _, c := range held {
					if stillOpen(c) {
						open++
					}
				}
				return open <= limit
			})

			for _, path := range []string{"/metrics", "/-/ready"} {
				testutil.WaitFor(t, time.Minute, path+" to answer", func() bool {
					_, c, err := dial()
					if err != nil {
						return false
					}
					defer c.Close()
					code, err := request(c, path)
					return err == nil && code != 0
				})
			}
		})
	}
}

// stillOpen reports whether the server has left c open: an idle keep-alive
// connection gets nothing from the server until it closes it.
func stillOpen(c net.Conn) bool {
	c.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
	defer c.SetReadDeadline(time.Time{})
	var b [1]byte
	_, err := c.Read(b[:])
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// tlsWebConfig writes an exporter-toolkit web configuration with TLS and
// the basic authentication user prometheus:s3cret.
func tlsWebConfig(t *testing.T) (string, *x509.CertPool) {
	t.Helper()
	dir := t.TempDir()
	caPool := writeCert(t, dir)
	hash, err := bcrypt.GenerateFromPassword([]byte("s3cret"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	webConfig := filepath.Join(dir, "web.yml")
	err = os.WriteFile(webConfig, fmt.Appendf(nil, "tls_server_config:\n  cert_file: %s\n  key_file: %s\nbasic_auth_users:\n  prometheus: %s\n",
		filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem"), hash), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	return webConfig, caPool
}
