package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/containerd/platforms"
	"github.com/moby/buildkit/client"
	gateway "github.com/moby/buildkit/frontend/gateway/client"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/org/safe-frontend/frontend"
	"github.com/org/safe-frontend/llbgen"
	"github.com/org/safe-frontend/lock"
	"github.com/org/safe-frontend/policy"
)

// defaultBuildkitHost is buildctl's default daemon address.
const defaultBuildkitHost = "unix:///run/buildkit/buildkitd.sock"

const lockUsage = `usage: safe lock [--update] [--platform P[,P...]] [--build-platform P[,P...]] [--addr ADDR] SPEC

Resolves every base image SPEC needs through the BuildKit daemon (so its
registry mirrors apply) and writes their digests to SPEC.lock, next to the
spec. Builds use the locked digests while the lock is in the build's
dockerfile directory. Without --update, pins already in the lock are kept
and only missing ones are resolved; --update resolves every base again.

  --platform        target platforms to pin the final base for (default: those
                    the lock already pins, else the daemon's)
  --build-platform  platforms builder stages run on (default: likewise)
  --addr            BuildKit daemon (default: $BUILDKIT_HOST, else ` + defaultBuildkitHost + `)
`

// platformList is a repeatable, comma-separated --platform flag.
type platformList []ocispecs.Platform

func (p *platformList) String() string {
	var s []string
	for _, v := range *p {
		s = append(s, platforms.Format(v))
	}
	return strings.Join(s, ",")
}

func (p *platformList) Set(v string) error {
	for _, part := range strings.Split(v, ",") {
		pl, err := platforms.Parse(strings.TrimSpace(part))
		if err != nil {
			return err
		}
		*p = append(*p, platforms.Normalize(pl))
	}
	return nil
}

func lockCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("safe lock", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, lockUsage) }
	var targets, builds platformList
	fs.Var(&targets, "platform", "target platforms")
	fs.Var(&builds, "build-platform", "build platforms")
	update := fs.Bool("update", false, "resolve every base again")
	addr := fs.String("addr", "", "BuildKit daemon address")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if fs.NArg() != 1 || fs.Arg(0) == "-" {
		fmt.Fprint(stderr, "safe lock: give exactly one spec file\n"+lockUsage)
		return exitUsage
	}
	if *addr == "" {
		*addr = os.Getenv("BUILDKIT_HOST")
	}
	if *addr == "" {
		*addr = defaultBuildkitHost
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	code, err := writeLock(ctx, lockRequest{specPath: fs.Arg(0), addr: *addr, targets: targets, builds: builds, update: *update}, stdout)
	if err != nil {
		fmt.Fprintf(stderr, "safe lock: %v\n", err)
	}
	return code
}

type lockRequest struct {
	specPath        string
	addr            string
	targets, builds []ocispecs.Platform
	update          bool
}

// writeLock resolves and writes the lock of one spec; it reports each
// change on stdout.
func writeLock(ctx context.Context, r lockRequest, stdout io.Writer) (int, error) {
	data, err := readSpec(r.specPath, nil)
	if err != nil {
		return exitUsage, err
	}
	specName := filepath.Base(r.specPath)
	sp, report := policy.Lint(specName, data)
	if errs := report.Errors(); len(errs) > 0 || sp == nil {
		msg := "the spec has errors; fix them first (safe lint " + r.specPath + ")"
		if len(errs) > 0 {
			f := errs[0]
			msg = fmt.Sprintf("%s:%d: %s %s: %s; %s", specName, f.Range.Start.Line, f.Rule.ID, f.Rule.Name, f.Message, msg)
		}
		return exitFindings, errors.New(msg)
	}
	// The bases can depend on the context (the release a
	// rust-toolchain.toml pins): the spec's directory is the usual one.
	llbgen.ApplyContext(sp, specDirFiles(filepath.Dir(r.specPath), llbgen.ContextFiles(sp)))
	lockPath := lock.Name(r.specPath)
	lockName := lock.Name(specName)
	var old *lock.File
	oldData, err := os.ReadFile(lockPath)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return exitUsage, err
	default:
		if old, err = lock.Parse(lockName, specName, oldData); err != nil {
			if !r.update {
				return exitFindings, fmt.Errorf("%w\n(--update rewrites it from scratch)", err)
			}
			old = nil // --update rewrites a broken lock from scratch
		}
	}

	c, err := client.New(ctx, r.addr)
	if err != nil {
		return exitUsage, fmt.Errorf("connecting to BuildKit at %s: %w", r.addr, err)
	}
	defer c.Close()
	var next *lock.File
	var changes []frontend.LockChange
	_, err = c.Build(ctx, client.SolveOpt{}, "safe lock", func(ctx context.Context, gc gateway.Client) (*gateway.Result, error) {
		var err error
		next, changes, err = frontend.ResolveLock(ctx, gc, sp, r.builds, r.targets, old, r.update)
		if err != nil {
			return nil, err
		}
		return gateway.NewResult(), nil
	}, nil)
	if err != nil {
		return exitUsage, fmt.Errorf("resolving the bases of %s through %s (the daemon is $BUILDKIT_HOST or --addr): %w", r.specPath, r.addr, err)
	}
	out, err := next.Marshal(specName)
	if err != nil {
		return exitUsage, err
	}
	for _, ch := range changes {
		switch {
		case ch.Removed != "":
			fmt.Fprintf(stdout, "%s: removed %s %s (%s)\n", lockName, ch.Entry.String(), ch.Entry.Digest, ch.Removed)
		case ch.Was == "":
			fmt.Fprintf(stdout, "%s: pinned  %s %s\n", lockName, ch.Entry.String(), ch.Entry.Digest)
		default:
			fmt.Fprintf(stdout, "%s: updated %s %s -> %s\n", lockName, ch.Entry.String(), ch.Was, ch.Entry.Digest)
		}
	}
	if bytes.Equal(out, oldData) {
		fmt.Fprintf(stdout, "%s: up to date (%d bases)\n", lockName, len(next.Bases))
		return exitOK, nil
	}
	if err := writeFileAtomic(lockPath, out); err != nil {
		return exitUsage, err
	}
	fmt.Fprintf(stdout, "%s: wrote %d bases\n", lockName, len(next.Bases))
	return exitOK, nil
}

// writeFileAtomic replaces path in one rename, so a build never reads half
// a lock.
func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// specDirFiles reads the context files a language names that are plain
// paths (not patterns) from dir; missing ones are left out.
func specDirFiles(dir string, names []string) map[string][]byte {
	out := map[string][]byte{}
	for _, n := range names {
		if strings.ContainsAny(n, "*?[") {
			continue
		}
		if dt, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(n))); err == nil {
			out[n] = dt
		}
	}
	return out
}
