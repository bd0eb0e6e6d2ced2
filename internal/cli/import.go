package cli

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/alecthomas/kingpin/v2"

	"github.com/touchprobe/touchprobe/config"
	"github.com/touchprobe/touchprobe/recorder"
)

// maxRecording bounds what import reads: a recording of a long journey is
// a few hundred kilobytes, and a journey's recording = reads no more.
const maxRecording = config.MaxFileSize

type recorderFlags struct {
	file     string
	name     string
	schedule string
	secrets  []string
	journey  string
}

var envNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func (c *commands) registerRecorder(app *kingpin.Application) {
	imp := app.Command("import", "Print a configuration with one journey from a Chrome DevTools Recorder recording (JSON export).")
	imp.Arg("file", "The recording: Recorder → Export → JSON.").Required().StringVar(&c.rec.file)
	imp.Flag("name", "The journey's name (default: the recording's title).").PlaceHolder("NAME").StringVar(&c.rec.name)
	imp.Flag("schedule", "The journey's schedule (default: "+config.DefaultSchedule+").").PlaceHolder("SPEC").StringVar(&c.rec.schedule)
	imp.Flag("secret", "Write this value as ${env:ENVNAME} wherever the recording has it; repeatable.").PlaceHolder("ENVNAME=VALUE").StringsVar(&c.rec.secrets)
	c.handlers[imp.FullCommand()] = c.runImport

	exp := app.Command("export", "Write a journey as a Chrome DevTools Recorder recording (JSON) that Chrome and @puppeteer/replay replay.")
	exp.Flag("config", "Configuration file (TOML).").Short('c').Required().PlaceHolder("FILE").StringVar(&c.configFile)
	exp.Flag("journey", "The journey to write.").Required().PlaceHolder("NAME").StringVar(&c.rec.journey)
	c.handlers[exp.FullCommand()] = c.runExport
}

func (c *commands) runImport() int {
	opts := recorder.Options{Name: c.rec.name, Schedule: c.rec.schedule}
	for _, s := range c.rec.secrets {
		env, value, ok := strings.Cut(s, "=")
		if !ok || !envNameRE.MatchString(env) || value == "" {
			fmt.Fprintf(c.stderr, "touchprobe: --secret %q: write ENVNAME=VALUE, such as --secret SHOP_PASSWORD=hunter2\n", strings.SplitN(s, "=", 2)[0]+"=…")
			return 2
		}
		opts.Secrets = append(opts.Secrets, recorder.Secret{Env: env, Value: value})
	}
	if opts.Schedule != "" {
		if _, err := config.ParseSchedule(opts.Schedule, time.Now()); err != nil {
			fmt.Fprintf(c.stderr, "touchprobe: --schedule: %v\n", err)
			return 2
		}
	}
	data, err := readLimited(c.rec.file, maxRecording)
	if err != nil {
		fmt.Fprintf(c.stderr, "%s: %v\n", c.rec.file, err)
		return 1
	}
	flow, err := recorder.Parse(data)
	if err != nil {
		fmt.Fprintf(c.stderr, "%s: %v\n", c.rec.file, err)
		return 1
	}
	im, err := recorder.Import(flow, opts)
	if err != nil {
		fmt.Fprintf(c.stderr, "%s: %v\n", c.rec.file, err)
		return 1
	}
	var out bytes.Buffer
	if err := im.WriteTOML(&out); err != nil {
		fmt.Fprintln(c.stderr, err)
		return 1
	}
	if out.Len() > config.MaxFileSize {
		// check and run would refuse the file; a journey that names
		// the recording reads it as it is, within the same bound.
		fmt.Fprintf(c.stderr, "%s: the journey written out would have %d bytes, more than the %s a configuration may have; name the recording in a journey instead, which replays it as it is:\n\n[[journey]]\nname = %q\n", c.rec.file, out.Len(), config.ByteSize(config.MaxFileSize), im.Journey.Name)
		if c.rec.schedule != "" {
			fmt.Fprintf(c.stderr, "schedule = %q\n", c.rec.schedule)
		}
		rec := c.rec.file
		if abs, err := filepath.Abs(rec); err == nil {
			rec = abs
		}
		fmt.Fprintf(c.stderr, "recording = %q\n", rec)
		if len(opts.Secrets) > 0 {
			fmt.Fprintln(c.stderr, "\nThe recording holds the --secret values as recorded: keep it where only touchprobe reads it.")
		}
		return 1
	}
	if _, err := c.stdout.Write(out.Bytes()); err != nil {
		fmt.Fprintln(c.stderr, err)
		return 1
	}
	for _, n := range im.Notes {
		fmt.Fprintf(c.stderr, "note: %s\n", n)
	}
	if len(im.Env) > 0 {
		var names []string
		for _, e := range im.Env {
			names = append(names, fmt.Sprintf("%s (%s)", e.Name, e.Why))
		}
		fmt.Fprintf(c.stderr, "note: the journey reads secrets from the environment; set %s where touchprobe runs\n", strings.Join(names, ", "))
	}
	return 0
}

func (c *commands) runExport() int {
	cfg, err := config.Load(c.configFile)
	if err != nil {
		fmt.Fprintln(c.stderr, err)
		return 1
	}
	j := cfg.Journey(c.rec.journey)
	if j == nil {
		var names []string
		for _, j := range cfg.Journeys {
			names = append(names, fmt.Sprintf("%q", j.Name))
		}
		fmt.Fprintf(c.stderr, "%s: no journey named %q; configured journeys: %s\n", c.configFile, c.rec.journey, strings.Join(names, ", "))
		return 1
	}
	flow, notes, err := recorder.Export(j, cfg.Secrets())
	if err != nil {
		fmt.Fprintf(c.stderr, "%s: journey %q: %v\n", c.configFile, j.Name, err)
		return 1
	}
	data, err := flow.MarshalJSON()
	if err != nil {
		fmt.Fprintln(c.stderr, err)
		return 1
	}
	if _, err := c.stdout.Write(data); err != nil {
		fmt.Fprintln(c.stderr, err)
		return 1
	}
	for _, n := range notes {
		fmt.Fprintf(c.stderr, "note: %s\n", n)
	}
	return 0
}

// readLimited reads a file of at most limit bytes.
func readLimited(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("larger than %d MiB: is it a Recorder JSON export?", limit>>20)
	}
	return data, nil
}
