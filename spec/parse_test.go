package spec

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/org/safe-frontend/rules"
)

const hdr = "# syntax=org/safe-frontend:1\n"

// base is the smallest valid body: lines 2 and 3 after hdr.
const base = "name: app\nlanguage: go\n"

func mustParse(t *testing.T, data string) *Spec {
	t.Helper()
	s, err := Parse("Dockerfile", []byte(data))
	if err != nil {
		t.Fatalf("Parse: %v\ninput:\n%s", err, data)
	}
	return s
}

func parseErrors(t *testing.T, data []byte) ErrorList {
	t.Helper()
	s, err := Parse("app.yaml", data)
	if err == nil {
		t.Fatalf("Parse succeeded (%+v), want errors; input:\n%q", s, data)
	}
	if s != nil {
		t.Errorf("Parse returned a spec together with errors")
	}
	var list ErrorList
	if !errors.As(err, &list) {
		t.Fatalf("error is %T, want ErrorList: %v", err, err)
	}
	for _, e := range list {
		if e.Filename != "app.yaml" {
			t.Errorf("error %v: filename %q", e, e.Filename)
		}
		if _, ok := rules.Lookup(e.Rule); !ok {
			t.Errorf("error %v: unknown rule", e)
		}
		if e.Msg == "" || strings.HasSuffix(e.Msg, ".") {
			t.Errorf("error %v: message should not end with a period", e)
		}
		if strings.Contains(e.Msg, "internal error") {
			t.Errorf("error %v: parser panicked", e)
		}
	}
	return list
}

func TestParseExample(t *testing.T) {
	data, err := os.ReadFile("../examples/go-hello/Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	s, err := Parse("Dockerfile", data)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	want := &Spec{
		Name:     "go-hello",
		Version:  "1.0.0",
		Language: "go",
		Go:       &Go{Version: "1.26", Main: "./cmd/hello"},
		Run: Run{
			Args:      []string{"--listen=:8080"},
			Port:      8080,
			Env:       map[string]string{"LOG_FORMAT": "json"},
			Health:    &Health{HTTP: "/healthz"},
			Resources: &Resources{CPU: "100m", Memory: "64Mi"},
		},
		Final: "distroless",
		Labels: map[string]string{
			"org.opencontainers.image.licenses":    "MIT",
			"org.opencontainers.image.description": "A small HTTP server built by safe-frontend",
		},
	}
	got := *s
	got.Source = nil
	if !reflect.DeepEqual(&got, want) {
		t.Errorf("spec:\n got %+v\nwant %+v", got, *want)
	}
	src := s.Source
	if src.Filename != "Dockerfile" || string(src.Data) != string(data) {
		t.Errorf("source filename/data not recorded: %q", src.Filename)
	}
	r := func(l1, c1, l2, c2 int) Range { return Range{Pos{l1, c1}, Pos{l2, c2}} }
	fields := map[string]Range{
		"":                   r(2, 1, 19, 83),
		"name":               r(2, 1, 2, 15),
		"version":            r(3, 1, 3, 15),
		"go":                 r(5, 1, 7, 20),
		"go/version":         r(6, 3, 6, 18),
		"run":                r(8, 1, 15, 39),
		"run/args":           r(9, 3, 9, 27),
		"run/args/0":         r(9, 10, 9, 26),
		"run/port":           r(10, 3, 10, 13),
		"run/env/LOG_FORMAT": r(12, 5, 12, 21),
		"run/health/http":    r(14, 5, 14, 19),
		"final":              r(16, 1, 16, 18),
		"labels/org.opencontainers.image.licenses": r(18, 3, 18, 41),
	}
	for path, w := range fields {
		if g, ok := src.Fields[path]; !ok || g != w {
			t.Errorf("Fields[%q] = %v (present %v), want %v", path, g, ok, w)
		}
	}
	keys := map[string]Range{
		"name":               r(2, 1, 2, 5),
		"go/version":         r(6, 3, 6, 10),
		"run/env/LOG_FORMAT": r(12, 5, 12, 15),
		"labels/org.opencontainers.image.licenses": r(18, 3, 18, 36),
	}
	for path, w := range keys {
		if g, ok := src.Keys[path]; !ok || g != w {
			t.Errorf("Keys[%q] = %v (present %v), want %v", path, g, ok, w)
		}
	}
	for _, absent := range []string{"build", "build/args", "run/user", "copy", "allow"} {
		if src.Has(absent) {
			t.Errorf("Has(%q) = true for a key not in the file", absent)
		}
	}
	if _, ok := src.Keys["run/args/0"]; ok {
		t.Errorf("sequence items have no key range")
	}
	// Every key range lies inside its field range.
	for path, k := range src.Keys {
		f := src.Fields[path]
		if before(k.Start, f.Start) || before(f.End, k.End) {
			t.Errorf("Keys[%q]=%v not inside Fields=%v", path, k, f)
		}
	}
}

