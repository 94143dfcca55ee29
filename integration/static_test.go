package integration

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"debug/elf"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/andybalholm/brotli"

	"github.com/org/safe-frontend/internal/dockerrun"
)

// TestStaticSites builds the two static fixtures through `# syntax=`, a
// plain public/ directory and a Vite React build, once each, and holds
// each image to the static contract: what it holds (the server and the
// site, no shell, no dotfile, no node_modules) and, run hardened on a real
// Docker Engine, what it serves: pages, assets, 404s, traversal refused,
// Range and conditional requests, brotli and gzip, its HEALTHCHECK going
// healthy and a stop at once on SIGTERM.
func TestStaticSites(t *testing.T) {
	e := engine(t)
	dir := t.TempDir()
	for _, fx := range []struct {
		name string
		site func(t *testing.T, base string)
	}{
		{"static-public", servesPublic},
		{"static-vite", servesVite},
	} {
		t.Run(fx.name, func(t *testing.T) {
			src := filepath.Join(repoRoot, "integration", "testdata", fx.name)
			tarball := filepath.Join(dir, fx.name+".tar")
			start := time.Now()
			mustBuild(t, buildOpts{dir: src, out: tarball})
			t.Logf("%s built through # syntax= in %s", fx.name, time.Since(start).Round(time.Millisecond))
			requireStaticImage(t, tarball)
			ref := loadImage(t, e, tarball, fx.name)
			requireFreePort(t, 8080)
			c := runContainer(t, e, dockerrun.RunOptions{Image: ref})
			took, st := waitHealth(t, c, "healthy", time.Minute)
			t.Logf("figure: %s healthy %s after docker run; probe said %q", fx.name, took.Round(10*time.Millisecond), st.LastProbeOutput())
			if out := st.LastProbeOutput(); !strings.HasPrefix(out, "healthy: HTTP 200 from http://127.0.0.1:8080/healthz") {
				t.Errorf("the health check said %q, want safe-static -probe's healthy line", out)
			}
			base := "127.0.0.1:8080"
			servesSafely(t, base)
			fx.site(t, base)
			requireInitPID1(t, dockerProcesses(t, c), "safe-static")
			res := stopWithin(t, c, 2*time.Second, 0, 143)
			t.Logf("figure: %s docker stop %s, exit code %d", fx.name, res.Elapsed.Round(time.Millisecond), res.ExitCode)
			stdout, _, err := c.Logs(testContext(t))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(stdout), `"msg":"request","method":"GET","path":"/"`) || !strings.Contains(string(stdout), `"msg":"stopped"`) {
				t.Errorf("stdout lacks the JSON access log or the stop:\n%s", tail(string(stdout), 2000))
			}
		})
	}
}

// TestStaticArm64: a static site for linux/arm64 from an amd64 machine,
// without emulation: the precompression runs in the runtime image of the
// build platform, the arm64 image gets the arm64 server.
func TestStaticArm64(t *testing.T) {
	out := filepath.Join(t.TempDir(), "arm64.tar")
	res := mustBuild(t, buildOpts{dir: filepath.Join(repoRoot, "integration", "testdata", "static-public"), out: out, attrs: map[string]string{"platform": "linux/arm64"}})
	img := openImage(t, out)
	if got := img.Config.OS + "/" + img.Config.Architecture; got != "linux/arm64" {
		t.Fatalf("image platform %s, want linux/arm64", got)
	}
	f, err := elf.NewFile(bytes.NewReader(fileInImage(t, out, "usr/sbin/safe-static")))
	if err != nil {
		t.Fatalf("/usr/sbin/safe-static is not ELF: %v", err)
	}
	if f.Machine != elf.EM_AARCH64 {
		t.Errorf("safe-static is %v, want EM_AARCH64", f.Machine)
	}
	if !strings.Contains(string(fileInImage(t, out, "srv/www/.safe-static/manifest")), " assets/site.3f2a9c1d.css\n") {
		t.Error("the arm64 image's manifest lacks the stylesheet")
	}
	// The runtime image twice: for the target (the server) and for the
	// build platform (the precompression).
	vertex(t, res, "[tools] FROM docker.io/org/safe-frontend-runtime:1@")
	vertex(t, res, "[runtime] FROM docker.io/org/safe-frontend-runtime:1@")
	vertex(t, res, "[static 1/1] safe-precompress public")
}

