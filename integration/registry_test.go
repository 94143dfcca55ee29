package integration

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	digest "github.com/opencontainers/go-digest"
)

// stackRegistry is the stack's loopback registry (the docker.io and gcr.io
// mirror).
const stackRegistry = "127.0.0.1:5000"

var manifestTypes = []string{
	"application/vnd.oci.image.index.v1+json",
	"application/vnd.oci.image.manifest.v1+json",
	"application/vnd.docker.distribution.manifest.list.v2+json",
	"application/vnd.docker.distribution.manifest.v2+json",
}

// getManifest fetches a manifest as stored: its bytes and media type.
func getManifest(t *testing.T, repo, ref string) ([]byte, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, fmt.Sprintf("http://%s/v2/%s/manifests/%s", stackRegistry, repo, ref), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", strings.Join(manifestTypes, ", "))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET manifest %s:%s: %v", repo, ref, err)
	}
	defer resp.Body.Close()
	dt, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET manifest %s:%s: %s %v: %s (run hack/stack up)", repo, ref, resp.Status, err, dt)
	}
	return dt, resp.Header.Get("Content-Type")
}

// putManifest stores a manifest under a tag and returns its digest.
func putManifest(t *testing.T, repo, tag string, dt []byte, mediaType string) digest.Digest {
	t.Helper()
	req, err := http.NewRequest(http.MethodPut, fmt.Sprintf("http://%s/v2/%s/manifests/%s", stackRegistry, repo, tag), bytes.NewReader(dt))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", mediaType)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("PUT manifest %s:%s: %v", repo, tag, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("PUT manifest %s:%s: %s: %s", repo, tag, resp.Status, body)
	}
	return digest.FromBytes(dt)
}

// deleteManifest removes a manifest (and every tag on it) by digest: only
// for manifests a test made unique.
func deleteManifest(t *testing.T, repo string, d digest.Digest) {
	t.Helper()
	req, err := http.NewRequest(http.MethodDelete, fmt.Sprintf("http://%s/v2/%s/manifests/%s", stackRegistry, repo, d), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Logf("DELETE manifest %s@%s: %v", repo, d, err)
		return
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted && resp.StatusCode != http.StatusNotFound {
		t.Logf("DELETE manifest %s@%s: %s", repo, d, resp.Status)
	}
}

// pushVariant stores a copy of repo:from (a manifest or an index) under
// repo:tag that differs only by an annotation: a new digest, the same config and layers (so
// builds on it hit the same cache). It is deleted when the test ends.
func pushVariant(t *testing.T, repo, from, tag, variant string) digest.Digest {
	t.Helper()
	dt, mediaType := getManifest(t, repo, from)
	if mediaType != "application/vnd.oci.image.manifest.v1+json" && mediaType != "application/vnd.oci.image.index.v1+json" {
		t.Fatalf("%s:%s is %s; a variant needs an OCI manifest or index", repo, from, mediaType)
	}
	var m map[string]any
	if err := json.Unmarshal(dt, &m); err != nil {
		t.Fatal(err)
	}
	ann, _ := m["annotations"].(map[string]any)
	if ann == nil {
		ann = map[string]any{}
	}
	ann["org.safe-frontend.test.variant"] = variant
	m["annotations"] = ann
	out, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	d := putManifest(t, repo, tag, out, mediaType)
	t.Cleanup(func() { deleteManifest(t, repo, d) })
	return d
}
