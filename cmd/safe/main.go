// Command safe checks safe-frontend app specs offline, with the same rules
// and positions the frontend uses at build time.
//
//	safe lint [--format text|json] FILE|DIR...   check specs ("-" reads stdin), or a project directory: its Dockerfile and the project files the build reads
//	safe rules [--format text|json]          list the rule catalog
//	safe schema                              print the spec's JSON schema
//	safe manifest --image REF@DIGEST [--namespace NS] [--platform P,...] SPEC
//	                                         print the Kubernetes Deployment and Service
//	safe lock [--update] [--platform P] SPEC pin the spec's base images in SPEC.lock
//	safe init [--app ID] [--force] [--print] [DIR]
//	                                         write a spec for the project in DIR
//	safe version                             print the version
//
// lint exits 1 when any spec has an error finding, 2 on a usage or I/O
// error, and 0 otherwise (warnings and exempted findings do not fail).
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"unicode/utf8"

	"github.com/org/safe-frontend/internal/version"
	"github.com/org/safe-frontend/policy"
	"github.com/org/safe-frontend/rules"
	"github.com/org/safe-frontend/spec"
)

// Exit codes.
const (
	exitOK       = 0
	exitFindings = 1
	exitUsage    = 2
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

const usage = `usage:
  safe init [--app ID] [-f FILE] [--force] [--print] [DIR]
                                           write a spec for the project in DIR
  safe lint [--format text|json] FILE|DIR...   check specs ("-" reads stdin); a DIR is a project:
                                           its Dockerfile and the project files the build reads
  safe rules [--format text|json]          list the rule catalog
  safe schema                              print the spec's JSON schema
  safe manifest --image REF@DIGEST [--namespace NS] [--platform P,...] SPEC
                                           print the Kubernetes Deployment and Service
  safe lock [--update] [--platform P] SPEC pin the spec's base images in SPEC.lock
                                           (resolved through $BUILDKIT_HOST)
  safe plan [--format text|json] SPEC      print the build plan, stage by stage
  safe eject [-o DIR] [--force] SPEC       write a Dockerfile and .dockerignore that
                                           build the same image (through $BUILDKIT_HOST)
  safe version                             print the version (also --version)
`

// run is the whole command, minus the process: it returns the exit code.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	switch args[0] {
	case "init":
		return initCmd(args[1:], stdout, stderr)
	case "lint":
		return lintCmd(args[1:], stdin, stdout, stderr)
	case "rules":
		return rulesCmd(args[1:], stdout, stderr)
	case "schema":
		return schemaCmd(args[1:], stdout, stderr)
	case "manifest", "manifests":
		return manifestCmd(args[1:], stdin, stdout, stderr)
	case "lock":
		return lockCmd(args[1:], stdout, stderr)
	case "plan":
		return planCmd(args[1:], stdout, stderr)
	case "eject":
		return ejectCmd(args[1:], stdout, stderr)
	case "version", "--version":
		fmt.Fprintln(stdout, version.Line("safe"))
		return exitOK
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return exitOK
	default:
		fmt.Fprintf(stderr, "safe: unknown command %q\n%s", args[0], usage)
		return exitUsage
	}
}

