// Package spec is the app spec model: the YAML document a user writes under
// `# syntax=org/safe-frontend:1`, decoded strictly and with source positions.
package spec

import (
	"reflect"
	"strings"
)

// Spec is a parsed, structurally valid app spec. Semantic checks (what is
// safe) live in package policy; conversion to LLB lives in package llbgen.
type Spec struct {
	// Name is the image title.
	Name string `yaml:"name" required:"true" doc:"Image title (org.opencontainers.image.title); also names the binary."`
	// Version is the application version, ideally semver.
	Version string `yaml:"version" doc:"Application version (org.opencontainers.image.version), semver recommended."`
	// Language selects the builder implementation in llbgen.
	Language string  `yaml:"language" required:"true" enum:"go,node,python,rust,java,static" doc:"Language of the app; selects the builder."`
	Go       *Go     `yaml:"go" doc:"Go builder settings (language: go)."`
	Node     *Node   `yaml:"node" doc:"Node.js builder settings (language: node)."`
	Python   *Python `yaml:"python" doc:"Python builder settings (language: python)."`
	Rust     *Rust   `yaml:"rust" doc:"Rust builder settings (language: rust)."`
	Java     *Java   `yaml:"java" doc:"Java builder settings (language: java)."`
	Static   *Static `yaml:"static" doc:"Static site settings (language: static)."`
	// Build holds build-time configuration (never lands in the image).
	Build Build `yaml:"build" doc:"Build-time configuration."`
	// Run holds runtime configuration (lands in the image config).
	Run Run `yaml:"run" doc:"Runtime configuration of the image."`
	// Final is the runtime base of the image.
	Final string `yaml:"final" enum:"distroless,distroless-base,scratch" doc:"Runtime base: distroless (default, static nonroot), distroless-base (glibc), or scratch."`
	// Labels are merged over the generated OCI labels.
	Labels map[string]string `yaml:"labels" doc:"Extra image labels, merged over the generated org.opencontainers.image.* labels."`
	// Include re-admits files from the build context that the default
	// excludes (.git, .env*, *.pem, *.key) would drop.
	Include []string `yaml:"include" doc:"Context paths to keep although the default secret excludes would drop them."`
	// Copy adds files from the context or a checksummed download to the final image.
	Copy []Copy `yaml:"copy" doc:"Extra files for the final image, from the build context or a checksummed URL."`
	// Secrets are build-time secrets mounted into build steps.
	Secrets []Secret `yaml:"secrets" doc:"Build-time secrets, mounted into build steps, never stored in the image."`
	// Allow lists rule exemptions, each with a reason.
	Allow []Exemption `yaml:"allow" doc:"Rule exemptions; each needs a reason and is recorded in an image label."`

	// Source records where each field came from; set by Parse.
	Source *Source `yaml:"-"`
}

// Go configures the Go builder.
type Go struct {
	Version string   `yaml:"version" doc:"Go toolchain version (golang image tag), e.g. \"1.26\". Never latest."`
	Main    string   `yaml:"main" doc:"Package to build, relative to the context. Default \".\"."`
	Tags    []string `yaml:"tags" doc:"Go build tags."`
	Ldflags []string `yaml:"ldflags" doc:"Extra -ldflags (-s -w are always set)."`
}

// Node configures the Node.js builder.
type Node struct {
	Version        string `yaml:"version" doc:"Node.js major (node image tag), e.g. \"22\". Default 22. Never latest; an end-of-life major is a warning."`
	PackageManager string `yaml:"packageManager" enum:"npm,pnpm,yarn" doc:"Package manager. Default: package.json \"packageManager\", else the lockfile present."`
	Build          string `yaml:"build" doc:"package.json script run after the dependencies are installed, e.g. build."`
	Main           string `yaml:"main" doc:"File node runs, relative to the package (the workspace when set). Default: package.json \"main\"."`
	Workspace      string `yaml:"workspace" doc:"Directory of one package of an npm, pnpm or yarn workspace (monorepo), relative to the context."`
}

// Python configures the Python builder: locked dependencies installed into
// a venv at /venv, the app's sources at /app.
type Python struct {
	Version      string `yaml:"version" doc:"CPython minor version, e.g. \"3.13\": the interpreter of the distroless python3 image the app runs on. Never latest."`
	Requirements string `yaml:"requirements" doc:"Dependency lock, relative to the context: a requirements.txt (every requirement pinned with == or hashed), uv.lock or poetry.lock. Default: the first of uv.lock, poetry.lock, requirements.txt that exists."`
	Main         string `yaml:"main" doc:"Script to run, relative to the context: python /app/<main>. Exactly one of main, module, script."`
	Module       string `yaml:"module" doc:"Module to run: python -m <module>. Exactly one of main, module, script."`
	Script       string `yaml:"script" doc:"Console script a dependency installs into the venv, e.g. gunicorn or uvicorn: /venv/bin/<script>. Exactly one of main, module, script."`
}

