package dockerrun

import (
	"archive/tar"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"

	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"

	"github.com/org/safe-frontend/internal/hardened"
)

// dockerManifest is one entry of the manifest.json `docker save` writes and
// `docker load` reads.
type dockerManifest struct {
	Config   string   `json:"Config"`
	RepoTags []string `json:"RepoTags"`
	Layers   []string `json:"Layers"`
}

// LoadManifest is the manifest.json that makes an OCI image tar loadable by
// Docker 20.10, which refuses OCI layouts: it names the config and layer
// blobs of the manifest hardened.Open selects (the host's platform;
// attestation manifests are skipped), by their paths in the tar.
func LoadManifest(img *hardened.Image, repoTag string) ([]byte, error) {
	blob := func(d digest.Digest) (string, error) {
		if err := d.Validate(); err != nil {
			return "", fmt.Errorf("invalid digest %q: %w", d, err)
		}
		return path.Join("blobs", d.Algorithm().String(), d.Encoded()), nil
	}
	cfg, err := blob(img.Manifest.Config.Digest)
	if err != nil {
		return nil, err
	}
	m := dockerManifest{Config: cfg, RepoTags: []string{repoTag}, Layers: []string{}}
	for _, l := range img.Manifest.Layers {
		p, err := blob(l.Digest)
		if err != nil {
			return nil, err
		}
		m.Layers = append(m.Layers, p)
	}
	return json.Marshal([]dockerManifest{m})
}

// validTag refuses references docker would resolve to something else than
// meant: an explicit tag is required, without digest, and never "latest".
func validTag(repoTag string) error {
	ref, err := reference.ParseNormalizedNamed(repoTag)
	if err != nil {
		return fmt.Errorf("image reference %q: %w", repoTag, err)
	}
	tagged, ok := ref.(reference.NamedTagged)
	if _, digested := ref.(reference.Digested); !ok || digested {
		return fmt.Errorf("image reference %q needs an explicit tag and no digest (name:tag)", repoTag)
	}
	if tagged.Tag() == "latest" {
		return fmt.Errorf("image reference %q: never tag test images latest", repoTag)
	}
	return nil
}

// Load loads an OCI image tar (`--output type=oci,dest=X.tar`) into the
// engine under repoTag and returns the image ID, which Docker derives from
// the config digest and which is checked against it.
func (e *Engine) Load(ctx context.Context, ociTar, repoTag string) (string, error) {
	if err := validTag(repoTag); err != nil {
		return "", err
	}
	img, err := hardened.Open(ociTar)
	if err != nil {
		return "", fmt.Errorf("loading %s: %w", ociTar, err)
	}
	manifest, err := LoadManifest(img, repoTag)
	if err != nil {
		return "", fmt.Errorf("loading %s: %w", ociTar, err)
	}
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(withManifest(ociTar, manifest, pw)) }()
	cmd := e.command(ctx, "load")
	cmd.Stdin = pr
	out, err := cmd.CombinedOutput()
	_ = pr.Close()
	if err != nil {
		return "", &cmdError{args: []string{"load", "<", ociTar + " + manifest.json"}, err: err, stderr: string(out)}
	}
	id, err := e.docker(ctx, "image", "inspect", "--format", "{{.Id}}", repoTag)
	if err != nil {
		return "", fmt.Errorf("after loading %s: %w", ociTar, err)
	}
	got := strings.TrimSpace(string(id))
	if want := img.Manifest.Config.Digest.String(); got != want {
		return got, fmt.Errorf("docker loaded %s as image %s, want the config digest %s", repoTag, got, want)
	}
	return got, nil
}

// withManifest copies the OCI tar to w and appends manifest.json, replacing
// one a `type=docker` export may already carry.
func withManifest(ociTar string, manifest []byte, w io.Writer) error {
	f, err := os.Open(ociTar)
	if err != nil {
		return err
	}
	defer f.Close()
	tr := tar.NewReader(f)
	tw := tar.NewWriter(w)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("reading %s: %w", ociTar, err)
		}
		if name := path.Clean(hdr.Name); name == "manifest.json" || name == "repositories" {
			continue
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if _, err := io.Copy(tw, tr); err != nil {
			return err
		}
	}
	if err := tw.WriteHeader(&tar.Header{Name: "manifest.json", Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(manifest))}); err != nil {
		return err
	}
	if _, err := tw.Write(manifest); err != nil {
		return err
	}
	return tw.Close()
}
