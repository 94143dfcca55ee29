package llbgen

import (
	"github.com/org/safe-frontend/sbom"
	"github.com/org/safe-frontend/spec"
)

// SBOMSource says where in the final image the SBOM reader of Kind (see
// package sbom) finds what a language put there.
type SBOMSource struct {
	Kind string
	Path string
}

// sbomLister is implemented by languages whose artifacts carry metadata an
// SBOM reader understands.
type sbomLister interface {
	sbomSources(s *spec.Spec, out *BuildOutput) []SBOMSource
}

func sbomSources(lang Language, s *spec.Spec, out *BuildOutput) []SBOMSource {
	if l, ok := lang.(sbomLister); ok {
		return l.sbomSources(s, out)
	}
	return nil
}

// A Go executable records its modules in its build info.
func (golang) sbomSources(s *spec.Spec, out *BuildOutput) []SBOMSource {
	var srcs []SBOMSource
	for _, a := range out.Artifacts {
		if a.Mode&0o111 != 0 {
			srcs = append(srcs, SBOMSource{Kind: sbom.KindGoBinary, Path: a.Dest})
		}
	}
	return srcs
}