func before(a, b Pos) bool { return a.Line < b.Line || (a.Line == b.Line && a.Col < b.Col) }

func TestParseErrorsTable(t *testing.T) {
	deep := strings.Repeat("[", 40) + strings.Repeat("]", 40)
	tests := []struct {
		name      string
		in        string
		rule      string
		line, col int
		msg       string // substring of the first error's message
	}{
		{"yaml syntax", hdr + base + "run: {port: 1\n", rules.Syntax, 4, 1, "invalid YAML"},
		{"mapping in plain value", hdr + base + "version: a: b\n", rules.Syntax, 4, 1, "mapping values"},
		{"bad indentation", hdr + base + "run:\n  port: 1\n    user: x\n", rules.Syntax, 6, 5, "invalid YAML"},
		{"sequence after mapping", hdr + base + "- x\n", rules.Syntax, 4, 1, "did not find expected key"},
		{"flow left open", hdr + base + "run: {args: [a, b}, port: 1}\nfinal: scratch\n", rules.Syntax, 4, 1, "did not find expected ',' or ']'"},
		{"unterminated quote", hdr + base + "version: \"1.0\n", rules.Syntax, 4, 1, "end of stream"},
		{"tab indentation", hdr + base + "run:\n \tport: 1\n", rules.Syntax, 5, 2, "tab"},
		{"nul byte", hdr + "name: a\x00b\nlanguage: go\n", rules.Syntax, 2, 8, "null byte"},
		{"invalid utf8", hdr + base + "version: \"\xc3\x28\"\n", rules.Syntax, 4, 11, "UTF-8"},
		{"utf8 column counts characters", hdr + "name: \"h\u00e9\xff\"\nlanguage: go\n", rules.Syntax, 2, 10, "UTF-8"},
		{"control char", hdr + base + "version: \"\x1b[1m\"\n", rules.Syntax, 4, 11, "U+001B"},
		{"bom", "\xef\xbb\xbf" + hdr + base, rules.Syntax, 1, 1, "byte order mark"},
		{"line separator", hdr + base + "version: \"a\u2028b\"\n", rules.Syntax, 4, 12, "U+2028"},
		{"unknown key", hdr + base + "lables: {}\n", rules.UnknownKey, 4, 1, `did you mean "labels"?`},
		{"unknown nested key", hdr + base + "run:\n  prot: 1\n", rules.UnknownKey, 5, 3, `run.prot: unknown key, did you mean "port"?`},
		{"wrong type port string", hdr + base + "run:\n  port: \"8080\"\n", rules.WrongType, 5, 9, `run.port: want an integer, got string "8080"`},
		{"wrong type port float", hdr + base + "run:\n  port: 80.5\n", rules.WrongType, 5, 9, "got float 80.5"},
		{"wrong type port bool", hdr + base + "run:\n  port: true\n", rules.WrongType, 5, 9, "got boolean true"},
		{"int out of int32", hdr + base + "run:\n  port: 2147483648\n", rules.InvalidValue, 5, 9, "out of range"},
		{"octal int", hdr + base + "run:\n  port: 0755\n", rules.InvalidValue, 5, 9, "decimal"},
		{"bool yes", hdr + base + "secrets:\n- id: a\n  required: yes\n", rules.WrongType, 6, 13, `secrets[0].required: want true or false, got string "yes"`},
		{"string gets mapping", hdr + base + "version: {a: 1}\n", rules.WrongType, 4, 10, "want a string, got a mapping"},
		{"string gets null", hdr + base + "version: ~\n", rules.WrongType, 4, 10, "got null"},
		{"implicit null", hdr + base + "final:\n", rules.WrongType, 4, 7, "final: want a string, got null"},
		{"pointer gets null", hdr + base + "go:\n", rules.WrongType, 4, 4, "go: want a mapping, got null"},
		{"list gets scalar", hdr + base + "include: .env\n", rules.WrongType, 4, 10, "want a sequence"},
		{"map value not scalar", hdr + base + "labels:\n  a: [1]\n", rules.WrongType, 5, 6, "labels.a: want a string, got a sequence"},
		{"map key not scalar", hdr + base + "labels:\n  ? [a]\n  : b\n", rules.WrongType, 5, 5, "want a key name"},
		{"custom tag", hdr + base + "version: !v 1\n", rules.WrongType, 4, 10, "!v"},
		{"missing name", hdr + "language: go\n", rules.MissingKey, 2, 1, `missing required key "name"`},
		{"missing nested", hdr + base + "allow:\n- rule: SF205\n", rules.MissingKey, 5, 3, `allow[0]: missing required key "reason"`},
		{"empty document", hdr, rules.MissingKey, 1, 1, `"name"`},
		{"duplicate key", hdr + base + "name: b\n", rules.DuplicateKey, 4, 1, "first written on line 2"},
		{"duplicate map key", hdr + base + "labels:\n  a: 1\n  a: 2\n", rules.DuplicateKey, 6, 3, "labels.a: duplicate key, first written on line 5"},
		{"enum", hdr + base + "final: alpine\n", rules.InvalidValue, 4, 8, "want one of distroless, distroless-base, scratch"},
		{"anchor", hdr + base + "version: &v 1\n", rules.AliasUsed, 4, 10, "anchor &v"},
		{"alias", hdr + "name: &n a\nlanguage: go\nversion: *n\n", rules.AliasUsed, 2, 7, "anchor &n"},
		{"undefined alias", hdr + base + "version: *nope\n", rules.AliasUsed, 4, 10, "alias *nope"},
		{"merge key", hdr + base + "run:\n  <<: {port: 1}\n", rules.AliasUsed, 5, 3, "merge key"},
		{"multi document", hdr + base + "---\nname: b\n", rules.MultiDocument, 4, 1, "second YAML document"},
		{"document end then more", hdr + base + "...\nname: b\n", rules.Syntax, 5, 1, "document start"},
		{"too deep", hdr + base + "run:\n  args: " + deep + "\n", rules.TooLarge, 5, 39, "nesting deeper than 32"},
		{"scalar document", hdr + "hello\n", rules.WrongType, 2, 1, "the document: want a mapping"},
	}
	if len(tests) < 25 {
		t.Fatalf("table too small")
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			list := parseErrors(t, []byte(tt.in))
			e := list[0]
			if e.Rule != tt.rule || e.Range.Start.Line != tt.line || e.Range.Start.Col != tt.col || !strings.Contains(e.Msg, tt.msg) {
				t.Errorf("first error %v\nwant %s at %d:%d containing %q\nall:\n%v", e, tt.rule, tt.line, tt.col, tt.msg, list)
			}
			if before(e.Range.End, e.Range.Start) {
				t.Errorf("range ends before it starts: %v", e.Range)
			}
		})
	}
}

