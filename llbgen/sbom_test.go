package llbgen

import (
	"slices"
	"testing"

	"github.com/org/safe-frontend/sbom"
)

// The SBOM reads the app binary and the probe (a Go binary too); tini's
// dpkg stanza rides along with it. Every kind named has a reader.
func TestSBOMSources(t *testing.T) {
	for _, final := range []string{"", "scratch"} {
		s := helloSpec()
		s.Final = final
		_, res := marshal(t, testInput(s, arm64))
		want := []SBOMSource{{Kind: sbom.KindGoBinary, Path: "/usr/local/bin/go-hello"}, {Kind: sbom.KindGoBinary, Path: ProbePath}}
		if !slices.Equal(res.SBOM, want) {
			t.Errorf("final %q: SBOM sources %+v, want %+v", final, res.SBOM, want)
		}
		for _, src := range res.SBOM {
			if !slices.Contains(sbom.Kinds(), src.Kind) {
				t.Errorf("no reader for kind %q", src.Kind)
			}
		}
	}
	s := helloSpec()
	s.Run.Health = nil
	if _, res := marshal(t, testInput(s, amd64)); len(res.SBOM) != 1 {
		t.Errorf("without a health check there is no probe to read: %+v", res.SBOM)
	}
}
