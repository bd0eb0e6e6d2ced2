package testutil

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// BinaryEnv names a touchprobe binary built for the tests: make test
// builds one before the tests start, so that the tests that run touchprobe
// as processes of their own do not compile it again.
const BinaryEnv = "TOUCHPROBE_TEST_BINARY"

// Touchprobe returns the path of a touchprobe binary: the one BinaryEnv
// names, or one built for this test from the module (with -race when the
// test itself is a race build, so that the two share the build cache).
func Touchprobe(t testing.TB) string {
	t.Helper()
	if bin := os.Getenv(BinaryEnv); bin != "" {
		if _, err := os.Stat(bin); err != nil {
			t.Fatalf("%s: %v", BinaryEnv, err)
		}
		return bin
	}
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("cannot tell where the module is")
	}
	root := filepath.Join(filepath.Dir(file), "..", "..")
	bin := filepath.Join(t.TempDir(), "touchprobe")
	args := []string{"build", "-o", bin}
	if raceEnabled {
		args = append(args, "-race")
	}
	cmd := exec.Command("go", append(args, "./cmd/touchprobe")...)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}