// requireStaticImage: on scratch, the layers, the command, the health
// check (the server probing itself), the files: tini, the server and the
// site only (no probe, no CA bundle, no shell, no package manager, no
// dotfile).
func requireStaticImage(t *testing.T, tarball string) {
	t.Helper()
	img := openImage(t, tarball)
	var ours []string
	for _, l := range ourLayers(img) {
		ours = append(ours, strings.SplitN(l, ":", 2)[0])
	}
	eq(t, "our layers", ours, []string{"runtime", "server", "site"})
	eq(t, "layers", len(img.Config.RootFS.DiffIDs), 3)
	cfg := img.Config.Config
	if len(cfg.Entrypoint) < 5 || cfg.Entrypoint[2] != "/usr/sbin/safe-static" || cfg.Entrypoint[3] != "-root=/srv/www" {
		t.Errorf("Entrypoint %q, want tini running /usr/sbin/safe-static -root=/srv/www", cfg.Entrypoint)
	}
	eq(t, "User", cfg.User, "65532:65532")
	eq(t, "base", cfg.Labels["org.opencontainers.image.base.name"], "")
	sum, err := img.Summary()
	if err != nil {
		t.Fatal(err)
	}
	if hc := sum.Healthcheck; hc == nil || !slices.Equal(hc.Test, []string{"CMD", "/usr/sbin/safe-static", "-probe", "-timeout=3s", "http://127.0.0.1:8080/healthz"}) {
		t.Errorf("Healthcheck %+v, want the server probing itself", hc)
	}
	files := imageFiles(t, tarball)
	for _, want := range []string{"usr/sbin/safe-static", "usr/sbin/tini", "srv/www/index.html", "srv/www/.safe-static/manifest"} {
		if !files[want] {
			t.Errorf("the image lacks /%s", want)
		}
	}
	for name := range files {
		switch base := filepath.Base(strings.TrimSuffix(name, "/")); {
		case !strings.HasPrefix(name, "srv/") && !strings.HasSuffix(name, "/") &&
			!slices.Contains([]string{"usr/sbin/tini", "usr/sbin/safe-static", "var/lib/dpkg/status.d/tini"}, name):
			t.Errorf("the image holds /%s: only tini, the server and the site belong", name)
		case strings.Contains(name, "node_modules") || strings.Contains(name, "safe-precompress"):
			t.Errorf("a build tool reached the image: /%s", name)
		case strings.HasPrefix(name, "srv/www/") && strings.HasPrefix(base, ".") && !strings.HasPrefix(name, "srv/www/.safe-static"):
			t.Errorf("a dotfile of the site reached the image: /%s", name)
		case base == "Dockerfile" || base == "private.txt" || base == "package.json":
			t.Errorf("a file of the context outside the site reached the image: /%s", name)
		}
	}
}

// servesSafely: what holds for every site: traversal in any spelling is
// refused, dotfiles and the manifest are 404, methods other than GET and
// HEAD are 405, the security headers are set.
func servesSafely(t *testing.T, base string) {
	t.Helper()
	for _, p := range []string{"/../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/..%2f..%2fetc%2fpasswd", "/..%5c..%5cetc%5cpasswd",
		"/..\\..\\etc\\passwd", "/index.html%00.css", "/.safe-static/manifest", "/srv/www/index.html%2f"} {
		r := rawGet(t, base, "GET", p)
		if r.status != 400 && r.status != 404 {
			t.Errorf("GET %s: %d, want 400 or 404", p, r.status)
		}
		if strings.Contains(r.body, "root:x:0:0") || strings.Contains(r.body, "safe-static-manifest") || strings.Contains(r.body, "\x7fELF") {
			t.Errorf("GET %s served a file outside the site: %q", p, tail(r.body, 200))
		}
	}
	for _, m := range []string{"POST", "PUT", "DELETE", "OPTIONS"} {
		if r := rawGet(t, base, m, "/"); r.status != 405 || r.header.Get("Allow") != "GET, HEAD" {
			t.Errorf("%s /: %d, Allow %q", m, r.status, r.header.Get("Allow"))
		}
	}
	r := rawGet(t, base, "GET", "/")
	for _, h := range []string{"Content-Security-Policy", "X-Content-Type-Options", "ETag", "Last-Modified"} {
		if r.header.Get(h) == "" {
			t.Errorf("GET / has no %s", h)
		}
	}
	if r.header.Get("Cache-Control") != "no-cache" {
		t.Errorf("GET /: Cache-Control %q, want no-cache for HTML", r.header.Get("Cache-Control"))
	}
	if h := rawGet(t, base, "HEAD", "/"); h.status != 200 || h.body != "" || h.header.Get("Content-Length") != fmt.Sprint(len(r.body)) {
		t.Errorf("HEAD /: %d, body %d bytes, Content-Length %q (GET sent %d)", h.status, len(h.body), h.header.Get("Content-Length"), len(r.body))
	}
	if c := rawGet(t, base, "GET", "/", "If-None-Match", r.header.Get("ETag")); c.status != 304 {
		t.Errorf("GET / with its ETag: %d, want 304", c.status)
	}
}

