package config

import (
	"io"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// RecordingReader turns the content of a Chrome DevTools Recorder export
// into a configuration (TOML) whose first journey holds the recording's
// steps, named as `touchprobe import` names them. Its errors name the
// recording's step by position.
type RecordingReader func(data []byte) ([]byte, error)

var (
	recordingMu     sync.RWMutex
	recordingReader RecordingReader
)

// SetRecordingReader sets how a journey's recording = "file.json" is read.
// The recorder package, which knows the Recorder's format, sets it when a
// program imports it.
func SetRecordingReader(r RecordingReader) {
	recordingMu.Lock()
	defer recordingMu.Unlock()
	recordingReader = r
}

func readerOfRecordings() RecordingReader {
	recordingMu.RLock()
	defer recordingMu.RUnlock()
	return recordingReader
}

// recordings replaces the steps of each journey that names a recording
// with the recording's steps, read from the file relative to the
// configuration's folder, and sets the budgets and touchpoints the
// journey gives them. A step decoded here is then defaulted, filled and
// validated as one written in the file. orders receives the order of the
// fields of its fill steps.
func (d *decoder) recordings(out *decoded, dir string, orders map[[2]int][]string) {
	for i := range out.cfg.Journeys {
		j, m := &out.cfg.Journeys[i], out.journeys[i]
		w := where{journey: j.Name, journeyIndex: i + 1}
		if !m.has("recording") {
			for _, key := range []string{"budgets", "touchpoints"} {
				if m.present[key] {
					d.add(w, key, "only used with recording: set a step's %s in the step itself", strings.TrimSuffix(key, "s"))
				}
			}
			continue
		}
		if m.present["step"] {
			d.add(w, "recording", "written with [[journey.step]]: a journey's steps are those of its recording, or those written in the file; make them two journeys")
			m.bad["step"] = true
			continue
		}
		// The steps come from the recording, or there are none to check.
		m.bad["step"] = true
		if strings.TrimSpace(j.Recording) == "" {
			d.add(w, "recording", `must not be empty: write the path of a Chrome Recorder JSON export, such as "checkout.json"`)
			continue
		}
		steps, metas, order, ok := d.recording(w, dir, j.Recording)
		if !ok {
			continue
		}
		j.Steps, out.steps[i] = steps, metas
		delete(m.bad, "step")
		for s, fields := range order {
			orders[[2]int{i + 1, s}] = fields
		}
		d.stepMaps(w, j, metas)
	}
}

// recording reads one recording file; name is how the file wrote it: a
// path relative to dir, the configuration file's folder, or an absolute
// one, as ${file:...} is.
func (d *decoder) recording(w where, dir, name string) ([]Step, []meta, map[int][]string, bool) {
	read := readerOfRecordings()
	if read == nil {
		d.add(w, "recording", "this program cannot read Chrome Recorder exports: run the journey with touchprobe")
		return nil, nil, nil, false
	}
	path, where := name, ""
	if !filepath.IsAbs(name) {
		path, where = filepath.Join(dir, name), " (relative to the configuration file)"
	}
	f, err := os.Open(path)
	if err != nil {
		d.add(w, "recording", "cannot read %q%s: %v", name, where, unwrapPath(err))
		return nil, nil, nil, false
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	switch {
	case err != nil:
		d.add(w, "recording", "cannot read %q%s: %v", name, where, unwrapPath(err))
		return nil, nil, nil, false
	case len(data) > MaxFileSize:
		d.add(w, "recording", "%q is larger than %d bytes: is it a Recorder export?", name, MaxFileSize)
		return nil, nil, nil, false
	}
	text, err := read(data)
	if err != nil {
		d.add(w, "recording", "%q: %v", name, err)
		return nil, nil, nil, false
	}
	var tree map[string]any
	md, err := decodeTOML(string(text), &tree)
	if err != nil {
		// The reader's output is ours: this is a bug, said plainly.
		d.add(w, "recording", "%q could not be turned into steps: %v", name, err)
		return nil, nil, nil, false
	}
	journeys, _ := tree["journey"].([]map[string]any)
	if len(journeys) == 0 {
		d.add(w, "recording", "%q has no steps", name)
		return nil, nil, nil, false
	}
	tables, _ := journeys[0]["step"].([]map[string]any)
	steps := make([]Step, len(tables))
	metas := make([]meta, len(tables))
	for k, sm := range tables {
		sw := w
		sw.step, sw.stepIndex = nameOf(sm), k+1
		metas[k] = d.table(sw, []string{"journey", "step"}, sm, reflect.ValueOf(&steps[k]).Elem())
	}
	keys := make([][]string, len(md.Keys()))
	for k, key := range md.Keys() {
		keys[k] = key
	}
	order := map[int][]string{}
	for js, fields := range fieldOrders(keys) {
		if js[0] == 1 {
			order[js[1]] = fields
		}
	}
	return steps, metas, order, true
}

// stepMaps applies a recorded journey's budgets and touchpoints, each
// keyed by a step's name or its position (1 for the first step).
func (d *decoder) stepMaps(w where, j *Journey, metas []meta) {
	find := func(key, ref string) int {
		if n, err := strconv.Atoi(ref); err == nil {
			if n < 1 || n > len(j.Steps) {
				d.add(w, key, "%q: the recording has steps 1 to %d", ref, len(j.Steps))
				return -1
			}
			return n - 1
		}
		names := make([]string, len(j.Steps))
		for k := range j.Steps {
			if j.Steps[k].Name == ref {
				return k
			}
			names[k] = j.Steps[k].Name
		}
		if s, ok := closest(ref, names); ok {
			d.add(w, key, "no step of the recording is called %q: did you mean %q?", ref, s)
		} else {
			d.add(w, key, "no step of the recording is called %q: write a step's name (%s) or its position, such as \"1\"", ref, list(names, "or"))
		}
		return -1
	}
	for _, ref := range slices.Sorted(maps.Keys(j.Budgets)) {
		k := find("budgets", ref)
		if k < 0 {
			continue
		}
		var dur Duration
		if err := dur.UnmarshalText([]byte(j.Budgets[ref])); err != nil || dur.Duration <= 0 {
			d.add(w, "budgets", "the budget of %q must be a Go duration greater than 0, such as \"2s\", got %q", ref, j.Budgets[ref])
			continue
		}
		j.Steps[k].Budget = Budget{Duration: dur.Duration}
		metas[k].present["budget"] = true
	}
	for _, ref := range slices.Sorted(maps.Keys(j.Touchpoints)) {
		k := find("touchpoints", ref)
		if k < 0 {
			continue
		}
		j.Steps[k].Touchpoint = j.Touchpoints[ref]
		metas[k].present["touchpoint"] = true
	}
}
