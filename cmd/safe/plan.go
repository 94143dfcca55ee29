package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/containerd/platforms"
	"github.com/moby/buildkit/client"

	"github.com/org/safe-frontend/frontend"
	"github.com/org/safe-frontend/internal/buildrun"
	"github.com/org/safe-frontend/llbgen"
	"github.com/org/safe-frontend/policy"
	"github.com/org/safe-frontend/spec"
)

const planUsage = `usage: safe plan [--format text|json] [--platform P] SPEC

Prints what a build of SPEC does, stage by stage: each step, its mounts,
and the layers of the final image. Offline: the project files the
language reads are taken from the spec's directory.
`

func planCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("plan", flag.ContinueOnError)
	fs.SetOutput(stderr)
	format := fs.String("format", "text", "text or json")
	platform := fs.String("platform", platforms.DefaultString(), "target platform")
	if err := fs.Parse(args); err != nil || fs.NArg() != 1 || (*format != "text" && *format != "json") {
		fmt.Fprint(stderr, planUsage)
		return exitUsage
	}
	target, err := platforms.Parse(*platform)
	if err != nil {
		fmt.Fprintf(stderr, "safe plan: --platform: %v\n", err)
		return exitUsage
	}
	sp, code, err := specForBuild(fs.Arg(0))
	if err != nil {
		fmt.Fprintf(stderr, "safe plan: %v\n", err)
		return code
	}
	files := specDirFiles(filepath.Dir(fs.Arg(0)), llbgen.ContextFiles(sp))
	llbgen.ApplyContext(sp, files)
	pl, err := llbgen.PlanOf(sp, files, target, platforms.DefaultSpec(), filepath.Base(fs.Arg(0)))
	if err != nil {
		fmt.Fprintf(stderr, "safe plan: %v\n", err)
		return exitFindings
	}
	if *format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(pl); err != nil {
			return exitUsage
		}
		return exitOK
	}
	fmt.Fprint(stdout, pl.Text())
	return exitOK
}

// specForBuild reads and checks a spec the way a build does: errors refuse.
func specForBuild(path string) (*spec.Spec, int, error) {
	data, err := readSpec(path, nil)
	if err != nil {
		return nil, exitUsage, err
	}
	name := filepath.Base(path)
	sp, report := policy.Lint(name, data)
	if errs := report.Errors(); len(errs) > 0 || sp == nil {
		msg := "the spec has errors; fix them first (safe lint " + path + ")"
		if len(errs) > 0 {
			f := errs[0]
			msg = fmt.Sprintf("%s:%d: %s %s: %s; %s", name, f.Range.Start.Line, f.Rule.ID, f.Rule.Name, f.Message, msg)
		}
		return nil, exitFindings, errors.New(msg)
	}
	return sp, exitOK, nil
}

const ejectUsage = `usage: safe eject [-o DIR] [--force] [--addr ADDR] SPEC

Writes a Dockerfile and .dockerignore that build the image SPEC builds:
the same stages, steps, cache and secret mounts and final layers, the bases
pinned by the digests the daemon resolves (or SPEC's lock). Without
--force no existing file is overwritten.

  -o       directory to write to (default: the spec's directory)
  --addr   BuildKit daemon (default: $BUILDKIT_HOST, else ` + defaultBuildkitHost + `)
`

func ejectCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("eject", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("o", "", "output directory")
	force := fs.Bool("force", false, "overwrite existing files")
	addr := fs.String("addr", "", "BuildKit daemon address")
	if err := fs.Parse(args); err != nil || fs.NArg() != 1 {
		fmt.Fprint(stderr, ejectUsage)
		return exitUsage
	}
	specPath := fs.Arg(0)
	if _, code, err := specForBuild(specPath); err != nil {
		fmt.Fprintf(stderr, "safe eject: %v\n", err)
		return code
	}
	dir := *out
	if dir == "" {
		dir = filepath.Dir(specPath)
	}
	names := []string{"Dockerfile", ".dockerignore"}
	if !*force {
		for _, n := range names {
			if p := filepath.Join(dir, n); exists(p) {
				fmt.Fprintf(stderr, "safe eject: %s exists; pass --force to overwrite it, or -o another directory\n", p)
				return exitUsage
			}
		}
	}
	if err := eject(specPath, dir, names, daemonAddr(*addr)); err != nil {
		fmt.Fprintf(stderr, "safe eject: %v\n", err)
		return exitUsage
	}
	for _, n := range names {
		fmt.Fprintf(stdout, "wrote %s\n", filepath.Join(dir, n))
	}
	return exitOK
}

// eject runs the frontend's dockerfile target on the daemon and moves what
// it wrote into dir.
func eject(specPath, dir string, names []string, addr string) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	c, err := client.New(ctx, addr)
	if err != nil {
		return fmt.Errorf("connecting to BuildKit at %s: %w", addr, err)
	}
	defer c.Close()
	tmp, err := os.MkdirTemp("", "safe-eject-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	res, err := buildrun.Build(ctx, c, buildrun.Options{Dir: filepath.Dir(specPath), Filename: filepath.Base(specPath),
		Attrs: map[string]string{"target": "dockerfile"}, BuildFunc: frontend.Build, LocalDir: tmp})
	if err != nil {
		if res != nil {
			return fmt.Errorf("%w\n%s", err, res.Logs)
		}
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, n := range names {
		dt, err := os.ReadFile(filepath.Join(tmp, n))
		if err != nil {
			return err
		}
		if err := writeFileAtomic(filepath.Join(dir, n), dt); err != nil {
			return err
		}
	}
	return nil
}

func daemonAddr(addr string) string {
	if addr == "" {
		addr = os.Getenv("BUILDKIT_HOST")
	}
	if addr == "" {
		addr = defaultBuildkitHost
	}
	return addr
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return !errors.Is(err, fs.ErrNotExist)
}
