package precompress

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
)

// The same site gives the same bytes, variants and manifest alike; dotfiles,
// skipped names and symlinks stay out.
func TestPrepareReproducible(t *testing.T) {
	src := fstest.MapFS{
		"index.html":    {Data: []byte(strings.Repeat("<p>hello</p>", 100)), Mode: 0o600},
		"app.js":        {Data: []byte(strings.Repeat("let a=1;", 100))},
		"tiny.css":      {Data: []byte("a{}")},
		".env":          {Data: []byte("TOKEN=x")},
		".well-known/x": {Data: []byte("x")},
		"Dockerfile":    {Data: []byte("# syntax=x")},
		"link":          {Data: []byte("../x"), Mode: os.ModeSymlink},
	}
	var trees [2]map[string]string
	for i := range trees {
		out := filepath.Join(t.TempDir(), "out")
		m, skipped, err := Prepare(src, out, map[string]bool{"Dockerfile": true})
		if err != nil {
			t.Fatal(err)
		}
		if len(m.Files) != 3 || len(skipped) != 1 || !strings.HasPrefix(skipped[0], "link") {
			t.Fatalf("files %v, skipped %v", m.Files, skipped)
		}
		if f := m.Files["index.html"]; f.Gzip == 0 || f.Brotli == 0 || f.Brotli >= f.Size {
			t.Errorf("index.html variants: %+v", f)
		}
		if f := m.Files["tiny.css"]; f.Gzip != 0 || f.Brotli != 0 {
			t.Errorf("a tiny file got variants: %+v", f)
		}
		trees[i] = readTree(t, out)
	}
	// 3 files, both variants of index.html and app.js, the manifest.
	if len(trees[0]) != 8 {
		t.Errorf("tree: %v", keys(trees[0]))
	}
	for name, data := range trees[0] {
		if trees[1][name] != data {
			t.Errorf("%s differs between two runs", name)
		}
		if strings.Contains(name, ".env") || strings.Contains(name, "Dockerfile") || strings.Contains(name, "link") {
			t.Errorf("%s was copied", name)
		}
	}
}

func readTree(t *testing.T, dir string) map[string]string {
	out := map[string]string{}
	err := filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() {
			return err
		}
		if fi.Mode().Perm() != 0o644 {
			t.Errorf("%s has mode %v, want 0644", p, fi.Mode())
		}
		dt, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		out[filepath.ToSlash(rel)] = string(dt)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
