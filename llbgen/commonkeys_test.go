package llbgen

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/pb"
	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/org/safe-frontend/spec"
)

// commonLanguage is one row of the common-keys suite: how to make the
// language's example spec and conversion input, and which of its steps run
// the language's tools (downloads and builds), which must see the build
// args. Everything else the suite checks is the same for every language;
// adding one is one entry.
type commonLanguage struct {
	lang      string
	spec      func() *spec.Spec
	input     func(t testing.TB, s *spec.Spec, target ocispecs.Platform) *Input
	toolSteps []string
	// unlock breaks the lock in the context files and returns the rule
	// the build refuses that with (nil for languages that read none).
	unlock func(files map[string][]byte) string
}

var commonLanguages = []commonLanguage{
	{"go", helloSpec, func(_ testing.TB, s *spec.Spec, target ocispecs.Platform) *Input { return testInput(s, target) },
		[]string{"go mod download", "go build"}, nil},
	{"node", nodeSpec, func(_ testing.TB, s *spec.Spec, target ocispecs.Platform) *Input {
		return nodeInput(s, nodeFiles(), target)
	}, []string{"npm ci"}, removeLock("package-lock.json", "SF110")},
	{"python", pythonHelloSpec, func(_ testing.TB, s *spec.Spec, target ocispecs.Platform) *Input {
		in := pythonInput(s, map[string][]byte{"requirements.txt": []byte(pyLock)})
		in.TargetPlatform = target
		fin := in.Bases[RoleFinal]
		fin.State = llb.Image(fin.Name+"@"+finalDigest.String(), llb.Platform(target))
		in.Bases[RoleFinal] = fin
		return in
	}, []string{"apt-get install", "pip install"}, func(files map[string][]byte) string {
		files["requirements.txt"] = []byte("flask>=3\n")
		return "SF120"
	}},
	{"rust", rustSpec, rustInput, []string{"cargo fetch", "cargo build"}, removeLock("Cargo.lock", "SF130")},
	{"java", javaSpec, func(t testing.TB, s *spec.Spec, target ocispecs.Platform) *Input {
		if target.Architecture != amd64.Architecture {
			s.Java.Runtime = "jre" // jlink links the builder's own JDK: build platform only
		}
		return javaInput(t, s, "hello", target)
	}, []string{"mvn"}, removeLock("pom.xml", "SF140")},
}

func removeLock(name, rule string) func(map[string][]byte) string {
	return func(files map[string][]byte) string {
		delete(files, name)
		return rule
	}
}

const (
	commonURL    = "https://example.com/releases/notice.txt"
	commonURLSum = "73da47b6338b00a082fd451aa35a3273d3adc09b8e9bba98dab01091e402af6e"
)

var commonEpoch = time.Unix(1700000000, 0)

// withCommonKeys sets every key that is not the language's own.
func withCommonKeys(s *spec.Spec) *spec.Spec {
	s.Run.Env = map[string]string{"APP_MODE": "common-keys", "LANG": "C.UTF-8"}
	s.Run.User = "1000:1000"
	s.Run.SignalGroup = true
	s.Run.Health = &spec.Health{TCP: true, Interval: "30s", Timeout: "2s", StartPeriod: "1m", Retries: 5}
	s.Labels = map[string]string{"org.opencontainers.image.licenses": "MIT", "org.example.team": "payments"}
	s.Build.Args = map[string]string{"TOOL_MIRROR": "https://mirror.example.com", "MODE": "default"}
	s.Secrets = []spec.Secret{{ID: "netrc", Target: "/root/.netrc", Required: true}, {ID: "token", Env: "REGISTRY_TOKEN"}}
	s.Include = []string{"config/tls.pem"}
	s.Copy = []spec.Copy{{From: "config/", To: "/etc/app"}, {URL: commonURL, SHA256: commonURLSum, To: "/etc/app/notice.txt"}}
	return s
}

func commonInput(t testing.TB, c commonLanguage, target ocispecs.Platform) *Input {
	in := c.input(t, withCommonKeys(c.spec()), target)
	in.BuildArgs = map[string]string{"MODE": "override", "UNDECLARED": "dropped"}
	in.Labels = map[string]string{"org.example.team": "from-the-command-line", "org.example.ci": "pipeline-42"}
	in.ExemptionsLabel = "SF304: a public certificate"
	in.Epoch = commonEpoch
	in.NetworkMode = pb.NetMode_NONE
	// Base labels must not be inherited, whatever the final.
	fin := in.Bases[RoleFinal]
	img := *fin.Image
	img.Config.Labels = map[string]string{"org.opencontainers.image.description": "the base"}
	fin.Image = &img
	in.Bases[RoleFinal] = fin
	return in
}

// commonOp is one LLB op with its progress name.
type commonOp struct {
	name string
	op   *pb.Op
}