func TestParseReportsEveryProblem(t *testing.T) {
	in := hdr + base +
		"run:\n" +
		"  prot: 8080\n" + // line 5: unknown key
		"  user: 65532\n" +
		"final: alpine\n" + // line 7: not in enum
		"name: dup\n" + // line 8: duplicate
		"allow:\n" +
		"  - rule: SF205\n" // line 10: missing reason
	list := parseErrors(t, []byte(in))
	want := []struct {
		rule      string
		line, col int
	}{
		{rules.UnknownKey, 5, 3},
		{rules.InvalidValue, 7, 8},
		{rules.DuplicateKey, 8, 1},
		{rules.MissingKey, 10, 5},
	}
	if len(list) != len(want) {
		t.Fatalf("got %d errors, want %d:\n%v", len(list), len(want), list)
	}
	for i, w := range want {
		if e := list[i]; e.Rule != w.rule || e.Range.Start != (Pos{w.line, w.col}) {
			t.Errorf("error %d = %v, want %s at %d:%d", i, e, w.rule, w.line, w.col)
		}
	}
	// Error() joins all of them, one per line, with file:line:col.
	if got := strings.Count(list.Error(), "\n"); got != len(want)-1 {
		t.Errorf("ErrorList.Error has %d line breaks:\n%s", got, list.Error())
	}
	if !strings.HasPrefix(list.Error(), "app.yaml:5:3: SF002: run.prot: unknown key") {
		t.Errorf("ErrorList.Error() = %q", list.Error())
	}
}

