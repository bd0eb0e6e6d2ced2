package recorder

import (
	"testing"

	"github.com/touchprobe/touchprobe/internal/testutil/importtest"
)

// recorder is a library other programs may import: it depends on no
// internal package of touchprobe, only on config.
func TestImportsNoInternalPackage(t *testing.T) {
	importtest.NoInternalImports(t, "recorder")
}