// servesPublic: the plain site's pages, its hashed stylesheet, its 404
// page, a directory's index, Range and the encodings.
func servesPublic(t *testing.T, base string) {
	r := rawGet(t, base, "GET", "/")
	if r.status != 200 || !strings.Contains(r.body, "<h1>static-public</h1>") || r.header.Get("Content-Type") != "text/html; charset=utf-8" {
		t.Errorf("GET /: %d %q %q", r.status, r.header.Get("Content-Type"), tail(r.body, 200))
	}
	if got := r.header.Get("Content-Security-Policy"); got != "default-src 'self'; frame-ancestors 'none'" {
		t.Errorf("CSP %q, want the spec's", got)
	}
	if r := rawGet(t, base, "GET", "/about"); r.status != 301 || r.header.Get("Location") != "/about/" {
		t.Errorf("GET /about: %d to %q", r.status, r.header.Get("Location"))
	}
	if r := rawGet(t, base, "GET", "/about/"); r.status != 200 || !strings.Contains(r.body, "About static-public") {
		t.Errorf("GET /about/: %d", r.status)
	}
	for _, p := range []string{"/missing", "/.secret", "/private.txt", "/Dockerfile", "/usr/sbin/safe-static", "/srv/www/index.html"} {
		if r := rawGet(t, base, "GET", p); r.status != 404 || !strings.Contains(r.body, "This page is not here") {
			t.Errorf("GET %s: %d %q, want the site's 404 page", p, r.status, tail(r.body, 100))
		}
	}
	css := "/assets/site.3f2a9c1d.css"
	full := rawGet(t, base, "GET", css)
	if full.status != 200 || full.header.Get("Content-Type") != "text/css; charset=utf-8" || full.header.Get("Cache-Control") != "public, max-age=31536000, immutable" {
		t.Errorf("GET %s: %d %v", css, full.status, full.header)
	}
	if r := rawGet(t, base, "GET", css, "Range", "bytes=5-14"); r.status != 206 || r.body != full.body[5:15] || !strings.HasPrefix(r.header.Get("Content-Range"), "bytes 5-14/") {
		t.Errorf("Range: %d %q %q", r.status, r.body, r.header.Get("Content-Range"))
	}
	requireEncodings(t, base, css, full.body)
	requireEncodings(t, base, "/", rawGet(t, base, "GET", "/").body)
}

