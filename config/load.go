package config

import (
	"cmp"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/BurntSushi/toml"
)

// Load reads the configuration file at path and parses it with Parse.
// Every error it returns is an Errors.
func Load(path string) (*Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, Errors{{File: path, Msg: "cannot read: " + unwrapPath(err).Error(), err: err}}
	}
	defer f.Close()
	// One byte more than allowed is enough for Parse to say it is too big.
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, Errors{{File: path, Msg: "cannot read: " + unwrapPath(err).Error(), err: err}}
	}
	return Parse(data, path)
}

// decodeTOML is the TOML decoder; tests replace it to see that bounded
// input never reaches it.
var decodeTOML = toml.Decode

// Parse decodes, defaults, fills and validates a configuration. file names
// it in messages, and relative ${file:...} paths are read from its
// directory. On failure the error is an Errors with every problem found;
// the returned Config is then nil. On success every field a consumer reads
// has its final value.
func Parse(data []byte, file string) (*Config, error) {
	if file == "" {
		file = "<config>"
	}
	c := &collector{file: file}

	if e := checkBounds(file, data); e != nil {
		return nil, Errors{e}
	}
	var tree map[string]any
	md, err := decodeTOML(string(data), &tree)
	if err != nil {
		return nil, Errors{syntaxError(file, err)}
	}
	keys := make([][]string, len(md.Keys()))
	order := make(map[string]int, len(keys))
	for i, k := range md.Keys() {
		keys[i] = k
		if _, seen := order[k.String()]; !seen {
			order[k.String()] = i
		}
	}

	d := (&decoder{collector: c, order: order}).decodeTree(tree)
	cfg := d.cfg
	cfg.File = file
	orders := fieldOrders(keys)
	(&decoder{collector: c, order: order}).recordings(d, filepath.Dir(file), orders)
	setFieldOrder(cfg, orders)
	applyDefaults(d, osHostname)

	f := &filler{dir: filepath.Dir(file)}
	w := f.fillSteps(c, d)
	f.fillHeaders(c, d)
	validate(c, d, w)
	secrets := newSecrets(f.values)
	secrets.short = f.shortRefs()

	if len(c.errs) > 0 {
		sortErrors(c.errs)
		// Messages quote what the file wrote, not what was filled in, but
		// a value can still turn up (a URL built around a secret): mask
		// them all before they leave.
		for _, e := range c.errs {
			e.Key, e.Msg = secrets.Mask(e.Key), secrets.Mask(e.Msg)
		}
		return nil, c.errs
	}
	derive(cfg)
	// Like ${file:...}, a relative folder is found from the file's own
	// folder, not from wherever the agent was started.
	if a := &cfg.Agent; a.ArtifactsDir != "" && !filepath.IsAbs(a.ArtifactsDir) {
		a.ArtifactsDir = filepath.Join(filepath.Dir(file), a.ArtifactsDir)
	}
	cfg.secrets = secrets
	return cfg, nil
}

// syntaxError turns the TOML library's error into an Error with the
// position and the short message.
func syntaxError(file string, err error) *Error {
	var pe toml.ParseError
	if errors.As(err, &pe) {
		return &Error{File: file, Line: pe.Position.Line, Column: pe.Position.Col, Msg: "toml: " + pe.Message, err: err}
	}
	return &Error{File: file, Msg: err.Error(), err: err}
}

// sortErrors groups errors by where they are: agent, browser and the rest of
// the top of the file first (each [[profile]] in turn), then each journey followed by its steps. Within
// a group, decoding errors (types, unknown keys) stay before rule errors.
func sortErrors(errs Errors) {
	table := func(e *Error) int {
		if e.JourneyIndex > 0 {
			return 3
		}
		switch {
		case strings.HasPrefix(e.Key, "agent."):
			return 0
		case strings.HasPrefix(e.Key, "browser."):
			return 1
		}
		return 2
	}
	slices.SortStableFunc(errs, func(a, b *Error) int {
		return cmp.Or(
			cmp.Compare(table(a), table(b)),
			cmp.Compare(a.JourneyIndex, b.JourneyIndex),
			cmp.Compare(a.ProfileIndex, b.ProfileIndex),
			cmp.Compare(a.MaintenanceIndex, b.MaintenanceIndex),
			cmp.Compare(a.StepIndex, b.StepIndex),
		)
	})
}
