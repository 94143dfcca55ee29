package rust

import (
	"path"
	"slices"
	"strings"

	"github.com/org/safe-frontend/lang"
	"github.com/org/safe-frontend/plan"
	"github.com/org/safe-frontend/spec"
)

// The stages: rust-audit holds the dependency list the binary embeds;
// rust is the build on the builder image, five steps.
const (
	stageBuild = "rust"
	stageAudit = "rust-audit"
	totalSteps = 5
)

// build is what the steps are made from: the cargo plan, the target, and
// the environment every cargo step shares.
type build struct {
	in             *lang.Input
	cargo          *cargoPlan
	audit          []byte
	triple, linker string
	static         bool
	env            []string
	// cargoBuild is the cargo build command both compile steps share.
	cargoBuild []string
	// specPath is the spec key the steps point at ("rust" when there).
	specPath string
}

// Plan: the dependency list on its own, then the build in five steps.
func (rust) Plan(in *lang.Input) (*plan.Plan, error) {
	b, err := newBuild(in)
	if err != nil {
		return nil, err
	}
	out := path.Join(rustOut, in.Spec.Name)
	dest := "/usr/local/bin/" + in.Spec.Name
	return &plan.Plan{
		Language: "rust",
		Steps:    totalSteps,
		Stages: []plan.Stage{
			{Name: stageAudit, From: plan.Scratch, Steps: []plan.Step{b.auditStep()}},
			{Name: stageBuild, From: plan.Builder, Steps: []plan.Step{
				b.manifestsStep(), b.fetchStep(), b.depsStep(), b.sourcesStep(), b.appStep(out),
			}},
		},
		Final: plan.Final{
			Layers:     []plan.Layer{{Name: "app", From: plan.StageRef(stageBuild), Files: []plan.Artifact{{Src: out, Dest: dest, Mode: 0o755}}}},
			Entrypoint: []string{dest},
			// The binary carries its dependency list (.dep-v0).
			SBOM: []plan.SBOMSource{{Kind: "rust-binary", Path: dest}},
		},
	}, nil
}

// newBuild reads the manifests and the lock (refusals about them point at
// the language line) and settles the target and the environment.
func newBuild(in *lang.Input) (*build, error) {
	s := in.Spec
	cfg := rustConfig(s)
	cp, err := planCargo(in.Files, cfg.Package, cfg.Bin, "language")
	if err != nil {
		return nil, err
	}
	// What the binary is built from, for scanners and the SBOM.
	dev, bdeps := cp.dependencyKinds()
	audit, err := cargoAudit(in.Files[cargoLock], cp.Package, dev, bdeps)
	if err != nil {
		return nil, err
	}
	triple, err := rustTriple(in.Target)
	if err != nil {
		return nil, err
	}
	b := &build{in: in, cargo: cp, audit: audit, triple: triple, static: rustStatic(s), specPath: lang.SpecPath(s, "rust")}
	if in.Target.Architecture != in.Build.Architecture || in.Target.Variant != in.Build.Variant {
		b.linker = rustLinkers[triple]
	}
	b.env = cargoEnv(in.BuildArgs, triple, b.linker, b.static)
	b.cargoBuild = []string{"cargo", "build", "--release", "--locked", "--target", triple, "--package", cp.Package}
	if len(cfg.Features) > 0 {
		b.cargoBuild = append(b.cargoBuild, "--features", strings.Join(cfg.Features, ","))
	}
	return b, nil
}

// cargoEnv is what every cargo step sets over the build args: the same
// flags in the dependency and the app build, or the dependencies would
// compile twice. A RUSTFLAGS build arg goes in front of the frontend's
// flags.
func cargoEnv(args []string, triple, linker string, static bool) []string {
	rustflags := "-C strip=symbols"
	if static {
		// A static-pie glibc binary; --target keeps the flag off build
		// scripts and proc-macros, which must stay dynamic.
		rustflags = "-C target-feature=+crt-static " + rustflags
	}
	// Cargo sends a token to a registry that requires one only through a
	// configured credential provider; cargo:token reads it from
	// CARGO_REGISTRIES_<NAME>_TOKEN, which a build secret sets. A
	// provider in the project's .cargo/config.toml or a build arg wins.
	providers := true
	for _, kv := range args {
		switch k, v, _ := strings.Cut(kv, "="); k {
		case "RUSTFLAGS":
			rustflags = v + " " + rustflags
		case "CARGO_REGISTRY_GLOBAL_CREDENTIAL_PROVIDERS":
			providers = false
		}
	}
	var env []string
	if providers {
		env = append(env, "CARGO_REGISTRY_GLOBAL_CREDENTIAL_PROVIDERS=cargo:token")
	}
	env = append(env, "CARGO_HOME="+cargoHome, "CARGO_TARGET_DIR="+cargoTargetDir, "CARGO_TERM_COLOR=never", "RUSTFLAGS="+rustflags)
	if linker != "" {
		env = append(env, "CARGO_TARGET_"+strings.ToUpper(strings.ReplaceAll(triple, "-", "_"))+"_LINKER="+linker)
	}
	return env
}

