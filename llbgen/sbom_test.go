package llbgen

import (
	"slices"
	"testing"

	"github.com/org/safe-frontend/sbom"
)

// The Go binary's build info is where the SBOM reads the modules from; every
// kind named has a reader.
func TestSBOMSources(t *testing.T) {
	for _, final := range []string{"", "scratch"} {
		s := helloSpec()
		s.Final = final
		_, res := marshal(t, testInput(s, arm64))
		want := []SBOMSource{{Kind: sbom.KindGoBinary, Path: "/usr/local/bin/go-hello"}}
		if !slices.Equal(res.SBOM, want) {
			t.Errorf("final %q: SBOM sources %+v, want %+v", final, res.SBOM, want)
		}
		for _, src := range res.SBOM {
			if !slices.Contains(sbom.Kinds(), src.Kind) {
				t.Errorf("no reader for kind %q", src.Kind)
			}
		}
	}
}
