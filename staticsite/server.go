package staticsite

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"path"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultCSP allows the site's own scripts, styles, images and fonts (and
// data: images and fonts, which bundlers inline), and no framing.
const DefaultCSP = "default-src 'self'; img-src 'self' data:; font-src 'self' data:; object-src 'none'; base-uri 'self'; frame-ancestors 'none'"

// Config is how a site is served.
type Config struct {
	// SPA answers a request for a page the site does not have with
	// index.html, for a client-side router.
	SPA bool
	// NotFound is the page (a manifest name) sent with 404; "" for a
	// plain text answer.
	NotFound string
	// CSP is the Content-Security-Policy header; "" for DefaultCSP.
	CSP string
	// Health is a path answered 200 without touching the disk.
	Health string
	// Log receives one JSON line per request; nil for none.
	Log *AccessLog
}

// Handler serves a site's files from its root, as its manifest lists them.
type Handler struct {
	root     *os.Root
	files    map[string]File
	cfg      Config
	modified time.Time
	// small holds the bytes of small files once asked for (by the path
	// opened): no open, stat and sendfile per request, and nothing read
	// before a file is wanted, so an idle server holds none of them.
	small      sync.Map
	smallBytes atomic.Int64
}

// Bounds of the small-file memory: a file up to smallFile bytes is kept,
// up to smallTotal bytes in all.
const (
	smallFile  = 64 << 10
	smallTotal = 16 << 20
)

// NewHandler serves the site under root. Last-Modified is the time the
// handler starts: every file is stamped with the build's fixed epoch, which
// says nothing about when the content changed, and a start time is never
// earlier than the content it serves, so If-Modified-Since cannot keep a
// stale copy; the ETag (the content's hash) is the validator that counts.
func NewHandler(root *os.Root, m *Manifest, cfg Config) *Handler {
	if cfg.CSP == "" {
		cfg.CSP = DefaultCSP
	}
	return &Handler{root: root, files: m.Files, cfg: cfg, modified: time.Now().Truncate(time.Second)}
}

// statusWriter remembers the status and size of an answer, for the log.
type statusWriter struct {
	http.ResponseWriter
	status int
	n      int64
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.n += int64(n)
	return n, err
}

// ReadFrom keeps sendfile for the file bodies.
func (w *statusWriter) ReadFrom(r io.Reader) (int64, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := io.Copy(w.ResponseWriter, r)
	w.n += n
	return n, err
}

func (h *Handler) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	if h.cfg.Log == nil {
		h.serve(rw, r)
		return
	}
	start := time.Now()
	w := &statusWriter{ResponseWriter: rw}
	h.serve(w, r)
	h.cfg.Log.Log("request", S("method", r.Method), S("path", r.URL.EscapedPath()),
		I("status", int64(w.status)), I("bytes", w.n), I("duration_us", time.Since(start).Microseconds()),
		S("remote", r.RemoteAddr), S("user_agent", r.UserAgent()))
}

func (h *Handler) serve(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("X-Content-Type-Options", "nosniff")
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		hd.Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if h.cfg.Health != "" && r.URL.Path == h.cfg.Health {
		hd.Set("Cache-Control", "no-store")
		hd.Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "ok\n")
		return
	}
	name, ok := requestName(r)
	if !ok {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	hd.Set("Content-Security-Policy", h.cfg.CSP)
	hd.Set("Referrer-Policy", "strict-origin-when-cross-origin")
	hd.Set("X-Frame-Options", "DENY")
	if !ValidName(name) {
		// A dotfile: never a file of the site, nor a page to fall back from.
		h.notFound(w, r)
		return
	}
	if f, ok := h.files[name]; ok {
		h.file(w, r, name, f, http.StatusOK)
		return
	}
	if _, ok := h.files[path.Join(name, "index.html")]; ok && name != "index.html" {
		// A directory's page: its links are relative to the directory.
		http.Redirect(w, r, "/"+name+"/", http.StatusMovedPermanently)
		return
	}
	if f, ok := h.files["index.html"]; ok && h.cfg.SPA && wantsPage(r, name) {
		h.file(w, r, "index.html", f, http.StatusOK)
		return
	}
	h.notFound(w, r)
}

// requestName maps the request path to a manifest name; ok is false for a
// path no file can have: encoded slashes or backslashes, NUL, dot segments.
func requestName(r *http.Request) (string, bool) {
	raw := strings.ToLower(r.URL.RawPath)
	if strings.Contains(raw, "%2f") || strings.Contains(raw, "%5c") || strings.Contains(raw, "%00") {
		return "", false
	}
	p := r.URL.Path
	if !strings.HasPrefix(p, "/") || strings.ContainsAny(p, "\\\x00") {
		return "", false
	}
	for _, seg := range strings.Split(p, "/") {
		if seg == "." || seg == ".." {
			return "", false
		}
	}
	name := strings.TrimLeft(p, "/")
	if name == "" || strings.HasSuffix(name, "/") {
		name += "index.html"
	}
	return path.Clean(name), true
}

