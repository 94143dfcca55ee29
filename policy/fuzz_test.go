package policy

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzLint: no input panics, every finding points inside the file, and a
// spec that parsed is never dropped.
func FuzzLint(f *testing.F) {
	for _, dir := range []string{badDir, goodDir} {
		files, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
		for _, p := range files {
			if b, err := os.ReadFile(p); err == nil {
				f.Add(b)
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, r := Lint("f.yaml", data)
		if r == nil {
			t.Fatal("nil report")
		}
		if s == nil && len(r.Errors()) == 0 {
			t.Fatal("parse failed without an error finding")
		}
		for _, fd := range r.Findings {
			if fd.Range.Start.Line < 1 || fd.Range.Start.Col < 1 || fd.Rule.ID == "" || fd.Message == "" {
				t.Fatalf("bad finding %+v", fd)
			}
		}
		_ = r.Err()
		_ = ExemptionLabel(r.Exemptions)
	})
}
