package policy

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/org/safe-frontend/rules"
)

const docsDir = "../docs/rules"

// Every rule has a page that matches the catalog, no page documents an
// unknown rule, and the index lists every rule.
func TestRuleDocs(t *testing.T) {
	pages, err := filepath.Glob(filepath.Join(docsDir, "SF*.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pages {
		id := strings.TrimSuffix(filepath.Base(p), ".md")
		if _, ok := rules.Lookup(id); !ok {
			t.Errorf("%s documents %s, which is not in rules.All()", p, id)
		}
	}
	index, err := os.ReadFile(filepath.Join(docsDir, "README.md"))
	if err != nil {
		t.Fatalf("rule index: %v", err)
	}
	for _, r := range rules.All() {
		p := filepath.Join(docsDir, r.ID+".md")
		b, err := os.ReadFile(p)
		if err != nil {
			t.Errorf("%s %s has no page: %v", r.ID, r.Name, err)
			continue
		}
		page := string(b)
		if first, _, _ := strings.Cut(page, "\n"); first != "# "+r.ID+" "+r.Name {
			t.Errorf("%s: title %q, want %q", p, first, "# "+r.ID+" "+r.Name)
		}
		ex := "no"
		if r.Exemptible {
			ex = "yes"
		}
		for _, want := range []string{
			"| Severity | " + string(r.Severity) + " |",
			"| Exemptible | " + ex + " |",
			"## What it checks", "## Why it matters", "## Example", "## Exempting",
			"```yaml\n# syntax=org/safe-frontend:1\n",
		} {
			if !strings.Contains(page, want) {
				t.Errorf("%s lacks %q", p, want)
			}
		}
		if r.Exemptible && !strings.Contains(page, "rule: "+r.ID) {
			t.Errorf("%s: exemptible, but the page shows no allow: entry for it", p)
		}
		for _, c := range r.Catalogs {
			_, ref, _ := strings.Cut(c, ":")
			if c == "seed" {
				ref = "Seed"
			}
			if !strings.Contains(page, ref) {
				t.Errorf("%s does not cite catalog %s", p, c)
			}
		}
		row := "| [" + r.ID + "](" + r.ID + ".md) | " + r.Name + " | " + string(r.Severity) + " | " + ex + " | " + r.Summary + " |"
		if !strings.Contains(string(index), row) {
			t.Errorf("index lacks the row for %s: %q", r.ID, row)
		}
	}
	if n := strings.Count(string(index), "\n| [SF"); n != len(rules.All()) {
		t.Errorf("index has %d rule rows, catalog has %d rules", n, len(rules.All()))
	}
}
