package main

import (
	"os"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	appsv1 "k8s.io/api/apps/v1"
)

const testDigest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func TestManifestGoHello(t *testing.T) {
	img := "127.0.0.1:5000/go-hello@" + testDigest
	// Flags after the file work too.
	code, out, errOut := runSafe(t, "", "manifest", "../../examples/go-hello/Dockerfile", "--image", img, "--namespace", "demo")
	if code != exitOK {
		t.Fatalf("exit = %d; stderr:\n%s", code, errOut)
	}
	if errOut != "" {
		t.Errorf("stderr for a clean spec: %s", errOut)
	}
	golden, err := os.ReadFile("../../manifests/testdata/go-hello.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if out != string(golden) {
		t.Errorf("output differs from manifests/testdata/go-hello.yaml:\n%s", out)
	}
	docs := strings.Split(out, "\n---\n")
	if len(docs) != 2 || !strings.Contains(docs[1], "kind: Service") {
		t.Fatalf("want a Deployment and a Service separated by ---, got %d documents", len(docs))
	}
	var d appsv1.Deployment
	if err := yaml.UnmarshalStrict([]byte(docs[0]), &d); err != nil {
		t.Fatal(err)
	}
	if d.Spec.Template.Spec.Containers[0].Image != img || d.Namespace != "demo" {
		t.Errorf("image %q namespace %q", d.Spec.Template.Spec.Containers[0].Image, d.Namespace)
	}
}

// TestManifestWarnings: what the pod would lack is reported with its rule,
// and the manifests are still written.
func TestManifestWarnings(t *testing.T) {
	p := writeSpec(t, "app.yaml", "name: app\nlanguage: go\nrun:\n  port: 8080\n  stopGracePeriod: 3s\n")
	code, out, errOut := runSafe(t, "", "manifest", "--image", "r.example/app@"+testDigest, p)
	if code != exitOK {
		t.Fatalf("exit = %d; stderr:\n%s", code, errOut)
	}
	for _, w := range []string{"warning SF205 NoHealthCheck", "warning SF208 NoResources", "warning SF209 ShortStopGracePeriod"} {
		if !strings.Contains(errOut, w) {
			t.Errorf("stderr lacks %q:\n%s", w, errOut)
		}
	}
	if !strings.Contains(out, "terminationGracePeriodSeconds: 3") || strings.Contains(out, "Probe") {
		t.Errorf("output:\n%s", out)
	}
}

func TestManifestRefusals(t *testing.T) {
	good := writeSpec(t, "app.yaml", "name: app\nlanguage: go\n")
	code, out, errOut := runSafe(t, "", "manifest", good)
	if code != exitUsage || !strings.Contains(errOut, "--image") || out != "" {
		t.Errorf("without --image: exit %d, stderr %q", code, errOut)
	}
	code, _, errOut = runSafe(t, "", "manifest", "--image", "r.example/app:1.0", good)
	if code != exitUsage || !strings.Contains(errOut, "has no digest") {
		t.Errorf("tag only: exit %d, stderr %q", code, errOut)
	}
	code, out, errOut = runSafe(t, "", "manifest", "--image", "r.example/app@"+testDigest, writeSpec(t, "bad.yaml", privileged))
	if code != exitFindings || out != "" {
		t.Errorf("refused spec: exit %d, stdout %q", code, out)
	}
	for _, w := range []string{"error SF201 RootUser", `    6 |   user: "0:0"`, "was refused (1 error)"} {
		if !strings.Contains(errOut, w) {
			t.Errorf("stderr lacks %q:\n%s", w, errOut)
		}
	}
	if strings.Contains(errOut, "SF204") {
		t.Errorf("an exempted finding was printed:\n%s", errOut)
	}
	code, _, _ = runSafe(t, "", "manifest", "--image", "r.example/app@"+testDigest)
	if code != exitUsage {
		t.Errorf("no file: exit %d", code)
	}
	code, _, errOut = runSafe(t, "", "manifest", "--image", "r.example/app@"+testDigest, "--namespace", "Bad_NS", good)
	if code != exitUsage || !strings.Contains(errOut, "--namespace") {
		t.Errorf("bad namespace: exit %d, stderr %q", code, errOut)
	}
}