func TestUnknownKeySuggestion(t *testing.T) {
	tests := []struct{ in, want, notWant string }{
		{"nmae: x\n", `nmae: unknown key, did you mean "name"?`, ""},
		{"Version: x\n", `did you mean "version"?`, ""},
		{"port: 80\n", `port: unknown key, did you mean "run.port"?`, ""},
		{"reason: x\n", `did you mean "allow[].reason"?`, ""},
		{"zzzzzz: x\n", "zzzzzz: unknown key", "did you mean"},
		{"run:\n  helth: {}\n", `run.helth: unknown key, did you mean "health"?`, ""},
		{"go:\n  vesion: '1'\n", `go.vesion: unknown key, did you mean "version"? (allowed: version, main, tags, ldflags)`, ""},
	}
	for _, tt := range tests {
		list := parseErrors(t, []byte(hdr+base+tt.in))
		var found *Error
		for _, e := range list {
			if e.Rule == rules.UnknownKey {
				found = e
			}
		}
		if found == nil {
			t.Errorf("%q: no UnknownKey in %v", tt.in, list)
			continue
		}
		if !strings.Contains(found.Msg, tt.want) || (tt.notWant != "" && strings.Contains(found.Msg, tt.notWant)) {
			t.Errorf("%q: message %q, want it to contain %q (and not %q)", tt.in, found.Msg, tt.want, tt.notWant)
		}
	}
	// The root has too many keys to list them all in a message.
	list := parseErrors(t, []byte(hdr+base+"nmae: x\n"))
	if strings.Contains(list[0].Msg, "allowed:") {
		t.Errorf("root key list should be left out: %q", list[0].Msg)
	}
}

func TestEditDistance(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		d    int
	}{{"", "", 0}, {"name", "name", 0}, {"nmae", "name", 1}, {"nam", "name", 1}, {"kitten", "sitting", 3}, {"ab", "", 2}} {
		if got := editDistance(tt.a, tt.b); got != tt.d {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.d)
		}
	}
}

func TestScalars(t *testing.T) {
	s := mustParse(t, hdr+"name: 123\nlanguage: go\nversion: 1.20\ngo:\n  version: \"1.20\"\n"+
		"run:\n  port: +8080\n  user: 65532:65532\n  args: [1, true, 1.5e3, null_not, 2001-12-14]\n"+
		"secrets:\n- id: a\n  required: True\n- id: b\n  required: false\n- id: c\n")
	if s.Name != "123" || s.Version != "1.20" || s.Go.Version != "1.20" {
		t.Errorf("literal text not kept: name %q version %q go.version %q", s.Name, s.Version, s.Go.Version)
	}
	if s.Run.Port != 8080 || s.Run.User != "65532:65532" {
		t.Errorf("run: %+v", s.Run)
	}
	if want := []string{"1", "true", "1.5e3", "null_not", "2001-12-14"}; !reflect.DeepEqual(s.Run.Args, want) {
		t.Errorf("args %q, want %q", s.Run.Args, want)
	}
	if len(s.Secrets) != 3 || !s.Secrets[0].Required || s.Secrets[1].Required || s.Secrets[2].Required {
		t.Errorf("secrets: %+v", s.Secrets)
	}
	// Empty collections are present, not nil; absent ones stay nil.
	s = mustParse(t, hdr+base+"go: {}\nlabels: {}\ninclude: []\nrun: {}\n")
	if s.Go == nil || s.Labels == nil || s.Include == nil || s.Run.Env != nil || s.Copy != nil {
		t.Errorf("empty collections: go %v labels %v include %v env %v copy %v", s.Go, s.Labels, s.Include, s.Run.Env, s.Copy)
	}
	if !s.Source.Has("go") || !s.Source.Has("run") || s.Source.Has("run/env") {
		t.Errorf("Has wrong for empty collections: %v", s.Source.Fields)
	}
	// Keys of maps are literal text, whatever they look like.
	s = mustParse(t, hdr+base+"run:\n  env:\n    1: one\n    true: yes\n    \"x.y/z\": 'q'\n")
	if want := map[string]string{"1": "one", "true": "yes", "x.y/z": "q"}; !reflect.DeepEqual(s.Run.Env, want) {
		t.Errorf("env %v, want %v", s.Run.Env, want)
	}
	// CRLF line endings are fine.
	s = mustParse(t, strings.ReplaceAll(hdr+base+"run:\n  port: 80\n", "\n", "\r\n"))
	if s.Run.Port != 80 || s.Source.Fields["run/port"] != (Range{Pos{5, 3}, Pos{5, 11}}) {
		t.Errorf("CRLF: port %d range %v", s.Run.Port, s.Source.Fields["run/port"])
	}
	// A leading "---" and a trailing "..." still make one document.
	mustParse(t, hdr+"---\n"+base+"...\n")
}

