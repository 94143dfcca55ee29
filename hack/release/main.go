// Command release builds, pushes and signs a safe-frontend release from a
// clean tree whose HEAD carries the tag v<version> (make release):
//
//	<registry>/org/safe-frontend:<major>, :<major>.<minor>, :<version>
//	<registry>/org/safe-frontend-runtime:<major>, :<major>.<minor>, :<version>
//
// each one OCI index for the platforms of hack/platforms. The frontend is
// cross-compiled with the version, the commit and the runtime image's
// digest built in. The indexes hold the platform images only, so the same
// tag gives the same digests on any builder; the SPDX SBOM and BuildKit's
// SLSA provenance of each platform image are attached beside them as
// signed attestations (cosign), with a signature on both index digests.
//
//	go run ./hack/release -version 1.4.2 -registry docker.io [-key cosign.key | -keyless]
//	go run ./hack/release -notes 1.4.2    print the version's CHANGELOG.md section
//
// buildctl talks to $BUILDKIT_HOST; cosign signs. The result is written to
// <out>/release.json and summed up on stdout.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
)

type options struct {
	version   string
	registry  string
	source    string
	out       string
	key       string
	keyless   bool
	noSign    bool
	tlog      bool
	allowHTTP bool
	maxBytes  int64
}

func main() {
	var o options
	var notes string
	flag.StringVar(&o.version, "version", "", "the release's version, MAJOR.MINOR.PATCH; HEAD must carry the tag v<version>")
	flag.StringVar(&o.registry, "registry", "", "where to push: a registry host and optional path (docker.io, ghcr.io/acme, 127.0.0.1:5000)")
	flag.StringVar(&o.source, "source", "https://github.com/org/safe-frontend", "org.opencontainers.image.source of both images")
	flag.StringVar(&o.out, "out", "_output/release", "directory for the release's files (a subdirectory per version)")
	flag.StringVar(&o.key, "key", os.Getenv("COSIGN_KEY"), "cosign private key (file or KMS URI); its password in $COSIGN_PASSWORD")
	flag.BoolVar(&o.keyless, "keyless", false, "sign keyless with the CI's OIDC token (Fulcio and Rekor) instead of a key")
	flag.BoolVar(&o.tlog, "tlog", true, "with -key: record the signatures in the Rekor transparency log (-tlog=false offline)")
	flag.BoolVar(&o.noSign, "no-sign", false, "build and push only (a reproducibility check); the release is not signed")
	flag.BoolVar(&o.allowHTTP, "insecure-registry", false, "the registry speaks plain HTTP (a loopback or test registry)")
	flag.Int64Var(&o.maxBytes, "max-size", 10<<20, "largest compressed frontend image per platform, in bytes")
	flag.StringVar(&notes, "notes", "", "print this version's section of CHANGELOG.md and exit")
	flag.Parse()

	if notes != "" {
		section, err := changelogSection("CHANGELOG.md", notes)
		if err != nil {
			fail(err)
		}
		fmt.Print(section)
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rel, err := run(ctx, o)
	if err != nil {
		fail(err)
	}
	fmt.Print(rel.summary())
}

func fail(err error) {
	fmt.Fprintf(os.Stderr, "release: %v\n", err)
	os.Exit(1)
}

// run is the whole release: check, build and push both images, attest and
// sign them, write release.json.
func run(ctx context.Context, o options) (*release, error) {
	src, err := checkSource(o.version)
	if err != nil {
		return nil, err
	}
	if err := o.checkSigning(); err != nil {
		return nil, err
	}
	dir, err := filepath.Abs(filepath.Join(o.out, o.version))
	if err != nil {
		return nil, err
	}
	if err := os.RemoveAll(dir); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	goBase, err := pinBase(ctx, goImage)
	if err != nil {
		return nil, err
	}
	rel := &release{Version: o.version, Revision: src.revision, Registry: o.registry, GoImage: goBase}
	b := &builder{o: o, src: src, dir: dir, goImage: goBase}
	if rel.Runtime, err = b.runtime(ctx); err != nil {
		return nil, err
	}
	if rel.Frontend, err = b.frontend(ctx, rel.Runtime.Digest); err != nil {
		return nil, err
	}
	if err := rel.checkSizes(o.maxBytes); err != nil {
		return nil, err
	}
	if !o.noSign {
		if err := b.attestAndSign(ctx, rel); err != nil {
			return nil, err
		}
		rel.Signed = true
	}
	return rel, rel.write(filepath.Join(dir, "release.json"))
}

func (o options) checkSigning() error {
	switch {
	case o.noSign:
		return nil
	case o.key == "" && !o.keyless:
		return fmt.Errorf("nothing to sign with: pass -key FILE (or $COSIGN_KEY), -keyless in CI, or -no-sign for an unsigned build")
	case o.key != "" && o.keyless:
		return fmt.Errorf("-key and -keyless: pick one")
	}
	return nil
}
