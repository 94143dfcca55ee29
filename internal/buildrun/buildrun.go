// Package buildrun drives one build of a spec directory on a BuildKit
// daemon, the way buildctl does, and records what the build showed. The
// integration tests and the benchmark share it.
package buildrun

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"github.com/moby/buildkit/client"
	gateway "github.com/moby/buildkit/frontend/gateway/client"
	"github.com/moby/buildkit/session"
	"github.com/moby/buildkit/session/secrets/secretsprovider"
	digest "github.com/opencontainers/go-digest"
	"github.com/pkg/errors"
	"github.com/tonistiigi/fsutil"
)

// Options describe one build.
type Options struct {
	Dir      string            // context and spec directory
	Filename string            // spec file name; default Dockerfile
	Attrs    map[string]string // frontend attrs: build-arg:..., vcs:..., requestid
	Secrets  map[string][]byte // build secrets; the ca bundle is added by CASecret
	// BuildFunc runs a frontend in this process; nil means dockerfile.v0,
	// which forwards to the image named on the spec's `# syntax=` line.
	BuildFunc gateway.BuildFunc
	OCITar    string // export the image as an OCI tar here ("" = no export)
	LocalDir  string // export the result's files into this directory ("" = no export)
	// Push pushes the image to this name (a plain-HTTP registry is fine).
	Push    string
	NoCache bool
	// AsBuilt exports layers as the frontend made them: the exporter is not
	// asked to rewrite file times to SOURCE_DATE_EPOCH.
	AsBuilt bool
	// CacheExports and CacheImports are --cache-to and --cache-from.
	CacheExports []client.CacheOptionsEntry
	CacheImports []client.CacheOptionsEntry
}

// Result is what a build returned and showed.
type Result struct {
	Response *client.SolveResponse
	Vertices map[string]*client.Vertex // by progress name, last state
	// LoadedFromCache names the vertices reported CACHED at some point. The
	// last state can say otherwise: a result loaded from an imported cache
	// reports the lazy pull of its base layers under the same vertex.
	LoadedFromCache map[string]bool
	Warnings        []*client.VertexWarning
	Logs            string
	// VertexLogs is each vertex's own output (stdout and stderr), by
	// progress name.
	VertexLogs map[string]string
	// Metadata of the in-process frontend's result (subrequests).
	Metadata map[string][]byte
}

// CASecret is the extra CA bundle build steps need for TLS egress behind an
// intercepting proxy: the file SSL_CERT_FILE names, when set.
func CASecret() map[string][]byte {
	m := map[string][]byte{}
	if f := os.Getenv("SSL_CERT_FILE"); f != "" {
		if dt, err := os.ReadFile(f); err == nil {
			m["ca"] = dt
		}
	}
	return m
}

// Build runs one build on c.
func Build(ctx context.Context, c *client.Client, o Options) (*Result, error) {
	fs, err := fsutil.NewFS(o.Dir)
	if err != nil {
		return nil, errors.Wrapf(err, "opening %s", o.Dir)
	}
	attrs := map[string]string{}
	if o.Filename != "" {
		attrs["filename"] = o.Filename
	}
	for k, v := range o.Attrs {
		attrs[k] = v
	}
	if o.NoCache {
		attrs["no-cache"] = ""
	}
	secrets := CASecret()
	for k, v := range o.Secrets {
		secrets[k] = v
	}
	opt := client.SolveOpt{
		LocalMounts:   map[string]fsutil.FS{"context": fs, "dockerfile": fs},
		FrontendAttrs: attrs,
		Session:       []session.Attachable{secretsprovider.FromMap(secrets)},
		CacheExports:  o.CacheExports,
		CacheImports:  o.CacheImports,
	}
	exportAttrs := func(extra map[string]string) map[string]string {
		if !o.AsBuilt {
			extra["rewrite-timestamp"] = "true"
		}
		return extra
	}
	if o.OCITar != "" {
		f, err := os.Create(o.OCITar)
		if err != nil {
			return nil, err
		}
		opt.Exports = append(opt.Exports, client.ExportEntry{
			Type:   client.ExporterOCI,
			Attrs:  exportAttrs(map[string]string{}),
			Output: func(map[string]string) (io.WriteCloser, error) { return f, nil },
		})
	}
	if o.Push != "" {
		opt.Exports = append(opt.Exports, client.ExportEntry{
			Type:  client.ExporterImage,
			Attrs: exportAttrs(map[string]string{"name": o.Push, "push": "true", "registry.insecure": "true"}),
		})
	}
	if o.LocalDir != "" {
		opt.Exports = append(opt.Exports, client.ExportEntry{Type: client.ExporterLocal, OutputDir: o.LocalDir})
	}
	ch := make(chan *client.SolveStatus)
	res := &Result{Vertices: map[string]*client.Vertex{}, LoadedFromCache: map[string]bool{}}
	var wg sync.WaitGroup
	var logs strings.Builder
	names := map[digest.Digest]string{}
	byVertex := map[digest.Digest]*strings.Builder{}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for s := range ch {
			for _, v := range s.Vertexes {
				res.Vertices[v.Name] = v
				names[v.Digest] = v.Name
				if v.Cached {
					res.LoadedFromCache[v.Name] = true
				}
				if v.Error != "" {
					fmt.Fprintf(&logs, "vertex %q error: %s\n", v.Name, v.Error)
				}
			}
			for _, l := range s.Logs {
				logs.Write(l.Data)
				b := byVertex[l.Vertex]
				if b == nil {
					b = &strings.Builder{}
					byVertex[l.Vertex] = b
				}
				b.Write(l.Data)
			}
			res.Warnings = append(res.Warnings, s.Warnings...)
		}
	}()
	if o.BuildFunc != nil {
		fn := func(ctx context.Context, gc gateway.Client) (*gateway.Result, error) {
			r, err := o.BuildFunc(ctx, gc)
			if r != nil {
				res.Metadata = r.Metadata
			}
			return r, err
		}
		res.Response, err = c.Build(ctx, opt, "safe-frontend", fn, ch)
	} else {
		opt.Frontend = "dockerfile.v0"
		res.Response, err = c.Solve(ctx, nil, opt, ch)
	}
	wg.Wait()
	res.Logs = logs.String()
	res.VertexLogs = map[string]string{}
	for d, b := range byVertex {
		res.VertexLogs[names[d]] += b.String()
	}
	return res, err
}