func TestFieldRanges(t *testing.T) {
	in := hdr + base + // 1-3
		"version: \"1.0\n  beta\"\n" + // 4-5: multi-line double-quoted
		"labels:\n" + // 6
		"  plain: a long\n    folded value  # comment\n" + // 7-8
		"  lit: |\n    one\n    two\n\n" + // 9-12
		"  'single': 'it''s'\n" + // 13
		"  tagged: !!str 42\n" + // 14
		"  \u00e9t\u00e9: \u00e9\u00e9\n" + // 15: columns count characters
		"  empty: \"\"\n" + // 16
		"run: {args: [a, \"b\" ], env: {K: v}}\n" + // 17
		"allow:\n- rule: SF205\n  reason: ok\n" // 18-20
	s := mustParse(t, in)
	r := func(l1, c1, l2, c2 int) Range { return Range{Pos{l1, c1}, Pos{l2, c2}} }
	for path, w := range map[string]Range{
		"version":              r(4, 1, 5, 8),
		"labels/plain":         r(7, 3, 8, 17),
		"labels/lit":           r(9, 3, 11, 8),
		"labels/single":        r(13, 3, 13, 20),
		"labels/tagged":        r(14, 3, 14, 19),
		"labels/\u00e9t\u00e9": r(15, 3, 15, 10),
		"labels/empty":         r(16, 3, 16, 12),
		"labels":               r(6, 1, 16, 12),
		"run":                  r(17, 1, 17, 36),
		"run/args":             r(17, 7, 17, 22),
		"run/args/1":           r(17, 17, 17, 20),
		"run/env/K":            r(17, 30, 17, 34),
		"allow":                r(18, 1, 20, 13),
		"allow/0":              r(19, 3, 20, 13),
		"allow/0/reason":       r(20, 3, 20, 13),
	} {
		if g := s.Source.Fields[path]; g != w {
			t.Errorf("Fields[%q] = %v, want %v", path, g, w)
		}
	}
	if g, w := s.Source.Keys["labels/single"], r(13, 3, 13, 11); g != w {
		t.Errorf("Keys[labels/single] = %v, want %v", g, w)
	}
	if s.Labels["plain"] != "a long folded value" || s.Labels["lit"] != "one\ntwo\n" || s.Labels["single"] != "it's" || s.Labels["tagged"] != "42" {
		t.Errorf("labels %q", s.Labels)
	}
	if s.Version != "1.0 beta" {
		t.Errorf("version %q", s.Version)
	}
	// Range falls back to the closest present ancestor.
	if g := s.Source.Range("run/env/MISSING"); g != s.Source.Fields["run/env"] {
		t.Errorf("Range fallback = %v", g)
	}
}

func TestLimits(t *testing.T) {
	huge := []byte(hdr + base + "version: \"" + strings.Repeat("x", MaxSize) + "\"\n")
	list := parseErrors(t, huge)
	if len(list) != 1 || list[0].Rule != rules.TooLarge || list[0].Range.Start != (Pos{1, 1}) {
		t.Errorf("huge: %v", list)
	}

	var b strings.Builder
	b.WriteString(hdr + base + "include:\n")
	for i := 0; i < maxNodes; i++ {
		b.WriteString("- a\n")
	}
	list = parseErrors(t, []byte(b.String()))
	// Nodes: root mapping, 2 base pairs (4), include key and sequence,
	// so the first item over the limit is item maxNodes-7 (0-based).
	if len(list) != 1 || list[0].Rule != rules.TooLarge || list[0].Range.Start.Line != 5+maxNodes-7 {
		t.Errorf("too many nodes: %v", list)
	}

	// Exactly at the depth limit is accepted by the limit check (and then
	// refused for its type, which is a different rule).
	ok := hdr + base + "run:\n  args: " + strings.Repeat("[", maxDepth-2) + strings.Repeat("]", maxDepth-2) + "\n"
	for _, e := range parseErrors(t, []byte(ok)) {
		if e.Rule == rules.TooLarge {
			t.Errorf("depth %d refused: %v", maxDepth, e)
		}
	}

	// The YAML library's own depth limit maps to TooLarge too.
	flood := hdr + base + "run:\n  args: " + strings.Repeat("[", 10001) + "\n"
	list = parseErrors(t, []byte(flood))
	if list[0].Rule != rules.TooLarge {
		t.Errorf("deep flow: %v", list[0])
	}
}

