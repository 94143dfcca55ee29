package staticsite_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/andybalholm/brotli"

	"github.com/org/safe-frontend/staticsite"
	"github.com/org/safe-frontend/staticsite/precompress"
)

var (
	bigFile   = strings.Repeat("0123456789abcdef", 8<<10) // beyond the small-file memory: sent from the file
	indexHTML = "<!doctype html><title>site</title>" + strings.Repeat("<p>hello</p>", 80)
	appJS     = "console.log('app');" + strings.Repeat("function f(){return 1}", 60)
)

// site prepares a small site (with a secret beside it and dotfiles in it)
// and returns a handler for it.
func site(t testing.TB, cfg staticsite.Config) (*staticsite.Handler, string) {
	t.Helper()
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	files := map[string]string{
		"index.html":               indexHTML,
		"404.html":                 "<!doctype html><title>missing</title>",
		"assets/index-B7xk2d9Q.js": appJS,
		"assets/logo.png":          "\x89PNG not really",
		"docs/index.html":          "<!doctype html><title>docs</title>",
		"Dockerfile":               "# syntax=org/safe-frontend:1",
		".env":                     "TOKEN=secret",
		".git/config":              "[core]",
		"assets/.hidden.js":        "hidden",
		"assets/big.bin":           bigFile,
	}
	for name, data := range files {
		p := filepath.Join(src, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "secret.txt"), []byte("outside"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../secret.txt", filepath.Join(src, "link.txt")); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "site")
	if _, _, err := precompress.Prepare(os.DirFS(src), out, map[string]bool{"Dockerfile": true}); err != nil {
		t.Fatal(err)
	}
	root, err := os.OpenRoot(out)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { root.Close() })
	m, err := staticsite.ReadManifest(root)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.NotFound == "" {
		cfg.NotFound = "404.html"
	}
	if cfg.Health == "" {
		cfg.Health = "/healthz"
	}
	return staticsite.NewHandler(root, m, cfg), out
}

func do(h http.Handler, method, target string, hdr ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, "http://site.test/", nil)
	// The raw request line, as a client sends it: httptest would clean it.
	r.RequestURI = target
	u, err := url.ParseRequestURI(target)
	if err != nil {
		panic(err)
	}
	r.URL = u
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Set(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestServesFiles(t *testing.T) {
	h, _ := site(t, staticsite.Config{})
	w := do(h, "GET", "/")
	if w.Code != 200 || w.Body.String() != indexHTML {
		t.Fatalf("GET /: %d %q", w.Code, w.Body.String())
	}
	for k, v := range map[string]string{
		"Content-Type":            "text/html; charset=utf-8",
		"Cache-Control":           "no-cache",
		"X-Content-Type-Options":  "nosniff",
		"Content-Security-Policy": staticsite.DefaultCSP,
		"X-Frame-Options":         "DENY",
	} {
		if got := w.Header().Get(k); got != v {
			t.Errorf("GET /: %s is %q, want %q", k, got, v)
		}
	}
	if w.Header().Get("ETag") == "" || w.Header().Get("Last-Modified") == "" {
		t.Errorf("GET /: no validators: %v", w.Header())
	}
	w = do(h, "GET", "/assets/index-B7xk2d9Q.js")
	if w.Code != 200 || w.Body.String() != appJS || w.Header().Get("Content-Type") != "text/javascript; charset=utf-8" ||
		w.Header().Get("Cache-Control") != "public, max-age=31536000, immutable" {
		t.Errorf("hashed asset: %d %v", w.Code, w.Header())
	}
	if w := do(h, "GET", "/assets/logo.png"); w.Code != 200 || w.Header().Get("Content-Type") != "image/png" || w.Header().Get("Cache-Control") != "no-cache" {
		t.Errorf("logo: %d %v", w.Code, w.Header())
	}
	if w := do(h, "GET", "/docs"); w.Code != 301 || w.Header().Get("Location") != "/docs/" {
		t.Errorf("/docs: %d %v", w.Code, w.Header())
	}
	if w := do(h, "GET", "/docs/"); w.Code != 200 || !strings.Contains(w.Body.String(), "docs") {
		t.Errorf("/docs/: %d", w.Code)
	}
}

// Traversal in every spelling, dotfiles, the manifest, a symlink out and
// the spec file: 400 or 404, never their bytes. Under spa: true a page
// name the site lacks gets index.html, nothing else.
func TestRefusesPathsOutOfTheSite(t *testing.T) {
	for _, spa := range []bool{false, true} {
		h, _ := site(t, staticsite.Config{SPA: spa})
		refuses(t, h, spa)
	}
}

func refuses(t *testing.T, h http.Handler, spa bool) {
	// Spellings of a way out are a bad request, whatever the site holds.
	for _, p := range []string{"/../secret.txt", "/%2e%2e/secret.txt", "/..%2fsecret.txt", "/..%5csecret.txt", "/..\\secret.txt", "/index.html%00.png", "/assets%2findex-B7xk2d9Q.js"} {
		if w := do(h, "GET", p); w.Code != 400 {
			t.Errorf("GET %s: %d, want 400", p, w.Code)
		}
	}
	for _, p := range []string{
		"/../secret.txt", "/assets/../../secret.txt", "/%2e%2e/secret.txt", "/%2E%2E/%2e%2e/secret.txt",
		"/..%2fsecret.txt", "/assets%2f..%2f..%2fsecret.txt", "/..%5csecret.txt", "/..\\secret.txt",
		"/index.html%00.png", "/assets/./index-B7xk2d9Q.js", "/link.txt", "/Dockerfile",
		"/.env", "/.git/config", "/assets/.hidden.js", "/.safe-static/manifest", "/.safe-static/gzip/index.html",
		"/%2eenv", "//secret.txt", "/secret.txt",
	} {
		w := do(h, "GET", p, "Accept", "text/html")
		body := w.Body.String()
		if strings.Contains(body, "outside") || strings.Contains(body, "secret") || strings.Contains(body, "TOKEN") ||
			strings.Contains(body, "syntax") || strings.Contains(body, "[core]") || strings.Contains(body, "hidden") {
			t.Errorf("GET %s served a file it must not: %d %q", p, w.Code, body)
		}
		if w.Code != 400 && w.Code != 404 && !(spa && w.Code == 200 && body == indexHTML) {
			t.Errorf("GET %s (spa %v): status %d, want 400 or 404", p, spa, w.Code)
		}
	}
}

func TestDotfilesAndMissing404(t *testing.T) {
	h, _ := site(t, staticsite.Config{})
	for _, p := range []string{"/.env", "/missing", "/assets/gone.js"} {
		w := do(h, "GET", p)
		if w.Code != 404 || !strings.Contains(w.Body.String(), "missing</title>") || w.Header().Get("Cache-Control") != "no-store" {
			t.Errorf("GET %s: %d %q %v, want the 404 page", p, w.Code, w.Body.String(), w.Header())
		}
	}
	// A directory is never listed.
	for _, p := range []string{"/assets/", "/assets"} {
		if w := do(h, "GET", p); w.Code != 404 || strings.Contains(w.Body.String(), "logo.png") {
			t.Errorf("GET %s: %d %q, want 404 and no listing", p, w.Code, w.Body.String())
		}
	}
	// Without a page of its own, a plain answer.
	root, _ := os.OpenRoot(t.TempDir())
	bare := staticsite.NewHandler(root, &staticsite.Manifest{}, staticsite.Config{NotFound: "404.html"})
	if w := do(bare, "GET", "/x"); w.Code != 404 || !strings.Contains(w.Body.String(), "not found") {
		t.Errorf("no 404 page: %d %q", w.Code, w.Body.String())
	}
}

func TestSPAFallback(t *testing.T) {
	h, _ := site(t, staticsite.Config{SPA: true})
	for _, p := range []string{"/users/42", "/settings"} {
		if w := do(h, "GET", p); w.Code != 200 || w.Body.String() != indexHTML || w.Header().Get("Cache-Control") != "no-cache" {
			t.Errorf("SPA %s: %d", p, w.Code)
		}
	}
	// A missing asset is a 404, not the page.
	if w := do(h, "GET", "/assets/gone.js"); w.Code != 404 {
		t.Errorf("missing asset under SPA: %d", w.Code)
	}
	if w := do(h, "GET", "/report.pdf", "Accept", "text/html,*/*"); w.Code != 200 {
		t.Errorf("navigation to an unknown page with an extension: %d", w.Code)
	}
	h, _ = site(t, staticsite.Config{})
	if w := do(h, "GET", "/users/42"); w.Code != 404 {
		t.Errorf("no SPA: %d", w.Code)
	}
}

func TestRangeAndConditional(t *testing.T) {
	h, _ := site(t, staticsite.Config{})
	w := do(h, "GET", "/assets/index-B7xk2d9Q.js", "Range", "bytes=0-6", "Accept-Encoding", "br, gzip")
	if w.Code != 206 || w.Body.String() != appJS[:7] || w.Header().Get("Content-Range") != "bytes 0-6/"+itoa(len(appJS)) ||
		w.Header().Get("Content-Encoding") != "" {
		t.Errorf("range: %d %q %v", w.Code, w.Body.String(), w.Header())
	}
	for i := 0; i < 2; i++ { // the first read of a small file fills the memory, the second is served from it
		if w := do(h, "GET", "/assets/index-B7xk2d9Q.js", "Range", "bytes=3-5"); w.Code != 206 || w.Body.String() != appJS[3:6] {
			t.Errorf("range %d: %d %q", i, w.Code, w.Body.String())
		}
	}
	if w := do(h, "GET", "/assets/big.bin"); w.Code != 200 || w.Body.String() != bigFile {
		t.Errorf("big file: %d, %d bytes", w.Code, w.Body.Len())
	}
	if w := do(h, "GET", "/assets/big.bin", "Range", "bytes=100000-100009"); w.Code != 206 || w.Body.String() != bigFile[100000:100010] {
		t.Errorf("big file range: %d %q", w.Code, w.Body.String())
	}
	etag := do(h, "GET", "/").Header().Get("ETag")
	if w := do(h, "GET", "/", "If-None-Match", etag); w.Code != 304 || w.Body.Len() != 0 {
		t.Errorf("If-None-Match: %d", w.Code)
	}
	if w := do(h, "GET", "/", "If-None-Match", `"other"`); w.Code != 200 {
		t.Errorf("If-None-Match with another tag: %d", w.Code)
	}
	lm := do(h, "GET", "/").Header().Get("Last-Modified")
	if w := do(h, "GET", "/", "If-Modified-Since", lm); w.Code != 304 {
		t.Errorf("If-Modified-Since: %d", w.Code)
	}
	if w := do(h, "GET", "/", "If-Modified-Since", "Thu, 01 Jan 1970 00:00:00 GMT"); w.Code != 200 {
		t.Errorf("If-Modified-Since at the epoch (the files' stamp) must not say unmodified: %d", w.Code)
	}
	brTag := do(h, "GET", "/", "Accept-Encoding", "br").Header().Get("ETag")
	if brTag == etag {
		t.Errorf("the brotli variant has the identity's ETag %s", etag)
	}
	if w := do(h, "GET", "/", "Accept-Encoding", "br", "If-None-Match", brTag); w.Code != 304 {
		t.Errorf("If-None-Match of the br variant: %d", w.Code)
	}
}

func TestEncodings(t *testing.T) {
	h, _ := site(t, staticsite.Config{})
	w := do(h, "GET", "/", "Accept-Encoding", "gzip, deflate, br")
	if w.Header().Get("Content-Encoding") != "br" || w.Header().Get("Vary") != "Accept-Encoding" {
		t.Fatalf("br: %v", w.Header())
	}
	got, err := io.ReadAll(brotli.NewReader(w.Body))
	if err != nil || string(got) != indexHTML {
		t.Errorf("br body: %v %q", err, got)
	}
	w = do(h, "GET", "/", "Accept-Encoding", "gzip, br;q=0")
	if w.Header().Get("Content-Encoding") != "gzip" {
		t.Fatalf("gzip: %v", w.Header())
	}
	zr, err := gzip.NewReader(w.Body)
	if err != nil {
		t.Fatal(err)
	}
	got, _ = io.ReadAll(zr)
	if string(got) != indexHTML {
		t.Errorf("gzip body %q", got)
	}
	if w := do(h, "GET", "/"); w.Header().Get("Content-Encoding") != "" || w.Body.String() != indexHTML {
		t.Errorf("identity: %v", w.Header())
	}
	// A small or incompressible file has no variants.
	if w := do(h, "GET", "/assets/logo.png", "Accept-Encoding", "br"); w.Header().Get("Content-Encoding") != "" || w.Header().Get("Vary") != "" {
		t.Errorf("png: %v", w.Header())
	}
}

func TestMethodsHeadHealth(t *testing.T) {
	h, _ := site(t, staticsite.Config{})
	for _, m := range []string{"POST", "PUT", "DELETE", "OPTIONS", "TRACE", "PATCH"} {
		if w := do(h, m, "/"); w.Code != 405 || w.Header().Get("Allow") != "GET, HEAD" {
			t.Errorf("%s: %d %v", m, w.Code, w.Header())
		}
	}
	w := do(h, "HEAD", "/")
	if w.Code != 200 || w.Body.Len() != 0 || w.Header().Get("Content-Length") != itoa(len(indexHTML)) {
		t.Errorf("HEAD: %d %d %v", w.Code, w.Body.Len(), w.Header())
	}
	if w := do(h, "HEAD", "/missing"); w.Code != 404 || w.Body.Len() != 0 {
		t.Errorf("HEAD 404: %d %d", w.Code, w.Body.Len())
	}
}

// The health path answers with the site's files gone: it reads no disk.
func TestHealthWithoutDisk(t *testing.T) {
	h, dir := site(t, staticsite.Config{})
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if w := do(h, "GET", "/healthz"); w.Code != 200 || w.Body.String() != "ok\n" {
		t.Errorf("health: %d %q", w.Code, w.Body.String())
	}
	if w := do(h, "GET", "/"); w.Code == 200 {
		t.Errorf("the site's files are gone but / answered 200")
	}
}

func TestAccessLogAndCSP(t *testing.T) {
	var buf bytes.Buffer
	alog := staticsite.NewAccessLog(&buf)
	h, _ := site(t, staticsite.Config{Log: alog, CSP: "default-src 'none'"})
	if w := do(h, "GET", "/missing\"x", "User-Agent", "t\n1"); w.Header().Get("Content-Security-Policy") != "default-src 'none'" {
		t.Errorf("CSP: %v", w.Header())
	}
	if buf.Len() != 0 {
		t.Errorf("the line was written at once, not buffered: %q", buf.String())
	}
	alog.Flush()
	line := buf.String()
	for _, want := range []string{`"msg":"request"`, `"method":"GET"`, `"status":404`, `"path":"/missing%22x"`, `"user_agent":"t\u000a1"`} {
		if !strings.Contains(line, want) {
			t.Errorf("log line %q lacks %s", line, want)
		}
	}
	if strings.Count(line, "\n") != 1 {
		t.Errorf("one request, %d lines: %q", strings.Count(line, "\n"), line)
	}
}

func TestManifestRefusesBadNames(t *testing.T) {
	sum := strings.Repeat("a", 64)
	for _, name := range []string{"../x", "/etc/passwd", ".env", "a/../b", "a\\b", "a/.git/config", ""} {
		if _, err := staticsite.ParseManifest("safe-static-manifest 1\n" + sum + " 1 0 0 " + name + "\n"); err == nil {
			t.Errorf("manifest with %q accepted", name)
		}
	}
	if _, err := staticsite.ParseManifest("garbage"); err == nil {
		t.Error("garbage accepted")
	}
}

func TestHashed(t *testing.T) {
	for name, want := range map[string]bool{
		"assets/index-B7xk2d9Q.js": true, "app.3f2a9c1d.css": true, "main-abcdefgh.js": false,
		"photo-20240101.jpg": false, "index-CNPtxnEb.css": true, "photo-Overview.png": false, "ABCDEFGH-x.js": false, "index.html": false, "logo.png": false, "chunk-1a2b3c4d5e.mjs": true,
	} {
		if staticsite.Hashed(name) != want {
			t.Errorf("Hashed(%q) = %v", name, !want)
		}
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// FuzzRequestPath: any request target is answered without a panic, and
// never with a byte of a file outside the site or of a dotfile.
func FuzzRequestPath(f *testing.F) {
	for _, p := range []string{"/", "/../secret.txt", "/%2e%2e/secret.txt", "/..%2fsecret.txt", "/.env", "/a\\..\\b", "/x%00"} {
		f.Add(p)
	}
	h, _ := site(f, staticsite.Config{SPA: true})
	f.Fuzz(func(t *testing.T, p string) {
		if _, err := url.ParseRequestURI(p); err != nil || !strings.HasPrefix(p, "/") {
			return
		}
		body := do(h, "GET", p, "Accept-Encoding", "identity").Body.String()
		for _, bad := range []string{"outside", "TOKEN", "syntax=", "[core]", "hidden", "safe-static-manifest"} {
			if strings.Contains(body, bad) {
				t.Fatalf("GET %q served %q", p, body)
			}
		}
	})
}