// servesVite: the built app's page, its hashed bundle, the SPA fallback,
// a missing asset's 404, the public/ file Vite copied, and no dotfile.
func servesVite(t *testing.T, base string) {
	page := rawGet(t, base, "GET", "/")
	if page.status != 200 || !strings.Contains(page.body, `<div id="root"></div>`) {
		t.Fatalf("GET /: %d %q", page.status, tail(page.body, 300))
	}
	i := strings.Index(page.body, `src="/assets/`)
	if i < 0 {
		t.Fatalf("index.html names no /assets/ bundle: %s", page.body)
	}
	js := page.body[i+len(`src="`):]
	js = js[:strings.IndexByte(js, '"')]
	bundle := rawGet(t, base, "GET", js)
	if bundle.status != 200 || bundle.header.Get("Content-Type") != "text/javascript; charset=utf-8" ||
		bundle.header.Get("Cache-Control") != "public, max-age=31536000, immutable" || !strings.Contains(bundle.body, "static-vite") {
		t.Errorf("GET %s: %d %v", js, bundle.status, bundle.header)
	}
	requireEncodings(t, base, js, bundle.body)
	for _, p := range []string{"/users/42", "/settings/profile"} {
		if r := rawGet(t, base, "GET", p, "Accept", "text/html"); r.status != 200 || r.body != page.body {
			t.Errorf("SPA fallback %s: %d", p, r.status)
		}
	}
	if r := rawGet(t, base, "GET", "/assets/gone.js"); r.status != 404 {
		t.Errorf("a missing asset: %d, want 404", r.status)
	}
	if r := rawGet(t, base, "GET", "/robots.txt"); r.status != 200 || !strings.Contains(r.body, "User-agent") {
		t.Errorf("GET /robots.txt: %d", r.status)
	}
	if r := rawGet(t, base, "GET", "/.htaccess", "Accept", "text/html"); r.status != 404 {
		t.Errorf("GET /.htaccess: %d, want 404", r.status)
	}
}

// requireEncodings: brotli when asked for first, gzip when only it is, the
// file as it is otherwise; each decodes to the same bytes.
func requireEncodings(t *testing.T, base, p, identity string) {
	t.Helper()
	br := rawGet(t, base, "GET", p, "Accept-Encoding", "gzip, deflate, br")
	gz := rawGet(t, base, "GET", p, "Accept-Encoding", "gzip")
	plain := rawGet(t, base, "GET", p, "Accept-Encoding", "identity")
	if br.header.Get("Content-Encoding") != "br" || gz.header.Get("Content-Encoding") != "gzip" || plain.header.Get("Content-Encoding") != "" {
		t.Fatalf("%s: encodings %q %q %q, want br, gzip and none", p, br.header.Get("Content-Encoding"), gz.header.Get("Content-Encoding"), plain.header.Get("Content-Encoding"))
	}
	if len(br.body) >= len(identity) || len(gz.body) >= len(identity) {
		t.Errorf("%s: br %d and gzip %d bytes, the file %d", p, len(br.body), len(gz.body), len(identity))
	}
	dbr, err := io.ReadAll(brotli.NewReader(strings.NewReader(br.body)))
	if err != nil || string(dbr) != identity {
		t.Errorf("%s: the brotli variant does not decode to the file: %v", p, err)
	}
	zr, err := gzip.NewReader(strings.NewReader(gz.body))
	if err != nil {
		t.Fatal(err)
	}
	dgz, err := io.ReadAll(zr)
	if err != nil || string(dgz) != identity {
		t.Errorf("%s: the gzip variant does not decode to the file: %v", p, err)
	}
	if br.header.Get("ETag") == plain.header.Get("ETag") || br.header.Get("Vary") != "Accept-Encoding" {
		t.Errorf("%s: ETag %q for br and %q for the file, Vary %q", p, br.header.Get("ETag"), plain.header.Get("ETag"), br.header.Get("Vary"))
	}
}

type rawResponse struct {
	status int
	header http.Header
	body   string
}

// rawGet sends the request line as written: an HTTP client would clean
// or re-encode the path a traversal attempt depends on.
func rawGet(t *testing.T, addr, method, target string, hdr ...string) rawResponse {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	req := method + " " + target + " HTTP/1.1\r\nHost: " + addr + "\r\nConnection: close\r\n"
	for i := 0; i+1 < len(hdr); i += 2 {
		req += hdr[i] + ": " + hdr[i+1] + "\r\n"
	}
	if _, err := io.WriteString(conn, req+"\r\n"); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), &http.Request{Method: method})
	if err != nil {
		t.Fatalf("%s %s: %v", method, target, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the body: %v", method, target, err)
	}
	return rawResponse{status: resp.StatusCode, header: resp.Header, body: string(body)}
}

// TestStaticReproducible: examples/static-hello built on two fresh buildkitds and
// on the stack's gives one digest, as every language's example does.
func TestStaticReproducible(t *testing.T) {
	requireReproducible(t, example("static-hello"), reproOpts{epoch: testEpoch})
}
