package frontend

import (
	"context"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/containerd/platforms"
	"github.com/distribution/reference"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/client/llb/sourceresolver"
	"github.com/moby/buildkit/frontend/dockerui"
	"github.com/moby/buildkit/frontend/gateway/client"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/pkg/errors"

	"github.com/org/safe-frontend/llbgen"
	"github.com/org/safe-frontend/lock"
	"github.com/org/safe-frontend/rules"
	"github.com/org/safe-frontend/spec"
)

// Build options dockerui reads too; the lock is read the way it reads the spec.
const (
	optDockerfileKey   = "dockerfilekey"
	optContextKey      = "contextkey"
	optLocalSessionID  = "local-sessionid:"
	defaultContextName = dockerui.DefaultLocalNameContext
)

// baseLock is the spec's lock, when one sits next to it.
type baseLock struct {
	file *lock.File
	spec string // spec file name, for the fix in errors
}

// readLock reads `<spec>.lock` from where the spec came from. No lock is
// not an error: bases are then resolved from their tags. A lock that is
// malformed, lacks a base the spec needs on the build's platforms, or pins
// one the spec no longer uses, gives SF104 findings (the build refuses
// them, --check lists them); err is for the read itself.
func readLock(read func() ([]byte, error), src *dockerui.Source, sp *spec.Spec, build ocispecs.Platform, targets []ocispecs.Platform) (*baseLock, []llbgen.ContextFinding, error) {
	specFile := src.Filename
	dt, err := read()
	var le *lock.Error
	if errors.As(err, &le) {
		return nil, []llbgen.ContextFinding{lockFinding("", le)}, nil
	}
	if err != nil || dt == nil {
		return nil, nil, err
	}
	f, err := lock.Parse(lock.Name(specFile), specFile, dt)
	if errors.As(err, &le) {
		return nil, []llbgen.ContextFinding{lockFinding("", le)}, nil
	} else if err != nil {
		return nil, nil, err
	}
	return &baseLock{file: f, spec: specFile}, lockMismatches(f, specFile, sp, build, targets), nil
}

// lockFinding is an SF104 finding shown at a spec path; the message names
// the lock (and its line, where there is one) and the fix.
func lockFinding(path string, e *lock.Error) llbgen.ContextFinding {
	return llbgen.ContextFinding{Rule: rules.BaseLockMismatch, Path: path, Message: e.Error()}
}

// lockMismatches compares the lock with the bases a build of sp on build
// for targets needs: a base it does not pin at all, a base it does not pin
// for a platform the build needs, an entry the spec no longer uses.
func lockMismatches(f *lock.File, specFile string, sp *spec.Spec, build ocispecs.Platform, targets []ocispecs.Platform) []llbgen.ContextFinding {
	if len(targets) == 0 {
		targets = []ocispecs.Platform{platforms.DefaultSpec()}
	}
	var out []llbgen.ContextFinding
	var needed []string
	reported := map[string]bool{}
	for _, t := range targets {
		reqs, err := llbgen.Bases(sp, platforms.Normalize(build), platforms.Normalize(t))
		if err != nil {
			return nil // the conversion reports it, at its spec line
		}
		for _, r := range reqs {
			if !lockable(r) {
				continue
			}
			if !slices.Contains(needed, r.Name) {
				needed = append(needed, r.Name)
			}
			plat := lock.FormatPlatform(r.Platform)
			switch {
			case reported[r.Name] || reported[r.Name+" "+plat]:
			case !slices.Contains(f.Names(), r.Name):
				reported[r.Name] = true
				out = append(out, lockFinding(r.Path, &lock.Error{File: f.Filename, Fix: lock.FixFor(specFile),
					Msg: fmt.Sprintf("the lock does not match the spec: the spec needs %s, which the lock does not pin", r.Name)}))
			default:
				if _, ok := f.Lookup(r.Name, r.Platform); ok {
					continue
				}
				reported[r.Name+" "+plat] = true
				flag := "--platform"
				if r.Role == llbgen.RoleBuilder {
					flag = "--build-platform"
				}
				all := []string{plat}
				for _, e := range f.Bases {
					if e.Name == r.Name && !slices.Contains(all, e.Platform) {
						all = append(all, e.Platform)
					}
				}
				slices.Sort(all)
				out = append(out, lockFinding(r.Path, &lock.Error{File: f.Filename, Entry: r.Name + " (" + plat + ")",
					Msg: "the spec needs this base for " + plat + " but the lock does not pin it there",
					Fix: fmt.Sprintf("run `safe lock %s %s %s` (name every platform you build for: the lock keeps only those)", flag, strings.Join(all, ","), specFile)}))
			}
		}
	}
	for _, u := range f.Unused(needed) {
		out = append(out, lockFinding("language", &lock.Error{File: f.Filename, Line: u.Line(), Fix: lock.FixFor(specFile),
			Msg: fmt.Sprintf("the lock does not match the spec: the lock pins %s, which the spec no longer uses", u.String())}))
	}
	return out
}

