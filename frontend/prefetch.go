package frontend

import (
	"context"
	"strings"
	"sync"

	"github.com/containerd/platforms"
	"github.com/distribution/reference"
	"github.com/moby/buildkit/client/llb/sourceresolver"
	"github.com/moby/buildkit/frontend/dockerui"
	"github.com/moby/buildkit/frontend/gateway/client"
	digest "github.com/opencontainers/go-digest"

	"github.com/org/safe-frontend/llbgen"
	"github.com/org/safe-frontend/lock"
)

// resolveMemo answers a ResolveImageConfig the build asks twice (once
// ahead of time, once when the bases are pinned) with one registry round
// trip: the base resolves then overlap the reads of .dockerignore and the
// manifests instead of waiting for them.
type resolveMemo struct {
	client.Client
	mu sync.Mutex
	m  map[string]*resolved
}

type resolved struct {
	done chan struct{}
	ref  string
	dgst digest.Digest
	dt   []byte
	err  error
}

func newResolveMemo(c client.Client) *resolveMemo {
	return &resolveMemo{Client: c, m: map[string]*resolved{}}
}

// resolveKey identifies an image resolve; ok is false for one the memo
// leaves alone (anything but a plain image resolve by name and platform).
func resolveKey(ref string, opt sourceresolver.Opt) (string, bool) {
	io := opt.ImageOpt
	if io == nil || io.Platform == nil || io.NoConfig || io.AttestationChain || len(io.ResolveAttestations) > 0 ||
		len(opt.SourcePolicies) > 0 || opt.OCILayoutOpt != nil || opt.GitOpt != nil || opt.HTTPOpt != nil {
		return "", false
	}
	return strings.Join([]string{ref, platforms.FormatAll(*io.Platform), io.ResolveMode, opt.LogName}, "\x00"), true
}

// ResolveImageConfig returns what an earlier identical resolve returned,
// waiting for it if it is under way; a failed one is asked again.
func (r *resolveMemo) ResolveImageConfig(ctx context.Context, ref string, opt sourceresolver.Opt) (string, digest.Digest, []byte, error) {
	key, ok := resolveKey(ref, opt)
	if !ok {
		return r.Client.ResolveImageConfig(ctx, ref, opt)
	}
	r.mu.Lock()
	e, found := r.m[key]
	if !found {
		e = &resolved{done: make(chan struct{})}
		r.m[key] = e
	}
	r.mu.Unlock()
	if !found {
		e.ref, e.dgst, e.dt, e.err = r.Client.ResolveImageConfig(ctx, ref, opt)
		close(e.done)
		return e.ref, e.dgst, e.dt, e.err
	}
	select {
	case <-e.done:
	case <-ctx.Done():
		return "", "", nil, context.Cause(ctx)
	}
	if e.err != nil {
		return r.Client.ResolveImageConfig(ctx, ref, opt)
	}
	return e.ref, e.dgst, e.dt, nil
}

// basePrefetch starts the base resolves a build will ask for as soon as the
// lock has been read. reqs are computed from the spec before the context
// can change it; a base the context changes afterwards is simply resolved
// when it is pinned.
type basePrefetch struct {
	memo    *resolveMemo
	bc      *dockerui.Client
	reqs    []llbgen.BaseRequest
	spec    string // spec file name
	wg      sync.WaitGroup
	mu      sync.Mutex // guards stopped and wg.Add against stop
	stopped bool
	cancel  context.CancelFunc
	ctx     context.Context
}

func newBasePrefetch(ctx context.Context, memo *resolveMemo, bc *dockerui.Client, specFile string, reqs []llbgen.BaseRequest) *basePrefetch {
	if len(reqs) == 0 {
		return nil
	}
	ctx, cancel := context.WithCancel(ctx)
	p := &basePrefetch{memo: memo, bc: bc, reqs: reqs, spec: specFile, ctx: ctx, cancel: cancel}
	// What the lock does not pin (the runtime companion) starts now.
	p.start(nil, func(req llbgen.BaseRequest) bool { return !lockable(req) })
	return p
}

// lockRead starts the resolves once the lock's bytes are known (nil: no
// lock). A lock that does not read or parse starts nothing: the build
// refuses it anyway.
func (p *basePrefetch) lockRead(dt []byte, err error) {
	if p == nil || err != nil {
		return
	}
	var lk *baseLock
	if dt != nil {
		f, err := lock.Parse(lock.Name(p.spec), p.spec, dt)
		if err != nil {
			return
		}
		lk = &baseLock{file: f, spec: p.spec}
	}
	p.start(lk, lockable)
}

// start resolves the requests which says, pinned by lk (nil: no lock).
func (p *basePrefetch) start(lk *baseLock, which func(llbgen.BaseRequest) bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopped {
		return
	}
	for _, req := range p.reqs {
		if !which(req) || namedContext(p.bc, req) {
			continue
		}
		if lk != nil && lockable(req) {
			if _, ok := lk.file.Lookup(req.Name, req.Platform); !ok {
				continue
			}
		}
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			_, _ = resolveBase(p.ctx, p.memo, p.bc, lk, req) // errors come back when the base is pinned
		}()
	}
}

// stop ends resolves nothing waited for and waits for them.
func (p *basePrefetch) stop() {
	if p == nil {
		return
	}
	p.mu.Lock()
	p.stopped = true
	p.mu.Unlock()
	p.cancel()
	p.wg.Wait()
}

// namedContext says whether --build-context overrides req's base: that
// base is loaded, not resolved, and only once, when it is pinned.
func namedContext(bc *dockerui.Client, req llbgen.BaseRequest) bool {
	named, err := reference.ParseNormalizedNamed(req.Name)
	if err != nil {
		return true // the pinning reports it
	}
	for _, name := range []string{reference.FamiliarString(named), reference.FamiliarName(named)} {
		if nc, err := bc.NamedContext(name, dockerui.ContextOpt{Platform: &req.Platform, ResolveMode: bc.ImageResolveMode.String()}); err != nil || nc != nil {
			return true
		}
	}
	return false
}
