package llbgen

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/pb"
	"github.com/moby/buildkit/util/apicaps"
	apicapspb "github.com/moby/buildkit/util/apicaps/pb"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/org/safe-frontend/spec"
)

var update = flag.Bool("update", false, "rewrite golden files")

var (
	amd64 = ocispecs.Platform{OS: "linux", Architecture: "amd64"}
	arm64 = ocispecs.Platform{OS: "linux", Architecture: "arm64"}
)

const (
	goDigest      = digest.Digest("sha256:1111111111111111111111111111111111111111111111111111111111111111")
	finalDigest   = digest.Digest("sha256:2222222222222222222222222222222222222222222222222222222222222222")
	runtimeDigest = digest.Digest("sha256:3333333333333333333333333333333333333333333333333333333333333333")
)

func helloSpec() *spec.Spec {
	return &spec.Spec{
		Name:     "go-hello",
		Version:  "1.0.0",
		Language: "go",
		Go:       &spec.Go{Version: "1.26", Main: "./cmd/hello"},
		Run: spec.Run{
			Args:   []string{"--listen=:8080"},
			Port:   8080,
			Env:    map[string]string{"LOG_FORMAT": "json", "A_FIRST": "1"},
			Health: &spec.Health{HTTP: "/healthz"},
		},
		Labels: map[string]string{"org.opencontainers.image.licenses": "MIT"},
	}
}

// registered is the language registered by that name (its package under
// lang/, linked in by lang/all).
func registered(t testing.TB, name string) Language {
	t.Helper()
	l, ok := Lookup(name)
	if !ok {
		t.Fatalf("%s is not registered", name)
	}
	return l
}

func testInput(s *spec.Spec, target ocispecs.Platform) *Input {
	goImg := &dockerspec.DockerOCIImage{}
	goImg.Config.Env = []string{"PATH=/go/bin:/usr/local/go/bin:/usr/bin:/bin", "GOPATH=/go"}
	finalImg := &dockerspec.DockerOCIImage{}
	finalImg.Config.Env = []string{"PATH=/usr/local/bin:/usr/bin:/bin", "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"}
	finalImg.Config.Labels = map[string]string{"org.opencontainers.image.description": "base"}
	bases := map[string]Base{
		RoleBuilder: {Name: "docker.io/library/golang:1.26", Digest: goDigest,
			State: llb.Image("docker.io/library/golang:1.26@"+goDigest.String(), llb.Platform(amd64)).AddEnv("GOPATH", "/go"), Image: goImg},
	}
	bases[RoleRuntime] = Base{Name: RuntimeImage, Digest: runtimeDigest,
		State: llb.Image("docker.io/org/safe-frontend-runtime:1@"+runtimeDigest.String(), llb.Platform(target)), Image: &dockerspec.DockerOCIImage{}}
	if finalName(s) != "scratch" {
		bases[RoleFinal] = Base{Name: "gcr.io/distroless/static-debian13:nonroot", Digest: finalDigest,
			State: llb.Image("gcr.io/distroless/static-debian13:nonroot@"+finalDigest.String(), llb.Platform(target)), Image: finalImg}
	}
	return &Input{
		Spec:  s,
		Bases: bases,
		// A fixed unique ID: Marshal otherwise draws a random one per call.
		Context:        llb.Local("context", llb.ExcludePatterns([]string{".git", "**/*.pem"}), llb.LocalUniqueID("test")),
		BuildPlatform:  amd64,
		TargetPlatform: target,
		Revision:       "0123456789abcdef0123456789abcdef01234567",
		Source:         "https://example.com/go-hello.git",
		Epoch:          time.Unix(1700000000, 0),
	}
}

func marshal(t *testing.T, in *Input) (*llb.Definition, *Result) {
	t.Helper()
	res, err := Convert(in)
	if err != nil {
		t.Fatalf("Convert: %v", err)
	}
	def, err := res.State.Marshal(context.Background(), llb.Platform(in.TargetPlatform))
	if err != nil {
		t.Fatalf("Marshal: %v", err)
	}
	return def, res
}