// readLockFile returns the lock's bytes, or nil when there is none. It reads
// only that file, from the local the spec was read from (or the dockerfile
// input); a spec from a git or HTTP context has no lock.
func readLockFile(ctx context.Context, c client.Client, bc *dockerui.Client, name string) ([]byte, error) {
	opts := bc.BuildOpts().Opts
	localName, forced := opts[optDockerfileKey]
	if !forced {
		localName = dockerui.DefaultLocalNameDockerfile
		contextRef := opts[defaultContextName]
		if v, ok := opts[optContextKey]; ok {
			contextRef = opts[v]
		}
		if _, ok, _ := dockerui.DetectGitContext(contextRef, nil); ok {
			return nil, nil
		}
		if _, _, ok := dockerui.DetectHTTPContext(contextRef); ok {
			return nil, nil
		}
	}
	var st llb.State
	if inputs, err := c.Inputs(ctx); err == nil && !forced && inputs[localName].Output() != nil {
		st = inputs[localName]
	} else {
		sessionID := c.BuildOpts().SessionID
		if v, ok := opts[optLocalSessionID+localName]; ok {
			sessionID = v
		}
		st = llb.Local(localName,
			llb.FollowPaths([]string{name}),
			llb.SessionID(sessionID),
			llb.SharedKeyHint(localName+"-lock"),
			llb.WithCustomName("[internal] load base lock "+name),
			llb.Differ(llb.DiffNone, false))
	}
	def, err := st.Marshal(ctx, llb.WithCaps(c.BuildOpts().Caps))
	if err != nil {
		return nil, errors.Wrap(err, "marshalling the lock read")
	}
	res, err := c.Solve(ctx, client.SolveRequest{Definition: def.ToPB()})
	if err != nil {
		return nil, errors.Wrapf(err, "reading %s", name)
	}
	ref, err := res.SingleRef()
	if err != nil || ref == nil {
		return nil, err
	}
	entries, err := ref.ReadDir(ctx, client.ReadDirRequest{Path: path.Dir(name), IncludePattern: path.Base(name)})
	if err != nil {
		return nil, errors.Wrapf(err, "looking for %s", name)
	}
	if len(entries) == 0 {
		return nil, nil
	}
	if st := entries[0]; st.Size > lock.MaxSize {
		return nil, &lock.Error{File: name, Msg: fmt.Sprintf("the lock is %d bytes, more than the %d a lock may have", st.Size, lock.MaxSize)}
	}
	dt, err := ref.ReadFile(ctx, client.ReadRequest{Filename: name, Range: &client.FileRange{Length: lock.MaxSize + 1}})
	if err != nil {
		return nil, errors.Wrapf(err, "reading %s", name)
	}
	return dt, nil
}

// lockable says whether a base belongs in the lock: the images the spec
// chooses (builder, final). The runtime companion image is not: it comes
// with the frontend release, pinned in its binary, and must match it; pin
// the frontend (`# syntax=org/safe-frontend:1@sha256:...`) to pin it.
func lockable(req llbgen.BaseRequest) bool {
	return req.Role != llbgen.RoleRuntime && req.Role != llbgen.RoleTools
}

// pin is the reference a locked base is pulled by: its name at the locked
// digest. A base the lock lacks is an error naming the entry and the fix.
func (l *baseLock) pin(req llbgen.BaseRequest) (reference.Named, error) {
	e, ok := l.file.Lookup(req.Name, req.Platform)
	if !ok {
		return nil, &lock.Error{File: l.file.Filename, Entry: req.Name + " (" + lock.FormatPlatform(req.Platform) + ")",
			Msg: "the spec needs this base but the lock does not pin it: the lock does not match the spec",
			Fix: lock.FixFor(l.spec)}
	}
	named, err := reference.ParseNormalizedNamed(e.Name)
	if err != nil {
		return nil, err
	}
	return reference.WithDigest(reference.TagNameOnly(named), e.Digest)
}

