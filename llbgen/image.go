package llbgen

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/org/safe-frontend/spec"
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
func imageConfig(in *Input, out *BuildOutput, layers []Layer, base Base, hasBase bool) *dockerspec.DockerOCIImage {
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
	if needsTrustStore(s) {
		env = setEnv(env, "SSL_CERT_FILE", "/etc/ssl/certs/ca-certificates.crt")
	}
	for _, kv := range out.Env {
		k, v, _ := strings.Cut(kv, "=")
		env = setEnv(env, k, v)
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
	img.Config.Entrypoint = entrypoint(s, out.Entrypoint, out.StopStatus)
	img.Config.Cmd = slices.Clone(s.Run.Args)
	img.Config.WorkingDir = "/"
	if out.WorkingDir != "" {
		img.Config.WorkingDir = out.WorkingDir
	}
	img.Config.StopSignal = "SIGTERM"
	if s.Run.Port > 0 {
		img.Config.ExposedPorts = map[string]struct{}{fmt.Sprintf("%d/tcp", s.Run.Port): {}}
	}
	img.Config.Healthcheck = healthcheck(s)
	img.Config.Labels = labels(in, base, hasBase)
	for _, l := range layers {
		img.History = append(img.History, ocispecs.History{
			Created:   &epoch,
			CreatedBy: "safe-frontend: " + layerTitle(l),
			Comment:   "safe-frontend",
		})
	}
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

// entrypoint puts the init in front of the app: tini forwards signals to
// it and reaps orphans, which PID 1 must do and most apps do not.
func entrypoint(s *spec.Spec, app []string, stopStatus int) []string {
	if !initEnabled(s) {
		return slices.Clone(app)
	}
	ep := []string{InitPath}
	if s.Run.SignalGroup {
		ep = append(ep, "-g")
	}
	if stopStatus > 0 && stopStatus < 256 {
		// tini -e: this status after SIGTERM is the app's clean stop.
		ep = append(ep, "-e", strconv.Itoa(stopStatus))
	}
	return append(append(ep, "--"), app...)
}

// healthcheck is the exec-form HEALTHCHECK run by the static probe, or by
// the language's server probing itself: no shell, no curl. The probe's own
// deadline is the check's timeout.
func healthcheck(s *spec.Spec) *dockerspec.HealthcheckConfig {
	h := s.Run.Health
	if h == nil || s.Run.Port == 0 {
		return nil
	}
	t := HealthTimings(h)
	target := fmt.Sprintf("http://127.0.0.1:%d%s", s.Run.Port, h.HTTP)
	if h.TCP {
		target = fmt.Sprintf("tcp://127.0.0.1:%d", s.Run.Port)
	}
	probe := selfProbe(s)
	if probe == nil {
		probe = []string{ProbePath}
	}
	return &dockerspec.HealthcheckConfig{
		Test:        slices.Concat([]string{"CMD"}, probe, []string{"-timeout=" + t.Timeout.String(), target}),
		Interval:    t.Interval,
		Timeout:     t.Timeout,
		StartPeriod: t.StartPeriod,
		// Engines before Docker 25 ignore the field and probe every
		// Interval from the start; newer ones probe this often until the
		// first success, so the container is healthy as soon as it answers.
		StartInterval: t.StartInterval,
		Retries:       t.Retries,
	}
}

// Timings of a health check, defaults applied.
type Timings struct {
	Interval, Timeout, StartPeriod, StartInterval time.Duration
	Retries                                       int
}

// Health check defaults: the image's HEALTHCHECK and the manifests' probes
// use the same ones.
const (
	DefaultHealthInterval    = 10 * time.Second
	DefaultHealthTimeout     = 3 * time.Second
	DefaultHealthStartPeriod = 10 * time.Second
	// DefaultHealthStartInterval is short so a container is reported
	// healthy about a second after it answers instead of a whole interval.
	DefaultHealthStartInterval = time.Second
	DefaultHealthRetries       = 3
)

// HealthTimings reads the spec's timings; malformed values (refused by
// the policy) fall back to the defaults.
func HealthTimings(h *spec.Health) Timings {
	t := Timings{DefaultHealthInterval, DefaultHealthTimeout, DefaultHealthStartPeriod, DefaultHealthStartInterval, DefaultHealthRetries}
	parse := func(v string, d *time.Duration) {
		if p, err := time.ParseDuration(v); err == nil && p > 0 {
			*d = p
		}
	}
	parse(h.Interval, &t.Interval)
	parse(h.Timeout, &t.Timeout)
	parse(h.StartPeriod, &t.StartPeriod)
	parse(h.StartInterval, &t.StartInterval)
	// Probing less often while starting than afterwards would only delay
	// the first healthy status.
	t.StartInterval = min(t.StartInterval, t.Interval)
	if h.Retries > 0 {
		t.Retries = h.Retries
	}
	return t
}
