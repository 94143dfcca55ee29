// Package rules is the one list of every rule the frontend enforces: stable
// IDs, severities, messages and the public catalogs each rule answers. The
// spec parser (structure) and package policy (semantics) report by these IDs;
// each rule has a page at docs/rules/<ID>.md.
package rules

import "sort"

// Severity says what a finding does to a build.
type Severity string

const (
	// Error refuses the build (unless exempted with allow:).
	Error Severity = "error"
	// Warning is reported and the build goes on.
	Warning Severity = "warning"
)

// DocBase is where rule pages are published.
const DocBase = "https://github.com/org/safe-frontend/blob/main/docs/rules/"

// Rule is one enforced practice.
type Rule struct {
	ID       string
	Name     string // short CamelCase name, like buildkit's check names
	Severity Severity
	Summary  string // one line: what is wrong
	// Catalogs are the references this rule answers (rules.md): "seed",
	// "docker:<CheckName>", "hadolint:DLxxxx", "cis:4.x", "owasp:#n", "pss:<field>".
	Catalogs []string
	// Exemptible rules can be waived with allow: [{rule, reason}].
	// Structural rules (the spec cannot be read) cannot.
	Exemptible bool
}

// URL is the rule's documentation page.
func (r Rule) URL() string { return DocBase + r.ID + ".md" }

// Spec structure: the document cannot be read as a valid spec. Never exemptible.
const (
	Syntax         = "SF001"
	UnknownKey     = "SF002"
	WrongType      = "SF003"
	MissingKey     = "SF004"
	DuplicateKey   = "SF005"
	TooLarge       = "SF006"
	AliasUsed      = "SF007"
	MultiDocument  = "SF008"
	InvalidValue   = "SF009"
	BadExemption   = "SF010"
	ConflictingKey = "SF011"
)

// Bases and supply chain.
const (
	UnpinnedVersion    = "SF101"
	DownloadNoChecksum = "SF102"
	FinalTooFat        = "SF103"
	BaseLockMismatch   = "SF104"
)

// Node: lockfiles, entry point, platforms.
const (
	NoLockfile            = "SF110"
	LockfileOutOfSync     = "SF111"
	EndOfLifeNode         = "SF112"
	NativeAddonCrossBuild = "SF113"
	NoMain                = "SF114"
)

// Python dependencies (SF120-SF129).
const (
	UnpinnedRequirement = "SF120"
	MissingLockfile     = "SF121"
	InvalidLockfile     = "SF122"
)

// Rust: the lock and the manifests the build is planned from.
const (
	CargoLockMissing = "SF130"
	CargoManifest    = "SF131"
	RustToolchain    = "SF132"
)

// Java: the Maven build, the Java release, the main class.
const (
	MavenPomMissing        = "SF140"
	UnsupportedBuildTool   = "SF141"
	UnsupportedJava        = "SF142"
	MavenPomUnusable       = "SF143"
	NoMainClass            = "SF144"
	MavenSettingsInContext = "SF145"
)

// Project files: what the context's manifests, lockfiles and tool
// settings hold, whatever the language.
const (
	CredentialInProjectFile  = "SF601"
	DependencyOutsideContext = "SF602"
	ProjectFileTooLarge      = "SF603"
	BuildToolOverride        = "SF604"
)

// User, ports, health.
const (
	RootUser       = "SF201"
	NonNumericUser = "SF202"
	PortOutOfRange = "SF203"
	PrivilegedPort = "SF204"
	NoHealthCheck  = "SF205"
	InvalidHealth  = "SF206"
	NoInit         = "SF207"
	NoResources    = "SF208"
	ShortGrace     = "SF209"
)

// Secrets.
const (
	SecretInEnv      = "SF301"
	SecretInLabel    = "SF302"
	SecretInBuildArg = "SF303"
	IncludesExcluded = "SF304"
	SecretMissing    = "SF305"
	InvalidSecret    = "SF306"
)

// Paths.
const (
	PathEscapes     = "SF401"
	DestNotAbsolute = "SF402"
)

// Labels and metadata.
const (
	LabelCreated  = "SF501"
	LabelRevision = "SF502"
	LabelLicenses = "SF503"
	LabelURL      = "SF504"
	VersionSemver = "SF505"
)

