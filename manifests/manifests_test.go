package manifests

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	psaapi "k8s.io/pod-security-admission/api"
	psapolicy "k8s.io/pod-security-admission/policy"
	"sigs.k8s.io/yaml"

	"github.com/org/safe-frontend/policy"
	"github.com/org/safe-frontend/spec"
)

var update = flag.Bool("update", false, "rewrite the golden files")

const digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

var testImage = "registry.example.com/app@" + digest

func parse(t *testing.T, body string) *spec.Spec {
	t.Helper()
	s, r := policy.Lint("app.yaml", []byte(body))
	if s == nil {
		t.Fatalf("spec did not parse: %v", r.Err())
	}
	if err := r.Err(); err != nil {
		t.Fatalf("spec was refused: %v", err)
	}
	return s
}

func generate(t *testing.T, body string, o Options) *Result {
	t.Helper()
	if o.Image == "" {
		o.Image = testImage
	}
	r, err := Generate(parse(t, body), o)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

const base = "# syntax=org/safe-frontend:1\nname: app\nversion: 1.2.3\nlanguage: go\n"

const server = base + `run:
  port: 8080
  health: {http: /healthz}
  resources: {cpu: 250m, memory: 128Mi}
`

// TestGoldenGoHello: the example's manifests, byte for byte.
func TestGoldenGoHello(t *testing.T) {
	dt, err := os.ReadFile("../examples/go-hello/Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	r := generate(t, string(dt), Options{Image: "127.0.0.1:5000/go-hello@" + digest, Namespace: "demo"})
	got, err := r.YAML()
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "go-hello.yaml")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./manifests -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("manifests differ from %s (go test ./manifests -update rewrites it):\n%s", golden, got)
	}
	if len(r.Notes) != 0 {
		t.Errorf("notes for the example: %q", r.Notes)
	}
	// Same input, same bytes: map order must not leak into the output.
	for range 5 {
		again, _ := generate(t, string(dt), Options{Image: "127.0.0.1:5000/go-hello@" + digest, Namespace: "demo"}).YAML()
		if !bytes.Equal(again, got) {
			t.Fatal("two generations of the same spec differ")
		}
	}
}

// TestStrictDecode: every generated document decodes into the k8s.io/api
// type with unknown fields refused, and survives the round trip unchanged.
func TestStrictDecode(t *testing.T) {
	r := generate(t, server+"  writable: [/tmp, /var/cache/app]\n  env: {A: b}\n", Options{Namespace: "prod"})
	files, err := r.Files()
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 2 || files[0].Name != DeploymentFile || files[1].Name != ServiceFile {
		t.Fatalf("files = %v", files)
	}
	var dep appsv1.Deployment
	if err := yaml.UnmarshalStrict(files[0].Data, &dep); err != nil {
		t.Fatalf("deployment.yaml: %v\n%s", err, files[0].Data)
	}
	var svc corev1.Service
	if err := yaml.UnmarshalStrict(files[1].Data, &svc); err != nil {
		t.Fatalf("service.yaml: %v\n%s", err, files[1].Data)
	}
	for i, obj := range []any{&dep, &svc} {
		again, err := Marshal(obj)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(again, files[i].Data) {
			t.Errorf("%s does not round-trip:\n%s\n---\n%s", files[i].Name, files[i].Data, again)
		}
	}
	// The decoder does refuse what it does not know.
	bad := bytes.Replace(files[0].Data, []byte("imagePullPolicy:"), []byte("imagePullPolicyy:"), 1)
	if err := yaml.UnmarshalStrict(bad, &appsv1.Deployment{}); err == nil {
		t.Error("strict decoding accepted an unknown field; the test proves nothing")
	}
	if dep.Namespace != "prod" || svc.Namespace != "prod" {
		t.Errorf("namespaces = %q, %q", dep.Namespace, svc.Namespace)
	}
	if svc.Spec.Selector[LabelName] != "app" || dep.Spec.Selector.MatchLabels[LabelName] != "app" || len(dep.Spec.Selector.MatchLabels) != 1 {
		t.Errorf("selectors = %v, %v", svc.Spec.Selector, dep.Spec.Selector.MatchLabels)
	}
}

