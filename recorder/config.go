package recorder

import (
	"bytes"

	"github.com/touchprobe/touchprobe/config"
)

// A journey's recording = "file.json" is read by this package, which
// knows the Recorder's format; config cannot import it.
func init() { config.SetRecordingReader(ConfigOf) }

// ConfigOf turns a Recorder export into a configuration whose one journey
// has the recording's steps, named as Import names them. Its errors name
// the recording's step by position and type.
func ConfigOf(data []byte) ([]byte, error) {
	f, err := Parse(data)
	if err != nil {
		return nil, err
	}
	im, err := Import(f, Options{Name: "recording"})
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if err := im.WriteTOML(&b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