func commonOps(t *testing.T, def *llb.Definition) []commonOp {
	t.Helper()
	var out []commonOp
	for _, dt := range def.Def {
		var op pb.Op
		if err := op.UnmarshalVT(dt); err != nil {
			t.Fatal(err)
		}
		out = append(out, commonOp{def.Metadata[digest.FromBytes(dt)].Description["llb.customname"], &op})
	}
	return out
}

// TestCommonKeys converts each language's example with every common key
// set and checks, the same way for each, what every key must do: the image
// config and labels field by field, the build steps' args, secrets and
// network, the copies, the epoch, the target platform. Two conversions
// of the same input must give the same bytes.
func TestCommonKeys(t *testing.T) {
	for _, c := range commonLanguages {
		for _, target := range []ocispecs.Platform{amd64, arm64} {
			t.Run(c.lang+"/"+target.Architecture, func(t *testing.T) {
				requireDeterministic(t, func() *Input { return commonInput(t, c, target) })
				in := commonInput(t, c, target)
				def, res := marshal(t, in)
				checkCommonConfig(t, in, res)
				checkCommonSteps(t, c, in, commonOps(t, def))
			})
		}
	}
}

func checkCommonConfig(t *testing.T, in *Input, res *Result) {
	t.Helper()
	img := res.Image
	cfg := img.Config
	check := func(name string, got, want any) {
		t.Helper()
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	// run.*
	check("User", cfg.User, "1000:1000")
	// A language may add its own init flags (java maps the JVM's exit 143).
	if len(cfg.Entrypoint) < 4 || !slices.Equal(cfg.Entrypoint[:2], []string{InitPath, "-g"}) || !slices.Contains(cfg.Entrypoint, "--") {
		t.Errorf("Entrypoint = %v, want %s -g ... -- in front of the app", cfg.Entrypoint, InitPath)
	}
	check("Cmd", cfg.Cmd, in.Spec.Run.Args)
	check("ExposedPorts", cfg.ExposedPorts, map[string]struct{}{"8080/tcp": {}})
	check("StopSignal", cfg.StopSignal, "SIGTERM")
	if hc := cfg.Healthcheck; hc == nil {
		t.Error("no Healthcheck")
	} else {
		check("Healthcheck", fmt.Sprint(hc.Test, hc.Interval, hc.Timeout, hc.StartPeriod, hc.Retries),
			"[CMD /usr/sbin/safe-probe -timeout=2s tcp://127.0.0.1:8080] 30s 2s 1m0s 5")
	}
	for _, want := range []string{"APP_MODE=common-keys", "LANG=C.UTF-8"} {
		if !slices.Contains(cfg.Env, want) {
			t.Errorf("Env = %v, want run.env's %s", cfg.Env, want)
		}
	}
	for _, kv := range cfg.Env {
		for _, leak := range []string{"TOOL_MIRROR", "MODE=", "UNDECLARED", "REGISTRY_TOKEN", "netrc"} {
			if strings.Contains(kv, leak) && !strings.HasPrefix(kv, "APP_MODE=") {
				t.Errorf("a build arg or secret reached the image env: %s", kv)
			}
		}
	}
	// SOURCE_DATE_EPOCH
	check("Created", img.Created.UTC(), commonEpoch.UTC())
	for _, h := range img.History {
		if h.Created == nil || !h.Created.Equal(commonEpoch) {
			t.Errorf("history %q has time %v, want the epoch", h.CreatedBy, h.Created)
		}
	}
	if n := len(img.History); n == 0 || !strings.HasPrefix(img.History[n-1].CreatedBy, "safe-frontend: copy: copy /etc/app /etc/app/notice.txt") {
		t.Errorf("the last history entry is not the spec's copies: %+v", img.History)
	}
	// labels, --label, allow, the final base
	l := cfg.Labels
	fin := in.Bases[RoleFinal]
	for k, want := range map[string]string{
		LabelTitle:                          in.Spec.Name,
		LabelVersion:                        "1.0.0",
		LabelCreated:                        "2023-11-14T22:13:20Z",
		LabelRevision:                       in.Revision,
		LabelSource:                         in.Source,
		LabelBaseName:                       fin.Name,
		LabelBaseDigest:                     finalDigest.String(),
		"org.opencontainers.image.licenses": "MIT",
		"org.example.team":                  "payments",
		"org.example.ci":                    "pipeline-42",
		ExemptionsLabel:                     "SF304: a public certificate",
	} {
		check("label "+k, l[k], want)
	}
	if _, ok := l["org.opencontainers.image.description"]; ok {
		t.Errorf("base labels must not be inherited: %v", l)
	}
	// platforms
	check("image platform", img.OS+"/"+img.Architecture, "linux/"+in.TargetPlatform.Architecture)
}

func checkCommonSteps(t *testing.T, c commonLanguage, in *Input, ops []commonOp) {
	t.Helper()
	tools := map[string]bool{}
	var execs, layers int
	var download, configCopy bool
	for _, o := range ops {
		switch {
		case o.op.GetExec() != nil:
			execs++
			ex := o.op.GetExec()
			// Every build step runs on the build platform, whatever the target.
			if p := o.op.Platform; p == nil || p.Architecture != in.BuildPlatform.Architecture {
				t.Errorf("%s runs on %v, want the build platform %s", o.name, p, in.BuildPlatform.Architecture)
			}
			// secrets: mounted in every step, never in its env; --network.
			var mounts []string
			for _, m := range ex.Mounts {
				if m.MountType == pb.MountType_SECRET {
					mounts = append(mounts, fmt.Sprintf("%s=%s(optional=%v)", m.Dest, m.SecretOpt.ID, m.SecretOpt.Optional))
				}
			}
			slices.Sort(mounts)
			if want := []string{"/root/.netrc=netrc(optional=false)", CASecretPath + "=ca(optional=true)"}; !slices.Equal(mounts, want) {
				t.Errorf("%s: secret mounts %v, want %v", o.name, mounts, want)
			}
			if len(ex.Secretenv) != 1 || ex.Secretenv[0].Name != "REGISTRY_TOKEN" || ex.Secretenv[0].ID != "token" {
				t.Errorf("%s: secret env %v, want REGISTRY_TOKEN from token", o.name, ex.Secretenv)
			}
			if ex.Network != pb.NetMode_NONE {
				t.Errorf("%s: network %v, want the build's --network (none)", o.name, ex.Network)
			}
			// build.args: declared defaults and --build-arg overrides reach
			// the tools; undeclared ones do not.
			for _, step := range c.toolSteps {
				if !strings.Contains(o.name, step) {
					continue
				}
				tools[step] = true
				for _, want := range []string{"TOOL_MIRROR=https://mirror.example.com", "MODE=override"} {
					if !slices.Contains(ex.Meta.Env, want) {
						t.Errorf("%s: env %v lacks the build arg %s", o.name, ex.Meta.Env, want)
					}
				}
				for _, kv := range ex.Meta.Env {
					if strings.HasPrefix(kv, "UNDECLARED=") {
						t.Errorf("%s: an undeclared --build-arg reached the step: %s", o.name, kv)
					}
				}
			}
		case o.op.GetSource() != nil:
			src := o.op.GetSource()
			if src.Identifier == commonURL {
				download = true
				if got := src.Attrs[pb.AttrHTTPChecksum]; got != "sha256:"+commonURLSum {
					t.Errorf("copy url checksum %q, want the spec's sha256", got)
				}
			}
			if strings.HasPrefix(src.Identifier, "docker-image://"+in.Bases[RoleFinal].Name) {
				if p := o.op.Platform; p == nil || p.Architecture != in.TargetPlatform.Architecture {
					t.Errorf("the final base is pulled for %v, want the target %s", p, in.TargetPlatform.Architecture)
				}
			}
		case o.op.GetFile() != nil:
			for _, a := range o.op.GetFile().Actions {
				cp := a.GetCopy()
				if cp == nil {
					continue
				}
				if cp.Src == "/config" && cp.Dest == "/etc/app" && cp.DirCopyContents {
					configCopy = true
				}
				if strings.HasSuffix(o.name, " (times)") {
					layers++
					if cp.Timestamp != commonEpoch.UnixNano() {
						t.Errorf("%s: file times %d, want the epoch", o.name, cp.Timestamp)
					}
				}
			}
		}
	}
	if execs == 0 {
		t.Error("no build step")
	}
	for _, step := range c.toolSteps {
		if !tools[step] {
			t.Errorf("no %q step", step)
		}
	}
	if !download {
		t.Errorf("no download of %s (copy url)", commonURL)
	}
	if !configCopy {
		t.Error("no copy of config/ to /etc/app (copy from)")
	}
	// runtime, the language's layers, copy: each made with the epoch.
	if layers < 3 {
		t.Errorf("%d layers carry the epoch, want every layer the frontend makes (at least 3)", layers)
	}
}

// TestCommonLockFindings: a lock the build would refuse is found from the
// context files alone, which is what --check reports without building.
// Go reads no context file.
func TestCommonLockFindings(t *testing.T) {
	for _, c := range commonLanguages {
		t.Run(c.lang, func(t *testing.T) {
			in := commonInput(t, c, amd64)
			if len(ContextFiles(in.Spec)) == 0 {
				if len(in.Files) > 0 {
					t.Fatalf("%s reads no context file but its input has %d", c.lang, len(in.Files))
				}
				return
			}
			if f := CheckContext(in.Spec, in.Files, false); len(f) > 0 {
				t.Fatalf("the example's files give findings: %+v", f)
			}
			files := map[string][]byte{}
			for k, v := range in.Files {
				files[k] = v
			}
			rule := c.unlock(files)
			found := CheckContext(in.Spec, files, false)
			var rulesFound []string
			for _, f := range found {
				rulesFound = append(rulesFound, f.Rule)
				if f.Path == "" || f.Message == "" {
					t.Errorf("finding without a spec path or message: %+v", f)
				}
			}
			if !slices.Contains(rulesFound, rule) {
				t.Errorf("findings %v, want %s", rulesFound, rule)
			}
		})
	}
}