func TestConvertDeterministic(t *testing.T) {
	for _, final := range []string{"", "scratch"} {
		s := helloSpec()
		s.Final = final
		requireDeterministic(t, func() *Input { return testInput(s, amd64) })
	}
}

// requireDeterministic converts and marshals the same input twice and
// requires the same bytes: the LLB is cached by its digest.
func requireDeterministic(t *testing.T, in func() *Input) {
	t.Helper()
	a, _ := marshal(t, in())
	b, _ := marshal(t, in())
	if len(a.Def) != len(b.Def) {
		t.Fatalf("%d vs %d ops", len(a.Def), len(b.Def))
	}
	for i := range a.Def {
		if !bytes.Equal(a.Def[i], b.Def[i]) {
			t.Fatalf("op %d differs between two conversions of the same input", i)
		}
	}
	ma, _ := json.Marshal(a.Metadata)
	mb, _ := json.Marshal(b.Metadata)
	if !bytes.Equal(ma, mb) {
		t.Fatalf("metadata differs between two conversions")
	}
}

func TestConvertGolden(t *testing.T) {
	for _, tc := range []struct {
		name   string
		final  string
		target ocispecs.Platform
	}{
		{"go-hello-distroless-amd64", "", amd64},
		{"go-hello-scratch-arm64", "scratch", arm64},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := helloSpec()
			s.Final = tc.final
			requireGolden(t, tc.name, testInput(s, tc.target))
		})
	}
}

// requireGolden compares a conversion's plan and image config with
// testdata/<name>.golden (-update rewrites it) and returns the plan.
func requireGolden(t *testing.T, name string, in *Input) string {
	t.Helper()
	def, res := marshal(t, in)
	got := dump(t, def) + "\n--- image config\n" + imageJSON(t, res.Image) + "\n--- llb " + defDigest(t, def) + "\n"
	golden := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run: go test ./llbgen -run %s -update)", err, t.Name())
	}
	if got != string(want) {
		t.Errorf("plan differs from %s (run: go test ./llbgen -run %s -update)\n--- got\n%s", golden, strings.SplitN(t.Name(), "/", 2)[0], got)
	}
	return got
}

// defDigest is a digest of the marshalled definition, ops and metadata:
// the golden files pin the LLB's bytes, not only its dump.
func defDigest(t *testing.T, def *llb.Definition) string {
	t.Helper()
	h := sha256.New()
	for _, dt := range def.Def {
		h.Write(dt)
	}
	md, err := json.Marshal(def.Metadata)
	if err != nil {
		t.Fatal(err)
	}
	h.Write(md)
	return fmt.Sprintf("sha256:%x", h.Sum(nil))
}

