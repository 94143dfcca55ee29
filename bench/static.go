package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/moby/buildkit/client"

	"github.com/org/safe-frontend/internal/buildrun"
	"github.com/org/safe-frontend/internal/dockerrun"
	"github.com/org/safe-frontend/internal/hardened"
)

// The static site measured against a hand-written nginx peer: image size
// over the site's own bytes, requests per second for a small asset and
// for index.html under a bounded loopback load, and idle memory.
const (
	staticSite  = "static-public"
	staticPeer  = "bench/static-nginx.Dockerfile"
	staticAsset = "/assets/site.3f2a9c1d.css"
	staticLoad  = 5 * time.Second
	staticConns = 16
	// A port of the benchmark's own: the containers share the host's
	// network with the tests' (which use 8080).
	staticAddr     = "127.0.0.1:18090"
	staticSizeGoal = 3 << 20 // the image may exceed the site by this much
)

// staticSide is one image of the comparison and its figures.
type staticSide struct {
	name, tar, user string
	args            []string  // for the container, to listen on staticAddr
	size            int64     // compressed image
	rss             []int64   // idle memory, each run
	asset, index    []float64 // requests per second, each run
}

// measureStatic builds both images once, then runs each in turn, runs
// times, on the stack's Docker Engine.
func measureStatic(ctx context.Context, c *client.Client, work string, runs int, frontendAttrs map[string]string) (string, []tableRows, error) {
	src := filepath.Join("integration", "testdata", staticSite)
	site, err := siteBytes(filepath.Join(src, "public"))
	if err != nil {
		return "", nil, err
	}
	ours := &staticSide{name: "safe-frontend", tar: filepath.Join(work, "static-ours.oci.tar"), user: dockerrun.DefaultUser, args: []string{"-listen=" + staticAddr}}
	peer := &staticSide{name: "nginx (Debian)", tar: filepath.Join(work, "static-nginx.oci.tar"), user: "101:101"}
	if _, err := buildrun.Build(ctx, c, buildrun.Options{Dir: src, Attrs: frontendAttrs, OCITar: ours.tar}); err != nil {
		return "", nil, fmt.Errorf("building %s: %w", src, err)
	}
	peerDir, err := copyWith(src, filepath.Join(work, "static-nginx"), staticPeer)
	if err != nil {
		return "", nil, err
	}
	if _, err := buildrun.Build(ctx, c, buildrun.Options{Dir: peerDir, OCITar: peer.tar}); err != nil {
		return "", nil, fmt.Errorf("building %s: %w", staticPeer, err)
	}
	e, err := dockerUp(ctx)
	if err != nil {
		return "", nil, err
	}
	for _, s := range []*staticSide{ours, peer} {
		img, err := hardened.Open(s.tar)
		if err != nil {
			return "", nil, err
		}
		s.size = img.CompressedSize()
	}
	for i := 0; i < runs; i++ {
		// Alternate who goes first, so the machine's load hits both alike.
		order := []*staticSide{ours, peer}
		if i%2 == 1 {
			slices.Reverse(order)
		}
		for _, s := range order {
			if err := s.run(ctx, e, i); err != nil {
				return "", nil, fmt.Errorf("%s: %w", s.name, err)
			}
		}
	}
	return renderStatic(site, ours, peer, runs), []tableRows{staticRows(site, ours, peer)}, nil
}

// run starts the image hardened, waits for it to answer, measures its
// idle memory, then loads it.
func (s *staticSide) run(ctx context.Context, e *dockerrun.Engine, i int) error {
	ref := fmt.Sprintf("safe-bench/%s:%d", strings.ReplaceAll(strings.Fields(s.name)[0], "-", ""), time.Now().UnixNano())
	if _, err := e.Load(ctx, s.tar, ref); err != nil {
		return err
	}
	defer e.RemoveImage(context.WithoutCancel(ctx), ref)
	ct, err := e.Run(ctx, dockerrun.RunOptions{Image: ref, Name: fmt.Sprintf("safe-bench-static-%d", time.Now().UnixNano()), User: s.user, Args: s.args})
	if err != nil {
		return err
	}
	defer ct.Remove(context.WithoutCancel(ctx))
	if err := waitAnswer(ctx, "http://"+staticAddr+"/", 30*time.Second); err != nil {
		stdout, stderr, _ := ct.Logs(ctx)
		return fmt.Errorf("%w\n%s%s", err, stdout, stderr)
	}
	time.Sleep(2 * time.Second)
	procs, err := ct.Processes(ctx)
	if err != nil {
		return err
	}
	var rss int64
	for _, p := range procs {
		rss += vmRSS(p.PID)
	}
	s.rss = append(s.rss, rss)
	asset, err := load(ctx, "http://"+staticAddr+staticAsset)
	if err != nil {
		return err
	}
	index, err := load(ctx, "http://"+staticAddr+"/")
	if err != nil {
		return err
	}
	s.asset, s.index = append(s.asset, asset), append(s.index, index)
	fmt.Fprintf(os.Stderr, "bench: %s run %d: %.0f req/s asset, %.0f req/s index.html, idle RSS %.1f MiB\n", s.name, i+1, asset, index, mib(rss))
	return nil
}