func evaluate(t *testing.T, meta *metav1.ObjectMeta, pod *corev1.PodSpec) psapolicy.AggregateCheckResult {
	t.Helper()
	e, err := psapolicy.NewEvaluator(psapolicy.DefaultChecks(), nil)
	if err != nil {
		t.Fatal(err)
	}
	lv := psaapi.LevelVersion{Level: psaapi.LevelRestricted, Version: psaapi.LatestVersion()}
	return psapolicy.AggregateCheckResults(e.EvaluatePod(lv, meta, pod))
}

// TestPodSecurityRestricted: the Pod Security Admission evaluator at
// restricted:latest allows the generated pod and refuses each weakening.
func TestPodSecurityRestricted(t *testing.T) {
	specs := map[string]string{
		"server":   server + "  writable: [/tmp]\n",
		"worker":   base,
		"tcp":      base + "run:\n  port: 9000\n  health: {tcp: true}\n  user: \"1000\"\n",
		"go-hello": "",
	}
	dt, err := os.ReadFile("../examples/go-hello/Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	specs["go-hello"] = string(dt)
	for name, body := range specs {
		r := generate(t, body, Options{})
		tpl := r.Deployment.Spec.Template
		if res := evaluate(t, &tpl.ObjectMeta, &tpl.Spec); !res.Allowed {
			t.Errorf("%s: restricted refuses the generated pod: %s: %s", name, res.ForbiddenReason(), res.ForbiddenDetail())
		}
	}

	weaken := map[string]func(p *corev1.PodSpec){
		"runAsNonRoot removed":     func(p *corev1.PodSpec) { p.SecurityContext.RunAsNonRoot = nil },
		"runs as root":             func(p *corev1.PodSpec) { p.SecurityContext.RunAsUser = ptr(int64(0)) },
		"privilege escalation":     func(p *corev1.PodSpec) { p.Containers[0].SecurityContext.AllowPrivilegeEscalation = ptr(true) },
		"capabilities not dropped": func(p *corev1.PodSpec) { p.Containers[0].SecurityContext.Capabilities = nil },
		"capability added": func(p *corev1.PodSpec) {
			p.Containers[0].SecurityContext.Capabilities.Add = []corev1.Capability{"SYS_ADMIN"}
		},
		"seccomp unconfined": func(p *corev1.PodSpec) { p.SecurityContext.SeccompProfile.Type = corev1.SeccompProfileTypeUnconfined },
		"seccomp removed":    func(p *corev1.PodSpec) { p.SecurityContext.SeccompProfile = nil },
		"hostPath volume": func(p *corev1.PodSpec) {
			p.Volumes[0].VolumeSource = corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/"}}
		},
		"privileged container":         func(p *corev1.PodSpec) { p.Containers[0].SecurityContext.Privileged = ptr(true) },
		"host network":                 func(p *corev1.PodSpec) { p.HostNetwork = true },
		"container runAsNonRoot=false": func(p *corev1.PodSpec) { p.Containers[0].SecurityContext.RunAsNonRoot = ptr(false) },
	}
	r := generate(t, server+"  writable: [/tmp]\n", Options{})
	for name, fn := range weaken {
		tpl := r.Deployment.Spec.Template.DeepCopy()
		fn(&tpl.Spec)
		if res := evaluate(t, &tpl.ObjectMeta, &tpl.Spec); res.Allowed {
			t.Errorf("%s: restricted allowed the weakened pod", name)
		}
	}
}

// TestSecurityContext pins what the checklist asks for, beyond what
// the restricted profile requires (it does not require a read-only root).
func TestSecurityContext(t *testing.T) {
	r := generate(t, server, Options{})
	p := r.Deployment.Spec.Template.Spec
	c := p.Containers[0]
	sc := p.SecurityContext
	switch {
	case sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot:
		t.Error("runAsNonRoot not set")
	case *sc.RunAsUser != 65532 || *sc.RunAsGroup != 65532 || *sc.FSGroup != 65532:
		t.Errorf("user = %v:%v fsGroup %v", *sc.RunAsUser, *sc.RunAsGroup, *sc.FSGroup)
	case sc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault:
		t.Error("seccomp")
	case p.AutomountServiceAccountToken == nil || *p.AutomountServiceAccountToken:
		t.Error("service account token mounted")
	case !*c.SecurityContext.ReadOnlyRootFilesystem || *c.SecurityContext.AllowPrivilegeEscalation:
		t.Error("container security context")
	case len(c.SecurityContext.Capabilities.Drop) != 1 || c.SecurityContext.Capabilities.Drop[0] != "ALL":
		t.Error("capabilities")
	case c.ImagePullPolicy != corev1.PullIfNotPresent || c.Image != testImage:
		t.Errorf("image %q policy %q", c.Image, c.ImagePullPolicy)
	case *p.TerminationGracePeriodSeconds != 30:
		t.Errorf("grace = %d", *p.TerminationGracePeriodSeconds)
	case c.Lifecycle.PreStop.Sleep.Seconds != 5:
		t.Errorf("preStop = %+v", c.Lifecycle.PreStop)
	}
	if got := c.Resources.Limits.Memory().String(); got != "128Mi" {
		t.Errorf("memory limit = %s", got)
	}
	if got := c.Resources.Requests.Memory().String(); got != "128Mi" {
		t.Errorf("memory request = %s", got)
	}
	if got := c.Resources.Requests.Cpu().String(); got != "250m" {
		t.Errorf("cpu request = %s", got)
	}
	if _, ok := c.Resources.Limits["cpu"]; ok {
		t.Error("a CPU limit only throttles; none expected")
	}
}

func TestProbes(t *testing.T) {
	r := generate(t, base+`run:
  port: 8080
  health: {http: /ready, interval: 5s, timeout: 500ms, startPeriod: 1m, retries: 4}
`, Options{})
	c := r.Deployment.Spec.Template.Spec.Containers[0]
	for name, p := range map[string]*corev1.Probe{"readiness": c.ReadinessProbe, "liveness": c.LivenessProbe} {
		if p.HTTPGet.Path != "/ready" || p.HTTPGet.Port.StrVal != "http" || p.PeriodSeconds != 5 || p.TimeoutSeconds != 1 || p.FailureThreshold != 4 {
			t.Errorf("%s probe = %+v", name, p)
		}
	}
	// 60s start period + 4 retries x 5s, polled every second.
	if s := c.StartupProbe; s.PeriodSeconds != 1 || s.FailureThreshold != 80 {
		t.Errorf("startup probe = %+v", s)
	}

	// A longer start interval polls less often over the same time.
	r = generate(t, base+"run:\n  port: 8080\n  health: {http: /ready, interval: 5s, startPeriod: 1m, startInterval: 3s, retries: 4}\n", Options{})
	if s := r.Deployment.Spec.Template.Spec.Containers[0].StartupProbe; s.PeriodSeconds != 3 || s.FailureThreshold != 27 {
		t.Errorf("startup probe with startInterval 3s = %+v", s)
	}

	r = generate(t, base+"run:\n  port: 9000\n  health: {tcp: true}\n", Options{})
	c = r.Deployment.Spec.Template.Spec.Containers[0]
	if c.ReadinessProbe.TCPSocket == nil || c.ReadinessProbe.TCPSocket.Port.StrVal != "tcp" || c.Ports[0].Name != "tcp" || c.ReadinessProbe.HTTPGet != nil {
		t.Errorf("tcp probe = %+v ports %+v", c.ReadinessProbe, c.Ports)
	}
	if r.Service.Spec.Ports[0].TargetPort.StrVal != "tcp" || r.Service.Spec.Ports[0].Port != 9000 {
		t.Errorf("service ports = %+v", r.Service.Spec.Ports)
	}
}

// TestWorker: no port, no Service, nothing to drain, no probes.
func TestWorker(t *testing.T) {
	r := generate(t, base+"run:\n  stopGracePeriod: 2m\n  shutdownTimeout: 90s\n", Options{})
	if r.Service != nil {
		t.Error("a Service for an app without a port")
	}
	files, _ := r.Files()
	if len(files) != 1 {
		t.Errorf("%d files", len(files))
	}
	p := r.Deployment.Spec.Template.Spec
	c := p.Containers[0]
	if c.Lifecycle != nil || c.ReadinessProbe != nil || c.StartupProbe != nil || len(c.Ports) != 0 {
		t.Errorf("worker container = %+v", c)
	}
	if *p.TerminationGracePeriodSeconds != 120 {
		t.Errorf("grace = %d", *p.TerminationGracePeriodSeconds)
	}
}

func TestWritableVolumes(t *testing.T) {
	r := generate(t, server+"  writable: [/tmp, /var/cache/app, /var/cache_app]\n", Options{})
	p := r.Deployment.Spec.Template.Spec
	want := map[string]string{"tmp": "/tmp", "var-cache-app": "/var/cache/app", "writable-2": "/var/cache_app"}
	if len(p.Volumes) != 3 || len(p.Containers[0].VolumeMounts) != 3 {
		t.Fatalf("volumes %+v mounts %+v", p.Volumes, p.Containers[0].VolumeMounts)
	}
	for i, v := range p.Volumes {
		m := p.Containers[0].VolumeMounts[i]
		if v.EmptyDir == nil || m.Name != v.Name || want[v.Name] != m.MountPath || m.ReadOnly {
			t.Errorf("volume %+v mount %+v", v, m)
		}
	}
}

func TestEnv(t *testing.T) {
	r := generate(t, server+"  env: {HOME_DIR: \"$(HOME)/x\", PRICE: \"5$\", API_TOKEN: \"\", EMPTY: \"\"}\n", Options{})
	env := r.Deployment.Spec.Template.Spec.Containers[0].Env
	got := map[string]corev1.EnvVar{}
	var order []string
	for _, e := range env {
		got[e.Name] = e
		order = append(order, e.Name)
	}
	if strings.Join(order, ",") != "API_TOKEN,EMPTY,HOME_DIR,PRICE" {
		t.Errorf("env order = %v", order)
	}
	// Kubernetes would expand $(HOME); the image config does not.
	if got["HOME_DIR"].Value != "$$(HOME)/x" || got["PRICE"].Value != "5$$" || got["EMPTY"].Value != "" || got["EMPTY"].ValueFrom != nil {
		t.Errorf("env = %+v", env)
	}
	ref := got["API_TOKEN"].ValueFrom
	if ref == nil || ref.SecretKeyRef == nil || ref.SecretKeyRef.Name != "app" || ref.SecretKeyRef.Key != "API_TOKEN" {
		t.Errorf("API_TOKEN = %+v", got["API_TOKEN"])
	}
	if len(r.Notes) != 1 || !strings.Contains(r.Notes[0], `Secret "app"`) {
		t.Errorf("notes = %q", r.Notes)
	}
}

func TestLabelsAndNames(t *testing.T) {
	r := generate(t, `name: My_App.v2
version: 1.0.0+build.7
language: go
labels:
  org.opencontainers.image.licenses: MIT
  org.opencontainers.image.description: A long free-text description
  team: payments
  app.kubernetes.io/name: other
`, Options{})
	d := r.Deployment
	if d.Name != "my-app-v2" || d.Spec.Template.Spec.Containers[0].Name != "my-app-v2" {
		t.Errorf("name = %q", d.Name)
	}
	wantLabels := map[string]string{LabelName: "my-app-v2", "team": "payments", "org.opencontainers.image.licenses": "MIT"}
	if len(d.Labels) != len(wantLabels) {
		t.Errorf("labels = %v", d.Labels)
	}
	for k, v := range wantLabels {
		if d.Labels[k] != v || d.Spec.Template.Labels[k] != v {
			t.Errorf("label %s = %q, want %q", k, d.Labels[k], v)
		}
	}
	if d.Annotations["org.opencontainers.image.description"] != "A long free-text description" || d.Annotations[LabelVersion] != "1.0.0+build.7" {
		t.Errorf("annotations = %v", d.Annotations)
	}
	if len(r.Notes) != 1 || !strings.Contains(r.Notes[0], "my-app-v2") {
		t.Errorf("notes = %q", r.Notes)
	}
}

func TestUserWithoutGroup(t *testing.T) {
	r := generate(t, server+"  user: \"1000\"\n", Options{})
	sc := r.Deployment.Spec.Template.Spec.SecurityContext
	if *sc.RunAsUser != 1000 || sc.RunAsGroup != nil || sc.FSGroup != nil {
		t.Errorf("security context = %+v", sc)
	}
}

func TestRefusals(t *testing.T) {
	s := parse(t, server)
	for _, tc := range []struct{ image, ns, want string }{
		{"", "", "required by digest"},
		{"registry.example.com/app:1.2.3", "", "has no digest"},
		{"Registry/App@" + digest, "", "not a valid reference"},
		{testImage, "Prod", "not a valid namespace"},
	} {
		if _, err := Generate(s, Options{Image: tc.image, Namespace: tc.ns}); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Generate(image %q, ns %q) = %v, want %q", tc.image, tc.ns, err, tc.want)
		}
	}
	if _, err := Generate(parse(t, "name: 1app\nlanguage: go\n"), Options{Image: testImage}); err == nil || !strings.Contains(err.Error(), "must start with a letter") {
		t.Errorf("digit-first name: %v", err)
	}
	if _, err := Generate(nil, Options{Image: testImage}); err == nil {
		t.Error("nil spec accepted")
	}
}

