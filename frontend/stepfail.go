package frontend

import (
	"bytes"
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/moby/buildkit/frontend/gateway/client"
	"github.com/moby/buildkit/solver/errdefs"
	"github.com/moby/buildkit/solver/pb"
	"github.com/pkg/errors"

	"github.com/org/safe-frontend/plan"
)

// Bounds on what a failed step's message quotes.
const (
	stepLogTail   = 16 << 10 // bytes of the step's output read back
	stepLogLines  = 8        // of its last lines shown
	maxStepLine   = 200      // characters a line of the message may have
	stepLogWindow = 30 * time.Second
)

// explainStepFailure turns a failed step of ours into the message a user
// reads, the way a Dockerfile build's reads: the tool's last lines, then
// one line with the step's name as the progress showed it and the tool's
// own message (and the project file and line it names). ok is false for
// failures that are not a step of ours.
func explainStepFailure(ctx context.Context, c client.Client, err error) (error, bool) {
	var se *errdefs.SolveError
	if !errors.As(err, &se) || se.Solve == nil {
		return nil, false
	}
	name := se.Solve.Description["llb.customname"]
	if !strings.HasPrefix(name, "[") || strings.HasPrefix(name, "[internal]") {
		return nil, false
	}
	name = clip(name, 120)
	lines := toolLines(readStepOutput(ctx, c, se))
	status := "failed"
	if m := exitCodeRe.FindStringSubmatch(err.Error()); m != nil {
		status = "failed with exit code " + m[1]
	}
	var b strings.Builder
	if len(lines) == 0 {
		// No output to quote (a file step, or a builder that cannot read
		// it back): the daemon's own words, which name no script.
		msg := strings.TrimSpace(err.Error())
		if i := strings.LastIndexByte(msg, '\n'); i >= 0 {
			msg = msg[i+1:]
		}
		fmt.Fprintf(&b, "%s", clip(name+": "+msg, maxStepLine))
		return withSources(errors.New(b.String()), err), true
	}
	fmt.Fprintf(&b, "%s %s; its last lines:\n", name, status)
	for _, l := range lines {
		b.WriteString("  " + clip(l, maxStepLine-2) + "\n")
	}
	b.WriteString(clip(name+": "+toolMessage(lines), maxStepLine))
	return withSources(errors.New(b.String()), err), true
}

var exitCodeRe = regexp.MustCompile(`exit code: ([0-9]+)`)

// withSources keeps the spec ranges the daemon's error points at.
func withSources(err, from error) error {
	for _, s := range errdefs.Sources(from) {
		err = errdefs.WithSource(err, s)
	}
	return err
}

// readStepOutput reads back the failed command's output from its log
// mount (see plan.LogDir), in a container on the failed step's own
// filesystem; "" when the builder cannot (no containers, no log).
func readStepOutput(ctx context.Context, c client.Client, se *errdefs.SolveError) string {
	ex := se.Solve.Op.GetExec()
	if ex == nil {
		return ""
	}
	var root, log string
	for i, m := range ex.Mounts {
		if i >= len(se.Solve.MountIDs) {
			break
		}
		switch m.Dest {
		case "/":
			root = se.Solve.MountIDs[i]
		case plan.LogDir:
			log = se.Solve.MountIDs[i]
		}
	}
	if root == "" || log == "" {
		return ""
	}
	ctx, cancel := context.WithTimeout(ctx, stepLogWindow)
	defer cancel()
	ctr, err := c.NewContainer(ctx, client.NewContainerRequest{
		Mounts: []client.Mount{
			{Dest: "/", ResultID: root, Readonly: true},
			{Dest: plan.LogDir, ResultID: log, Readonly: true},
		},
		NetMode:     pb.NetMode_NONE,
		Platform:    se.Solve.Op.Platform,
		Constraints: se.Solve.Op.Constraints,
	})
	if err != nil {
		return ""
	}
	defer ctr.Release(context.WithoutCancel(ctx))
	out := &capped{max: stepLogTail}
	proc, err := ctr.Start(ctx, client.StartRequest{
		Args:   []string{"tail", "-c", fmt.Sprint(stepLogTail), plan.LogDir + "/output"},
		Env:    []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"},
		Cwd:    "/",
		Stdout: out,
		Stderr: &capped{max: 0},
	})
	if err != nil || proc.Wait() != nil {
		return ""
	}
	return out.b.String()
}

