package llbgen

import (
	"testing"
)

// The common keys (copy: from the context and a download, secrets, build
// args, labels) on every language, pinned by their LLB's digest.
func TestCommonKeysGolden(t *testing.T) {
	for _, c := range commonLanguages {
		t.Run(c.lang, func(t *testing.T) {
			requireGolden(t, "common-keys-"+c.lang, commonInput(t, c, amd64))
		})
	}
}