// run is a cargo step: a shell script in /src with the build args, then
// the cargo environment over them.
func (b *build) run(script string, mounts ...plan.Mount) *plan.Run {
	return &plan.Run{Args: []string{"/bin/sh", "-c", script}, Dir: rustSrc, Env: b.env, BuildArgs: true, ArgsFirst: true, Mounts: mounts}
}

func (b *build) auditStep() plan.Step {
	return plan.Step{N: 5, Name: "dependency list for the binary (" + cargoAuditSection + ")", SpecPath: b.specPath,
		Why:   "the lock's dependencies of the app, for the binary to carry: the image needs no Cargo.lock to be scanned",
		Files: []plan.FileAction{{Mkfile: &plan.Mkfile{Path: "/" + cargoAuditSection, Mode: 0o644, Data: string(b.audit)}}}}
}

// manifestsStep: the manifests, the lock, the cargo configuration and
// vendored sources, and a stub for every target.
func (b *build) manifestsStep() plan.Step {
	cp := b.cargo
	fa := []plan.FileAction{{Mkdir: &plan.Mkdir{Path: rustSrc, Mode: 0o755, Parents: true}}}
	from := func(p string, contents bool) plan.FileAction {
		return plan.FileAction{Copy: &plan.Copy{From: plan.Context, Src: "/" + p, Dest: path.Join(rustSrc, p), CreateDest: true, Contents: contents}}
	}
	for _, m := range cp.Manifests {
		fa = append(fa, from(m, false))
	}
	fa = append(fa, plan.FileAction{Copy: &plan.Copy{From: plan.Context, Src: "/" + cargoLock, Dest: rustSrc + "/" + cargoLock}})
	for _, c := range cp.Configs {
		fa = append(fa, from(c, false))
	}
	for _, d := range cp.SourceDirs {
		fa = append(fa, from(d, true))
	}
	for _, st := range cp.Stubs {
		p := path.Join(rustSrc, st.Path)
		fa = append(fa, plan.FileAction{Mkdir: &plan.Mkdir{Path: path.Dir(p), Mode: 0o755, Parents: true}},
			plan.FileAction{Mkfile: &plan.Mkfile{Path: p, Mode: 0o644, Data: st.Data}})
	}
	return plan.Step{N: 1, Name: "copy Cargo.toml, Cargo.lock and stub targets", SpecPath: b.specPath,
		Why:   "what the dependencies are made from, with empty stand-ins for the sources: a source edit leaves the next two steps cached",
		Files: fa}
}

func (b *build) fetchStep() plan.Step {
	fetch := lang.ShellJoin([]string{"cargo", "fetch", "--locked", "--target", b.triple})
	return plan.Step{N: 2, Name: "cargo fetch --locked", SpecPath: b.specPath,
		Why: "the crates the lock names, for the target, into $CARGO_HOME in this step's layer, which a registry cache carries",
		Run: b.run(rustScript(b.in.CA, "", "", fetch))}
}

func (b *build) depsStep() plan.Step {
	return plan.Step{N: 3, Name: "cargo build --release (dependencies of " + b.cargo.Package + ")", SpecPath: b.specPath,
		Why: "the dependencies compiled against the stubs, into the target directory in this step's layer",
		Run: b.run(rustScript(b.in.CA, b.triple, b.linker, lang.ShellJoin(b.cargoBuild)))}
}

// sourcesStep: the sources replace the stubs. The toolchain file was read
// at conversion (it chose the builder): left in /src, rustup in the
// official image would switch toolchains or download what it lists.
func (b *build) sourcesStep() plan.Step {
	var fa []plan.FileAction
	for _, st := range b.cargo.Stubs {
		fa = append(fa, plan.FileAction{Rm: &plan.Rm{Path: path.Join(rustSrc, st.Path), AllowNotFound: true}})
	}
	fa = append(fa, plan.FileAction{Copy: &plan.Copy{From: plan.Context, Src: "/", Dest: rustSrc + "/", Contents: true,
		Exclude: []string{"target", rustToolchainToml, rustToolchainLegacy}}})
	return plan.Step{N: 4, Name: "copy sources", SpecPath: b.specPath,
		Why: "the sources replace the stubs; target/ and the toolchain file stay out", Files: fa}
}

// appStep builds the app on top of the compiled dependencies (cargo
// compiles the workspace's own crates only) and copies the binary out.
func (b *build) appStep(out string) plan.Step {
	s := b.in.Spec
	appBuild := slices.Concat(b.cargoBuild, []string{"--bin", b.cargo.Bin})
	script := rustScript(b.in.CA, b.triple, b.linker, rustTouch+" && "+lang.ShellJoin(appBuild),
		rustCopyOut(b.triple, b.linker, b.cargo.Bin, out, b.static)...)
	audit := plan.StageRef(stageAudit)
	return plan.Step{N: 5, Name: strings.Join(appBuild[:3], " ") + " --bin " + b.cargo.Bin, SpecPath: binPath(s),
		Why: "the app's own crates only, stripped; the binary gets its dependency list and, when static, is checked to need no loader",
		Run: b.run(script, plan.Mount{Target: rustMeta, From: &audit})}
}

func binPath(s *spec.Spec) string {
	return lang.SpecPath(s, "rust/bin", "rust")
}
