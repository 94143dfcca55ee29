package policy

import (
	"strconv"
	"strings"
	"testing"

	"github.com/org/safe-frontend/rules"
	"github.com/org/safe-frontend/spec"
)

// Bad static keys are findings at their own line, with the rule and the fix.
func TestStaticSpecChecks(t *testing.T) {
	head := "# syntax=org/safe-frontend:1\nname: site\nlanguage: static\n"
	cases := []struct {
		name, doc, rule string
		line            int
		msg             string
	}{
		{"none", "run: {port: 8080}\n", rules.MissingKey, 3, "needs static.root"},
		{"empty block", "static:\n  spa: true\n", rules.MissingKey, 4, "needs static.root"},
		{"both", "static:\n  root: public\n  build:\n    script: build\n    output: dist\n", rules.ConflictingKey, 6, "keep exactly one"},
		{"root escapes", "static:\n  root: ../secrets\n", rules.PathEscapes, 5, "outside the build context"},
		{"root absolute", "static:\n  spa: true\n  root: /etc\n", rules.PathEscapes, 6, "outside the build context"},
		{"root empty", "static:\n  root: \"\"\n", rules.InvalidValue, 5, "is empty"},
		{"output escapes", "static:\n  build:\n    script: build\n    output: ../../x\n", rules.PathEscapes, 7, "static.build.output"},
		{"output is the package", "static:\n  build:\n    script: build\n    output: ./\n", rules.InvalidValue, 7, "the package itself"},
		{"script empty", "static:\n  build:\n    script: \" \"\n    output: dist\n", rules.InvalidValue, 6, "static.build.script is empty"},
		{"node latest", "static:\n  build:\n    node: latest\n    script: build\n    output: dist\n", rules.UnpinnedVersion, 6, "static.build.node \"latest\" moves"},
		{"node eol", "static:\n  build:\n    node: \"18\"\n    script: build\n    output: dist\n", rules.EndOfLifeNode, 6, "end of life"},
		{"notFound dotfile", "static:\n  root: public\n  notFound: .errors/404.html\n", rules.InvalidValue, 6, "dotfile"},
		{"notFound escapes", "static:\n  root: public\n  notFound: ../404.html\n", rules.PathEscapes, 6, "outside"},
		{"csp newline", "static:\n  root: public\n  csp: \"default-src 'self'\\nX-Injected: 1\"\n", rules.InvalidValue, 6, "line break"},
		{"block on another language", "", rules.ConflictingKey, 4, "applies only to language: static"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			doc := head + tc.doc
			if tc.name == "block on another language" {
				doc = "# syntax=org/safe-frontend:1\nname: site\nlanguage: go\nstatic:\n  root: public\n"
			}
			s, err := spec.Parse("Dockerfile", []byte(doc))
			if err != nil {
				t.Fatal(err)
			}
			var found bool
			for _, f := range Check(s).Findings {
				if f.Rule.ID == rules.MustLookup(tc.rule).ID && strings.Contains(f.Message, tc.msg) {
					found = true
					if f.Range.Start.Line != tc.line {
						t.Errorf("%s at line %d, want %d", f.Message, f.Range.Start.Line, tc.line)
					}
				}
			}
			if !found {
				t.Errorf("no %s finding with %q in %+v", tc.rule, tc.msg, Check(s).Findings)
			}
		})
	}
}

// A good static spec has no errors; unknown and missing keys of the block
// are refused by the parser at their line.
func TestStaticSpecClean(t *testing.T) {
	doc := "# syntax=org/safe-frontend:1\nname: site\nversion: 1.0.0\nlanguage: static\nstatic:\n  root: public\n  spa: true\nrun:\n  port: 8080\n  health: {http: /healthz}\n  resources: {cpu: 50m, memory: 32Mi}\n"
	s, err := spec.Parse("Dockerfile", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range Check(s).Findings {
		if f.Rule.Severity == rules.Error {
			t.Errorf("clean spec: %s %s", f.Rule.ID, f.Message)
		}
	}
	for _, tc := range []struct {
		doc  string
		line int
		msg  string
	}{
		{"static:\n  rot: public\n", 6, "rot"},
		{"static:\n  build:\n    script: build\n", 7, "output"},
		{"static:\n  build: {output: dist, scrpit: build}\n", 6, "scrpit"},
	} {
		_, err := spec.Parse("Dockerfile", []byte("# syntax=org/safe-frontend:1\nname: site\nversion: 1.0.0\nlanguage: static\n"+tc.doc))
		if err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%q: %v, want an error naming %s", tc.doc, err, tc.msg)
			continue
		}
		if !strings.Contains(err.Error(), "line "+itoaLine(tc.line)) && !strings.Contains(err.Error(), ":"+itoaLine(tc.line)) {
			t.Errorf("%q: %v, want line %d", tc.doc, err, tc.line)
		}
	}
}

func itoaLine(n int) string { return strconv.Itoa(n) }
