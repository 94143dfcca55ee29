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
	if got := strings.Join(roles, " "); got != "builder@amd64 runtime@arm64 tools@amd64 final@arm64" {
		t.Errorf("bases %s", got)
	}
	requireDeterministic(t, func() *Input { return staticInput(staticSpec()) })
	_, res := marshal(t, staticInput(staticSpec()))
	if ep := strings.Join(res.Image.Config.Entrypoint, " "); ep != "/usr/sbin/tini -- /usr/sbin/safe-static -root=/srv/www -listen=:8080 -spa" {
		t.Errorf("entrypoint %s", ep)
	}
	in := testInput(staticSpec(), amd64)
	if _, err := Convert(in); err == nil || !strings.Contains(err.Error(), "build platform") {
		t.Errorf("without the tools base: %v", err)
	}
}