// capped is a WriteCloser that keeps at most max bytes.
type capped struct {
	b   bytes.Buffer
	max int
}

func (w *capped) Write(p []byte) (int, error) {
	if room := w.max - w.b.Len(); room > 0 {
		w.b.Write(p[:min(room, len(p))])
	}
	return len(p), nil
}

func (w *capped) Close() error { return nil }

// ansiRe are terminal escapes a tool writes even to a pipe.
var ansiRe = regexp.MustCompile(`\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07`)

// toolLines are the output's last lines that say something, as printed (a
// progress line's last redraw), without escapes or control characters.
func toolLines(out string) []string {
	out = ansiRe.ReplaceAllString(out, "")
	var lines []string
	for _, l := range strings.Split(out, "\n") {
		l = strings.TrimRight(l, "\r")
		if i := strings.LastIndexByte(l, '\r'); i >= 0 {
			l = l[i+1:]
		}
		l = strings.TrimRightFunc(strings.Map(printable, l), func(r rune) bool { return r == ' ' || r == '\t' })
		if strings.TrimSpace(l) != "" && !boilerplateRe.MatchString(l) {
			lines = append(lines, l)
		}
	}
	return lines[max(0, len(lines)-stepLogLines):]
}

func printable(r rune) rune {
	if r == '\t' {
		return ' '
	}
	if r < ' ' || r == 0x7f {
		return -1
	}
	return r
}

// boilerplateRe are the lines tools print around an error that say
// nothing about it.
var boilerplateRe = regexp.MustCompile(`A complete log of this run|^npm (error|ERR!) (code|errno|path|command|signal)\b|^npm (error|ERR!)\s*$|` +
	`-> \[Help \d+\]|\[Help \d+\] http|To see the full stack trace|Re-run Maven|For more information about the errors|^\[ERROR\]\s*$|` +
	`COMPILATION ERROR :|^\[notice\]|^\[INFO\] (-+$|BUILD FAILURE|Total time|Finished at)|could not compile .* due to|For more information about this error, try|^\s*\|\s*$|^\s*=\s*(note|help):`)

// errorLineRe is a line that reports an error.
var errorLineRe = regexp.MustCompile(`(?i)(^|\W)(error|err!|fatal|failed|failure)(\W|$)`)

// toolMessage is the line that says what went wrong: the first error line
// that names a file and line, else the first error line, else the last
// line; with the file and line the tool names elsewhere, when it does not.
func toolMessage(lines []string) string {
	msg := ""
	for _, l := range lines {
		if errorLineRe.MatchString(l) && (msg == "" || fileLineRe.MatchString(l) && !fileLineRe.MatchString(msg)) {
			msg = l
		}
	}
	if msg == "" {
		msg = lines[len(lines)-1]
	}
	msg = strings.TrimSpace(msg)
	if at := fileAt(lines); at != "" && !strings.Contains(msg, at) && !strings.Contains(msg, strings.SplitN(at, ":", 2)[0]+":") {
		msg += " (at " + at + ")"
	}
	return msg
}

// fileLineRe is a source file and line a compiler names ("--> src/main.rs:2:5",
// "/src/src/main/java/App.java:[3,5]"); the build stages' source
// directories are left out, so it reads as a path in the context.
var fileLineRe = regexp.MustCompile(`(?:-->\s+|^|\s)(?:/src/|/app/)?([A-Za-z0-9_.][A-Za-z0-9_./-]*\.(?:rs|java|kt|py|js|mjs|cjs|ts|go|toml|json|xml|txt|lock|yaml)):\[?([0-9]+)`)

func fileAt(lines []string) string {
	for _, l := range lines {
		if m := fileLineRe.FindStringSubmatch(l); m != nil && !strings.Contains(m[1], "..") {
			return m[1] + ":" + m[2]
		}
	}
	return ""
}

// clip shortens a line to n characters with "...".
func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-3]) + "..."
}
