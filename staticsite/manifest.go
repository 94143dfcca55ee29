// Package staticsite is the static file server of `language: static`
// images and the manifest it serves from. The manifest is written at build
// time by safe-precompress: every file the site holds, its content hash
// (the ETag) and its precompressed variants. The server serves what the
// manifest lists and nothing else, so a request can name no file outside
// the site, no dotfile and no directory.
package staticsite

import (
	"fmt"
	"io"
	"maps"
	"mime"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"
)

// Names inside the site's root. The directory is a dotfile: the server
// never serves it.
const (
	MetaDir      = ".safe-static"
	ManifestName = MetaDir + "/manifest"
	// Variants live apart from the site's files, so a site's own
	// "app.js.gz" is never taken for a variant of "app.js".
	GzipDir   = MetaDir + "/gzip"
	BrotliDir = MetaDir + "/br"
)

// Manifest lists the site's files by their slash path relative to the
// root ("index.html", "assets/app-3f2a9c1d.js").
type Manifest struct {
	Files map[string]File
}

// File is one file of the site.
type File struct {
	Size   int64
	SHA256 string // hex
	// Gzip and Brotli are the sizes of the variants, 0 for none.
	Gzip, Brotli int64
}

// The manifest is text, a file a line, sorted by name:
//
//	safe-static-manifest 1
//	<sha256 hex> <size> <gzip size> <br size> <name>
//
// (a text format keeps encoding/json out of the server binary).
const manifestHeader = "safe-static-manifest 1"

// WriteManifest writes m in its text form, in a stable order.
func WriteManifest(w io.Writer, m *Manifest) error {
	var b strings.Builder
	b.WriteString(manifestHeader + "\n")
	for _, name := range slices.Sorted(maps.Keys(m.Files)) {
		f := m.Files[name]
		fmt.Fprintf(&b, "%s %d %d %d %s\n", f.SHA256, f.Size, f.Gzip, f.Brotli, name)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// ParseManifest reads a manifest's text form; every name must be a valid
// file name of a site (ValidName).
func ParseManifest(data string) (*Manifest, error) {
	lines := strings.Split(strings.TrimSuffix(data, "\n"), "\n")
	if lines[0] != manifestHeader {
		return nil, fmt.Errorf("%s: not a safe-static manifest (first line %q)", ManifestName, lines[0])
	}
	m := &Manifest{Files: map[string]File{}}
	for i, line := range lines[1:] {
		f, name, err := parseLine(line)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", ManifestName, i+2, err)
		}
		m.Files[name] = f
	}
	return m, nil
}

func parseLine(line string) (File, string, error) {
	parts := strings.SplitN(line, " ", 5)
	if len(parts) != 5 || len(parts[0]) != 64 || strings.Trim(parts[0], "0123456789abcdef") != "" {
		return File{}, "", fmt.Errorf("malformed line %q", line)
	}
	var n [3]int64
	for i := range n {
		v, err := strconv.ParseInt(parts[i+1], 10, 64)
		if err != nil || v < 0 {
			return File{}, "", fmt.Errorf("malformed size %q", parts[i+1])
		}
		n[i] = v
	}
	if !ValidName(parts[4]) {
		return File{}, "", fmt.Errorf("%q is not a file name a site may serve", parts[4])
	}
	return File{SHA256: parts[0], Size: n[0], Gzip: n[1], Brotli: n[2]}, parts[4], nil
}

// ReadManifest reads the manifest under root.
func ReadManifest(root *os.Root) (*Manifest, error) {
	f, err := root.Open(ManifestName)
	if err != nil {
		return nil, fmt.Errorf("reading the site manifest (written by safe-precompress at build time): %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, 64<<20))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", ManifestName, err)
	}
	return ParseManifest(string(data))
}

// ValidName says whether name may be a served file: a clean relative slash
// path with no dot segments and no dotfiles, no backslash and no NUL.
func ValidName(name string) bool {
	if name == "" || path.Clean(name) != name || strings.HasPrefix(name, "/") || strings.ContainsAny(name, "\\\x00") {
		return false
	}
	for _, seg := range strings.Split(name, "/") {
		if strings.HasPrefix(seg, ".") {
			return false
		}
	}
	return true
}

// types are the content types of the usual web files; they do not depend
// on the host's mime.types (scratch and distroless have none).
var types = map[string]string{
	".html": "text/html; charset=utf-8", ".htm": "text/html; charset=utf-8",
	".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8",
	".mjs": "text/javascript; charset=utf-8", ".json": "application/json",
	".map": "application/json", ".webmanifest": "application/manifest+json",
	".txt": "text/plain; charset=utf-8", ".xml": "application/xml",
	".svg": "image/svg+xml", ".png": "image/png", ".jpg": "image/jpeg",
	".jpeg": "image/jpeg", ".gif": "image/gif", ".webp": "image/webp",
	".avif": "image/avif", ".ico": "image/x-icon", ".wasm": "application/wasm",
	".woff": "font/woff", ".woff2": "font/woff2", ".ttf": "font/ttf",
	".otf": "font/otf", ".pdf": "application/pdf", ".mp4": "video/mp4",
	".webm": "video/webm", ".mp3": "audio/mpeg",
}

// ContentType is the type of a file by its extension.
func ContentType(name string) string {
	ext := strings.ToLower(path.Ext(name))
	if t, ok := types[ext]; ok {
		return t
	}
	if t := mime.TypeByExtension(ext); t != "" {
		return t
	}
	return "application/octet-stream"
}

// Compressible says whether a file's type gains from gzip and brotli
// (text, not already-compressed media).
func Compressible(name string) bool {
	ct := ContentType(name)
	return strings.HasPrefix(ct, "text/") || strings.Contains(ct, "json") || strings.Contains(ct, "xml") ||
		ct == "application/wasm" || ct == "image/x-icon" || ct == "font/ttf" || ct == "font/otf"
}

// Hashed says whether a name carries a bundler's content hash, so its
// content never changes under that name and may be cached for good: a run
// of 8 to 64 letters, digits or _ after a "-" or "." and before the
// extension that reads as a hash, not a word: a digit and a letter, or
// both cases past its first letter ("index-B7xk2d9Q.js", "index-CNPtxnEb.css",
// "app.3f2a9c1d.css"; not "photo-Overview.png").
func Hashed(name string) bool {
	base := path.Base(name)
	dot := strings.LastIndexByte(base, '.')
	if dot <= 0 {
		return false
	}
	stem := base[:dot]
	sep := strings.LastIndexAny(stem, "-.")
	if sep < 0 {
		return false
	}
	h := stem[sep+1:]
	if len(h) < 8 || len(h) > 64 {
		return false
	}
	var digit, lower, upper bool
	for i, r := range h {
		switch {
		case r >= '0' && r <= '9':
			digit = true
		case r >= 'a' && r <= 'z':
			lower = true
		case r >= 'A' && r <= 'Z':
			upper = upper || i > 0
		case r != '_':
			return false
		}
	}
	return digit && (lower || upper) || upper && lower
}
