package integration

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/org/safe-frontend/internal/ocitar"
)

const predicateSLSA1 = "https://slsa.dev/provenance/v1"

// slsaProvenance is the part of BuildKit's SLSA v1 predicate the test reads.
type slsaProvenance struct {
	BuildDefinition struct {
		ExternalParameters struct {
			ConfigSource struct {
				Path string `json:"path"`
			} `json:"configSource"`
			Request struct {
				Frontend string            `json:"frontend"`
				Args     map[string]string `json:"args"`
				Locals   []struct {
					Name string `json:"name"`
				} `json:"locals"`
			} `json:"request"`
		} `json:"externalParameters"`
		InternalParameters struct {
			BuildConfig struct {
				LLBDefinition []struct {
					Op struct {
						Op struct {
							Source *struct {
								Identifier string `json:"identifier"`
							} `json:"source"`
						} `json:"Op"`
					} `json:"op"`
				} `json:"llbDefinition"`
			} `json:"buildConfig"`
		} `json:"internalParameters"`
		ResolvedDependencies []struct {
			URI    string            `json:"uri"`
			Digest map[string]string `json:"digest"`
		} `json:"resolvedDependencies"`
	} `json:"buildDefinition"`
	RunDetails struct {
		Metadata struct {
			BuildKit struct {
				VCS    map[string]string `json:"vcs"`
				Source struct {
					Infos []sourceInfo `json:"infos"`
				} `json:"source"`
			} `json:"buildkit_metadata"`
		} `json:"metadata"`
	} `json:"runDetails"`
}

// sourceInfo is a file BuildKit recorded as a source of the build.
type sourceInfo struct {
	Filename string `json:"filename"`
	Language string `json:"language"`
	Data     []byte `json:"data"`
}

// TestProvenance: buildctl through `# syntax=` with
// --opt attest:provenance=mode=max gets BuildKit's SLSA provenance, which
// names the frontend image by digest, the spec file (path and content), the
// build context, the bases by digest and the code's revision.
func TestProvenance(t *testing.T) {
	dir := example("go-hello")
	out := filepath.Join(t.TempDir(), "provenance.tar")
	args := []string{"build", "--progress=plain", "--frontend", "dockerfile.v0",
		"--local", "context=" + dir, "--local", "dockerfile=" + dir, "--opt", "filename=Dockerfile",
		"--opt", "attest:provenance=mode=max",
		"--output", "type=oci,dest=" + out + ",rewrite-timestamp=true"}
	for k, v := range provenanceAttrs() {
		args = append(args, "--opt", k+"="+v)
	}
	if log, err := buildctl(t, args...); err != nil {
		t.Fatalf("buildctl: %v\n%s", err, tail(log, 4000))
	}
	atts, err := ocitar.Attestations(out)
	if err != nil {
		t.Fatal(err)
	}
	var p slsaProvenance
	n := 0
	for _, a := range atts {
		if a.PredicateType != predicateSLSA1 {
			continue
		}
		n++
		var st ocitar.Statement
		if err := json.Unmarshal(a.Statement, &st); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(st.Predicate, &p); err != nil {
			t.Fatalf("provenance predicate: %v", err)
		}
	}
	if n != 1 {
		t.Fatalf("%d SLSA v1 provenance attestations, want 1 (attestations: %d)", n, len(atts))
	}

	bd := p.BuildDefinition
	req := bd.ExternalParameters.Request
	if req.Frontend != "gateway.v0" || req.Args["source"] != "org/safe-frontend:1" {
		t.Errorf("request frontend %q source %q: the `# syntax=` frontend is not named", req.Frontend, req.Args["source"])
	}
	if got := bd.ExternalParameters.ConfigSource.Path; got != "Dockerfile" {
		t.Errorf("configSource.path %q, want the spec file", got)
	}
	var locals []string
	for _, l := range req.Locals {
		locals = append(locals, l.Name)
	}
	if !slices.Contains(locals, "context") || !slices.Contains(locals, "dockerfile") {
		t.Errorf("request locals %v, want context and dockerfile", locals)
	}

	// The frontend image, by a digest the registry serves.
	deps := map[string]string{}
	for _, d := range bd.ResolvedDependencies {
		deps[d.URI] = d.Digest["sha256"]
	}
	fe := deps["pkg:docker/org/safe-frontend@1"]
	if len(fe) != 64 {
		t.Fatalf("the frontend image is not among the resolved dependencies by digest: %v", deps)
	}
	req2, _ := http.NewRequest(http.MethodHead, "http://127.0.0.1:5000/v2/org/safe-frontend/manifests/sha256:"+fe, nil)
	req2.Header.Set("Accept", "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json, application/vnd.docker.distribution.manifest.list.v2+json")
	resp, err := http.DefaultClient.Do(req2)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("the registry does not serve org/safe-frontend@sha256:%s (%s)", fe, resp.Status)
	}
	base := openImage(t, out).Config.Config.Labels["org.opencontainers.image.base.digest"]
	if got := deps["pkg:docker/gcr.io/distroless/static-debian13@nonroot?platform=linux%2Famd64"]; "sha256:"+got != base {
		t.Errorf("final base digest %q in the provenance, %q in the image label", got, base)
	}
	if got := deps["pkg:docker/golang@1.26?platform=linux%2Famd64"]; len(got) != 64 {
		t.Errorf("the builder image is not pinned in the provenance: %v", deps)
	}

	// mode=max: the build's LLB, with the context as a source, and the spec
	// itself.
	var sources []string
	for _, s := range bd.InternalParameters.BuildConfig.LLBDefinition {
		if s.Op.Op.Source != nil {
			sources = append(sources, s.Op.Op.Source.Identifier)
		}
	}
	if !slices.Contains(sources, "local://context") {
		t.Errorf("buildConfig sources %v lack local://context", sources)
	}
	spec, err := os.ReadFile(filepath.Join(dir, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	infos := p.RunDetails.Metadata.BuildKit.Source.Infos
	if !slices.ContainsFunc(infos, func(i sourceInfo) bool {
		return i.Filename == "Dockerfile" && i.Language == "yaml" && bytes.Equal(i.Data, spec)
	}) {
		t.Errorf("the spec is not recorded in the provenance sources (%d infos)", len(infos))
	}
	vcs := p.RunDetails.Metadata.BuildKit.VCS
	if vcs["revision"] != testRevision || !strings.HasPrefix(vcs["source"], strings.TrimSuffix(testSource, ".git")) {
		t.Errorf("vcs %v, want revision %s of %s", vcs, testRevision, testSource)
	}
}
