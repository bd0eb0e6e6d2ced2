package browser

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestStartReason(t *testing.T) {
	tests := []struct {
		name, output, want string
	}{
		{
			name: "fatal line after wrapper noise",
			output: `[1:1:1123/120000.000000:WARNING:dbus/bus.cc(408)] Failed to connect to the bus
[1:2:1123/120000.000001:ERROR:ui/ozone/platform.cc(12)] Missing X server or $DISPLAY
[1:2:1123/120000.000002:FATAL:zygote_host_impl_linux.cc(128)] No usable sandbox!
`,
			want: "No usable sandbox!",
		},
		{
			name:   "error without a fatal line",
			output: "[9:9:1123/120000.1:WARNING:x.cc(1)] noise\n[9:9:1123/120000.2:ERROR:socket.cc(3)] Socket path too long\n",
			want:   "Socket path too long",
		},
		{
			name:   "plain text from a wrapper script",
			output: "setting up profile\nerror: cannot open /nonexistent/profile\n",
			want:   "error: cannot open /nonexistent/profile",
		},
		{name: "only the last plain line", output: "one\ntwo\n", want: "two"},
		{name: "nothing printed", output: "\n\n", want: "no output"},
		{name: "long line is cut", output: strings.Repeat("x", 500), want: strings.Repeat("x", maxReasonLen) + "…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := startReason(tt.output); got != tt.want {
				t.Errorf("startReason() = %q, want %q", got, tt.want)
			}
		})
	}
}

// A browser that prints screens of noise and exits at start gives an error
// of one line that says why, fit for a run's message.
func TestStartFailureIsOneLine(t *testing.T) {
	dir := t.TempDir()
	fake := filepath.Join(dir, "chromium")
	script := "#!/bin/sh\n" +
		"for i in 1 2 3 4 5 6 7 8 9 10; do echo \"[1:1:1123/120000.0:WARNING:bus.cc(4)] wrapper noise $i\"; done\n" +
		"echo '[1:1:1123/120000.1:FATAL:zygote.cc(9)] No usable sandbox!'\n" +
		"exit 1\n"
	if err := os.WriteFile(fake, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	m, err := New(Options{Path: fake, Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err = m.Start(ctx)
	if err == nil {
		t.Fatal("a browser that exits at start started")
	}
	msg := err.Error()
	if !strings.Contains(msg, "No usable sandbox!") {
		t.Errorf("error does not say why the browser exited: %q", msg)
	}
	if strings.Contains(msg, "wrapper noise") || strings.Contains(msg, "\n") {
		t.Errorf("error carries the browser's noise: %q", msg)
	}
}
