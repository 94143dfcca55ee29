package integration

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	digest "github.com/opencontainers/go-digest"
)

// cosign runs the pinned cosign (make cosign) in dir with a throwaway HOME,
// so nothing from the machine's sigstore config or cache takes part.
func cosign(t *testing.T, dir string, args ...string) (string, error) {
	t.Helper()
	bin := filepath.Join(repoRoot, "_output", "bin", "cosign")
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("cosign is not built (%v): run make cosign (builds the version pinned in hack/cosign/go.mod into _output/bin)", err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "HOME="+dir, "COSIGN_PASSWORD=", "TUF_ROOT="+filepath.Join(dir, ".sigstore"))
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// insecureRegistry are the cosign flags for the stack's plain-HTTP
// registry; a real registry needs none of them.
var insecureRegistry = []string{"--allow-insecure-registry", "--allow-http-registry"}

// TestSignPushedImage: go-hello pushed to the registry is signed by digest
// with a generated key pair (no transparency log: the machine is offline),
// verifies with the public key, and does not verify with another key.
func TestSignPushedImage(t *testing.T) {
	name := fmt.Sprintf("%s/test-sign/go-hello:%d", stackRegistry, time.Now().UnixNano())
	res := mustBuild(t, buildOpts{dir: example("go-hello"), inProcess: true, attrs: provenanceAttrs(), push: name})
	dgst, err := digest.Parse(res.Response.ExporterResponse["containerimage.digest"])
	if err != nil {
		t.Fatalf("the push reported no digest: %v (%v)", err, res.Response.ExporterResponse)
	}
	repo := strings.TrimPrefix(name[:strings.LastIndex(name, ":")], stackRegistry+"/")
	t.Cleanup(func() { deleteManifest(t, repo, dgst) })
	ref := stackRegistry + "/" + repo + "@" + dgst.String()
	t.Logf("pushed %s", ref)

	dir := t.TempDir()
	for _, prefix := range []string{"signer", "stranger"} {
		if out, err := cosign(t, dir, "generate-key-pair", "--output-key-prefix", prefix); err != nil {
			t.Fatalf("cosign generate-key-pair: %v\n%s", err, out)
		}
	}
	start := time.Now()
	out, err := cosign(t, dir, append([]string{"sign", "--key", "signer.key", "--tlog-upload=false", "--yes"}, append(insecureRegistry, ref)...)...)
	if err != nil {
		t.Fatalf("cosign sign: %v\n%s", err, out)
	}
	t.Logf("signed in %s", time.Since(start).Round(10*time.Millisecond))
	sigTag := strings.Replace(dgst.String(), ":", "-", 1) + ".sig"
	// cosign stores the signature next to the image, under the digest's tag.
	sig, _ := getManifest(t, repo, sigTag)
	t.Cleanup(func() { deleteManifest(t, repo, digest.FromBytes(sig)) })

	verify := func(pub string) (string, error) {
		return cosign(t, dir, append([]string{"verify", "--key", pub, "--insecure-ignore-tlog=true"}, append(insecureRegistry, ref)...)...)
	}
	out, err = verify("signer.pub")
	if err != nil {
		t.Fatalf("cosign verify with the signer's key failed: %v\n%s", err, out)
	}
	if !strings.Contains(out, dgst.String()) {
		t.Errorf("cosign verify does not name the signed digest %s:\n%s", dgst, out)
	}
	out, err = verify("stranger.pub")
	if err == nil {
		t.Fatalf("cosign verify with another key succeeded:\n%s", out)
	}
	if !strings.Contains(out, "no matching signatures") {
		t.Errorf("verification with the wrong key failed, but not for the signature:\n%s", out)
	}
}
