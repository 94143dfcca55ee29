package frontend

import (
	"context"
	"testing"

	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/frontend/gateway/client"
	"github.com/moby/buildkit/solver/pb"
	"github.com/moby/buildkit/util/apicaps"
	apicapspb "github.com/moby/buildkit/util/apicaps/pb"
)

// capsWithout is a current builder's LLB capabilities less some, the way an
// older BuildKit (which does not know them) reports its set.
func capsWithout(ids ...apicaps.CapID) apicaps.CapSet {
	var caps []*apicapspb.APICap
	for _, c := range pb.Caps.All() {
		keep := true
		for _, id := range ids {
			keep = keep && apicaps.CapID(c.ID) != id
		}
		if keep {
			caps = append(caps, c)
		}
	}
	return pb.Caps.CapSet(caps)
}

func TestRequireLLBCaps(t *testing.T) {
	st := llb.Scratch().File(llb.Copy(llb.Image("docker.io/library/node:22"), "/app", "/app",
		&llb.CopyInfo{CopyDirContentsOnly: true, ExcludePatterns: []string{"node_modules"}}))
	def, err := st.Marshal(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if err := requireLLBCaps(def, client.BuildOpts{LLBCaps: capsWithout()}); err != nil {
		t.Fatalf("a current builder was refused: %v", err)
	}
	old := capsWithout(pb.CapFileCopyIncludeExcludePatterns, pb.CapMergeOp)
	for product, want := range map[string]string{
		"docker": "safe-frontend cannot build on this builder: its BuildKit lacks file.copy.includeexcludepatterns (BuildKit v0.9 and later), " +
			"so it is older than BuildKit v0.9; fix: upgrade Docker Engine to 23.0 or later, or build in a current BuildKit container: " +
			"docker buildx create --driver docker-container --use (see https://github.com/org/safe-frontend#builders)",
		"buildkit": "safe-frontend cannot build on this builder: its BuildKit lacks file.copy.includeexcludepatterns (BuildKit v0.9 and later), " +
			"so it is older than BuildKit v0.9; fix: upgrade BuildKit to v0.13 or later, or build in a current BuildKit container: " +
			"docker buildx create --driver docker-container --use (see https://github.com/org/safe-frontend#builders)",
	} {
		err := requireLLBCaps(def, client.BuildOpts{Product: product, LLBCaps: old})
		if err == nil || err.Error() != want {
			t.Errorf("%s: got\n%v\nwant\n%s", product, err, want)
		}
	}
}
