package integration

import (
	"context"
	"encoding/json"
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/org/safe-frontend/internal/buildrun"
	"github.com/org/safe-frontend/internal/kubeapi"
	"github.com/org/safe-frontend/manifests"
	"github.com/org/safe-frontend/policy"
)

// kubeBuild is hack/kube/build (kube-apiserver and etcd from source, once),
// started by TestMain in the background while the BuildKit stack comes up.
var kubeBuild struct {
	done chan struct{}
	bins kubeapi.Binaries
	err  error
	took time.Duration
}

// kubeTests are the tests that need the API server.
var kubeTests = []string{"TestManifestsOnAPIServer"}

// startKubeBuild starts the build unless -run selects none of kubeTests.
func startKubeBuild() {
	if !flag.Parsed() {
		flag.Parse()
	}
	if f := flag.Lookup("test.run"); f != nil && f.Value.String() != "" {
		re, err := regexp.Compile(strings.Split(f.Value.String(), "/")[0])
		wanted := err != nil
		for _, name := range kubeTests {
			wanted = wanted || re.MatchString(name)
		}
		if !wanted {
			return
		}
	}
	kubeBuild.done = make(chan struct{})
	go func() {
		defer close(kubeBuild.done)
		start := time.Now()
		kubeBuild.bins, kubeBuild.err = kubeapi.Build(context.Background(), repoRoot, os.Stderr)
		kubeBuild.took = time.Since(start)
	}()
}

func kubeBinaries(t *testing.T) kubeapi.Binaries {
	t.Helper()
	if kubeBuild.done == nil {
		startKubeBuild()
	}
	waited := time.Now()
	<-kubeBuild.done
	t.Logf("hack/kube/build: %s in the background, %s waited for here", kubeBuild.took.Round(time.Second), time.Since(waited).Round(time.Second))
	if kubeBuild.err != nil {
		t.Fatalf("building kube-apiserver and etcd: %v", kubeBuild.err)
	}
	return kubeBuild.bins
}

const (
	testDigest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	restricted = "restricted"
)