func TestParseImage(t *testing.T) {
	for in, want := range map[string]string{
		"nginx@" + digest:                          "docker.io/library/nginx@" + digest,
		"127.0.0.1:5000/go-hello:1.0@" + digest:    "127.0.0.1:5000/go-hello:1.0@" + digest,
		" registry.example.com/team/app@" + digest: "registry.example.com/team/app@" + digest,
	} {
		got, err := ParseImage(in)
		if err != nil || got != want {
			t.Errorf("ParseImage(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

// TestPlatforms: one platform pins the pod with a nodeSelector, several
// become a node affinity, none leaves scheduling alone.
func TestPlatforms(t *testing.T) {
	body := base + "run:\n  port: 8080\n"
	pod := func(ps ...ocispecs.Platform) corev1.PodSpec {
		t.Helper()
		return generate(t, body, Options{Platforms: ps}).Deployment.Spec.Template.Spec
	}
	if p := pod(); p.NodeSelector != nil || p.Affinity != nil {
		t.Errorf("without platforms: nodeSelector %v, affinity %+v", p.NodeSelector, p.Affinity)
	}
	arm64 := ocispecs.Platform{OS: "linux", Architecture: "arm64"}
	amd64 := ocispecs.Platform{OS: "linux", Architecture: "amd64"}
	armv7 := ocispecs.Platform{OS: "linux", Architecture: "arm", Variant: "v7"}
	if p := pod(arm64); fmt.Sprint(p.NodeSelector) != "map[kubernetes.io/arch:arm64 kubernetes.io/os:linux]" || p.Affinity != nil {
		t.Errorf("linux/arm64: nodeSelector %v, affinity %+v", p.NodeSelector, p.Affinity)
	}
	p := pod(arm64, amd64, armv7, amd64)
	if p.NodeSelector != nil || p.Affinity == nil || p.Affinity.NodeAffinity == nil || p.Affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution == nil {
		t.Fatalf("three platforms: nodeSelector %v, affinity %+v", p.NodeSelector, p.Affinity)
	}
	terms := p.Affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms
	if got := fmt.Sprint(terms); got != "[{[{kubernetes.io/os In [linux]} {kubernetes.io/arch In [amd64 arm arm64]}] []}]" {
		t.Errorf("three platforms: terms %s", got)
	}
	if _, err := Generate(parse(t, body), Options{Image: testImage, Platforms: []ocispecs.Platform{{OS: "linux"}}}); err == nil || !strings.Contains(err.Error(), "architecture") {
		t.Errorf("a platform without architecture: %v", err)
	}
}
