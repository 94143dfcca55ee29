package sbom

import (
	"strings"
	"testing"
	"testing/fstest"
)

// A lockfile read only for the SBOM gets the project files' bounds before
// it is parsed: an alias bomb or a depth bomb is refused with its rule.
func TestLockShapeBounds(t *testing.T) {
	bomb := "lockfileVersion: '9.0'\na: &a [x, x, x, x, x, x, x, x, x]\n" +
		strings.Repeat("b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n", 3)
	for _, tc := range []struct {
		kind, file, data string
	}{
		{KindPNPMLock, "lock.yaml", bomb},
		{KindYarnLock, "yarn.lock", "__metadata:\n  version: 8\n" + bomb},
		{KindNPMLock, "package-lock.json", strings.Repeat("[", 1000) + strings.Repeat("]", 1000)},
	} {
		fsys := fstest.MapFS{tc.file: {Data: []byte(tc.data)}}
		_, err := Read(fsys, []Source{{Kind: tc.kind, Path: "/" + tc.file}})
		if err == nil || !strings.Contains(err.Error(), "SF603 ProjectFileTooLarge") || !strings.Contains(err.Error(), tc.file+":") {
			t.Errorf("%s: %v, want SF603 at a line of %s", tc.kind, err, tc.file)
		}
	}
}