// TestManifestsOnAPIServer: a real kube-apiserver accepts what `safe
// manifest` writes, with strict field validation, in a namespace that
// enforces the restricted Pod Security Standard; and refuses the pod once
// it is weakened.
func TestManifestsOnAPIServer(t *testing.T) {
	bins := kubeBinaries(t)
	ctx := testContext(t)
	srv, err := kubeapi.Start(ctx, bins, t.TempDir())
	if err != nil {
		t.Fatalf("starting etcd + kube-apiserver: %v", err)
	}
	t.Cleanup(srv.Stop)
	t.Logf("etcd + kube-apiserver ready in %s", srv.Started.Round(10*time.Millisecond))
	if err := srv.CreateNamespace(ctx, restricted, map[string]string{
		"pod-security.kubernetes.io/enforce":         "restricted",
		"pod-security.kubernetes.io/enforce-version": "latest",
		"pod-security.kubernetes.io/warn":            "restricted",
		"pod-security.kubernetes.io/warn-version":    "latest",
	}); err != nil {
		t.Fatal(err)
	}

	example, err := os.ReadFile(filepath.Join(repoRoot, "examples", "go-hello", "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	specs := map[string]string{
		"go-hello": string(example),
		"tcp-writable-secret": `name: Queue_Worker
version: 2.0.0+rc.1
language: go
run:
  port: 9000
  user: "1000"
  health: {tcp: true, interval: 5s, timeout: 2s, startPeriod: 30s, retries: 5}
  writable: [/tmp, /var/cache/app]
  env: {API_TOKEN: "", GREETING: "$(HOME) costs 5$"}
  resources: {cpu: "1", memory: 1Gi}
  stopGracePeriod: 45s
  shutdownTimeout: 30s
labels:
  team: payments
  org.opencontainers.image.description: Drains the queue, slowly and with care
`,
		"worker-no-port": "name: batch\nlanguage: go\nrun:\n  writable: [/tmp]\n",
	}
	specPlatforms := map[string][]ocispecs.Platform{
		"go-hello":            {{OS: "linux", Architecture: "arm64"}},
		"tcp-writable-secret": {{OS: "linux", Architecture: "amd64"}, {OS: "linux", Architecture: "arm64"}},
	}
	for name, body := range specs {
		t.Run(name, func(t *testing.T) {
			s, report := policy.Lint(name+".yaml", []byte(body))
			if err := report.Err(); err != nil || s == nil {
				t.Fatalf("spec refused: %v", err)
			}
			// One spec pinned to a platform, one to two: the server takes the
			// nodeSelector and the node affinity.
			res, err := manifests.Generate(s, manifests.Options{Image: "127.0.0.1:5000/" + name + "@" + testDigest, Namespace: restricted, Platforms: specPlatforms[name]})
			if err != nil {
				t.Fatal(err)
			}
			files, err := res.Files()
			if err != nil {
				t.Fatal(err)
			}
			// The files exactly as written, YAML and all.
			for _, f := range files {
				kind := strings.TrimSuffix(f.Name, ".yaml")
				code, body, hdr := dryRun(t, srv, kind, f.Data)
				if code != http.StatusCreated {
					t.Fatalf("%s refused: %d %s\n%s", f.Name, code, body, f.Data)
				}
				if w := hdr.Values("Warning"); len(w) > 0 {
					t.Errorf("%s: the server warned: %q", f.Name, w)
				}
			}
			// A Pod from the Deployment's template: what the ReplicaSet
			// controller would create, and what Pod Security enforces on.
			pod := podFromTemplate(t, files[0].Data)
			code, body, _ := dryRun(t, srv, "pod", mustJSON(t, pod))
			if code != http.StatusCreated {
				t.Fatalf("the template's pod refused: %d %s", code, body)
			}
			var created corev1.Pod
			if err := json.Unmarshal(body, &created); err != nil {
				t.Fatal(err)
			}
			c := created.Spec.Containers[0]
			if s.Run.Port > 0 && (c.Lifecycle == nil || c.Lifecycle.PreStop == nil || c.Lifecycle.PreStop.Sleep == nil || c.Lifecycle.PreStop.Sleep.Seconds != 5) {
				t.Errorf("the server dropped the preStop sleep (is PodLifecycleSleepAction off?): %+v", c.Lifecycle)
			}
			if ps := specPlatforms[name]; len(ps) == 1 && created.Spec.NodeSelector["kubernetes.io/arch"] != ps[0].Architecture {
				t.Errorf("nodeSelector %v, want kubernetes.io/arch %s", created.Spec.NodeSelector, ps[0].Architecture)
			} else if len(ps) > 1 && (created.Spec.Affinity == nil || created.Spec.Affinity.NodeAffinity == nil) {
				t.Errorf("no node affinity for %d platforms: %+v", len(ps), created.Spec.Affinity)
			}
			if !*created.Spec.SecurityContext.RunAsNonRoot || *c.SecurityContext.AllowPrivilegeEscalation {
				t.Errorf("security context changed on the way: %+v / %+v", created.Spec.SecurityContext, c.SecurityContext)
			}
		})
	}

	// Dry runs store nothing.
	if code, _, _, err := srv.Do(ctx, http.MethodGet, "/apis/apps/v1/namespaces/"+restricted+"/deployments/go-hello", "", nil); err != nil || code != http.StatusNotFound {
		t.Errorf("GET after a dry run: %d %v, want 404", code, err)
	}

	s, _ := policy.Lint("go-hello.yaml", example)
	res, err := manifests.Generate(s, manifests.Options{Image: "127.0.0.1:5000/go-hello@" + testDigest, Namespace: restricted})
	if err != nil {
		t.Fatal(err)
	}
	dep, err := manifests.Marshal(res.Deployment)
	if err != nil {
		t.Fatal(err)
	}
	weaken := map[string]struct {
		fn    func(p *corev1.PodSpec)
		check string // the Pod Security message names what is wrong
	}{
		"runAsNonRoot removed":     {func(p *corev1.PodSpec) { p.SecurityContext.RunAsNonRoot = nil }, "runAsNonRoot != true"},
		"privilege escalation":     {func(p *corev1.PodSpec) { p.Containers[0].SecurityContext.AllowPrivilegeEscalation = nil }, "allowPrivilegeEscalation != false"},
		"capabilities not dropped": {func(p *corev1.PodSpec) { p.Containers[0].SecurityContext.Capabilities = nil }, "unrestricted capabilities"},
		"seccomp removed":          {func(p *corev1.PodSpec) { p.SecurityContext.SeccompProfile = nil }, "seccompProfile"},
		"root user":                {func(p *corev1.PodSpec) { p.SecurityContext.RunAsUser = new(int64) }, "runAsUser=0"},
	}
	for name, w := range weaken {
		t.Run("weakened/"+name, func(t *testing.T) {
			pod := podFromTemplate(t, dep)
			w.fn(&pod.Spec)
			code, body, _ := dryRun(t, srv, "pod", mustJSON(t, pod))
			if code != http.StatusForbidden || !strings.Contains(string(body), `violates PodSecurity \"restricted:latest\"`) || !strings.Contains(string(body), w.check) {
				t.Fatalf("want 403 violates PodSecurity (%s), got %d %s", w.check, code, body)
			}
			// The Deployment itself is admitted, with a warning naming the
			// same problem: enforcement happens on its pods.
			var d appsv1.Deployment
			if err := yaml.UnmarshalStrict(dep, &d); err != nil {
				t.Fatal(err)
			}
			w.fn(&d.Spec.Template.Spec)
			code, body, hdr := dryRun(t, srv, "deployment", mustJSON(t, &d))
			if code != http.StatusCreated || !strings.Contains(strings.Join(hdr.Values("Warning"), "\n"), "would violate PodSecurity") {
				t.Errorf("weakened Deployment: %d %s, warnings %q", code, body, hdr.Values("Warning"))
			}
		})
	}

	t.Run("strict-field-validation", func(t *testing.T) {
		bad := strings.Replace(string(dep), "imagePullPolicy:", "imagePulPolicy:", 1)
		code, body, _ := dryRun(t, srv, "deployment", []byte(bad))
		if code != http.StatusBadRequest || !strings.Contains(string(body), `unknown field \"spec.template.spec.containers[0].imagePulPolicy\"`) {
			t.Errorf("a misspelt field: %d %s", code, body)
		}
	})
}

// dryRun creates a deployment, service or pod in the restricted namespace
// with dryRun=All and strict field validation: everything a real create
// goes through (validation, defaulting, admission) except storage.
func dryRun(t *testing.T, srv *kubeapi.Server, kind string, body []byte) (int, []byte, http.Header) {
	t.Helper()
	path := map[string]string{
		"deployment": "/apis/apps/v1/namespaces/" + restricted + "/deployments",
		"service":    "/api/v1/namespaces/" + restricted + "/services",
		"pod":        "/api/v1/namespaces/" + restricted + "/pods",
	}[kind]
	if path == "" {
		t.Fatalf("no API path for %q", kind)
	}
	ct := "application/yaml"
	if json.Valid(body) {
		ct = "application/json"
	}
	code, resp, hdr, err := srv.Do(testContext(t), http.MethodPost, path+"?dryRun=All&fieldValidation=Strict", ct, body)
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	return code, resp, hdr
}

func podFromTemplate(t *testing.T, deployment []byte) *corev1.Pod {
	t.Helper()
	var d appsv1.Deployment
	if err := yaml.UnmarshalStrict(deployment, &d); err != nil {
		t.Fatal(err)
	}
	tpl := d.Spec.Template
	return &corev1.Pod{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{Name: d.Name + "-from-template", Namespace: d.Namespace, Labels: tpl.Labels, Annotations: tpl.Annotations},
		Spec:       tpl.Spec,
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	dt, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return dt
}

// TestManifestsTarget: the frontend's manifests target writes the same
// files `safe manifest` prints, dated at the epoch, through the gateway in
// this process; it lists itself in --call=targets and refuses to guess the
// image.
func TestManifestsTarget(t *testing.T) {
	img := "127.0.0.1:5000/go-hello@" + testDigest
	out := t.TempDir()
	res, err := build(t, buildOpts{
		dir: example("go-hello"), inProcess: true,
		attrs:    map[string]string{"target": "manifests", "build-arg:IMAGE": img, "build-arg:NAMESPACE": "demo", "build-arg:SOURCE_DATE_EPOCH": "1700000000"},
		localDir: out,
	})
	if err != nil {
		t.Fatalf("--target manifests: %v\n%s", err, tail(res.Logs, 4000))
	}
	checkManifestFiles(t, out, time.Unix(1700000000, 0))
	if _, ok := res.Vertices["[manifests] write deployment.yaml, service.yaml"]; !ok {
		t.Errorf("no [manifests] progress step; vertices: %v", vertexNames(res))
	}

	// --platform keeps the pod on nodes that can run the image.
	for platform, want := range map[string]string{
		"linux/arm64":             "      nodeSelector:\n        kubernetes.io/arch: arm64\n        kubernetes.io/os: linux\n",
		"linux/amd64,linux/arm64": "              - key: kubernetes.io/arch\n                operator: In\n                values:\n                - amd64\n                - arm64\n",
	} {
		out := t.TempDir()
		res, err := build(t, buildOpts{dir: example("go-hello"), inProcess: true, localDir: out,
			attrs: map[string]string{"target": "manifests", "platform": platform, "build-arg:IMAGE": img}})
		if err != nil {
			t.Fatalf("--target manifests --platform %s: %v\n%s", platform, err, tail(res.Logs, 4000))
		}
		dt, err := os.ReadFile(filepath.Join(out, manifests.DeploymentFile))
		if err != nil {
			t.Fatalf("--platform %s: %v", platform, err)
		}
		if !strings.Contains(string(dt), want) {
			t.Errorf("--platform %s: deployment.yaml lacks\n%s\n%s", platform, want, dt)
		}
	}

	_, err = build(t, buildOpts{dir: example("go-hello"), inProcess: true, localDir: t.TempDir(),
		attrs: map[string]string{"target": "manifests", "build-arg:IMAGE": "127.0.0.1:5000/go-hello:1.0.0"}})
	if err == nil || !strings.Contains(err.Error(), "--build-arg IMAGE=REF@sha256:") || !strings.Contains(err.Error(), "has no digest") {
		t.Errorf("a tag without digest: %v", err)
	}

	meta, err := subrequest(t, example("go-hello"), "Dockerfile", "frontend.targets")
	if err != nil {
		t.Fatal(err)
	}
	var list struct {
		Targets []struct{ Name, Description string }
	}
	if err := json.Unmarshal(meta["result.json"], &list); err != nil {
		t.Fatal(err)
	}
	// default, manifests, then the eject targets (dockerfile, plan).
	if len(list.Targets) != 4 || list.Targets[1].Name != "manifests" || !strings.Contains(list.Targets[1].Description, "IMAGE=") ||
		list.Targets[2].Name != "dockerfile" || list.Targets[3].Name != "plan" {
		t.Errorf("targets = %s", meta["result.json"])
	}
}

// TestBuildxManifestsTarget: the same through the unchanged docker buildx
// and the `# syntax=` image.
func TestBuildxManifestsTarget(t *testing.T) {
	out := t.TempDir()
	log, err := buildx(t, "--target", "manifests", "--build-arg", "IMAGE=127.0.0.1:5000/go-hello@"+testDigest,
		"--build-arg", "NAMESPACE=demo", "-o", "type=local,dest="+out, example("go-hello"))
	if err != nil {
		t.Fatalf("docker buildx build --target manifests: %v\n%s", err, tail(log, 4000))
	}
	checkManifestFiles(t, out, time.Unix(0, 0))
	log, err = buildx(t, "--call=targets", example("go-hello"))
	if err != nil || !strings.Contains(log, "manifests") {
		t.Errorf("--call=targets does not list manifests: %v\n%s", err, log)
	}
}

// checkManifestFiles compares an exported directory with the golden output
// of `safe manifest` for examples/go-hello.
func checkManifestFiles(t *testing.T, dir string, epoch time.Time) {
	t.Helper()
	golden, err := os.ReadFile(filepath.Join(repoRoot, "manifests", "testdata", "go-hello.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, name := range []string{manifests.DeploymentFile, manifests.ServiceFile} {
		p := filepath.Join(dir, name)
		dt, err := os.ReadFile(p)
		if err != nil {
			t.Fatalf("%s not exported: %v", name, err)
		}
		got = append(got, string(dt))
		if st, err := os.Stat(p); err != nil || !st.ModTime().Equal(epoch) {
			t.Errorf("%s mtime = %v, want the epoch %v", name, st.ModTime().UTC(), epoch.UTC())
		}
	}
	if joined := strings.Join(got, "---\n"); joined != string(golden) {
		t.Errorf("exported manifests differ from manifests/testdata/go-hello.yaml:\n%s", joined)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Errorf("exported %d entries, want deployment.yaml and service.yaml only", len(entries))
	}
}

func vertexNames(res *buildrun.Result) []string {
	var out []string
	for n := range res.Vertices {
		out = append(out, n)
	}
	return out
}