func TestImageConfig(t *testing.T) {
	_, res := marshal(t, testInput(helloSpec(), amd64))
	img := res.Image
	check := func(name string, got, want any) {
		t.Helper()
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	check("User", img.Config.User, "65532:65532")
	check("Entrypoint", img.Config.Entrypoint, []string{"/usr/sbin/tini", "--", "/usr/local/bin/go-hello"})
	hc := img.Config.Healthcheck
	if hc == nil {
		t.Fatal("no Healthcheck")
	}
	check("Healthcheck.Test", hc.Test, []string{"CMD", "/usr/sbin/safe-probe", "-timeout=3s", "http://127.0.0.1:8080/healthz"})
	check("Healthcheck timings", []time.Duration{hc.Interval, hc.Timeout, hc.StartPeriod, hc.StartInterval}, []time.Duration{10 * time.Second, 3 * time.Second, 10 * time.Second, time.Second})
	check("Healthcheck.Retries", hc.Retries, 3)
	check("history", len(img.History), 2)
	check("Cmd", img.Config.Cmd, []string{"--listen=:8080"})
	check("StopSignal", img.Config.StopSignal, "SIGTERM")
	check("ExposedPorts", len(img.Config.ExposedPorts), 1)
	if _, ok := img.Config.ExposedPorts["8080/tcp"]; !ok {
		t.Errorf("ExposedPorts = %v", img.Config.ExposedPorts)
	}
	check("Env", img.Config.Env, []string{"PATH=/usr/local/bin:/usr/bin:/bin", "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt", "A_FIRST=1", "LOG_FORMAT=json"})
	check("OS/arch", img.OS+"/"+img.Architecture, "linux/amd64")
	check("Created", img.Created.UTC().Format(time.RFC3339), "2023-11-14T22:13:20Z")
	l := img.Config.Labels
	check("title", l[LabelTitle], "go-hello")
	check("version", l[LabelVersion], "1.0.0")
	check("created", l[LabelCreated], "2023-11-14T22:13:20Z")
	check("revision", l[LabelRevision], "0123456789abcdef0123456789abcdef01234567")
	check("source", l[LabelSource], "https://example.com/go-hello.git")
	check("base.name", l[LabelBaseName], "gcr.io/distroless/static-debian13:nonroot")
	check("base.digest", l[LabelBaseDigest], finalDigest.String())
	check("licenses", l["org.opencontainers.image.licenses"], "MIT")
	if _, ok := l["org.opencontainers.image.description"]; ok {
		t.Errorf("base labels must not be inherited: %v", l)
	}
	for _, h := range img.History {
		if h.Created == nil || !h.Created.Equal(time.Unix(1700000000, 0)) {
			t.Errorf("history entry %q has time %v, want the epoch", h.CreatedBy, h.Created)
		}
	}
}

func TestRuntimeOptions(t *testing.T) {
	s := helloSpec()
	s.Run.SignalGroup = true
	s.Run.Health = &spec.Health{TCP: true, Interval: "30s", Timeout: "2s", StartPeriod: "1m", StartInterval: "2s", Retries: 5}
	_, res := marshal(t, testInput(s, amd64))
	if got := fmt.Sprint(res.Image.Config.Entrypoint); got != "[/usr/sbin/tini -g -- /usr/local/bin/go-hello]" {
		t.Errorf("Entrypoint = %s", got)
	}
	hc := res.Image.Config.Healthcheck
	if got := fmt.Sprint(hc.Test, hc.Interval, hc.Timeout, hc.StartPeriod, hc.StartInterval, hc.Retries); got != "[CMD /usr/sbin/safe-probe -timeout=2s tcp://127.0.0.1:8080] 30s 2s 1m0s 2s 5" {
		t.Errorf("Healthcheck = %s", got)
	}
	// The default start interval never exceeds a short interval.
	s.Run.Health = &spec.Health{HTTP: "/healthz", Interval: "500ms"}
	_, res = marshal(t, testInput(s, amd64))
	if hc := res.Image.Config.Healthcheck; hc.StartInterval != 500*time.Millisecond {
		t.Errorf("StartInterval with a 500ms interval = %s, want 500ms", hc.StartInterval)
	}

	off := false
	s = helloSpec()
	s.Run.Init = &off
	s.Run.Health = nil
	in := testInput(s, amd64)
	delete(in.Bases, RoleRuntime)
	_, res = marshal(t, in)
	if got := fmt.Sprint(res.Image.Config.Entrypoint); got != "[/usr/local/bin/go-hello]" {
		t.Errorf("without init: Entrypoint = %s", got)
	}
	if res.Image.Config.Healthcheck != nil {
		t.Errorf("without health: Healthcheck = %+v", res.Image.Config.Healthcheck)
	}
	reqs, err := Bases(s, amd64, amd64)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range reqs {
		if r.Role == RoleRuntime {
			t.Errorf("no init and no health check need no runtime image: %+v", reqs)
		}
	}
}

func TestSourceEditKeepsDependencyStep(t *testing.T) {
	// The dependency step's inputs are go.mod/go.sum only: its vertex digest
	// must not depend on build settings that only the build step uses.
	s1 := helloSpec()
	s2 := helloSpec()
	s2.Go.Main = "./cmd/other"
	s2.Go.Tags = []string{"netgo"}
	d1, _ := marshal(t, testInput(s1, amd64))
	d2, _ := marshal(t, testInput(s2, amd64))
	n1, n2 := vertexByName(t, d1, "go mod download"), vertexByName(t, d2, "go mod download")
	if n1 != n2 {
		t.Fatalf("go mod download vertex changed with go.main/tags: %s vs %s", n1, n2)
	}
}

func TestSecretsNeverInEnv(t *testing.T) {
	s := helloSpec()
	s.Secrets = []spec.Secret{{ID: "netrc", Target: "/root/.netrc", Required: true}, {ID: "token", Env: "GOPRIVATE_TOKEN"}}
	def, res := marshal(t, testInput(s, amd64))
	for _, kv := range res.Image.Config.Env {
		if strings.Contains(kv, "TOKEN") || strings.Contains(kv, "netrc") {
			t.Fatalf("secret leaked into image env: %s", kv)
		}
	}
	var secretMounts, envSecrets int
	for _, dt := range def.Def {
		var op pb.Op
		if err := op.UnmarshalVT(dt); err != nil {
			t.Fatal(err)
		}
		if ex := op.GetExec(); ex != nil {
			for _, m := range ex.Mounts {
				if m.MountType == pb.MountType_SECRET {
					secretMounts++
				}
			}
			envSecrets += len(ex.Secretenv)
		}
	}
	// two build steps, each with netrc + the optional ca bundle, plus the env secret.
	if secretMounts != 4 || envSecrets != 2 {
		t.Fatalf("secret mounts = %d, env secrets = %d; want 4 and 2", secretMounts, envSecrets)
	}
}

func BenchmarkConvert(b *testing.B) {
	s := helloSpec()
	for b.Loop() {
		in := testInput(s, amd64)
		res, err := Convert(in)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := res.State.Marshal(context.Background(), llb.Platform(amd64)); err != nil {
			b.Fatal(err)
		}
	}
}

func imageJSON(t *testing.T, img *dockerspec.DockerOCIImage) string {
	dt, err := json.MarshalIndent(img, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return string(dt) + "\n"
}

func vertexByName(t *testing.T, def *llb.Definition, suffix string) digest.Digest {
	t.Helper()
	for dgst, md := range def.Metadata {
		if strings.HasSuffix(md.Description["llb.customname"], suffix) {
			return dgst
		}
	}
	t.Fatalf("no vertex named *%s", suffix)
	return ""
}

// dump renders a definition as stable, readable text: one line per op with
// its progress name and what it does.
func dump(t *testing.T, def *llb.Definition) string {
	t.Helper()
	var lines []string
	for _, dt := range def.Def {
		var op pb.Op
		if err := op.UnmarshalVT(dt); err != nil {
			t.Fatal(err)
		}
		dgst := digest.FromBytes(dt)
		name := def.Metadata[dgst].Description["llb.customname"]
		var what string
		switch {
		case op.GetSource() != nil:
			what = "source " + op.GetSource().Identifier
		case op.GetExec() != nil:
			ex := op.GetExec()
			what = fmt.Sprintf("exec %q cwd=%s env=%v", ex.Meta.Args, ex.Meta.Cwd, ex.Meta.Env)
			for _, m := range ex.Mounts {
				switch m.MountType {
				case pb.MountType_CACHE:
					what += fmt.Sprintf(" cache:%s=%s", m.Dest, m.CacheOpt.ID)
				case pb.MountType_SECRET:
					what += fmt.Sprintf(" secret:%s=%s(optional=%v)", m.Dest, m.SecretOpt.ID, m.SecretOpt.Optional)
				}
			}
			for _, se := range ex.Secretenv {
				what += fmt.Sprintf(" secretenv:%s=%s", se.Name, se.ID)
			}
			what += fmt.Sprintf(" network=%v", ex.Network)
		case op.GetFile() != nil:
			var acts []string
			for _, a := range op.GetFile().Actions {
				switch {
				case a.GetCopy() != nil:
					c := a.GetCopy()
					acts = append(acts, fmt.Sprintf("copy %s -> %s mode=%o ts=%d", c.Src, c.Dest, c.Mode, c.Timestamp))
				case a.GetMkdir() != nil:
					acts = append(acts, "mkdir "+a.GetMkdir().Path)
				case a.GetMkfile() != nil:
					acts = append(acts, fmt.Sprintf("mkfile %s %q", a.GetMkfile().Path, a.GetMkfile().Data))
				}
			}
			what = "file " + strings.Join(acts, "; ")
		default:
			what = fmt.Sprintf("op with %d inputs", len(op.Inputs))
		}
		if p := op.Platform; p != nil {
			what += " platform=" + p.OS + "/" + p.Architecture
		}
		lines = append(lines, fmt.Sprintf("%s | %s", name, what))
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n") + "\n"
}

// llbCapsWithout is a current builder's capability set with one capability
// disabled the way Docker's classic image store disables MergeOp.
func llbCapsWithout(id apicaps.CapID, reason string) *apicaps.CapSet {
	var caps []*apicapspb.APICap
	for _, c := range pb.Caps.All() {
		if apicaps.CapID(c.ID) == id {
			c.Enabled, c.DisabledReason = false, reason
		}
		caps = append(caps, c)
	}
	set := pb.Caps.CapSet(caps)
	return &set
}

// Without MergeOp (Docker's classic image store) each layer's tree is
// copied onto the one below: the same layers, no merge, and the same
// bytes for the same input.
func TestConvertWithoutMergeOp(t *testing.T) {
	for final, layers := range map[string]int{"": 2, "scratch": 3} {
		s := helloSpec()
		s.Final = final
		in := func() *Input {
			in := testInput(s, amd64)
			in.LLBCaps = llbCapsWithout(pb.CapMergeOp, "only enabled with containerd image store backend")
			return in
		}
		requireDeterministic(t, in)
		def, res := marshal(t, in())
		got := dump(t, def)
		if strings.Contains(got, "merge") || strings.Contains(got, "op with 3 inputs") {
			t.Errorf("final %q: the LLB merges without MergeOp:\n%s", final, got)
		}
		// On scratch the first layer is the bottom one; on a base, every
		// layer is copied onto it.
		if n := strings.Count(got, "(onto the base)"); n != 2 {
			t.Errorf("final %q: %d layers copied onto the base, want 2:\n%s", final, n, got)
		}
		if len(res.Image.History) != layers {
			t.Errorf("final %q: %d history entries, want %d (one per layer)", final, len(res.Image.History), layers)
		}
		if final == "" {
			requireGolden(t, "go-hello-distroless-amd64-nomerge", in())
		}
	}
}

// Every layer makes the directories its files land in 0755 and root's
// before copying: a copy that creates them gives them the file's mode on
// BuildKit v0.21 and later.
func TestLayerParentDirs(t *testing.T) {
	def, _ := marshal(t, testInput(helloSpec(), amd64))
	made := map[string]int32{}
	for _, dt := range def.Def {
		var op pb.Op
		if err := op.UnmarshalVT(dt); err != nil {
			t.Fatal(err)
		}
		for _, a := range op.GetFile().GetActions() {
			if m := a.GetMkdir(); m != nil {
				made[m.Path] = m.Mode
				if !m.MakeParents || m.Owner.GetUser().GetByID() != 0 || m.Owner.GetGroup().GetByID() != 0 {
					t.Errorf("mkdir %s: parents %v, owner %v; want parents, root:root", m.Path, m.MakeParents, m.Owner)
				}
			}
		}
	}
	for _, d := range []string{"/usr/sbin", "/var/lib/dpkg/status.d", "/usr/local/bin"} {
		if mode, ok := made[d]; !ok || mode != 0o755 {
			t.Errorf("mkdir %s: made %v, mode %o; want 0755", d, ok, mode)
		}
	}
	if got, want := parentDirs([]Artifact{{Dest: "/a/b/c"}, {Dest: "/a/x"}, {Dest: "/a/b/d"}, {Dest: "/top"}, {Dest: "/app", Dir: true}}), []string{"/a/b"}; !slices.Equal(got, want) {
		t.Errorf("parentDirs = %q, want %q", got, want)
	}
}
