package policy

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/org/safe-frontend/rules"
)

const (
	badDir  = "../testdata/specs/bad"
	goodDir = "../testdata/specs/good"
)

// corpusRow is one expected finding: file, rule and line.
type corpusRow struct {
	table string // the .tsv it came from, with its line, for messages
	file  string
	rule  string
	line  int
}

func readCorpus(t *testing.T) []corpusRow {
	t.Helper()
	tables, err := filepath.Glob(filepath.Join(badDir, "*.tsv"))
	if err != nil || len(tables) == 0 {
		t.Fatalf("no .tsv tables in %s (%v)", badDir, err)
	}
	var rows []corpusRow
	for _, table := range tables {
		f, err := os.Open(table)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		n := 0
		for sc.Scan() {
			n++
			line := strings.TrimRight(sc.Text(), "\r")
			if n == 1 {
				if line != "file\trule\tline" {
					t.Errorf("%s: header is %q, want \"file\\trule\\tline\"", table, line)
				}
				continue
			}
			if strings.TrimSpace(line) == "" {
				continue
			}
			cols := strings.Split(line, "\t")
			if len(cols) != 3 {
				t.Errorf("%s:%d: want 3 tab-separated columns, got %q", table, n, line)
				continue
			}
			ln, err := strconv.Atoi(cols[2])
			if err != nil || ln < 1 {
				t.Errorf("%s:%d: bad line number %q", table, n, cols[2])
				continue
			}
			if _, ok := rules.Lookup(cols[1]); !ok {
				t.Errorf("%s:%d: unknown rule %q", table, n, cols[1])
			}
			rows = append(rows, corpusRow{table: fmt.Sprintf("%s:%d", filepath.Base(table), n), file: cols[0], rule: cols[1], line: ln})
		}
		f.Close()
		if err := sc.Err(); err != nil {
			t.Fatal(err)
		}
	}
	return rows
}

func lintFile(t *testing.T, path string) *Report {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	_, r := Lint(path, data)
	return r
}

// Each listed (rule, line) is among the non-exempted findings of its file.
func TestBadCorpus(t *testing.T) {
	rows := readCorpus(t)
	reports := map[string]*Report{}
	for _, row := range rows {
		r, ok := reports[row.file]
		if !ok {
			r = lintFile(t, filepath.Join(badDir, row.file))
			reports[row.file] = r
		}
		found := false
		for _, f := range r.Findings {
			if !f.Exempted && f.Rule.ID == row.rule && f.Range.Start.Line == row.line {
				found = true
				break
			}
		}
		if !found {
			var got []string
			for _, f := range r.Findings {
				got = append(got, fmt.Sprintf("  %d:%d %s exempted=%v %s", f.Range.Start.Line, f.Range.Start.Col, f.Rule.ID, f.Exempted, f.Message))
			}
			t.Errorf("%s: %s: want %s at line %d; got:\n%s", row.table, row.file, row.rule, row.line, strings.Join(got, "\n"))
		}
	}
}

// Every bad spec is listed in some table, and every listed file exists.
func TestBadCorpusComplete(t *testing.T) {
	rows := readCorpus(t)
	listed := map[string]bool{}
	for _, row := range rows {
		listed[row.file] = true
		if _, err := os.Stat(filepath.Join(badDir, row.file)); err != nil {
			t.Errorf("%s: %v", row.table, err)
		}
	}
	files, err := filepath.Glob(filepath.Join(badDir, "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if !listed[filepath.Base(f)] {
			t.Errorf("%s is in no .tsv table; list the findings it must produce", f)
		}
	}
	// Every bad spec really is refused or warned about.
	for f := range listed {
		if r := lintFile(t, filepath.Join(badDir, f)); len(r.Errors())+len(r.Warnings()) == 0 {
			t.Errorf("%s: no findings", f)
		}
	}
}

// Every rule is shown firing by the corpus (except those raised while
// building: a required secret not provided, a missing lockfile), and every
// semantic rule by policy.tsv itself.
func TestCorpusCoversEveryRule(t *testing.T) {
	all := map[string]bool{}
	policy := map[string]bool{}
	for _, row := range readCorpus(t) {
		all[row.rule] = true
		if strings.HasPrefix(row.table, "policy.tsv:") {
			policy[row.rule] = true
		}
	}
	for _, r := range rules.All() {
		if rules.AtBuild(r.ID) {
			continue // raised with a build context (context_test.go, integration)
		}
		if !all[r.ID] {
			t.Errorf("no bad spec in %s shows %s %s firing", badDir, r.ID, r.Name)
		}
	}
	for _, id := range policyRules() {
		if !policy[id] {
			t.Errorf("policy.tsv has no row for %s", id)
		}
	}
}

func goodSpecs(t *testing.T) []string {
	t.Helper()
	examples, err := filepath.Glob("../examples/*/Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	good, err := filepath.Glob(filepath.Join(goodDir, "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(examples) == 0 || len(good) < 5 {
		t.Fatalf("want examples and at least 5 good specs, got %d and %d", len(examples), len(good))
	}
	return append(examples, good...)
}

// The good side: every example and good spec parses and no rule fires on
// it (exempted findings aside), so each rule is shown silent on all of them.
func TestGoodCorpus(t *testing.T) {
	for _, path := range goodSpecs(t) {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		s, r := Lint(path, data)
		if s == nil {
			t.Errorf("%s does not parse: %v", path, r.Err())
			continue
		}
		for _, f := range r.Findings {
			if !f.Exempted {
				t.Errorf("%s:%d:%d: %s %s %s: %s", path, f.Range.Start.Line, f.Range.Start.Col, f.Rule.Severity, f.Rule.ID, f.Rule.Name, f.Message)
			}
		}
	}
}

func TestGoodCorpusExemptionsAreRecorded(t *testing.T) {
	r := lintFile(t, filepath.Join(goodDir, "exempted-privileged-port.yaml"))
	ex := r.Exempted()
	if len(ex) != 1 || ex[0].Rule.ID != rules.PrivilegedPort || ex[0].Range.Start.Line != 10 || !strings.Contains(ex[0].Reason, "NET_BIND_SERVICE") {
		t.Fatalf("exempted findings = %+v", ex)
	}
	if r.Err() != nil {
		t.Fatalf("an exempted finding refused the build: %v", r.Err())
	}
	want := `[{"rule":"SF204","reason":"the ingress forwards to :80 only; the pod is granted NET_BIND_SERVICE"}]`
	if got := ExemptionLabel(r.Exemptions); got != want {
		t.Errorf("label = %s\nwant    %s", got, want)
	}
}

// Semantic findings read the same everywhere: lower-case start, no period.
func TestCorpusMessageStyle(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(badDir, "*.yaml"))
	seen := map[string]bool{}
	for _, path := range files {
		for _, f := range lintFile(t, path).Findings {
			if f.Path == "" {
				continue // parse findings carry no path and the parser's wording
			}
			seen[f.Rule.ID] = true
			checkMessageStyle(t, f)
		}
	}
	ids := make([]string, 0, len(seen))
	for id := range seen {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	if len(ids) < 20 {
		t.Errorf("only %d semantic rules seen in the corpus: %v", len(ids), ids)
	}
}