func TestErrorCap(t *testing.T) {
	var b strings.Builder
	b.WriteString(hdr + base)
	for i := 0; i < 150; i++ {
		fmt.Fprintf(&b, "bad%d: x\n", i)
	}
	list := parseErrors(t, []byte(b.String()))
	if len(list) != maxErrors+1 {
		t.Fatalf("got %d errors, want %d", len(list), maxErrors+1)
	}
	last := list[len(list)-1]
	if last.Rule != rules.TooLarge || !strings.Contains(last.Msg, "too many problems") || last.Range.Start.Line != 4+maxErrors {
		t.Errorf("last error %v", last)
	}
}

func TestAliasOnePerLine(t *testing.T) {
	in := hdr + base + "labels:\n  a: &a x\n  b: *a\ninclude: [*a, *a, *a]\n"
	list := parseErrors(t, []byte(in))
	if len(list) != 3 {
		t.Fatalf("want one AliasUsed per line (3), got:\n%v", list)
	}
	for i, e := range list {
		if e.Rule != rules.AliasUsed || e.Range.Start.Line != 5+i {
			t.Errorf("error %d: %v", i, e)
		}
	}
}

func TestParseNeverReturnsBothOrNeither(t *testing.T) {
	for _, in := range []string{"", "a", "{", "name: x\nlanguage: go\n", "\xff", "- [", "name: [\n"} {
		s, err := Parse("f", []byte(in))
		if (s == nil) == (err == nil) {
			t.Errorf("Parse(%q) = %v, %v", in, s, err)
		}
	}
}

func TestTextPositions(t *testing.T) {
	tx := newText([]byte("ab\r\n\u00e9x\u2603y\nz"))
	for _, tt := range []struct {
		off int
		p   Pos
	}{{0, Pos{1, 1}}, {2, Pos{1, 3}}, {3, Pos{1, 3}}, {4, Pos{2, 1}}, {6, Pos{2, 2}}, {7, Pos{2, 3}}, {10, Pos{2, 4}}, {12, Pos{3, 1}}, {13, Pos{3, 2}}} {
		if got := tx.pos(tt.off); got != tt.p {
			t.Errorf("pos(%d) = %v, want %v", tt.off, got, tt.p)
		}
		if tt.off != 3 && tt.off != 5 {
			if got := tx.offset(tt.p); got != tt.off {
				t.Errorf("offset(%v) = %d, want %d", tt.p, got, tt.off)
			}
		}
	}
	if got := tx.offset(Pos{2, 99}); got != 11 {
		t.Errorf("offset past line end = %d, want 11", got)
	}
}

// BenchmarkParseLongLine guards against conversions that rescan a line:
// thousands of nodes on one non-ASCII line must stay linear.
func BenchmarkParseLongLine(b *testing.B) {
	in := []byte(hdr + base + "include: [" + strings.Repeat("\u00e9,", 9000) + "x]\n")
	for b.Loop() {
		if _, err := Parse("x", in); err != nil {
			b.Fatal(err)
		}
	}
}

// A near miss of an allowed value gets a suggestion, like an unknown key.
func TestInvalidValueSuggestion(t *testing.T) {
	for _, tc := range []struct{ spec, want, not string }{
		{"language: golang\n", `language: "golang" is not allowed, did you mean "go"?`, ""},
		{"language: Python\n", `did you mean "python"?`, ""},
		{"language: rsut\n", `did you mean "rust"?`, ""},
		{"language: go\nfinal: distroles\n", `final: "distroles" is not allowed, did you mean "distroless"?`, ""},
		{"language: cobol\n", `language: "cobol" is not allowed; want one of`, "did you mean"},
	} {
		_, err := Parse("app.yaml", []byte("name: x\n"+tc.spec))
		if err == nil || !strings.Contains(err.Error(), tc.want) || tc.not != "" && strings.Contains(err.Error(), tc.not) {
			t.Errorf("%q: %v\nwant %q", tc.spec, err, tc.want)
		}
	}
}
