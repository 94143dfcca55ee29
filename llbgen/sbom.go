package llbgen

import (
	"slices"

	"github.com/org/safe-frontend/spec"
)

// InitStatusPath is tini's dpkg stanza in the runtime image. It is copied
// with tini, so the final image lists the package as installed, for
// scanners and the SBOM alike.
const InitStatusPath = "/var/lib/dpkg/status.d/tini"

// sbomSources are the language's sources plus the runtime layer's: the
// probe is a Go binary (tini is read with the image's dpkg status).
func sbomSources(s *spec.Spec, out *BuildOutput) []SBOMSource {
	srcs := slices.Clone(out.SBOM)
	if s.Run.Health != nil && selfProbe(s) == nil {
		srcs = append(srcs, SBOMSource{Kind: "go-binary", Path: ProbePath})
	}
	return srcs
}
