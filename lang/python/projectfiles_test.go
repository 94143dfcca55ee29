package python

import (
	"bytes"
	"testing"
)

// FuzzPythonProjectFiles: the checks of the project files never panic, and
// every finding names a file that was read and a line of it.
func FuzzPythonProjectFiles(f *testing.F) {
	f.Add([]byte("-e ../lib\n--index-url https://u:p@h/simple\n"), []byte("[[package]]\nsource = { editable = \"../x\" }\n"), []byte("[[tool.uv.index]]\nurl = \"https://t@h\"\n"))
	f.Fuzz(func(t *testing.T, a, b, c []byte) {
		files := map[string][]byte{"requirements.txt": a, "uv.lock": b, "pyproject.toml": c}
		for _, fd := range (python{}).CheckProjectFiles(nil, files) {
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
