package node

import (
	"bytes"
	"testing"
)

// FuzzNodeProjectFiles: the checks of the project files never panic, and
// every finding names a file that was read and a line of it.
func FuzzNodeProjectFiles(f *testing.F) {
	f.Add([]byte(`{"dependencies":{"a":"file:../a"}}`), []byte("importers:\n  apps/x:\n    dependencies:\n      a:\n        version: link:../../a\n"), []byte("//r/:_authToken=t\nscript-shell=/bin/sh\n"))
	f.Fuzz(func(t *testing.T, a, b, c []byte) {
		files := map[string][]byte{"package.json": a, "pnpm-lock.yaml": b, ".npmrc": c}
		for _, fd := range (node{}).CheckProjectFiles(nil, files) {
			dt, ok := files[fd.File]
			if !ok {
				t.Fatalf("finding in a file not read: %+v", fd)
			}
			if n := bytes.Count(dt, []byte("\n")) + 1; fd.Line < 0 || fd.Line > n {
				t.Fatalf("finding at line %d of %d: %+v", fd.Line, n, fd)
			}
		}
	})
}