// load is a bounded loopback load: staticConns keep-alive connections
// asking for one URL for staticLoad; requests per second answered 200.
func load(ctx context.Context, url string) (float64, error) {
	tr := &http.Transport{MaxIdleConnsPerHost: staticConns, DisableCompression: true}
	defer tr.CloseIdleConnections()
	cl := &http.Client{Transport: tr, Timeout: 5 * time.Second}
	var ok, bad atomic.Int64
	deadline := time.Now().Add(staticLoad)
	var wg sync.WaitGroup
	for range staticConns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) && ctx.Err() == nil {
				resp, err := cl.Get(url)
				if err != nil {
					bad.Add(1)
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					ok.Add(1)
				} else {
					bad.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if bad.Load() > 0 {
		return 0, fmt.Errorf("%s: %d of %d requests failed", url, bad.Load(), ok.Load()+bad.Load())
	}
	return float64(ok.Load()) / staticLoad.Seconds(), ctx.Err()
}

func waitAnswer(ctx context.Context, url string, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return fmt.Errorf("%s did not answer 200 within %s", url, limit)
}

// vmRSS is a process's resident memory in bytes (0 once it is gone).
func vmRSS(pid int) int64 {
	dt, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	sc := bufio.NewScanner(bytes.NewReader(dt))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// siteBytes is what the site's files weigh, dotfiles left out as the
// image leaves them out.
func siteBytes(dir string) (int64, error) {
	var n int64
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if strings.HasPrefix(d.Name(), ".") && p != dir {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.Type().IsRegular() {
			fi, err := d.Info()
			if err != nil {
				return err
			}
			n += fi.Size()
		}
		return nil
	})
	return n, err
}

// copyWith copies a fixture's tree to dst and, unless dockerfile is "",
// replaces its spec with that Dockerfile.
func copyWith(src, dst, dockerfile string) (string, error) {
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		dt, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), dt, 0o644)
	})
	if err != nil {
		return "", err
	}
	if dockerfile == "" {
		return dst, nil
	}
	dt, err := os.ReadFile(dockerfile)
	if err != nil {
		return "", err
	}
	return dst, os.WriteFile(filepath.Join(dst, "Dockerfile"), dt, 0o644)
}

// dockerUp starts (or finds) the stack's Docker Engine.
func dockerUp(ctx context.Context) (*dockerrun.Engine, error) {
	out, err := exec.CommandContext(ctx, filepath.Join("hack", "stack"), "docker-up").Output()
	if err != nil {
		return nil, fmt.Errorf("hack/stack docker-up: %w", err)
	}
	for _, l := range strings.Split(string(out), "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(l), "export "+dockerrun.HostEnv+"="); ok {
			return &dockerrun.Engine{Host: v}, nil
		}
	}
	return nil, fmt.Errorf("hack/stack docker-up printed no %s line", dockerrun.HostEnv)
}

func staticRows(site int64, ours, peer *staticSide) tableRows {
	row := func(what, a, b, goal string) string {
		return fmt.Sprintf("| %s | %s | %s | %s | %s |", staticSite, what, a, b, goal)
	}
	over := ours.size - site
	return tableRows{header: staticTable, keyCells: 2, rows: []string{
		row("image over the site, compressed (MiB)", fmt.Sprintf("%.2f", mib(over)), fmt.Sprintf("%.2f", mib(peer.size-site)), verdict(over <= staticSizeGoal, "at most 3")),
		row("requests/s, "+staticAsset, fmt.Sprintf("%.0f", median(ours.asset)), fmt.Sprintf("%.0f", median(peer.asset)), verdict(median(ours.asset) >= median(peer.asset), "at least nginx's")),
		row("requests/s, /", fmt.Sprintf("%.0f", median(ours.index)), fmt.Sprintf("%.0f", median(peer.index)), verdict(median(ours.index) >= median(peer.index), "at least nginx's")),
		row("idle memory, all processes (MiB)", fmt.Sprintf("%.1f", mib(median(ours.rss))), fmt.Sprintf("%.1f", mib(median(peer.rss))), verdict(median(ours.rss) <= median(peer.rss), "at most nginx's")),
	}}
}

func verdict(met bool, goal string) string {
	if met {
		return goal + ": met"
	}
	return goal + ": **not met**"
}

func renderStatic(site int64, ours, peer *staticSide, runs int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "## %s (served)\n\nSite %d bytes; %d run(s), %d connections for %s per URL, medians.\n\n", staticSite, site, runs, staticConns, staticLoad)
	t := staticRows(site, ours, peer)
	b.WriteString(t.header + "\n|---|---|---|---|---|\n")
	for _, r := range t.rows {
		b.WriteString(r + "\n")
	}
	return b.String()
}
