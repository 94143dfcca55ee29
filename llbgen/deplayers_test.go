package llbgen

import (
	"strings"
	"testing"

	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/pb"
	digest "github.com/opencontainers/go-digest"
)

// execSteps maps the progress name of every exec op to the op and its
// digest.
func execSteps(t *testing.T, def *llb.Definition) map[string]*pb.Op {
	t.Helper()
	steps := map[string]*pb.Op{}
	for _, dt := range def.Def {
		op := &pb.Op{}
		if err := op.UnmarshalVT(dt); err != nil {
			t.Fatal(err)
		}
		if op.GetExec() != nil {
			steps[def.Metadata[digest.FromBytes(dt)].Description["llb.customname"]] = op
		}
	}
	return steps
}

// stepNamed is the one step whose name has the prefix and the suffix.
func stepNamed(t *testing.T, steps map[string]*pb.Op, prefix, suffix string) *pb.Op {
	t.Helper()
	for name, op := range steps {
		if strings.HasPrefix(name, prefix) && strings.HasSuffix(name, suffix) {
			return op
		}
	}
	t.Fatalf("no step %s...%s in %v", prefix, suffix, steps)
	return nil
}

// rootInput is the digest of the op whose output an exec runs on.
func rootInput(t *testing.T, op *pb.Op) digest.Digest {
	t.Helper()
	for _, m := range op.GetExec().Mounts {
		if m.Dest == "/" {
			return digest.Digest(op.Inputs[m.Input].Digest)
		}
	}
	t.Fatal("exec without a root mount")
	return ""
}

func opDigest(t *testing.T, def *llb.Definition, want *pb.Op) digest.Digest {
	t.Helper()
	for _, dt := range def.Def {
		op := &pb.Op{}
		if err := op.UnmarshalVT(dt); err != nil {
			t.Fatal(err)
		}
		if op.EqualVT(want) {
			return digest.FromBytes(dt)
		}
	}
	t.Fatal("op not in the definition")
	return ""
}

// The fetched crates and the compiled dependencies are in the builder's
// filesystem, not in cache mounts: a registry cache carries layers, never
// cache mounts, so a fresh CI runner importing it would otherwise compile
// every dependency again.
func TestRustDependenciesInLayers(t *testing.T) {
	def, _ := marshal(t, rustInput(t, rustSpec(), amd64))
	steps := execSteps(t, def)
	for name, op := range steps {
		for _, m := range op.GetExec().Mounts {
			if m.MountType == pb.MountType_CACHE {
				t.Errorf("%s: cache mount at %s; the dependency state must be in layers", name, m.Dest)
			}
		}
		for _, e := range op.GetExec().Meta.Env {
			if v, ok := strings.CutPrefix(e, "CARGO_TARGET_DIR="); ok && (v == "/src" || strings.HasPrefix(v, "/src/")) {
				t.Errorf("%s: the target directory %s is under the sources, where a target/ in the context lands", name, v)
			}
		}
	}
	// Each step runs on the previous one's state: fetch, then the
	// dependency build, then (after the sources) the app build.
	fetch := stepNamed(t, steps, "[rust 2/", "cargo fetch --locked")
	deps := stepNamed(t, steps, "[rust 3/", "(dependencies of rust-hello)")
	app := stepNamed(t, steps, "[rust 5/", "--bin rust-hello")
	if got, want := rootInput(t, deps), opDigest(t, def, fetch); got != want {
		t.Errorf("the dependency build runs on %s, not on the fetch step %s", got, want)
	}
	if got, want := copiedOnto(t, def, rootInput(t, app)), opDigest(t, def, deps); got != want {
		t.Errorf("the sources are copied onto %s, not onto the dependency build %s", got, want)
	}
}

// copiedOnto is the state the file op (the sources' copy) with digest dgst
// works on.
func copiedOnto(t *testing.T, def *llb.Definition, dgst digest.Digest) digest.Digest {
	t.Helper()
	for _, dt := range def.Def {
		if digest.FromBytes(dt) != dgst {
			continue
		}
		op := &pb.Op{}
		if err := op.UnmarshalVT(dt); err != nil {
			t.Fatal(err)
		}
		return digest.Digest(op.Inputs[0].Digest)
	}
	t.Fatalf("no op %s in the definition", dgst)
	return ""
}

// The local Maven repository (and the wrapper's Maven) that step 2 fills
// is a layer the package step runs on, not a cache mount.
func TestJavaRepositoryInLayers(t *testing.T) {
	def, _ := marshal(t, javaInput(t, javaSpec(), "hello", amd64))
	steps := execSteps(t, def)
	for name, op := range steps {
		for _, m := range op.GetExec().Mounts {
			if m.MountType == pb.MountType_CACHE && strings.HasPrefix(m.Dest, "/root/.m2") {
				t.Errorf("%s: cache mount at %s; the resolved repository must be in a layer", name, m.Dest)
			}
		}
	}
	resolve := stepNamed(t, steps, "[java 2/", "mvn dependency:go-offline")
	pkg := stepNamed(t, steps, "[java 4/", "package -DskipTests")
	if got, want := copiedOnto(t, def, rootInput(t, pkg)), opDigest(t, def, resolve); got != want {
		t.Errorf("the sources are copied onto %s, not onto the resolved repository %s", got, want)
	}
	// The repository lang/java resolves into.
	const mavenRepo = "/root/.m2/repository"
	if !strings.Contains(commandText(t, def, resolve), "-Dmaven.repo.local="+mavenRepo) {
		t.Errorf("go-offline does not resolve into %s", mavenRepo)
	}
}
