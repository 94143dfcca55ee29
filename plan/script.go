package plan

import (
	"regexp"
	"strings"
)

// ScriptDir is where a step's generated shell script is mounted,
// read-only, so the command a builder reports when the step fails is
// `/bin/sh /run/safe-frontend/NAME.sh ARGS`, never the script's text.
const ScriptDir = "/run/safe-frontend"

// Script is a command's generated shell script, run from a file.
type Script struct {
	// Name is the file's name in ScriptDir: the marker the plan gave the
	// script as its $0 ("safe-frontend-frozen-install.sh"), else "step.sh".
	Name string
	Text string
	// Errexit: the plan ran it with sh -ec.
	Errexit bool
	// Args are the script's arguments ($1...).
	Args []string
}

// Path is where the script is mounted.
func (s *Script) Path() string { return ScriptDir + "/" + s.Name }

// Argv is the short command that runs the mounted script.
func (s *Script) Argv() []string {
	argv := []string{"/bin/sh"}
	if s.Errexit {
		argv = append(argv, "-e")
	}
	return append(append(argv, s.Path()), s.Args...)
}

// scriptNameRe is a $0 marker that may name the script's file.
var scriptNameRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// Script is the command's shell script when it is `sh -c SCRIPT [NAME
// [ARG...]]` (or -ec), nil for any other command. A script that reads $0
// is left as it is: run from a file, $0 would be the file's path.
func (r *Run) Script() *Script {
	a := r.Args
	if len(a) < 3 || (a[0] != "/bin/sh" && a[0] != "sh") || (a[1] != "-c" && a[1] != "-ec") || strings.Contains(a[2], "$0") {
		return nil
	}
	s := &Script{Name: "step.sh", Text: a[2], Errexit: a[1] == "-ec"}
	if len(a) > 3 {
		if scriptNameRe.MatchString(a[3]) {
			s.Name = strings.TrimSuffix(a[3], ".sh") + ".sh"
		}
		s.Args = a[4:]
	}
	if !strings.HasSuffix(s.Text, "\n") {
		s.Text += "\n"
	}
	return s
}

// LogDir is a mount of its own where every command's output is also
// kept, so the frontend can quote the tool's last lines when the command
// fails; it never lands in a stage.
const LogDir = "/run/safe-frontend-log"

// Runner is the script every command runs under (from ScriptDir, as
// "run"): it passes the output through and keeps it in LogDir, and exits
// with the command's own status.
const Runner = `# The command's output is also kept for the error message should it fail.
{ "$@" 2>&1; echo $? >` + LogDir + `/status; } | tee ` + LogDir + `/output
exit "$(cat ` + LogDir + `/status)"
`
