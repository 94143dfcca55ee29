package lang

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/org/safe-frontend/spec"
)

// Detector is a language that recognises its projects by their files and
// proposes a first spec for them (safe init). It reads the same project
// files its build reads, with the same readers.
type Detector interface {
	Language
	// Detect returns the apps of this language in the project: none when
	// the project is not of its kind. An error is a project of its kind
	// that cannot be set up (a Gradle build, a manifest that cannot be
	// read); it says what to do.
	Detect(p *Project) ([]*App, error)
}

// App is one candidate app: the spec found for it and, by spec path, what
// each guess was made from, which the written spec carries as comments.
type App struct {
	// ID names the app among several (a directory, a module, a binary):
	// what --app takes.
	ID string
	// Spec holds what was found: name, version, language and its block,
	// run.
	Spec *spec.Spec
	// Notes say, by spec path ("node/version", "run/port"), what a value
	// was taken from, or that it is a guess to check.
	Notes map[string]string
}

// Note records what the value at a spec path was taken from.
func (a *App) Note(specPath, format string, args ...any) {
	if a.Notes == nil {
		a.Notes = map[string]string{}
	}
	a.Notes[specPath] = fmt.Sprintf(format, args...)
}

// Guess records a value that is a guess: the comment asks to check it.
func (a *App) Guess(specPath, format string, args ...any) {
	a.Note(specPath, "check: "+format, args...)
}

// Project is the directory safe init looks at. Its files are the user's,
// possibly large or hostile: reads are bounded and never follow a path out.
type Project struct {
	FS fs.FS
	// Name is the directory's own name, for an app that names itself
	// nowhere else.
	Name string
}

// Limits of what detection reads.
const (
	maxProjectFile = 4 << 20
	maxSourceFiles = 2000
	maxSourceFile  = 512 << 10
	maxSourceDepth = 8
)

// ReadFile reads one project file; ok is false when it does not exist, is
// not a regular file or is larger than the readers accept.
func (p *Project) ReadFile(name string) (data []byte, ok bool) {
	return p.readLimited(name, maxProjectFile)
}

