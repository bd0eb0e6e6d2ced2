package cli

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/alecthomas/kingpin/v2"
	"github.com/prometheus/common/promslog"
	promslogflag "github.com/prometheus/common/promslog/flag"
)

// readmeFlagsTable returns the rows of README.md's table of flags, keyed by
// each flag the row names: the default column and the whole row.
func readmeFlagsTable(t *testing.T, readme string) map[string][2]string {
	t.Helper()
	_, table, ok := strings.Cut(readme, "Flags, in the Prometheus exporters' style:\n")
	if !ok {
		t.Fatal("README.md no longer introduces its table of flags with \"Flags, in the Prometheus exporters' style:\"; keep it or change this test")
	}
	table, _, _ = strings.Cut(strings.TrimLeft(table, "\n"), "\n\n")
	flagRE := regexp.MustCompile("`(--[a-z][a-z0-9.-]*)`")
	rows := map[string][2]string{}
	for _, line := range strings.Split(table, "\n")[2:] {
		// A cell holds no "|" but the escaped "\|".
		cells := strings.Split(strings.Trim(strings.ReplaceAll(line, `\|`, "\x00"), "| "), "|")
		if len(cells) < 3 {
			t.Fatalf("README.md's flags table has a row of fewer than three columns: %s", line)
		}
		def := strings.TrimSpace(cells[1])
		if m := regexp.MustCompile("^`([^`]*)`").FindStringSubmatch(def); m != nil {
			def = m[1]
		}
		for _, m := range flagRE.FindAllStringSubmatch(cells[0], -1) {
			rows[m[1]] = [2]string{def, line}
		}
	}
	return rows
}

// README.md names every flag of every command, and its table of flags gives
// each flag's default and environment variable as the command line has
// them, so that what an operator reads there is what the binary does.
func TestReadmeDescribesTheFlags(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	app := kingpin.New("touchprobe", "")
	promslogflag.AddFlags(app, &promslog.Config{})
	(&commands{}).register(app)
	model := app.Model()
	rows := readmeFlagsTable(t, readme)

	type flagOf struct {
		cmd  string
		flag *kingpin.FlagModel
	}
	var flags []flagOf
	for _, f := range model.Flags {
		flags = append(flags, flagOf{"touchprobe", f})
	}
	for _, c := range model.Commands {
		for _, f := range c.Flags {
			flags = append(flags, flagOf{"touchprobe " + c.Name, f})
		}
	}
	known := map[string]bool{}
	for _, f := range flags {
		name := "--" + f.flag.Name
		if f.flag.Hidden || f.flag.Name == "help" {
			continue
		}
		known[name] = true
		if !regexp.MustCompile(regexp.QuoteMeta(name) + `([^a-z0-9.-]|$)`).MatchString(readme) {
			t.Errorf("README.md never names %s of %s", name, f.cmd)
		}
		row, ok := rows[name]
		if !ok {
			continue
		}
		// The demo listens on loopback only; the README says so there.
		if def := strings.Join(f.flag.Default, ","); def != "" && def != row[0] && f.cmd != "touchprobe demo" {
			t.Errorf("README.md's flags table gives %s (%s) the default %q; it is %q:\n%s", name, f.cmd, row[0], def, row[1])
		}
		if f.flag.Envar != "" && !strings.Contains(row[1], "`"+f.flag.Envar+"`") {
			t.Errorf("README.md's flags table does not say that %s reads $%s:\n%s", name, f.flag.Envar, row[1])
		}
	}
	for name, row := range rows {
		if !known[name] {
			t.Errorf("README.md's flags table has %s, which no command has:\n%s", name, row[1])
		}
	}
}