// Rust configures the Rust builder (cargo, with a committed Cargo.lock).
type Rust struct {
	Version  string   `yaml:"version" doc:"Rust toolchain version (rust image tag, built on Debian trixie), e.g. \"1.95\". Default: the release rust-toolchain.toml pins, else the frontend's pinned default. Never latest."`
	Bin      string   `yaml:"bin" doc:"Binary target to build (cargo --bin). Default: the package's only binary."`
	Package  string   `yaml:"package" doc:"Workspace member to build (cargo --package). Default: the root package, or the workspace's only member."`
	Features []string `yaml:"features" doc:"Cargo features to enable (cargo --features)."`
	// Static is a pointer so the default (true) is told apart from an
	// explicit false.
	Static *bool `yaml:"static" doc:"Link statically (glibc static-pie, final scratch or distroless static). Default true; false links glibc dynamically and runs on distroless cc."`
}

// Java configures the Java builder: Maven, with the dependencies resolved
// from the pom.xml files alone, and a runtime trimmed by jlink or the
// distroless java image.
type Java struct {
	Version string   `yaml:"version" doc:"JDK/JRE major, e.g. \"21\" (also 17 and 25). Default 21. Never latest."`
	Build   string   `yaml:"build" doc:"Build tool: maven (pom.xml; ./mvnw is honoured when present). Default maven. gradle is refused until it is supported."`
	Module  string   `yaml:"module" doc:"One module of a multi-module Maven build, by artifactId or directory (mvn -pl <module> -am)."`
	Runtime string   `yaml:"runtime" enum:"jlink,jre" doc:"jlink (default): a runtime of the modules jdeps finds, on distroless cc; jre: the full distroless java image."`
	Options []string `yaml:"options" doc:"Extra JVM flags, after the container defaults (-XX:MaxRAMPercentage=75, -XX:+ExitOnOutOfMemoryError, ...), e.g. -Xss512k."`
	Modules []string `yaml:"modules" doc:"JDK modules jlink adds to the ones jdeps finds, for code loaded by reflection or a service loader (e.g. jdk.crypto.cryptoki, java.sql.rowset)."`
	Main    string   `yaml:"main" doc:"Main class, e.g. com.example.App, when the jar manifest and the pom do not name one."`
	// Tests is a pointer-free bool: the default (skip) is what CI wants.
	Tests bool `yaml:"tests" doc:"Run the tests during the build (mvn package without -DskipTests). Default false: tests are CI's job."`
}

// Static configures a static site: a directory of the context, or the
// output of a front-end build, served by the frontend's own server.
type Static struct {
	Root     string       `yaml:"root" doc:"Directory of the site's files, relative to the context, e.g. public. Exactly one of root and build."`
	Build    *StaticBuild `yaml:"build" doc:"A front-end build (Node.js) whose output directory is the site. Exactly one of root and build."`
	SPA      bool         `yaml:"spa" doc:"Answer requests for pages the site lacks with index.html, for client-side routing."`
	NotFound string       `yaml:"notFound" doc:"Page sent with 404 answers, relative to the site. Default 404.html, when the site has it."`
	CSP      string       `yaml:"csp" doc:"Content-Security-Policy header. Default: the site's own scripts, styles, images and fonts (and data: images and fonts), no plugins, no framing."`
}

// StaticBuild is the front-end build of a static site: a package.json
// script run with every dependency installed, as a Node app's build.
type StaticBuild struct {
	Node           string `yaml:"node" doc:"Node.js major of the build (node image tag), e.g. \"22\". Default 22. Never latest."`
	PackageManager string `yaml:"packageManager" enum:"npm,pnpm,yarn" doc:"Package manager. Default: package.json \"packageManager\", else the lockfile present."`
	Script         string `yaml:"script" required:"true" doc:"package.json script that builds the site, e.g. build."`
	Output         string `yaml:"output" required:"true" doc:"Directory the script writes the site to, relative to the context, e.g. dist."`
}

// Build is build-time configuration.
type Build struct {
	// Args are build arguments with defaults, overridable with --build-arg;
	// they reach build steps as environment, never the image config.
	Args map[string]string `yaml:"args" doc:"Build arguments with defaults, overridable with --build-arg; visible to build steps only."`
}