// wantsPage: the SPA fallback answers navigations (a path without an
// extension, or a client that asks for HTML), not a missing asset.
func wantsPage(r *http.Request, name string) bool {
	return path.Ext(name) == "" || strings.Contains(r.Header.Get("Accept"), "text/html")
}

func (h *Handler) notFound(w http.ResponseWriter, r *http.Request) {
	f, ok := h.files[h.cfg.NotFound]
	if h.cfg.NotFound == "" || !ok {
		http.Error(w, "404 page not found", http.StatusNotFound)
		return
	}
	h.file(w, r, h.cfg.NotFound, f, http.StatusNotFound)
}

// file sends one file of the manifest: the variant the client accepts,
// validators, caching, ranges (of the identity encoding only).
func (h *Handler) file(w http.ResponseWriter, r *http.Request, name string, f File, status int) {
	hd := w.Header()
	ct := ContentType(name)
	hd.Set("Content-Type", ct)
	switch {
	case status != http.StatusOK:
		hd.Set("Cache-Control", "no-store")
	case Hashed(name) && !strings.HasPrefix(ct, "text/html"):
		hd.Set("Cache-Control", "public, max-age=31536000, immutable")
	default:
		hd.Set("Cache-Control", "no-cache")
	}
	open, etag := name, f.SHA256[:min(32, len(f.SHA256))]
	if f.Gzip > 0 || f.Brotli > 0 {
		hd.Add("Vary", "Accept-Encoding")
		if r.Header.Get("Range") == "" {
			switch enc := chooseEncoding(r.Header.Get("Accept-Encoding"), f.Brotli > 0, f.Gzip > 0); enc {
			case "br":
				open, etag = BrotliDir+"/"+name, etag+"-br"
				hd.Set("Content-Encoding", enc)
			case "gzip":
				open, etag = GzipDir+"/"+name, etag+"-gz"
				hd.Set("Content-Encoding", enc)
			}
		}
	}
	content, size, closer, err := h.open(open)
	if err != nil {
		hd.Del("Content-Encoding")
		http.Error(w, "internal server error", http.StatusInternalServerError)
		return
	}
	defer closer()
	if status != http.StatusOK {
		// ServeContent would answer 200 or 304; an error page is sent whole.
		hd.Set("Content-Length", strconv.FormatInt(size, 10))
		w.WriteHeader(status)
		if r.Method != http.MethodHead {
			io.Copy(w, content)
		}
		return
	}
	hd.Set("ETag", `"`+etag+`"`)
	http.ServeContent(w, r, "", h.modified, content)
}

// open is a file's content: from memory for a small file (read once),
// else the open file, which the server sends with sendfile.
func (h *Handler) open(name string) (io.ReadSeeker, int64, func(), error) {
	if b, ok := h.small.Load(name); ok {
		data := b.([]byte)
		return bytes.NewReader(data), int64(len(data)), func() {}, nil
	}
	fd, err := h.root.Open(name)
	if err != nil {
		return nil, 0, nil, err
	}
	st, err := fd.Stat()
	if err != nil {
		fd.Close()
		return nil, 0, nil, err
	}
	if st.Size() > smallFile || h.smallBytes.Load()+st.Size() > smallTotal {
		return fd, st.Size(), func() { fd.Close() }, nil
	}
	data, err := io.ReadAll(io.LimitReader(fd, smallFile+1))
	fd.Close()
	if err != nil {
		return nil, 0, nil, err
	}
	if _, loaded := h.small.LoadOrStore(name, data); !loaded {
		h.smallBytes.Add(int64(len(data)))
	}
	return bytes.NewReader(data), int64(len(data)), func() {}, nil
}

// chooseEncoding picks br, then gzip, among those the client accepts with
// a q above 0 and the file has; "" for the file as it is.
func chooseEncoding(accept string, hasBr, hasGzip bool) string {
	var br, gz bool
	for _, part := range strings.Split(accept, ",") {
		token, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if q, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			if v, err := strconv.ParseFloat(q, 64); err != nil || v <= 0 {
				continue
			}
		}
		switch strings.ToLower(strings.TrimSpace(token)) {
		case "br":
			br = true
		case "gzip":
			gz = true
		case "*":
			br, gz = true, true
		}
	}
	switch {
	case br && hasBr:
		return "br"
	case gz && hasGzip:
		return "gzip"
	}
	return ""
}
