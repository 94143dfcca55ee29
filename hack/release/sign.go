package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// attestAndSign attaches each platform image's SBOM and provenance as
// signed in-toto attestations and signs both index digests. Everything is
// addressed by digest, never by tag.
func (b *builder) attestAndSign(ctx context.Context, r *release) error {
	for _, img := range []*image{r.Frontend, r.Runtime} {
		for _, p := range img.Platforms {
			ref := img.Repository + "@" + p.Digest
			if err := b.cosign(ctx, "attest", "--type", "spdxjson", "--predicate", p.SBOM, ref); err != nil {
				return err
			}
			if err := b.cosign(ctx, "attest", "--type", "slsaprovenance1", "--predicate", p.Provenance, ref); err != nil {
				return err
			}
		}
		if err := b.cosign(ctx, "sign", img.Repository+"@"+img.Digest); err != nil {
			return err
		}
	}
	return nil
}

func (b *builder) cosign(ctx context.Context, verb string, args ...string) error {
	bin, err := tool("cosign", b.src.dir)
	if err != nil {
		return err
	}
	full := []string{verb, "--yes"}
	if b.o.keyless {
		// Fulcio certifies the CI's OIDC identity; Rekor logs the signature.
		full = append(full, "--oidc-provider", "github-actions")
	} else {
		full = append(full, "--key", b.o.key)
		if !b.o.tlog {
			full = append(full, "--tlog-upload=false")
		}
	}
	if b.o.allowHTTP {
		full = append(full, "--allow-insecure-registry", "--allow-http-registry")
	}
	full = append(full, args...)
	cmd := exec.CommandContext(ctx, bin, full...)
	cmd.Env = os.Environ()
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("cosign %s %s: %v\n%s", verb, args[len(args)-1], err, lastLines(string(out), 20))
	}
	fmt.Fprintf(os.Stderr, "release: cosign %s %s\n", verb, filepath.Base(args[len(args)-1]))
	return nil
}