func newFlags(name string, stderr io.Writer) (*flag.FlagSet, *string) {
	fs := flag.NewFlagSet("safe "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	format := fs.String("format", "text", "output format: text or json")
	return fs, format
}

func parseFlags(fs *flag.FlagSet, format *string, args []string) (ok bool) {
	if err := fs.Parse(args); err != nil {
		return false
	}
	if *format != "text" && *format != "json" {
		fmt.Fprintf(fs.Output(), "%s: --format must be text or json, not %q\n", fs.Name(), *format)
		return false
	}
	return true
}

// linted is one file's outcome.
type linted struct {
	name   string
	data   []byte
	report *policy.Report
	dir    string // the project directory, when one was linted
}

func lintCmd(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs, format := newFlags("lint", stderr)
	if !parseFlags(fs, format, args) {
		return exitUsage
	}
	if fs.NArg() == 0 {
		fmt.Fprint(stderr, "safe lint: no spec files given\n"+usage)
		return exitUsage
	}
	var results []linted
	ioFailed := false
	for _, name := range fs.Args() {
		if st, err := os.Stat(name); err == nil && st.IsDir() {
			specName, data, r, err := lintProject(name)
			if err != nil {
				fmt.Fprintf(stderr, "safe lint: %v\n", err)
				ioFailed = true
				continue
			}
			results = append(results, linted{name: specName, data: data, report: r, dir: name})
			continue
		}
		data, err := readSpec(name, stdin)
		if err != nil {
			fmt.Fprintf(stderr, "safe lint: %v\n", err)
			ioFailed = true
			continue
		}
		var r *policy.Report
		if len(data) > spec.MaxSize {
			// Only MaxSize+1 bytes were read; say so rather than a size.
			r = tooLarge(name)
		} else {
			_, r = policy.Lint(name, data)
		}
		results = append(results, linted{name: name, data: data, report: r})
	}

	var err error
	if *format == "json" {
		err = writeJSON(stdout, results)
	} else {
		err = writeText(stdout, results)
	}
	if err != nil {
		fmt.Fprintf(stderr, "safe lint: writing output: %v\n", err)
		return exitUsage
	}
	if ioFailed {
		return exitUsage
	}
	for _, res := range results {
		if len(res.report.Errors()) > 0 {
			return exitFindings
		}
	}
	return exitOK
}

// readSpec reads at most one byte past spec.MaxSize, so a huge file is
// refused by the parser without being read whole.
func readSpec(name string, stdin io.Reader) ([]byte, error) {
	var r io.Reader
	if name == "-" {
		r = stdin
	} else {
		f, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		if st, err := f.Stat(); err == nil && st.IsDir() {
			return nil, fmt.Errorf("%s is a directory, not a spec file", name)
		}
		r = f
	}
	data, err := io.ReadAll(io.LimitReader(r, spec.MaxSize+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", name, err)
	}
	return data, nil
}

func tooLarge(name string) *policy.Report {
	one := spec.Range{Start: spec.Pos{Line: 1, Col: 1}, End: spec.Pos{Line: 1, Col: 1}}
	return &policy.Report{Filename: name, Findings: []policy.Finding{{
		Rule:    rules.MustLookup(rules.TooLarge),
		Message: fmt.Sprintf("the spec is larger than %d bytes, the limit", spec.MaxSize),
		Range:   one,
	}}}
}

func writeText(w io.Writer, results []linted) error {
	var nErr, nWarn, nEx int
	ew := &errWriter{w: w}
	for _, res := range results {
		lines := strings.Split(string(res.data), "\n")
		for _, f := range res.report.Findings {
			switch {
			case f.Exempted:
				nEx++
			case f.Rule.Severity == rules.Error:
				nErr++
			default:
				nWarn++
			}
			if f.File != "" {
				printFileFinding(ew, res.dir, f)
				continue
			}
			printFinding(ew, res.name, lines, f)
		}
	}
	ew.printf("%s: %s, %s, %s\n", plural(len(results), "file"), plural(nErr, "error"), plural(nWarn, "warning"), plural(nEx, "exempted finding"))
	return ew.err
}

// printFinding writes one finding as file:line:col, severity, rule and
// message, then the source line it points at.
func printFinding(ew *errWriter, name string, lines []string, f policy.Finding) {
	label := string(f.Rule.Severity)
	if f.Exempted {
		label = "exempted"
	}
	ew.printf("%s:%d:%d: %s %s %s: %s\n", name, f.Range.Start.Line, f.Range.Start.Col, label, f.Rule.ID, f.Rule.Name, f.Message)
	if f.Exempted {
		ew.printf("    reason: %s\n", f.Reason)
	}
	ew.printf("%s", excerpt(lines, f.Range))
}

// printFileFinding writes a finding in a project file as file:line, with
// no excerpt: the line may hold the very credential the finding is about.
func printFileFinding(ew *errWriter, dir string, f policy.Finding) {
	label := string(f.Rule.Severity)
	if f.Exempted {
		label = "exempted"
	}
	key := ""
	if f.Key != "" {
		key = " (" + f.Key + ")"
	}
	ew.printf("%s:%d%s: %s %s %s: %s\n", filepath.Join(dir, filepath.FromSlash(f.File)), f.Line, key, label, f.Rule.ID, f.Rule.Name, f.Message)
	if f.Exempted {
		ew.printf("    reason: %s\n", f.Reason)
	}
}

// excerpt is the finding's source line with a caret under its start,
// underlined to its end when it ends on the same line.
func excerpt(lines []string, r spec.Range) string {
	ln := r.Start.Line
	if ln < 1 || ln > len(lines) {
		return ""
	}
	src := strings.TrimRight(lines[ln-1], "\r")
	if !utf8.ValidString(src) || strings.ContainsFunc(src, func(r rune) bool { return r < 0x20 && r != '\t' }) {
		return "" // never echo bytes a terminal could interpret
	}
	col := max(r.Start.Col, 1)
	width := utf8.RuneCountInString(src)
	if col > width+1 {
		col = width + 1
	}
	span := 1
	if r.End.Line == ln && r.End.Col > col {
		span = min(r.End.Col, width+1) - col
	}
	gutter := fmt.Sprintf("%5d | ", ln)
	pad := strings.Repeat(" ", col-1)
	mark := "^" + strings.Repeat("~", max(span-1, 0))
	return gutter + src + "\n" + strings.Repeat(" ", len(gutter)-2) + "| " + pad + mark + "\n"
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// jsonFinding is the stable JSON shape of a finding; every key is always
// present.
type jsonFinding struct {
	File      string `json:"file"`
	Line      int    `json:"line"`
	Column    int    `json:"column"`
	EndLine   int    `json:"endLine"`
	EndColumn int    `json:"endColumn"`
	Rule      string `json:"rule"`
	Name      string `json:"name"`
	Severity  string `json:"severity"`
	Message   string `json:"message"`
	URL       string `json:"url"`
	Exempted  bool   `json:"exempted"`
	Reason    string `json:"reason"`
	Key       string `json:"key,omitempty"` // the key path in a project file
}

func writeJSON(w io.Writer, results []linted) error {
	out := []jsonFinding{}
	for _, res := range results {
		for _, f := range res.report.Findings {
			jf := jsonFinding{
				File: res.name, Line: f.Range.Start.Line, Column: f.Range.Start.Col,
				EndLine: f.Range.End.Line, EndColumn: f.Range.End.Col,
				Rule: f.Rule.ID, Name: f.Rule.Name, Severity: string(f.Rule.Severity),
				Message: f.Message, URL: f.Rule.URL(), Exempted: f.Exempted, Reason: f.Reason, Key: f.Key,
			}
			if f.File != "" {
				jf.File, jf.Line, jf.Column, jf.EndLine, jf.EndColumn = filepath.Join(res.dir, filepath.FromSlash(f.File)), f.Line, 0, f.Line, 0
			}
			out = append(out, jf)
		}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(out)
}

type jsonRule struct {
	ID         string   `json:"id"`
	Name       string   `json:"name"`
	Severity   string   `json:"severity"`
	Exemptible bool     `json:"exemptible"`
	Summary    string   `json:"summary"`
	Catalogs   []string `json:"catalogs"`
	URL        string   `json:"url"`
}

func rulesCmd(args []string, stdout, stderr io.Writer) int {
	fs, format := newFlags("rules", stderr)
	if !parseFlags(fs, format, args) {
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "safe rules: unexpected argument %q\n", fs.Arg(0))
		return exitUsage
	}
	all := rules.All()
	if *format == "json" {
		out := make([]jsonRule, len(all))
		for i, r := range all {
			out[i] = jsonRule{r.ID, r.Name, string(r.Severity), r.Exemptible, r.Summary, append([]string{}, r.Catalogs...), r.URL()}
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			fmt.Fprintf(stderr, "safe rules: %v\n", err)
			return exitUsage
		}
		return exitOK
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tSEVERITY\tEXEMPTIBLE\tSUMMARY")
	for _, r := range all {
		ex := "no"
		if r.Exemptible {
			ex = "yes"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.ID, r.Name, r.Severity, ex, r.Summary)
	}
	if err := tw.Flush(); err != nil {
		fmt.Fprintf(stderr, "safe rules: %v\n", err)
		return exitUsage
	}
	return exitOK
}

func schemaCmd(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		fmt.Fprintf(stderr, "safe schema: unexpected argument %q\n", args[0])
		return exitUsage
	}
	if err := writeSchema(stdout); err != nil {
		fmt.Fprintf(stderr, "safe schema: %v\n", err)
		return exitUsage
	}
	return exitOK
}

// errWriter keeps the first write error so output code stays linear.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) printf(format string, args ...any) {
	if e.err != nil {
		return
	}
	_, e.err = fmt.Fprintf(e.w, format, args...)
}