// LockChange is what `safe lock` did to one entry.
type LockChange struct {
	Entry lock.Entry
	// Was is the digest the old lock had ("" when the entry is new).
	Was string
	// Removed says why an entry of the old lock was dropped ("" when kept).
	Removed string
}

// ResolveLock resolves every base the spec needs on each build platform
// (builder images) and target platform (final images) through the daemon,
// so its registry mirrors apply, and returns the new lock. Platforms not
// given are those the old lock pins, else the daemon's. Pins of old are kept
// unless update is set; entries for bases or platforms no longer wanted are
// dropped.
func ResolveLock(ctx context.Context, c client.Client, sp *spec.Spec, builds, targets []ocispecs.Platform, old *lock.File, update bool) (*lock.File, []LockChange, error) {
	host := workerPlatform(c)
	roles, err := llbgen.Bases(sp, host, host)
	if err != nil {
		return nil, nil, err
	}
	role := map[string]string{}
	for _, r := range roles {
		if lockable(r) {
			role[r.Name] = r.Role
		}
	}
	if len(builds) == 0 {
		builds = lockedPlatforms(old, role, llbgen.RoleBuilder, host)
	}
	if len(targets) == 0 {
		targets = lockedPlatforms(old, role, llbgen.RoleFinal, host)
	}
	type key struct{ name, platform string }
	var want []llbgen.BaseRequest
	seen := map[key]bool{}
	for _, b := range builds {
		for _, t := range targets {
			reqs, err := llbgen.Bases(sp, platforms.Normalize(b), platforms.Normalize(t))
			if err != nil {
				return nil, nil, err
			}
			for _, r := range reqs {
				k := key{r.Name, lock.FormatPlatform(r.Platform)}
				if lockable(r) && !seen[k] {
					seen[k] = true
					want = append(want, r)
				}
			}
		}
	}
	out := &lock.File{Version: lock.Version}
	var changes []LockChange
	for _, r := range want {
		var prev lock.Entry
		var had bool
		if old != nil {
			prev, had = old.Lookup(r.Name, r.Platform)
		}
		if had && !update {
			out.Bases = append(out.Bases, prev)
			continue
		}
		_, dgst, _, err := c.ResolveImageConfig(ctx, r.Name, sourceresolver.Opt{
			LogName: "[lock] resolve " + r.Name + " (" + lock.FormatPlatform(r.Platform) + ")",
			ImageOpt: &sourceresolver.ResolveImageOpt{
				Platform:    &r.Platform,
				ResolveMode: llb.ResolveModeForcePull.String(),
			},
		})
		if err != nil {
			return nil, nil, errors.Wrapf(err, "resolving %s image %s for %s", r.Role, r.Name, lock.FormatPlatform(r.Platform))
		}
		if dgst == "" {
			return nil, nil, errors.Errorf("resolving %s for %s: the registry returned no digest", r.Name, lock.FormatPlatform(r.Platform))
		}
		e := lock.Entry{Name: r.Name, Platform: lock.FormatPlatform(r.Platform), Digest: dgst}
		out.Bases = append(out.Bases, e)
		if !had || prev.Digest != dgst {
			changes = append(changes, LockChange{Entry: e, Was: string(prev.Digest)})
		}
	}
	if old != nil {
		for _, e := range old.Bases {
			switch {
			case seen[key{e.Name, e.Platform}]:
			case role[e.Name] == "":
				changes = append(changes, LockChange{Entry: e, Removed: "the spec no longer uses it"})
			default:
				changes = append(changes, LockChange{Entry: e, Removed: "platform not requested"})
			}
		}
	}
	out.Sort()
	return out, changes, nil
}

// lockedPlatforms are the platforms old pins the bases of one role on, or
// def when it pins none.
func lockedPlatforms(old *lock.File, role map[string]string, want string, def ocispecs.Platform) []ocispecs.Platform {
	var out []ocispecs.Platform
	if old != nil {
		seen := map[string]bool{}
		for _, e := range old.Bases {
			if role[e.Name] != want || seen[e.Platform] {
				continue
			}
			if p, err := platforms.Parse(e.Platform); err == nil {
				seen[e.Platform] = true
				out = append(out, p)
			}
		}
	}
	if len(out) == 0 {
		out = []ocispecs.Platform{def}
	}
	return out
}

// workerPlatform is the daemon's own platform: where builder stages run.
func workerPlatform(c client.Client) ocispecs.Platform {
	if w := c.BuildOpts().Workers; len(w) > 0 && len(w[0].Platforms) > 0 {
		return platforms.Normalize(w[0].Platforms[0])
	}
	return platforms.DefaultSpec()
}
