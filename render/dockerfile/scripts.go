package dockerfile

import (
	"fmt"
	"strings"

	"github.com/org/safe-frontend/plan"
)

// scriptsStage names the stage that holds the steps' generated scripts.
const scriptsStage = "scripts"

// collectScripts gives every generated script of the plan its own file in
// the scripts stage: the stage's name and the script's, numbered when a
// stage has more than one of a name.
func (w *writer) collectScripts() {
	w.scripts = map[*plan.Run]string{}
	for si := range w.in.Plan.Stages {
		st := &w.in.Plan.Stages[si]
		seen := map[string]int{}
		for i := range st.Steps {
			r := st.Steps[i].Run
			if r == nil || r.Script() == nil {
				continue
			}
			name := r.Script().Name
			if n := seen[name]; n > 0 {
				name = fmt.Sprintf("%s-%d.sh", strings.TrimSuffix(name, ".sh"), n+1)
			}
			seen[r.Script().Name]++
			w.scripts[r] = "/" + st.Name + "/" + name
			w.scriptOrder = append(w.scriptOrder, r)
		}
	}
}

// scriptFiles writes the scripts stage: each RUN mounts its script from
// it, so a failing step reports `/bin/sh /run/safe-frontend/NAME.sh ...`,
// not the script's text, as the frontend's own build does.
func (w *writer) scriptFiles() {
	if len(w.scriptOrder) == 0 {
		return
	}
	w.line("")
	w.line("# The steps' generated scripts, mounted where they run: a failing step reports")
	w.line("# a short command, not the script's text.")
	w.line("FROM scratch AS %s", scriptsStage)
	for _, r := range w.scriptOrder {
		w.heredoc(&plan.Mkfile{Path: w.scripts[r], Mode: 0o444, Data: scriptText(r)})
	}
}

// scriptText is the script with the step's own variables exported first,
// so the RUN line stays the short exec form.
func scriptText(r *plan.Run) string {
	var b strings.Builder
	for _, kv := range r.Env {
		k, v, _ := strings.Cut(kv, "=")
		fmt.Fprintf(&b, "export %s=%s\n", k, shellQuote(v))
	}
	return b.String() + r.Script().Text
}

// scriptMount is the RUN mount of a command's script, "" for a command
// without one.
func (w *writer) scriptMount(r *plan.Run) string {
	src, ok := w.scripts[r]
	if !ok {
		return ""
	}
	return fmt.Sprintf("--mount=type=bind,from=%s,source=%s,target=%s", scriptsStage, src, r.Script().Path())
}