var all = []Rule{
	{Syntax, "SpecSyntax", Error, "The spec is not valid YAML (or not UTF-8, or contains tabs or NUL bytes)", []string{"seed"}, false},
	{UnknownKey, "UnknownKey", Error, "The spec has a key the frontend does not know", []string{"seed"}, false},
	{WrongType, "WrongType", Error, "A spec value has the wrong type", []string{"seed"}, false},
	{MissingKey, "MissingKey", Error, "A required spec key is missing", []string{"seed"}, false},
	{DuplicateKey, "DuplicateKey", Error, "A key is written twice in the same mapping", []string{"seed"}, false},
	{TooLarge, "SpecTooLarge", Error, "The spec is larger or deeper than any sane spec", []string{"owasp:#9"}, false},
	{AliasUsed, "AnchorsNotAllowed", Error, "YAML anchors, aliases and merge keys are not allowed in a spec", []string{"owasp:#9"}, false},
	{MultiDocument, "MultipleDocuments", Error, "The spec holds more than one YAML document", []string{"seed"}, false},
	{InvalidValue, "InvalidValue", Error, "A spec value is not one of the allowed values or is malformed", []string{"seed"}, false},
	{BadExemption, "InvalidExemption", Error, "An exemption names an unknown or unexemptible rule, or gives no reason", []string{"seed"}, false},
	{ConflictingKey, "ConflictingKeys", Error, "Two spec keys contradict each other", []string{"seed"}, false},

	{UnpinnedVersion, "UnpinnedVersion", Error, "A base or toolchain version is latest, empty or untagged", []string{"seed", "hadolint:DL3006", "hadolint:DL3007", "cis:4.2"}, true},
	{DownloadNoChecksum, "DownloadWithoutChecksum", Error, "A remote download has no sha256 checksum", []string{"seed", "hadolint:DL3020", "cis:4.9", "cis:4.11", "owasp:#13"}, true},
	{BaseLockMismatch, "BaseLockMismatch", Error, "The base-image lock next to the spec does not match the bases the spec needs, or cannot be read", []string{"seed", "cis:4.2"}, false},
	{FinalTooFat, "FinalTooFat", Warning, "The final base is larger than the language needs", []string{"seed", "cis:4.3"}, true},
	{UnpinnedRequirement, "UnpinnedRequirement", Error, "A Python requirement is not pinned to one version with == or a hash", []string{"seed", "cis:4.11", "owasp:#13"}, true},
	{MissingLockfile, "MissingLockfile", Error, "A Python project has no lock (pyproject.toml without uv.lock or poetry.lock)", []string{"seed", "cis:4.11"}, false},
	{InvalidLockfile, "InvalidLockfile", Error, "A Python requirements file or lock cannot be read or asks for what a locked install cannot honour", []string{"seed", "cis:4.11"}, false},

	{NoLockfile, "NoLockfile", Error, "A Node app has no lockfile, so dependency versions would float", []string{"seed", "cis:4.2", "owasp:#13"}, false},
	{LockfileOutOfSync, "LockfileOutOfSync", Error, "The lockfile does not match package.json, so a frozen install cannot run", []string{"seed", "owasp:#13"}, false},
	{EndOfLifeNode, "EndOfLifeNode", Warning, "The Node.js major is past its end of life and gets no security fixes", []string{"seed", "owasp:#13"}, true},
	{NativeAddonCrossBuild, "NativeAddonCrossBuild", Error, "Native addons would be compiled for the build machine, not the target platform", []string{"seed"}, false},
	{NoMain, "NoMain", Error, "No file is named for node to run (node.main or package.json \"main\")", []string{"seed"}, false},

	{CargoLockMissing, "CargoLockMissing", Error, "A Rust app has no Cargo.lock: its dependencies would be resolved afresh at build time", []string{"seed", "owasp:#13"}, false},
	{CargoManifest, "CargoManifestUnusable", Error, "Cargo.toml cannot be read, or does not say which package and binary to build", []string{"seed"}, false},
	{RustToolchain, "RustToolchainUnpinned", Error, "rust-toolchain.toml does not pin the release the image is built with", []string{"seed"}, true},

	{MavenPomMissing, "MavenPomMissing", Error, "A Java app's build context has no pom.xml at its root", []string{"seed"}, false},
	{UnsupportedBuildTool, "UnsupportedBuildTool", Error, "java.build names a build tool the frontend does not support (gradle)", []string{"seed"}, false},
	{UnsupportedJava, "UnsupportedJava", Error, "The Java major has no supported builder and distroless runtime, or no longer gets updates", []string{"seed", "owasp:#13"}, false},
	{MavenPomUnusable, "MavenPomUnusable", Error, "A pom.xml cannot be read, or does not say which module to build", []string{"seed"}, false},
	{NoMainClass, "NoMainClass", Error, "No main class is named for java to run (jar manifest, spring-boot start-class or java.main)", []string{"seed"}, false},
	{MavenSettingsInContext, "MavenSettingsInContext", Error, "A Maven settings.xml with credentials is in the build context instead of a build secret", []string{"seed", "cis:4.10", "owasp:#12"}, true},

	{CredentialInProjectFile, "CredentialInProjectFile", Error, "A project file in the build context holds a credential (a URL's password or token, a registry token)", []string{"seed", "cis:4.10", "owasp:#12"}, true},
	{DependencyOutsideContext, "DependencyOutsideContext", Error, "A lockfile or manifest resolves a dependency to a path outside the build context", []string{"seed", "cis:4.10"}, false},
	{ProjectFileTooLarge, "ProjectFileTooLarge", Error, "A manifest or lockfile is larger or more deeply nested than any real one", []string{"owasp:#9"}, false},
	{BuildToolOverride, "BuildToolOverride", Warning, "Build-tool configuration in the context replaces the compiler, linker or runner", []string{"seed", "owasp:#13"}, true},

	{RootUser, "RootUser", Error, "The image would run as root (uid 0)", []string{"seed", "hadolint:DL3002", "cis:4.1", "owasp:#2", "pss:runAsNonRoot"}, true},
	{NonNumericUser, "NonNumericUser", Error, "The run user is not a numeric UID:GID", []string{"seed", "pss:runAsNonRoot", "cis:4.1"}, false},
	{PortOutOfRange, "PortOutOfRange", Error, "A port is outside 1-65535", []string{"docker:ExposeInvalidFormat"}, false},
	{PrivilegedPort, "PrivilegedPort", Error, "A port below 1024 needs NET_BIND_SERVICE; give a reason or use a high port", []string{"seed", "pss:capabilities", "owasp:#3"}, true},
	{NoHealthCheck, "NoHealthCheck", Warning, "No health check is declared", []string{"seed", "cis:4.6"}, true},
	{InvalidHealth, "InvalidHealthCheck", Error, "The health check is malformed or cannot work", []string{"seed", "cis:4.6"}, false},
	{NoInit, "NoInit", Error, "The image would run the app as PID 1 without an init (run.init: false)", []string{"seed"}, true},
	{NoResources, "NoResources", Warning, "No CPU and memory are declared for the manifests", []string{"seed", "cis:5.10", "cis:5.11"}, true},
	{ShortGrace, "ShortStopGracePeriod", Warning, "The stop grace period is shorter than the drain delay plus the app's own shutdown", []string{"seed"}, true},

	{SecretInEnv, "SecretInEnv", Error, "A secret-looking runtime env key has a literal value", []string{"seed", "docker:SecretsUsedInArgOrEnv", "cis:4.10", "owasp:#12"}, true},
	{SecretInLabel, "SecretInLabel", Error, "A secret-looking label key has a literal value", []string{"seed", "docker:SecretsUsedInArgOrEnv", "cis:4.10", "owasp:#12"}, true},
	{SecretInBuildArg, "SecretInBuildArg", Error, "A secret-looking build arg has a literal value", []string{"seed", "docker:SecretsUsedInArgOrEnv", "cis:4.10", "owasp:#12"}, true},
	{IncludesExcluded, "IncludesSecretExcluded", Warning, "An included path would otherwise be dropped by the default secret excludes", []string{"seed", "docker:CopyIgnoredFile", "cis:4.10"}, true},
	{SecretMissing, "SecretMissing", Error, "A required build secret was not provided", []string{"owasp:#12"}, false},
	{InvalidSecret, "InvalidSecret", Error, "A build secret declaration is malformed or duplicated", []string{"owasp:#12"}, false},

	{PathEscapes, "PathEscapesContext", Error, "A path is absolute or climbs out of the build context", []string{"seed", "cis:4.10"}, false},
	{DestNotAbsolute, "DestinationNotAbsolute", Error, "An image destination path is not absolute or is not clean", []string{"seed"}, false},

	{LabelCreated, "LabelCreatedFormat", Error, "org.opencontainers.image.created is not RFC 3339", []string{"hadolint:DL3053"}, true},
	{LabelRevision, "LabelRevisionFormat", Error, "org.opencontainers.image.revision is not a git commit hash", []string{"hadolint:DL3055"}, true},
	{LabelLicenses, "LabelLicensesFormat", Error, "org.opencontainers.image.licenses is not an SPDX expression", []string{"hadolint:DL3054"}, true},
	{LabelURL, "LabelURLFormat", Error, "A URL label (source, url, documentation) is not an absolute URL", []string{"hadolint:DL3052"}, true},
	{VersionSemver, "VersionNotSemver", Warning, "The spec version is not semantic versioning", []string{"hadolint:DL3056"}, true},
}

