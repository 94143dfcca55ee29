package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/org/safe-frontend/lang"
	"github.com/org/safe-frontend/llbgen"
	"github.com/org/safe-frontend/policy"
	"github.com/org/safe-frontend/spec"
)

const initUsage = `usage: safe init [--app ID] [-f FILE] [--force] [--print] [DIR]

Reads the project in DIR (default: the current directory): go.mod,
package.json and its lockfile, pyproject.toml, uv.lock, poetry.lock or
requirements.txt, Cargo.toml, pom.xml; writes a spec for it, with every
value that is a guess marked "# check:", and lints it as safe lint does.
The spec goes to DIR/Dockerfile, or DIR/app.yaml when a Dockerfile is
there already; an existing spec is never overwritten without --force.

  --app    the app to set up, when DIR holds several (a monorepo)
  -f       the file to write, relative to the app's directory
  --force  overwrite the file
  --print  write the spec to stdout instead
`

type initOptions struct {
	app, file    string
	force, print bool
}

func initCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("init", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o initOptions
	fs.StringVar(&o.app, "app", "", "the app to set up")
	fs.StringVar(&o.file, "f", "", "the file to write")
	fs.BoolVar(&o.force, "force", false, "overwrite the file")
	fs.BoolVar(&o.print, "print", false, "write the spec to stdout")
	if err := fs.Parse(args); err != nil || fs.NArg() > 1 {
		fmt.Fprint(stderr, initUsage)
		return exitUsage
	}
	dir := "."
	if fs.NArg() == 1 {
		dir = fs.Arg(0)
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		fmt.Fprintf(stderr, "safe init: %s is not a directory\n", dir)
		return exitUsage
	}
	c, code := chooseApp(dir, o.app, stderr)
	if code != exitOK {
		return code
	}
	return writeInit(dir, c, o, stdout, stderr)
}

// chooseApp finds the apps in dir and picks the one to set up: the only
// one, or the one --app names.
func chooseApp(dir, app string, stderr io.Writer) (lang.Candidate, int) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		abs = dir
	}
	cs, errs := lang.Candidates(os.DirFS(dir), filepath.Base(abs))
	for _, err := range errs {
		label := "error"
		if len(cs) > 0 {
			label = "note"
		}
		fmt.Fprintf(stderr, "safe init: %s: %v\n", label, err)
	}
	switch {
	case len(cs) == 0 && len(errs) > 0:
		return lang.Candidate{}, exitFindings
	case len(cs) == 0:
		fmt.Fprintf(stderr, "safe init: found no project in %s: it looks for go.mod, package.json, pyproject.toml, uv.lock, poetry.lock, requirements.txt, Cargo.toml or pom.xml there and in its subdirectories; run it in the app's directory\n", dir)
		return lang.Candidate{}, exitFindings
	case app != "":
		if c, ok := lang.Find(cs, app); ok {
			return c, exitOK
		}
		fmt.Fprintf(stderr, "safe init: --app %q is none of the apps found:\n%s", app, listApps(cs))
		return lang.Candidate{}, exitUsage
	case len(cs) > 1:
		fmt.Fprintf(stderr, "safe init: %s holds %d apps; choose one with --app:\n%s", dir, len(cs), listApps(cs))
		return lang.Candidate{}, exitUsage
	}
	return cs[0], exitOK
}

func listApps(cs []lang.Candidate) string {
	var b strings.Builder
	for _, c := range cs {
		fmt.Fprintf(&b, "  --app %-24s %s, name %s\n", c.ID, c.App.Spec.Language, c.App.Spec.Name)
	}
	return b.String()
}

// writeInit renders the candidate's spec, writes it (or prints it) and
// lints it with the project's files, as a build checks it.
func writeInit(dir string, c lang.Candidate, o initOptions, stdout, stderr io.Writer) int {
	data, err := renderSpec(c.App)
	if err != nil {
		fmt.Fprintf(stderr, "safe init: %v\n", err)
		return exitUsage
	}
	appDir := filepath.Join(dir, filepath.FromSlash(c.Dir))
	name := o.file
	if name == "" {
		name = specFileName(appDir)
	}
	target := filepath.Join(appDir, name)
	if o.print {
		if _, err := stdout.Write(data); err != nil {
			return exitUsage
		}
	} else {
		if exists(target) && !o.force {
			fmt.Fprintf(stderr, "safe init: %s exists; pass --force to overwrite it, -f to name another file, or --print to see the spec\n", target)
			return exitUsage
		}
		if err := writeFileAtomic(target, data); err != nil {
			fmt.Fprintf(stderr, "safe init: %v\n", err)
			return exitUsage
		}
		fmt.Fprintf(stdout, "wrote %s (language: %s); check the values marked \"# check:\"\n", target, c.App.Spec.Language)
	}
	code := lintInit(appDir, name, data, stderr)
	if !o.print {
		fmt.Fprintf(stdout, "build it: %s\n", buildCommand(appDir, name))
	}
	return code
}

// renderSpec is the spec file: the syntax line, a line saying where it
// came from, the spec with its comments.
func renderSpec(a *lang.App) ([]byte, error) {
	body, err := spec.Write(a.Spec, a.Notes)
	if err != nil {
		return nil, err
	}
	first, rest, _ := bytes.Cut(body, []byte("\n"))
	var b bytes.Buffer
	b.Write(first)
	b.WriteString("\n# Written by safe init from the project's files; values marked \"check:\" are guesses.\n")
	b.Write(rest)
	return b.Bytes(), nil
}

// specFileName is Dockerfile, unless a Dockerfile that is not a spec is
// there: then app.yaml, built with -f.
func specFileName(dir string) string {
	dt, err := os.ReadFile(filepath.Join(dir, "Dockerfile"))
	if err != nil || bytes.HasPrefix(dt, []byte(spec.Syntax)) {
		return "Dockerfile"
	}
	return "app.yaml"
}

func buildCommand(dir, name string) string {
	ctx := filepath.Clean(dir)
	if name == "Dockerfile" {
		return "docker buildx build " + ctx
	}
	return "docker buildx build -f " + filepath.Join(ctx, name) + " " + ctx
}

// lintInit shows what safe lint and the build's check of the project files
// find in the written spec; exit 1 when any is an error.
func lintInit(dir, name string, data []byte, w io.Writer) int {
	sp, report := policy.Lint(name, data)
	if sp != nil {
		files := (&lang.Project{FS: os.DirFS(dir)}).Files(llbgen.ContextFiles(sp)...)
		policy.CheckContext(report, sp, files, false)
	}
	display := filepath.Join(dir, name)
	report.Filename = display
	if err := writeText(w, []linted{{name: display, data: data, report: report}}); err != nil {
		return exitUsage
	}
	if len(report.Errors()) > 0 {
		return exitFindings
	}
	return exitOK
}
