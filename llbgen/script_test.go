package llbgen

import (
	"strings"
	"testing"

	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/pb"
	digest "github.com/opencontainers/go-digest"

	"github.com/org/safe-frontend/plan"
)

// commandText is what an exec runs: its arguments and the scripts mounted
// at plan.ScriptDir, which hold what the arguments only name.
func commandText(t *testing.T, def *llb.Definition, op *pb.Op) string {
	t.Helper()
	text := strings.Join(op.GetExec().Meta.Args, " ")
	for _, m := range op.GetExec().Mounts {
		if m.Dest != plan.ScriptDir {
			continue
		}
		in := digest.Digest(op.Inputs[m.Input].Digest)
		for _, dt := range def.Def {
			if digest.FromBytes(dt) != in {
				continue
			}
			fop := &pb.Op{}
			if err := fop.UnmarshalVT(dt); err != nil {
				t.Fatal(err)
			}
			for _, a := range fop.GetFile().GetActions() {
				if mk := a.GetMkfile(); mk != nil {
					text += "\n" + string(mk.Data)
				}
			}
		}
	}
	return text
}

// Every command runs under the runner, a generated script from its file:
// the arguments a failure reports are short and hold no script text, and
// the output is kept in a mount of its own.
func TestCommandsRunFromScriptFiles(t *testing.T) {
	def, _ := marshal(t, javaInput(t, javaSpec(), "hello", amd64))
	steps := execSteps(t, def)
	if len(steps) < 4 {
		t.Fatalf("want the java steps, got %d", len(steps))
	}
	for name, op := range steps {
		args := op.GetExec().Meta.Args
		if len(args) < 3 || args[0] != "/bin/sh" || args[1] != plan.ScriptDir+"/run" {
			t.Errorf("%s: not run under the runner: %q", name, args)
		}
		if line := strings.Join(args, " "); strings.Contains(line, "\n") || len(line) > 200 {
			t.Errorf("%s: the process line holds a script or is long (%d bytes): %q", name, len(line), line)
		}
		mounts := map[string]*pb.Mount{}
		for _, m := range op.GetExec().Mounts {
			mounts[m.Dest] = m
		}
		if m := mounts[plan.ScriptDir]; m == nil || !m.Readonly {
			t.Errorf("%s: scripts not mounted read-only at %s", name, plan.ScriptDir)
		}
		if m := mounts[plan.LogDir]; m == nil || m.Readonly || m.Output < 0 {
			t.Errorf("%s: no writable log mount at %s", name, plan.LogDir)
		}
		if !strings.Contains(commandText(t, def, op), "tee "+plan.LogDir+"/output") {
			t.Errorf("%s: the runner is not mounted", name)
		}
	}
}
