package frontend

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/frontend/gateway/client"
	"github.com/moby/buildkit/solver/pb"
	"github.com/moby/buildkit/util/apicaps"
	"github.com/pkg/errors"
)

// BuildersURL is the README section on the builders safe-frontend runs on.
const BuildersURL = "https://github.com/org/safe-frontend#builders"

// capSince is the BuildKit release that brought each LLB capability a
// conversion may ask for without a fallback, so an error can say how old
// the builder is (read off each release's solver/pb/caps.go). MergeOp is
// absent: without it the final image is assembled by copies.
var capSince = map[apicaps.CapID]string{
	pb.CapFileCopyIncludeExcludePatterns: "v0.9",
	pb.CapExecSecretEnv:                  "v0.10",
}

// dockerSince is the first Docker Engine release whose built-in builder has
// each BuildKit release above (Docker 20.10 has BuildKit v0.8).
var dockerSince = map[string]string{"v0.9": "23.0", "v0.10": "23.0"}

// requireLLBCaps checks, before anything runs, that the builder has every
// LLB capability the definition asks for. BuildKit's client would refuse
// the solve too, in its own words ("requested experimental feature ...");
// this says which builder lacks what, and what to do.
func requireLLBCaps(def *llb.Definition, bo client.BuildOpts) error {
	caps, err := definitionCaps(def)
	if err != nil {
		return err
	}
	missing := map[apicaps.CapID]error{}
	for _, id := range caps {
		if err := bo.LLBCaps.Supports(id); err != nil {
			missing[id] = err
		}
	}
	if len(missing) == 0 {
		return nil
	}
	return unsupportedBuilder(bo.Product, missing)
}

// definitionCaps is what the definition's metadata says its ops need, plus
// what llb (v0.34) leaves out of it: a file copy's include and exclude
// patterns, which a builder that does not know them would silently ignore,
// copying everything.
func definitionCaps(def *llb.Definition) ([]apicaps.CapID, error) {
	caps := map[apicaps.CapID]bool{}
	for _, md := range def.Metadata {
		for id := range md.Caps {
			caps[id] = true
		}
	}
	for _, dt := range def.Def {
		var op pb.Op
		if err := op.UnmarshalVT(dt); err != nil {
			return nil, errors.Wrap(err, "reading the marshalled LLB")
		}
		for _, a := range op.GetFile().GetActions() {
			if cp := a.GetCopy(); cp != nil && (len(cp.IncludePatterns) > 0 || len(cp.ExcludePatterns) > 0) {
				caps[pb.CapFileCopyIncludeExcludePatterns] = true
			}
		}
	}
	return slices.Sorted(maps.Keys(caps)), nil
}

// unsupportedBuilder is the one error for a builder that cannot build the
// spec: what it lacks, how old it is, and the fix for its kind.
func unsupportedBuilder(product string, missing map[apicaps.CapID]error) error {
	var lacks []string
	newest := ""
	for _, id := range slices.Sorted(maps.Keys(missing)) {
		what := string(id)
		if v, ok := capSince[id]; ok {
			what += " (BuildKit " + v + " and later)"
			if newest == "" || semverLess(newest, v) {
				newest = v
			}
		}
		var ce *apicaps.CapError
		if errors.As(missing[id], &ce) && ce.State != nil && !ce.State.Enabled && ce.State.DisabledReason != "" {
			what += " (disabled: " + ce.State.DisabledReason + ")"
		}
		lacks = append(lacks, what)
	}
	age := ""
	if newest != "" {
		age = ", so it is older than BuildKit " + newest
	}
	fix := "upgrade BuildKit to v0.13 or later, or build in a current BuildKit container: docker buildx create --driver docker-container --use"
	if product == "docker" || product == "moby" { // Docker Engine's built-in builder
		engine := dockerSince[newest]
		if engine == "" {
			engine = "26.0"
		}
		fix = "upgrade Docker Engine to " + engine + " or later, or build in a current BuildKit container: docker buildx create --driver docker-container --use"
	}
	return errors.Errorf("safe-frontend cannot build on this builder: its BuildKit lacks %s%s; fix: %s (see %s)",
		strings.Join(lacks, ", "), age, fix, BuildersURL)
}

// semverLess compares "v0.9" style versions.
func semverLess(a, b string) bool {
	var a1, a2, b1, b2 int
	fmt.Sscanf(a, "v%d.%d", &a1, &a2)
	fmt.Sscanf(b, "v%d.%d", &b1, &b2)
	return a1 < b1 || a1 == b1 && a2 < b2
}
