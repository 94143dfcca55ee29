package rust

import (
	"bytes"
	"testing"
)

// FuzzRustProjectFiles: the checks of the project files never panic, and
// every finding names a file that was read and a line of it.
func FuzzRustProjectFiles(f *testing.F) {
	f.Add([]byte("[dependencies]\na = { path = \"../a\" }\n"), []byte("version = 3\n"), []byte("[build]\nrustc-wrapper = \"sh\"\n[registry]\ntoken = \"t\"\n"))
	f.Fuzz(func(t *testing.T, a, b, c []byte) {
		files := map[string][]byte{"Cargo.toml": a, "Cargo.lock": b, ".cargo/config.toml": c}
		for _, fd := range (rust{}).CheckProjectFiles(nil, files) {
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
