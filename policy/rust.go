package policy

import (
	"regexp"
	"strings"

	"github.com/org/safe-frontend/rules"
	"github.com/org/safe-frontend/spec"
)

// rustVersionRe is a rust image release tag ("1.95", "1.95.0"), optionally
// pinned by digest; the frontend adds the Debian release itself.
var rustVersionRe = regexp.MustCompile(`^\d+\.\d+(\.\d+)?(@sha256:[0-9a-f]{64})?$`)

// cargoNameRe is what cargo accepts as a package or target name.
var cargoNameRe = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_-]{0,63}$`)

// cargoFeatureRe is a feature name, or "dep/feature" and "dep:name" forms.
var cargoFeatureRe = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_+.-]{0,63}((/|:)[A-Za-z0-9_][A-Za-z0-9_+.-]{0,63})?$`)

func (c *checker) checkRust() {
	r := c.s.Rust
	if r == nil {
		return
	}
	if c.present("rust/version", r.Version != "") {
		v := r.Version
		switch lv := strings.ToLower(strings.TrimSpace(v)); {
		case lv == "":
			c.add(rules.UnpinnedVersion, "rust/version", "rust.version is empty; write a release such as \"1.95\" or remove the key to use the frontend's pinned default")
		case lv == "latest" || lv == "stable" || lv == "beta" || lv == "nightly":
			c.add(rules.UnpinnedVersion, "rust/version", "rust.version %q moves over time; pin a release such as \"1.95\" or \"1.95.0\"", v)
		case strings.Contains(v, "-"):
			c.add(rules.UnpinnedVersion, "rust/version", "rust.version %q names an image variant; write the release only (such as \"1.95\"): the frontend picks the Debian release that matches the final image", v)
		case strings.Contains(v, "@") && !rustVersionRe.MatchString(v):
			c.add(rules.UnpinnedVersion, "rust/version", "rust.version %q has an '@' without a sha256 digest; write a release such as \"1.95.0\", optionally followed by @sha256:<64 hex digits>", v)
		case !rustVersionRe.MatchString(v):
			c.add(rules.UnpinnedVersion, "rust/version", "rust.version %q is not a Rust release; write a release such as \"1.95\" or \"1.95.0\"", v)
		}
	}
	if c.present("rust/bin", r.Bin != "") && !cargoNameRe.MatchString(r.Bin) {
		c.add(rules.InvalidValue, "rust/bin", "rust.bin %q is not a cargo binary target name; use letters, digits, '_' and '-' (at most 64), as in [[bin]] name", r.Bin)
	}
	if c.present("rust/package", r.Package != "") && !cargoNameRe.MatchString(r.Package) {
		c.add(rules.InvalidValue, "rust/package", "rust.package %q is not a cargo package name; use letters, digits, '_' and '-' (at most 64), as in [package] name", r.Package)
	}
	for i, f := range r.Features {
		if !cargoFeatureRe.MatchString(f) {
			c.add(rules.InvalidValue, spec.Path("rust", "features", i), "rust.features[%d] %q is not a cargo feature name; write a name such as \"metrics\" or \"dep/feature\"", i, f)
		}
	}
}
