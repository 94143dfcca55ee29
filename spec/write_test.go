package spec

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// Write renders every example's spec so that it reads back into the same
// spec; the comments land at their keys' lines.
func TestWriteReadsBack(t *testing.T) {
	specs, _ := filepath.Glob(filepath.Join("..", "examples", "*", "Dockerfile"))
	if len(specs) < 5 {
		t.Fatalf("found %d example specs, want every example's", len(specs))
	}
	for _, f := range specs {
		dt, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		s, err := Parse("Dockerfile", dt)
		if err != nil {
			t.Fatal(err)
		}
		out, err := Write(s, map[string]string{"name": "check: the name", "run/port": "seen in main.go:3"})
		if err != nil {
			t.Fatal(err)
		}
		back, err := Parse("Dockerfile", out)
		if err != nil {
			t.Fatalf("%s: the written spec does not parse: %v\n%s", f, err, out)
		}
		s.Source, back.Source = nil, nil
		if !reflect.DeepEqual(s, back) {
			t.Errorf("%s: written and read back:\n%+v\nwant\n%+v", f, back, s)
		}
		if !strings.HasPrefix(string(out), Syntax+"\n") || !strings.Contains(string(out), "\n  port: 8080 # seen in main.go:3\n") {
			t.Errorf("%s: the syntax line or the port's comment is missing:\n%s", f, out)
		}
	}
}
