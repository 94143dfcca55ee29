package frontend

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/containerd/platforms"
	intoto "github.com/in-toto/in-toto-golang/in_toto"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/frontend/dockerui"
	"github.com/moby/buildkit/frontend/gateway/client"
	gatewaypb "github.com/moby/buildkit/frontend/gateway/pb"
	"github.com/moby/buildkit/solver/result"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/pkg/errors"

	"github.com/org/safe-frontend/llbgen"
	"github.com/org/safe-frontend/sbom"
	"github.com/org/safe-frontend/spec"
)

// sbomPath is where the document sits in the attestation's state; its
// base name before the dot must equal the "sbom-core" metadata so BuildKit
// treats it as the image's main SBOM.
const sbomPath = "/sbom.spdx.json"

// sbomReadBudget bounds how much of an image the SBOM readers may read.
const sbomReadBudget = 256 << 20

// osSources are read in every image: the Debian packages of the final base
// (distroless keeps them in status.d), absent on scratch.
var osSources = []sbom.Source{
	{Kind: sbom.KindDpkgStatus, Path: "/var/lib/dpkg/status.d"},
	{Kind: sbom.KindDpkgStatus, Path: "/var/lib/dpkg/status"},
}

// sboms holds, per platform, the SBOM attestation of a build that asked
// for one (attest:sbom, --sbom=true). The frontend writes the document from
// what the build resolved, so BuildKit neither pulls nor runs a scanner.
type sboms struct {
	epoch time.Time
	multi bool
	mu    sync.Mutex
	atts  map[string]result.Attestation[client.Reference]
}

// newSBOMs returns nil when no SBOM was asked for; a nil *sboms does nothing.
func newSBOMs(bc *dockerui.Client, epoch time.Time) *sboms {
	if bc.SBOM == nil {
		return nil
	}
	return &sboms{epoch: epoch, multi: bc.MultiPlatformRequested, atts: map[string]result.Attestation[client.Reference]{}}
}

// add reads one platform's solved image, writes its document into a state
// of its own and solves it.
func (s *sboms) add(ctx context.Context, c client.Client, target ocispecs.Platform, ref client.Reference, sp *spec.Spec, conv *llbgen.Result, bases map[string]llbgen.Base) error {
	if s == nil {
		return nil
	}
	if ref == nil {
		return errors.New("writing the SBOM: the build has no result to read")
	}
	// A kind without a reader yet is named in the document, not fatal:
	// the build asked for an SBOM, not for this language's reader.
	var sources, unread []sbom.Source
	for _, src := range conv.SBOM {
		if sbom.Readable(src.Kind) {
			sources = append(sources, sbom.Source{Kind: src.Kind, Path: src.Path, App: sp.Name, AppVersion: sp.Version})
		} else {
			unread = append(unread, sbom.Source{Kind: src.Kind, Path: src.Path})
		}
	}
	sources = append(sources, osSources...)
	pkgs, err := sbom.Read(newRefFS(ctx, ref, sbomReadBudget), sources)
	if err != nil {
		return errors.Wrap(err, "writing the SBOM")
	}
	img := sbom.Image{
		Name: sp.Name, Version: sp.Version,
		OS: target.OS, Architecture: target.Architecture, Variant: target.Variant,
		Created: s.epoch,
		Unread:  unread,
	}
	if b, ok := bases[llbgen.RoleFinal]; ok {
		img.Base = &sbom.BaseImage{Name: b.Name, Digest: b.Digest.String()}
	}
	doc, err := sbom.Document(img, pkgs)
	if err != nil {
		return errors.Wrap(err, "writing the SBOM")
	}
	id := platforms.FormatAll(platforms.Normalize(target))
	name := fmt.Sprintf("[sbom] %s: %d packages", sbomPath, countPackages(pkgs))
	if s.multi {
		name = "[" + id + " " + name[1:]
	}
	epoch := s.epoch
	st := llb.Scratch().File(llb.Mkfile(sbomPath, 0o444, doc, llb.WithCreatedTime(epoch)), llb.WithCustomName(name))
	def, err := st.Marshal(ctx, llb.Platform(target))
	if err != nil {
		return errors.Wrap(err, "marshalling the SBOM state")
	}
	r, err := c.Solve(ctx, client.SolveRequest{Definition: def.ToPB(), Evaluate: true})
	if err != nil {
		return errors.Wrap(err, "solving the SBOM state")
	}
	docRef, err := r.SingleRef()
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.atts[id] = result.Attestation[client.Reference]{
		Kind: gatewaypb.AttestationKind_InToto,
		Ref:  docRef,
		Path: sbomPath,
		InToto: result.InTotoAttestation{
			PredicateType: intoto.PredicateSPDX,
		},
		Metadata: map[string][]byte{
			result.AttestationReasonKey: []byte(result.AttestationReasonSBOM),
			result.AttestationSBOMCore:  []byte("sbom"),
		},
	}
	return nil
}

// attach adds every platform's attestation to the result.
func (s *sboms) attach(rb *dockerui.ResultBuilder) {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, att := range s.atts {
		rb.AddAttestation(id, att)
	}
}

func countPackages(pkgs []sbom.Package) int {
	n := 0
	for _, p := range pkgs {
		n += 1 + countPackages(p.DependsOn)
	}
	return n
}
