// Package policy holds the semantic checks on a parsed spec: what is safe to
// build, as opposed to what is well-formed (package spec). Every finding
// carries a rule from package rules, a spec path and a source range, so the
// frontend, `--check` and the offline `safe lint` report the same thing.
package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/org/safe-frontend/lang"
	"github.com/org/safe-frontend/rules"
	"github.com/org/safe-frontend/spec"
)

// Finding is one rule violation in a spec.
type Finding struct {
	Rule rules.Rule
	// Message is specific: it names the key or value and says what to do.
	Message string
	// Path is the spec path ("run/env/API_TOKEN"); "" is the whole file.
	Path  string
	Range spec.Range
	// Exempted findings were waived by an allow: entry; they are kept for
	// audit and never refuse a build.
	Exempted bool
	// Reason is the exemption's reason when Exempted.
	Reason string
	// File, Line and Key, for a finding in a project file the build reads
	// (package.json, a lockfile): where the fault is. Range then stays on
	// the spec line that chose the file, for clients that show one.
	File string
	Line int
	Key  string
}

// Where is the finding's place for a message: "file:line (key)" for a
// project file, "line N" of the spec otherwise.
func (f Finding) Where() string {
	if f.File != "" {
		return lang.ContextFinding{File: f.File, Line: f.Line, Key: f.Key}.Where()
	}
	return fmt.Sprintf("line %d", f.Range.Start.Line)
}

// Severity is the finding's rule severity.
func (f Finding) Severity() rules.Severity { return f.Rule.Severity }

// Format renders the finding as "file:line:col: SFxxx Name: message (URL)".
func (f Finding) Format(filename string) string {
	if f.File != "" {
		return fmt.Sprintf("%s: %s %s: %s (%s)", f.Where(), f.Rule.ID, f.Rule.Name, f.Message, f.Rule.URL())
	}
	return fmt.Sprintf("%s:%d:%d: %s %s: %s (%s)", filename, f.Range.Start.Line, f.Range.Start.Col,
		f.Rule.ID, f.Rule.Name, f.Message, f.Rule.URL())
}

// Report is the outcome of checking one spec.
type Report struct {
	Filename string
	// Findings are in file order (line, column, rule ID).
	Findings []Finding
	// Exemptions are the allow: entries that waived at least one finding,
	// in spec order; they are recorded in the image label.
	Exemptions []spec.Exemption
}

// Errors returns the findings that refuse the build: not exempted, severity error.
func (r *Report) Errors() []Finding { return r.filter(rules.Error) }

// Warnings returns the findings reported without refusing: not exempted,
// severity warning.
func (r *Report) Warnings() []Finding { return r.filter(rules.Warning) }

// Exempted returns the findings waived by allow: entries.
func (r *Report) Exempted() []Finding {
	if r == nil {
		return nil
	}
	var out []Finding
	for _, f := range r.Findings {
		if f.Exempted {
			out = append(out, f)
		}
	}
	return out
}

func (r *Report) filter(sev rules.Severity) []Finding {
	if r == nil {
		return nil
	}
	var out []Finding
	for _, f := range r.Findings {
		if !f.Exempted && f.Rule.Severity == sev {
			out = append(out, f)
		}
	}
	return out
}

// Err returns nil when nothing refuses the build, otherwise an *Error that
// lists every error finding, one per line.
func (r *Report) Err() error {
	errs := r.Errors()
	if len(errs) == 0 {
		return nil
	}
	return &Error{Filename: r.Filename, Findings: errs}
}

// Error is the refusal of a spec: every error finding, so the caller can also
// map each one back to its source range.
type Error struct {
	Filename string
	Findings []Finding
}

func (e *Error) Error() string {
	lines := make([]string, len(e.Findings))
	for i, f := range e.Findings {
		lines[i] = f.Format(e.Filename)
	}
	return strings.Join(lines, "\n")
}

// AsError finds a policy *Error in err's chain.
func AsError(err error) (*Error, bool) {
	var pe *Error
	ok := errors.As(err, &pe)
	return pe, ok
}

// Lint parses and checks a spec file. Parse errors become findings under
// their structural rule; the returned spec is nil when parsing failed.
func Lint(filename string, data []byte) (*spec.Spec, *Report) {
	s, err := spec.Parse(filename, data)
	if err != nil {
		return nil, parseReport(filename, err)
	}
	r := Check(s)
	if r.Filename == "" {
		r.Filename = filename
	}
	return s, r
}

// parseReport turns a parse failure into findings. A parse error that is not
// an ErrorList still refuses the file, as a syntax finding at line 1.
func parseReport(filename string, err error) *Report {
	r := &Report{Filename: filename}
	var list spec.ErrorList
	var one *spec.Error
	switch {
	case errors.As(err, &list):
	case errors.As(err, &one):
		list = spec.ErrorList{one}
	default:
		list = spec.ErrorList{{Filename: filename, Rule: rules.Syntax, Msg: err.Error(), Range: spec.Range{Start: spec.Pos{Line: 1, Col: 1}, End: spec.Pos{Line: 1, Col: 1}}}}
	}
	for _, e := range list {
		if e == nil {
			continue
		}
		rule, ok := rules.Lookup(e.Rule)
		if !ok {
			// A parse error must still refuse, even under an ID this
			// catalog does not know.
			rule = rules.Rule{ID: e.Rule, Name: "UnknownRule", Severity: rules.Error}
		}
		rng := e.Range
		if rng.Start.Line < 1 {
			rng = spec.Range{Start: spec.Pos{Line: 1, Col: 1}, End: spec.Pos{Line: 1, Col: 1}}
		}
		r.Findings = append(r.Findings, Finding{Rule: rule, Message: e.Msg, Range: rng})
	}
	sortFindings(r.Findings)
	return r
}

func sortFindings(fs []Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i].Range.Start, fs[j].Range.Start
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if a.Col != b.Col {
			return a.Col < b.Col
		}
		return fs[i].Rule.ID < fs[j].Rule.ID
	})
}

// ExemptionLabelKey is the image label that records the waived rules.
const ExemptionLabelKey = "org.safe-frontend.exemptions"

// ExemptionLabel is the value of the exemptions label: a compact JSON array
// of {"rule","reason"} objects sorted by rule ID (then reason), with HTML
// characters left unescaped. JSON because reasons are free text and may hold
// any separator. It is "" when nothing was exempted (no label is written).
func ExemptionLabel(ex []spec.Exemption) string {
	if len(ex) == 0 {
		return ""
	}
	type entry struct {
		Rule   string `json:"rule"`
		Reason string `json:"reason"`
	}
	entries := make([]entry, len(ex))
	for i, e := range ex {
		entries[i] = entry{Rule: strings.TrimSpace(e.Rule), Reason: strings.TrimSpace(e.Reason)}
	}
	sort.SliceStable(entries, func(i, j int) bool {
		if entries[i].Rule != entries[j].Rule {
			return entries[i].Rule < entries[j].Rule
		}
		return entries[i].Reason < entries[j].Reason
	})
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(entries); err != nil {
		// Strings always encode; keep the label rather than fail a build.
		return ""
	}
	return strings.TrimSuffix(buf.String(), "\n")
}