// Run is runtime configuration.
type Run struct {
	Args   []string          `yaml:"args" doc:"Default arguments (image CMD)."`
	Port   int               `yaml:"port" minimum:"1" maximum:"65535" doc:"Port the app listens on (ExposedPorts)."`
	Env    map[string]string `yaml:"env" doc:"Runtime environment (image Env). Never secrets."`
	User   string            `yaml:"user" doc:"Numeric UID:GID to run as. Default 65532:65532."`
	Health *Health           `yaml:"health" doc:"Health check: the image HEALTHCHECK (a static probe, no shell) and the Kubernetes probes."`
	// Init is a pointer so an explicit false (an opt-out that needs an
	// exemption) is told apart from the default.
	Init *bool `yaml:"init" doc:"Run tini as PID 1 so signals are forwarded and orphans reaped. Default true; false needs an exemption of SF207."`
	// SignalGroup is tini -g: for apps whose children must see the signal too.
	SignalGroup     bool       `yaml:"signalGroup" doc:"Forward signals to the app's whole process group (tini -g), for apps that start children which must stop too."`
	StopGracePeriod string     `yaml:"stopGracePeriod" doc:"Time the app gets to stop after SIGTERM (Kubernetes terminationGracePeriodSeconds), a duration such as 30s. Default 30s."`
	ShutdownTimeout string     `yaml:"shutdownTimeout" doc:"How long the app itself takes to drain and stop after SIGTERM, a duration such as 10s; the grace period must cover it plus the drain delay."`
	Resources       *Resources `yaml:"resources" doc:"CPU and memory for the manifests (requests; memory limit = request)."`
	Writable        []string   `yaml:"writable" doc:"Absolute paths the app writes to; the root filesystem is read-only, these become emptyDir volumes in the manifests."`
}

// Health describes how the app reports health. Exactly one of HTTP or TCP.
type Health struct {
	HTTP        string `yaml:"http" doc:"HTTP path answered with 2xx when healthy, e.g. /healthz."`
	TCP         bool   `yaml:"tcp" doc:"Healthy when run.port accepts a TCP connection (for servers that do not speak HTTP)."`
	Interval    string `yaml:"interval" doc:"Time between probes, a duration such as 10s. Default 10s."`
	Timeout     string `yaml:"timeout" doc:"Time one probe may take, a duration such as 3s. Default 3s."`
	StartPeriod string `yaml:"startPeriod" doc:"Time the app gets to start before failures count, a duration such as 10s. Default 10s."`
	// StartInterval is Docker's --start-interval (Engine 25+; older engines
	// ignore it and probe every interval from the start).
	StartInterval string `yaml:"startInterval" doc:"Time between probes during the start period, so the app is healthy as soon as it answers, a duration such as 1s; at most the interval. Default 1s (or the interval when shorter)."`
	Retries       int    `yaml:"retries" minimum:"1" maximum:"100" doc:"Consecutive failures before the app is unhealthy. Default 3."`
}

// Resources is what the app needs, in Kubernetes quantities.
type Resources struct {
	CPU    string `yaml:"cpu" doc:"CPU request, a Kubernetes quantity such as 250m or 1."`
	Memory string `yaml:"memory" doc:"Memory request and limit, a Kubernetes quantity such as 256Mi."`
}

// Copy is one extra file or directory for the final image.
type Copy struct {
	From   string `yaml:"from" doc:"Context path (relative, inside the context)."`
	URL    string `yaml:"url" doc:"https URL to download instead of a context path."`
	SHA256 string `yaml:"sha256" doc:"Expected sha256 of the download (required with url)."`
	To     string `yaml:"to" required:"true" doc:"Absolute destination path in the image."`
}

// Secret is a build-time secret.
type Secret struct {
	ID       string `yaml:"id" required:"true" doc:"Secret id, as passed with --secret id=ID,..."`
	Target   string `yaml:"target" doc:"File path the secret is mounted at in build steps (default /run/secrets/ID)."`
	Env      string `yaml:"env" doc:"Environment variable the secret is exposed as in build steps, instead of a file."`
	Required bool   `yaml:"required" doc:"Fail the build when the secret is not provided (default false: skipped)."`
}

// Exemption waives one rule, with a reason an auditor can read.
type Exemption struct {
	Rule   string `yaml:"rule" required:"true" doc:"Rule ID, e.g. SF203."`
	Reason string `yaml:"reason" required:"true" doc:"Why the rule does not apply; recorded in an image label."`
}

// HasBlock reports whether the language settings block named like a
// language (the `go:` block for "go") is set. Each language's block is the
// pointer field whose yaml key is the language's name.
func (s *Spec) HasBlock(language string) bool {
	v := reflect.ValueOf(s).Elem()
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if f.Type.Kind() != reflect.Pointer || strings.Split(f.Tag.Get("yaml"), ",")[0] != language {
			continue
		}
		return !v.Field(i).IsNil()
	}
	return false
}
