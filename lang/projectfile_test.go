package lang

import (
	"strings"
	"testing"

	"github.com/org/safe-frontend/rules"
)

func TestURLHasCredential(t *testing.T) {
	for u, want := range map[string]bool{
		"https://user:tok@pypi.example.com/simple":  true,
		"https://tok@pypi.example.com/simple":       true,
		"sparse+https://ci:tok@cargo.example.com/":  true,
		"https://pypi.org/simple":                   false,
		"https://x.example.com/a.tgz?token=abc":     true,
		"https://x.example.com/a.tgz?v=1":           false,
		"https://${USER}:${TOKEN}@pypi.example.com": false,
		"git+https://github.com/org/repo.git":       false,
	} {
		if got := URLHasCredential(u); got != want {
			t.Errorf("URLHasCredential(%q) = %v, want %v", u, got, want)
		}
	}
}

func TestCheckShape(t *testing.T) {
	deep := strings.Repeat("[", MaxNesting+1) + strings.Repeat("]", MaxNesting+1)
	bomb := "a: &a [x, x]\n" + strings.Repeat("b: [*a, *a, *a, *a]\n", 5)
	for _, tc := range []struct {
		name, data string
		f          Format
		line       int // 0: no finding
	}{
		{"deep json", "{\n\"a\": " + deep + "}", FormatJSON, 2},
		{"shallow json", `{"a": [[1]]}`, FormatJSON, 0},
		{"brackets in strings", `{"a": "` + deep + `"}`, FormatJSON, 0},
		{"alias bomb", bomb, FormatYAML, 6},
		{"asterisks in quotes", strings.Repeat("k: '*a'\n", 40), FormatYAML, 0},
		{"deep xml", "<a>\n" + strings.Repeat("<b>", MaxNesting) + strings.Repeat("</b>", MaxNesting) + "</a>", FormatXML, 2},
		{"deep toml", "x = " + deep, FormatTOML, 1},
	} {
		f := CheckShape("f", []byte(tc.data), tc.f)
		switch {
		case tc.line == 0 && f != nil:
			t.Errorf("%s: %+v", tc.name, f)
		case tc.line != 0 && (f == nil || f.Rule != rules.ProjectFileTooLarge || f.Line != tc.line):
			t.Errorf("%s: %+v, want SF603 at line %d", tc.name, f, tc.line)
		}
	}
}

// FuzzProjectFile: the shared readers of a project file never panic, and
// every finding is at a line of the file.
func FuzzProjectFile(f *testing.F) {
	f.Add([]byte("[registries.x]\ntoken = \"t\"\npaths = [\"../a\"]\n"), uint8(2))
	f.Add([]byte("a: &a [1]\nb: [*a, *a]\n"), uint8(3))
	f.Add([]byte("<p><module>../x</module></p>"), uint8(4))
	f.Add([]byte("--index-url https://u:p@h/simple\n"), uint8(0))
	f.Fuzz(func(t *testing.T, data []byte, format uint8) {
		lines := strings.Count(string(data), "\n") + 1
		var found []ContextFinding
		if sf := CheckShape("f", data, Format(format%5)); sf != nil {
			found = append(found, *sf)
		}
		found = append(found, URLCredentials("f", data, "fix")...)
		found = append(found, TOMLPathsOutside("f", ".", data)...)
		for _, kl := range ScanKeys(data) {
			_ = Unquote(kl.Value)
			if kl.Line < 1 || kl.Line > lines {
				t.Fatalf("key at line %d of %d", kl.Line, lines)
			}
		}
		for _, fd := range found {
			if fd.Line < 0 || fd.Line > lines {
				t.Fatalf("finding at line %d of %d: %+v", fd.Line, lines, fd)
			}
		}
	})
}
