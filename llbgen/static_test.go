package llbgen

import (
	"strings"
	"testing"

	"github.com/moby/buildkit/client/llb"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"

	"github.com/org/safe-frontend/spec"
)

func staticSpec() *spec.Spec {
	return &spec.Spec{
		Name: "site", Version: "1.0.0", Language: "static",
		Static: &spec.Static{Root: "public", SPA: true},
		Run:    spec.Run{Port: 8080, Health: &spec.Health{HTTP: "/healthz"}},
	}
}

// staticInput adds the runtime image for the build platform: the tools
// role a static site's precompression runs in.
func staticInput(s *spec.Spec) *Input {
	in := testInput(s, amd64)
	in.Bases[RoleTools] = Base{Name: RuntimeImage, Digest: runtimeDigest,
		State: llb.Image("docker.io/org/safe-frontend-runtime:1@"+runtimeDigest.String(), llb.Platform(amd64)), Image: &dockerspec.DockerOCIImage{}}
	return in
}

// A static site asks for the runtime image on both platforms, converts
// the same twice, and is refused without the build platform's.
func TestStaticConvert(t *testing.T) {
	reqs, err := Bases(staticSpec(), amd64, arm64)
	if err != nil {
		t.Fatal(err)
	}
	var roles []string
	for _, r := range reqs {
		roles = append(roles, r.Role+"@"+r.Platform.Architecture)
	}
	if got := strings.Join(roles, " "); got != "builder@amd64 runtime@arm64 tools@amd64" {
		t.Errorf("bases %s", got)
	}
	requireDeterministic(t, func() *Input { return staticInput(staticSpec()) })
	_, res := marshal(t, staticInput(staticSpec()))
	if ep := strings.Join(res.Image.Config.Entrypoint, " "); ep != "/usr/sbin/tini -- /usr/sbin/safe-static -root=/srv/www -listen=:8080 -spa" {
		t.Errorf("entrypoint %s", ep)
	}
	requireSelfProbing(t, res)
	// The precompressor runs in the runtime image, which has no shell: not
	// under the runner every other step runs under.
	def, _ := marshal(t, staticInput(staticSpec()))
	pre := stepNamed(t, execSteps(t, def), "[static", "safe-precompress public")
	if args := pre.GetExec().GetMeta().GetArgs(); len(args) == 0 || args[0] != "/sbin/safe-precompress" {
		t.Errorf("the precompressor runs as %q, want /sbin/safe-precompress itself", args)
	}
	in := testInput(staticSpec(), amd64)
	if _, err := Convert(in); err == nil || !strings.Contains(err.Error(), "build platform") {
		t.Errorf("without the tools base: %v", err)
	}
}

// A static site's server probes itself: on scratch (the default) and on
// a final the spec names alike, the image gets no probe and no CA bundle,
// and its HEALTHCHECK runs the server.
func TestStaticSelfProbe(t *testing.T) {
	_, res := marshal(t, staticInput(staticSpec()))
	if res.BaseImage != nil {
		t.Errorf("a static site's default final is not scratch: %+v", res.BaseImage)
	}
	for _, kv := range res.Image.Config.Env {
		if strings.HasPrefix(kv, "SSL_CERT_FILE=") {
			t.Errorf("Env has %s", kv)
		}
	}
	requireSelfProbing(t, res)
	s := staticSpec()
	s.Final = "distroless"
	reqs, err := Bases(s, amd64, amd64)
	if err != nil {
		t.Fatal(err)
	}
	if last := reqs[len(reqs)-1]; last.Role != RoleFinal || last.Name != "gcr.io/distroless/static-debian13:nonroot" {
		t.Errorf("final: distroless asked for %+v", last)
	}
	_, res = marshal(t, staticInput(s))
	requireSelfProbing(t, res)
}

func requireSelfProbing(t *testing.T, res *Result) {
	t.Helper()
	hc := res.Image.Config.Healthcheck
	if hc == nil || strings.Join(hc.Test, " ") != "CMD /usr/sbin/safe-static -probe -timeout=3s http://127.0.0.1:8080/healthz" {
		t.Errorf("Healthcheck %+v, want the server probing itself", hc)
	}
	for _, l := range res.Plan.Final.Layers {
		for _, a := range l.Files {
			if a.Dest == ProbePath || strings.Contains(a.Dest, "ca-certificates") {
				t.Errorf("layer %s copies %s", l.Name, a.Dest)
			}
		}
	}
	for _, src := range res.SBOM {
		if src.Path == ProbePath {
			t.Errorf("the SBOM reads %s", src.Path)
		}
	}
}
