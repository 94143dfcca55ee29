package spec

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestBadCorpusParse checks testdata/specs/bad/parse.tsv against Parse
// alone: for each listed file, the findings must be exactly the listed
// (rule, line) rows, no more and no fewer.
func TestBadCorpusParse(t *testing.T) {
	const dir = "../testdata/specs/bad"
	tsv, err := os.ReadFile(filepath.Join(dir, "parse.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{}
	var order []string
	for i, line := range strings.Split(strings.TrimSuffix(string(tsv), "\n"), "\n") {
		cols := strings.Split(line, "\t")
		if len(cols) != 3 {
			t.Fatalf("parse.tsv:%d: want 3 tab-separated columns, got %q", i+1, line)
		}
		if i == 0 {
			if line != "file\trule\tline" {
				t.Fatalf("parse.tsv: header %q", line)
			}
			continue
		}
		if _, err := strconv.Atoi(cols[2]); err != nil {
			t.Fatalf("parse.tsv:%d: line %q is not a number", i+1, cols[2])
		}
		if _, ok := want[cols[0]]; !ok {
			order = append(order, cols[0])
		}
		want[cols[0]] = append(want[cols[0]], cols[1]+"@"+cols[2])
	}
	if len(order) < 20 {
		t.Errorf("parse.tsv lists %d files, want at least 20", len(order))
	}
	for _, name := range order {
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			_, err = Parse(name, data)
			var list ErrorList
			if !errors.As(err, &list) {
				t.Fatalf("Parse: want an ErrorList, got %v", err)
			}
			var got []string
			for _, e := range list {
				got = append(got, fmt.Sprintf("%s@%d", e.Rule, e.Range.Start.Line))
			}
			w := slices.Clone(want[name])
			slices.Sort(got)
			slices.Sort(w)
			if !slices.Equal(got, w) {
				t.Errorf("findings %v, parse.tsv lists %v\n%v", got, w, list)
			}
		})
	}
}
