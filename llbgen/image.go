package llbgen

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/containerd/platforms"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// OCI annotation keys the frontend generates.
const (
	LabelTitle      = "org.opencontainers.image.title"
	LabelVersion    = "org.opencontainers.image.version"
	LabelCreated    = "org.opencontainers.image.created"
	LabelRevision   = "org.opencontainers.image.revision"
	LabelSource     = "org.opencontainers.image.source"
	LabelBaseName   = "org.opencontainers.image.base.name"
	LabelBaseDigest = "org.opencontainers.image.base.digest"
)

// imageConfig assembles the final image config. Base labels are not
// inherited: labels describe the app, and the base is recorded by name and
// digest instead.
func imageConfig(in *Input, out *BuildOutput, base Base, hasBase bool) *dockerspec.DockerOCIImage {
	s := in.Spec
	tp := in.TargetPlatform
	img := &dockerspec.DockerOCIImage{}
	img.OS = tp.OS
	img.Architecture = tp.Architecture
	img.Variant = tp.Variant
	img.RootFS.Type = "layers"
	var env []string
	if hasBase && base.Image != nil {
		env = slices.Clone(base.Image.Config.Env)
		img.History = slices.Clone(base.Image.History)
		img.RootFS.DiffIDs = slices.Clone(base.Image.RootFS.DiffIDs)
	}
	if !hasEnv(env, "PATH") {
		env = append([]string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}, env...)
	}
	if finalName(s) == "scratch" {
		env = setEnv(env, "SSL_CERT_FILE", "/etc/ssl/certs/ca-certificates.crt")
	}
	for _, k := range slices.Sorted(maps.Keys(s.Run.Env)) {
		env = setEnv(env, k, s.Run.Env[k])
	}

	epoch := in.Epoch.UTC()
	img.Created = &epoch
	img.Config.Env = env
	img.Config.User = DefaultUser
	if s.Run.User != "" {
		img.Config.User = s.Run.User
	}
	img.Config.Entrypoint = slices.Clone(out.Entrypoint)
	img.Config.Cmd = slices.Clone(s.Run.Args)
	img.Config.WorkingDir = "/"
	img.Config.StopSignal = "SIGTERM"
	if s.Run.Port > 0 {
		img.Config.ExposedPorts = map[string]struct{}{fmt.Sprintf("%d/tcp", s.Run.Port): {}}
	}
	img.Config.Labels = labels(in, base, hasBase)
	img.History = append(img.History, ocispecs.History{
		Created:   &epoch,
		CreatedBy: "safe-frontend: copy " + artifactList(out, s),
		Comment:   "safe-frontend",
	})
	return img
}

func labels(in *Input, base Base, hasBase bool) map[string]string {
	s := in.Spec
	l := map[string]string{
		LabelTitle:   s.Name,
		LabelCreated: in.Epoch.UTC().Format(time.RFC3339),
	}
	if s.Version != "" {
		l[LabelVersion] = s.Version
	}
	if in.Revision != "" {
		l[LabelRevision] = in.Revision
	}
	if in.Source != "" {
		l[LabelSource] = in.Source
	}
	if hasBase {
		l[LabelBaseName] = base.Name
		if base.Digest != "" {
			l[LabelBaseDigest] = base.Digest.String()
		}
	}
	maps.Copy(l, in.Labels)
	maps.Copy(l, s.Labels)
	if in.ExemptionsLabel != "" {
		l[ExemptionsLabel] = in.ExemptionsLabel
	}
	return l
}

func hasEnv(env []string, k string) bool {
	for _, kv := range env {
		if strings.HasPrefix(kv, k+"=") {
			return true
		}
	}
	return false
}

func setEnv(env []string, k, v string) []string {
	for i, kv := range env {
		if strings.HasPrefix(kv, k+"=") {
			env[i] = k + "=" + v
			return env
		}
	}
	return append(env, k+"="+v)
}

func platformString(p ocispecs.Platform) string {
	return platforms.FormatAll(platforms.Normalize(p))
}