func (p *Project) readLimited(name string, limit int64) ([]byte, bool) {
	name, clean := CleanRel(name)
	if !clean {
		return nil, false
	}
	f, err := p.FS.Open(name)
	if err != nil {
		return nil, false
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil || !st.Mode().IsRegular() || st.Size() > limit {
		return nil, false
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil || int64(len(data)) > limit {
		return nil, false
	}
	return data, true
}

// Has reports whether a project file exists.
func (p *Project) Has(name string) bool {
	name, clean := CleanRel(name)
	if !clean {
		return false
	}
	_, err := fs.Stat(p.FS, name)
	return err == nil
}

// Files reads the named files that exist, as a language's planning takes
// them (Input.Files, ContextFiles); a name with a wildcard ("*/pom.xml")
// reads every file it matches.
func (p *Project) Files(names ...string) map[string][]byte {
	out := map[string][]byte{}
	for _, n := range names {
		matches := []string{n}
		if strings.ContainsAny(n, "*?[") {
			matches, _ = fs.Glob(p.FS, n)
		}
		for _, m := range matches {
			if dt, ok := p.ReadFile(m); ok {
				out[m] = dt
			}
		}
	}
	return out
}

// skipDirs are never searched for sources: dependencies, outputs, VCS.
var skipDirs = []string{"node_modules", "target", "vendor", "dist", "build", "out", "venv", "__pycache__", "testdata"}

func skipDir(name string) bool {
	return strings.HasPrefix(name, ".") || slices.Contains(skipDirs, name)
}

// Sources calls fn for each source file under dir whose name ends in one
// of exts, in lexical order, at most maxSourceFiles files.
func (p *Project) Sources(dir string, exts []string, fn func(name string, data []byte)) {
	n := 0
	_ = fs.WalkDir(p.FS, dir, func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if d.IsDir() {
			if name != dir && (skipDir(d.Name()) || strings.Count(name, "/") >= maxSourceDepth) {
				return fs.SkipDir
			}
			return nil
		}
		if !slices.ContainsFunc(exts, func(e string) bool { return strings.HasSuffix(name, e) }) || isTest(d.Name()) {
			return nil
		}
		if n++; n > maxSourceFiles {
			return fs.SkipAll
		}
		if data, ok := p.readLimited(name, maxSourceFile); ok {
			fn(name, data)
		}
		return nil
	})
}

// isTest tells test files, whose ports and routes are not the app's.
func isTest(base string) bool {
	return strings.HasPrefix(base, "test_") || strings.Contains(base, "_test.") ||
		strings.Contains(base, ".test.") || strings.Contains(base, ".spec.") || strings.HasSuffix(base, "Test.java")
}

// Hints is what the sources show about how the app serves.
type Hints struct {
	Port     int    // the port a literal or a PORT default names, 0 if none
	PortFrom string // where it was seen, file:line
	// ReadsPORT: the app takes its port from the PORT variable.
	ReadsPORT  bool
	Health     string // a health route the sources name
	HealthFrom string
}

// Or fills what h lacks from more: the hints of a wider search.
func (h Hints) Or(more Hints) Hints {
	if h.Port == 0 {
		h.Port, h.PortFrom = more.Port, more.PortFrom
	}
	if h.Health == "" {
		h.Health, h.HealthFrom = more.Health, more.HealthFrom
	}
	h.ReadsPORT = h.ReadsPORT || more.ReadsPORT
	return h
}

// Patterns of a listening port: a PORT default, an address literal, a
// listen call with a number, a port= argument.
var portRes = []*regexp.Regexp{
	regexp.MustCompile(`\bPORT\b["')\]]?\s*(?:\|\||\?\?|,|\bor\b|:-|\)\.unwrap_or\(|\.getOrDefault\(|\))?\s*["']?([0-9]{2,5})\b`),
	regexp.MustCompile(`["'](?:0\.0\.0\.0|127\.0\.0\.1|localhost|\[::\])?:([0-9]{2,5})["']`),
	regexp.MustCompile(`\.listen\(\s*([0-9]{2,5})\b`),
	regexp.MustCompile(`(?i)\bport\s*(?::=|=|:)\s*["']?([0-9]{2,5})\b`),
}

var readsPortRe = regexp.MustCompile(`\b(?:process\.env\.PORT|getenv\(\s*["']PORT["']|environ(?:\.get\(|\[)\s*["']PORT["']|env::var\(\s*"PORT"|Getenv\(\s*"PORT"|\$\{PORT)`)

// healthRoutes are the usual health paths, the most specific first.
var healthRoutes = []string{"/healthz", "/health", "/livez", "/readyz", "/ping"}

var healthRe = regexp.MustCompile(`["'` + "`" + `](?:GET\s+)?(/healthz|/health|/livez|/readyz|/ping)["'` + "`" + `]`)

// Hints reads the sources under dir for a port and a health route.
func (p *Project) Hints(dir string, exts ...string) Hints {
	var h Hints
	healthAt := len(healthRoutes)
	p.Sources(dir, exts, func(name string, data []byte) {
		for i, line := range strings.Split(string(data), "\n") {
			if len(line) > 1000 || isComment(line) {
				continue // minified or generated; or prose
			}
			where := func() string { return fmt.Sprintf("%s:%d", name, i+1) }
			if readsPortRe.MatchString(line) {
				h.ReadsPORT = true
			}
			if h.Port == 0 {
				if port := portIn(line); port > 0 {
					h.Port, h.PortFrom = port, where()
				}
			}
			if m := healthRe.FindStringSubmatch(line); m != nil {
				if at := slices.Index(healthRoutes, m[1]); at < healthAt {
					healthAt, h.Health, h.HealthFrom = at, m[1], where()
				}
			}
		}
	})
	return h
}

// isComment tells a line that is a comment in the languages read.
func isComment(line string) bool {
	t := strings.TrimSpace(line)
	return strings.HasPrefix(t, "//") || strings.HasPrefix(t, "#") || strings.HasPrefix(t, "*") || strings.HasPrefix(t, "/*")
}

func portIn(line string) int {
	for _, re := range portRes {
		m := re.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		var n int
		if _, err := fmt.Sscan(m[1], &n); err == nil && n >= 80 && n <= 65535 {
			return n
		}
	}
	return 0
}

// DefaultPort is the port init sets when the app takes it from PORT and
// names no default: unprivileged, as the non-root user needs.
const DefaultPort = 8080

// ApplyHints writes what the sources show into the app's run settings,
// with a framework's default port when the sources name none (0: none).
func (a *App) ApplyHints(h Hints, framework string, frameworkPort int) {
	s := a.Spec
	switch {
	case h.Port > 0:
		s.Run.Port = h.Port
		a.Guess("run/port", "seen in %s", h.PortFrom)
	case frameworkPort > 0:
		s.Run.Port = frameworkPort
		a.Guess("run/port", "%s's default port", framework)
	case h.ReadsPORT:
		s.Run.Port = DefaultPort
		a.Guess("run/port", "the app reads PORT, which run.env sets")
	}
	if h.ReadsPORT && h.Port == 0 && s.Run.Port > 0 {
		s.Run.Env = map[string]string{"PORT": fmt.Sprint(s.Run.Port)}
		a.Note("run/env/PORT", "the app reads PORT")
	}
	if h.Health != "" && s.Run.Port > 0 {
		s.Run.Health = &spec.Health{HTTP: h.Health}
		a.Guess("run/health/http", "seen in %s; it must answer 2xx", h.HealthFrom)
	}
}

// NameFrom makes a spec name (it also names the binary) from a project's
// own name: a package scope or a module path is dropped, and what the name
// may not hold becomes '-'.
func NameFrom(s string) string {
	s = path.Base(strings.TrimSpace(s))
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '.', r == '_', r == '-':
			b.WriteRune(r)
		case r >= 'A' && r <= 'Z':
			b.WriteRune(r + 'a' - 'A')
		default:
			b.WriteByte('-')
		}
	}
	out := strings.Trim(b.String(), "-._")
	if len(out) > 128 {
		out = out[:128]
	}
	if out == "" {
		return "app"
	}
	return out
}