var byID = func() map[string]Rule {
	m := make(map[string]Rule, len(all))
	for _, r := range all {
		m[r.ID] = r
	}
	return m
}()

// All returns every rule, ordered by ID.
func All() []Rule {
	out := append([]Rule(nil), all...)
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Lookup finds a rule by ID.
func Lookup(id string) (Rule, bool) {
	r, ok := byID[id]
	return r, ok
}

// AtBuild reports whether a rule is raised while building, not by the
// spec check: it needs the build's secrets or the context's manifests.
func AtBuild(id string) bool { return atBuild[id] }

var atBuild = map[string]bool{
	SecretMissing:          true,
	BaseLockMismatch:       true,
	UnpinnedRequirement:    true,
	MissingLockfile:        true,
	InvalidLockfile:        true,
	CargoLockMissing:       true,
	CargoManifest:          true,
	RustToolchain:          true,
	NoLockfile:             true,
	LockfileOutOfSync:      true,
	NativeAddonCrossBuild:  true,
	NoMain:                 true,
	MavenPomMissing:        true,
	MavenPomUnusable:       true,
	NoMainClass:            true,
	MavenSettingsInContext: true,

	CredentialInProjectFile:  true,
	DependencyOutsideContext: true,
	ProjectFileTooLarge:      true,
	BuildToolOverride:        true,
}

// MustLookup is Lookup for IDs that are constants of this package.
func MustLookup(id string) Rule {
	r, ok := byID[id]
	if !ok {
		panic("rules: unknown rule " + id)
	}
	return r
}
