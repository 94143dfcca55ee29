package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// The two images a release publishes, by repository under -registry.
const (
	frontendRepo = "org/safe-frontend"
	runtimeRepo  = "org/safe-frontend-runtime"
)

type builder struct {
	o       options
	src     source
	dir     string // the release's output directory
	goImage string // the Go toolchain image, pinned by digest
}

// runtime builds and pushes the runtime companion image (runtime.Dockerfile)
// from a context hack/runtime-stage.sh stages (Debian's tini per platform,
// checked by sha256, and the probe's sources). Its files carry the epoch,
// not the commit time: an unchanged runtime keeps its digest across releases.
func (b *builder) runtime(ctx context.Context) (*image, error) {
	stage := filepath.Join(b.dir, "runtime-context")
	if err := b.command(ctx, filepath.Join(b.src.dir, "hack", "runtime-stage.sh"), stage); err != nil {
		return nil, fmt.Errorf("staging the runtime image: %w", err)
	}
	return b.image(ctx, runtimeRepo, []string{
		"--local", "context=" + stage, "--local", "dockerfile=" + b.src.dir,
		"--opt", "filename=runtime.Dockerfile",
		"--opt", "build-arg:SOURCE_DATE_EPOCH=0",
		"--opt", "build-arg:GO_IMAGE=" + b.goImage,
	})
}

// frontend builds and pushes the frontend image (the root Dockerfile): one
// binary per platform, cross-compiled with the release's version and
// revision and the runtime image's digest.
func (b *builder) frontend(ctx context.Context, runtimeDigest string) (*image, error) {
	return b.image(ctx, frontendRepo, []string{
		"--local", "context=" + b.src.dir, "--local", "dockerfile=" + b.src.dir,
		"--opt", "build-arg:SOURCE_DATE_EPOCH=" + b.src.epoch,
		"--opt", "build-arg:VERSION=" + b.o.version,
		"--opt", "build-arg:VCS_REVISION=" + b.src.revision,
		"--opt", "build-arg:VCS_SOURCE=" + b.o.source,
		"--opt", "build-arg:RUNTIME_DIGEST=" + runtimeDigest,
		"--opt", "build-arg:GO_IMAGE=" + b.goImage,
	})
}

// image runs one build twice over. The first pushes the index under the
// release's three tags and keeps an OCI copy to read; the second, all of
// whose steps the first cached, asks BuildKit for SLSA provenance, which
// carries the build's times and so stays out of the pushed index.
func (b *builder) image(ctx context.Context, repo string, args []string) (*image, error) {
	platforms, err := readPlatforms(filepath.Join(b.src.dir, "hack", "platforms"))
	if err != nil {
		return nil, err
	}
	base := filepath.Base(repo)
	img := &image{Repository: b.o.registry + "/" + repo, Tags: []string{b.src.major, b.src.minor, b.o.version}}
	common := append([]string{"build", "--progress=plain", "--frontend", "dockerfile.v0",
		"--opt", "platform=" + strings.Join(platforms, ",")}, args...)
	common = append(common, secretArgs()...)

	meta := filepath.Join(b.dir, base+".metadata.json")
	ociTar := filepath.Join(b.dir, base+".oci.tar")
	push := append(append([]string{}, common...), "--metadata-file", meta,
		"--output", b.pushOutput(img), "--output", "type=oci,dest="+ociTar+",rewrite-timestamp=true,oci-mediatypes=true")
	if err := b.buildctl(ctx, base, push); err != nil {
		return nil, err
	}
	if img.Digest, err = metadataDigest(meta); err != nil {
		return nil, err
	}
	if err := img.readPlatforms(ociTar); err != nil {
		return nil, err
	}
	provTar := filepath.Join(b.dir, base+".provenance.oci.tar")
	prov := append(append([]string{}, common...), "--opt", "attest:provenance=mode=max,reproducible=true",
		"--output", "type=oci,dest="+provTar+",rewrite-timestamp=true,oci-mediatypes=true")
	if err := b.buildctl(ctx, base+"-provenance", prov); err != nil {
		return nil, err
	}
	return img, img.writeAttestations(b.dir, base, ociTar, provTar, b.o.version, b.src.created)
}

func (b *builder) pushOutput(img *image) string {
	names := make([]string, len(img.Tags))
	for i, t := range img.Tags {
		names[i] = img.Repository + ":" + t
	}
	out := `type=image,"name=` + strings.Join(names, ",") + `",push=true,rewrite-timestamp=true,oci-mediatypes=true`
	if b.o.allowHTTP {
		out += ",registry.insecure=true"
	}
	return out
}

// buildctl runs one build, its log in <dir>/<name>.build.log; a failure
// shows the log's end.
func (b *builder) buildctl(ctx context.Context, name string, args []string) error {
	logPath := filepath.Join(b.dir, name+".build.log")
	f, err := os.Create(logPath)
	if err != nil {
		return err
	}
	defer f.Close()
	bin, err := tool("buildctl", b.src.dir)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "release: building %s (log %s)\n", name, logPath)
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = b.src.dir
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Run(); err != nil {
		tail, _ := os.ReadFile(logPath)
		return fmt.Errorf("building %s: %v\n%s", name, err, lastLines(string(tail), 30))
	}
	return nil
}

func (b *builder) command(ctx context.Context, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = b.src.dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %v\n%s", filepath.Base(name), err, lastLines(out.String(), 30))
	}
	return nil
}

// tool finds a command on PATH or where the Makefile installs it.
func tool(name, repo string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	p := filepath.Join(repo, "_output", "bin", name)
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("%s is neither on PATH nor in %s: run make %s", name, p, map[string]string{"buildctl": "stack-up", "cosign": "cosign"}[name])
	}
	return p, nil
}

// secretArgs passes a TLS-intercepting proxy's CA as the builds' "ca"
// secret, as hack/stack does; it lands in no layer.
func secretArgs() []string {
	if f := os.Getenv("SSL_CERT_FILE"); f != "" {
		if _, err := os.Stat(f); err == nil {
			return []string{"--secret", "id=ca,src=" + f}
		}
	}
	return nil
}

func metadataDigest(path string) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	d, _ := m["containerimage.digest"].(string)
	if !strings.HasPrefix(d, "sha256:") {
		return "", fmt.Errorf("%s names no image digest", path)
	}
	return d, nil
}

func readPlatforms(path string) ([]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, l := range strings.Split(string(data), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s lists no platform", path)
	}
	return out, nil
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