// NotSupported is a project of a language's kind that init cannot set up
// yet; the message says what to do instead.
type NotSupported struct{ Msg string }

func (e *NotSupported) Error() string { return e.Msg }

// IsNotSupported tells a NotSupported error.
func IsNotSupported(err error) bool {
	var ns *NotSupported
	return errors.As(err, &ns)
}

// Detectors lists the registered languages that detect projects, by name.
func Detectors() []Detector {
	var out []Detector
	for _, n := range Languages() {
		if d, ok := languages[n].(Detector); ok {
			out = append(out, d)
		}
	}
	return out
}

// NewApp starts an app of a language with a name, and resources to start
// from, which the manifests need.
func NewApp(id, language, name string) *App {
	a := &App{ID: id, Spec: &spec.Spec{Name: name, Language: language}, Notes: map[string]string{}}
	a.Spec.Run.Resources = &spec.Resources{CPU: "250m", Memory: "256Mi"}
	a.Guess("run/resources", "a starting point: measure the app under load")
	return a
}

// Describe sets the license and description labels from a project's
// manifest (from names it), skipping what a label cannot hold.
func (a *App) Describe(license, description, from string) {
	for k, v := range map[string]string{"org.opencontainers.image.licenses": license, "org.opencontainers.image.description": description} {
		if v = strings.TrimSpace(v); v == "" || len(v) > 200 || strings.ContainsAny(v, "\n\r\x00") {
			continue
		}
		if a.Spec.Labels == nil {
			a.Spec.Labels = map[string]string{}
		}
		a.Spec.Labels[k] = v
		a.Note("labels/"+k, "from %s", from)
	}
}
