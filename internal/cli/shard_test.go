package cli

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// fleetConfig is a configuration of n one-step journeys.
func fleetConfig(t *testing.T, n int) string {
	t.Helper()
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "[[journey]]\nname = \"j%02d\"\nschedule = \"@every 1m\"\n\n  [[journey.step]]\n  name = \"home\"\n  action = \"navigate\"\n  url = \"http://127.0.0.1:1/\"\n\n", i)
	}
	return writeFile(t, "fleet.toml", b.String())
}

func TestCheckShardCount(t *testing.T) {
	path := fleetConfig(t, 30)
	code, stdout, stderr := runCLI(t, "check", "--config", path, "--shard.count", "3")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	lines := regexp.MustCompile(`(?m)^shard (\d) of 3: (\d+) journeys, (\d+) runs$`).FindAllStringSubmatch(stdout, -1)
	if len(lines) != 3 {
		t.Fatalf("want a line per shard:\n%s", stdout)
	}
	sum := 0
	for i, l := range lines {
		n, _ := strconv.Atoi(l[2])
		if l[1] != strconv.Itoa(i) || n == 0 || l[3] != l[2] {
			t.Errorf("line %q", l[0])
		}
		sum += n
	}
	if sum != 30 {
		t.Errorf("shards get %d runs in all, want 30:\n%s", sum, stdout)
	}
	if code, _, stderr := runCLI(t, "check", "--config", path, "--shard.count", "0"); code != 1 || !strings.Contains(stderr, "--shard.count 0: must be at least 1") {
		t.Errorf("check --shard.count 0: exit %d, stderr %q", code, stderr)
	}
	if code, _, stderr := runCLI(t, "check", "--config", path, "--shard.count=-1"); code != 1 || !strings.Contains(stderr, "--shard.count -1: must be at least 1") {
		t.Errorf("check --shard.count -1: exit %d, stderr %q", code, stderr)
	}
}

// Shard flags that cannot be right stop the agent before it starts
// anything, saying what to give instead.
func TestRunRejectsBadShard(t *testing.T) {
	path := fleetConfig(t, 3)
	cases := []struct {
		args []string
		env  map[string]string
		want string
	}{
		{[]string{"--shard.count", "3", "--shard.index", "3"}, nil, "--shard.index 3: must be from 0 to 2 for --shard.count 3"},
		{[]string{"--shard.count", "0"}, nil, "--shard.count 0: must be at least 1"},
		{nil, map[string]string{"TOUCHPROBE_SHARD_COUNT": "2", "TOUCHPROBE_SHARD_INDEX": "7"}, "--shard.index 7: must be from 0 to 1 for --shard.count 2"},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			args := append([]string{"run", "--config", path, "--web.listen-address", "127.0.0.1:0"}, tc.args...)
			code, _, stderr := runCLI(t, args...)
			if code != 2 || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, want 2 and %q in:\n%s", code, tc.want, stderr)
			}
		})
	}
}

// once runs everything in a pod whose environment names a shard, unless a
// --shard flag asks for one; asked, it checks it.
func TestOnceIgnoresShardEnvironment(t *testing.T) {
	path := fleetConfig(t, 3)
	t.Setenv("TOUCHPROBE_SHARD_COUNT", "2")
	t.Setenv("TOUCHPROBE_SHARD_INDEX", "7")
	// An unknown journey stops once before any browser starts: that it
	// gets that far shows the environment's bad index was not used.
	code, _, stderr := runCLI(t, "once", "--config", path, "--journey", "nope")
	if code != 1 || !strings.Contains(stderr, `no journey named "nope"`) {
		t.Errorf("once with a shard in the environment: exit %d, stderr %q", code, stderr)
	}
	code, _, stderr = runCLI(t, "once", "--config", path, "--shard.count", "2")
	if code != 2 || !strings.Contains(stderr, "--shard.index 7: must be from 0 to 1") {
		t.Errorf("once --shard.count 2 with index 7 in the environment: exit %d, stderr %q", code, stderr)
	}
}

// --location (TOUCHPROBE_LOCATION) replaces [agent] location under the
// same rules; a bad one stops the agent before it starts anything.
func TestRunRejectsBadLocation(t *testing.T) {
	path := fleetConfig(t, 1)
	t.Setenv("TOUCHPROBE_LOCATION", "oslo\u202e")
	code, _, stderr := runCLI(t, "run", "--config", path, "--web.listen-address", "127.0.0.1:0")
	if code != 1 || !strings.Contains(stderr, `--location "oslo\u202e"`) {
		t.Errorf("exit %d, want 1 and the bad --location in:\n%s", code, stderr)
	}
}
