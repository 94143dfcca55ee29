package sbom

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"regexp"
	"strings"

	"github.com/package-url/packageurl-go"
)

// Bounds for dpkg data; a real distroless base has a handful of packages,
// a full Debian a few thousand.
const (
	maxDpkgFiles     = 10000    // entries in status.d
	maxStanzaFile    = 1 << 20  // one status.d file
	maxStatusFile    = 64 << 20 // a whole status file
	maxControlLine   = 64 << 10
	maxStanzaFields  = 256
	maxOSReleaseFile = 64 << 10
)

var (
	debName    = regexp.MustCompile(`^[a-z0-9][a-z0-9+.-]+$`)
	debVersion = regexp.MustCompile(`^[A-Za-z0-9.+~:-]+$`)
	debArch    = regexp.MustCompile(`^[a-z0-9-]+$`)
	osID       = regexp.MustCompile(`^[a-z0-9._-]+$`)
	osVersion  = regexp.MustCompile(`^[A-Za-z0-9._~-]+$`)
)

// readDpkgStatus lists the installed Debian packages: name as a path is
// either dpkg's status file or a status.d directory with a stanza file per
// package (distroless keeps its packages that way). An image without either
// has no Debian packages.
func readDpkgStatus(fsys fs.FS, name string) ([]Package, error) {
	st, err := fs.Stat(fsys, name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	ns, distro := osRelease(fsys)
	var pkgs []Package
	add := func(file string, s stanza) error {
		p, ok, err := debPackage(s, ns, distro, "/"+file)
		if err != nil {
			return fmt.Errorf("%s:%d: %w", "/"+file, s.line, err)
		}
		if ok {
			pkgs = append(pkgs, p)
		}
		return nil
	}
	if !st.IsDir() {
		return pkgs, parseControlFile(fsys, name, maxStatusFile, add)
	}
	entries, err := fs.ReadDir(fsys, name)
	if err != nil {
		return nil, err
	}
	if len(entries) > maxDpkgFiles {
		return nil, fmt.Errorf("%d entries; more than the %d a status.d may have here", len(entries), maxDpkgFiles)
	}
	for _, e := range entries {
		// status.d also holds <package>.md5sums lists of file hashes.
		if !e.Type().IsRegular() || strings.HasSuffix(e.Name(), ".md5sums") {
			continue
		}
		if err := parseControlFile(fsys, path.Join(name, e.Name()), maxStanzaFile, add); err != nil {
			return nil, err
		}
	}
	return pkgs, nil
}

// debPackage turns a stanza into a package; ok is false for a stanza that
// describes no installed package.
func debPackage(s stanza, ns, distro, file string) (p Package, ok bool, err error) {
	name := s.fields["package"]
	if name == "" {
		return Package{}, false, nil
	}
	// A status file also lists removed packages whose config files remain.
	if status := strings.Fields(s.fields["status"]); len(status) > 0 && status[len(status)-1] != "installed" {
		return Package{}, false, nil
	}
	version, arch := s.fields["version"], s.fields["architecture"]
	switch {
	case !debName.MatchString(name):
		return Package{}, false, fmt.Errorf("Package %q is not a Debian package name", name)
	case !debVersion.MatchString(version):
		return Package{}, false, fmt.Errorf("package %s: Version %q is not a Debian version", name, version)
	case arch != "" && !debArch.MatchString(arch):
		return Package{}, false, fmt.Errorf("package %s: Architecture %q is not a Debian architecture", name, arch)
	}
	q := map[string]string{}
	if arch != "" {
		q["arch"] = arch
	}
	if distro != "" {
		q["distro"] = distro
	}
	info := "Debian package, dpkg status " + file
	if src, srcVersion, ok := debSource(s.fields["source"]); ok {
		q["upstream"] = src
		if srcVersion == "" {
			srcVersion = version
		} else {
			q["upstream"] = src + "@" + srcVersion
		}
		// The form scanners read the source package from.
		info = fmt.Sprintf("built package from: %s %s; %s", src, srcVersion, info)
	}
	p = Package{
		Name:       name,
		Version:    version,
		PURL:       packageurl.NewPackageURL(packageurl.TypeDebian, ns, name, version, packageurl.QualifiersFromMap(q), "").ToString(),
		Supplier:   debSupplier(s.fields["maintainer"]),
		Homepage:   debHomepage(s.fields["homepage"]),
		SourceInfo: info,
	}
	return p, true, nil
}

// debSource splits "glibc" or "glibc (2.36-9)" into name and version.
func debSource(v string) (name, version string, ok bool) {
	name, rest, _ := strings.Cut(strings.TrimSpace(v), " ")
	if !debName.MatchString(name) {
		return "", "", false
	}
	rest = strings.TrimSpace(rest)
	if strings.HasPrefix(rest, "(") && strings.HasSuffix(rest, ")") {
		if v := strings.TrimSpace(rest[1 : len(rest)-1]); debVersion.MatchString(v) {
			version = v
		}
	}
	return name, version, true
}

// debSupplier turns "Name <email>" into SPDX's "Person: Name (email)".
func debSupplier(m string) string {
	m = strings.TrimSpace(m)
	if m == "" || strings.ContainsAny(m, "()\n") {
		return ""
	}
	name, email, ok := strings.Cut(m, "<")
	name = strings.TrimSpace(name)
	if !ok {
		return "Person: " + name
	}
	email = strings.TrimSuffix(strings.TrimSpace(email), ">")
	if name == "" || strings.ContainsAny(email, "<> ") {
		return ""
	}
	return fmt.Sprintf("Person: %s (%s)", name, email)
}

func debHomepage(h string) string {
	h = strings.TrimSpace(h)
	if (strings.HasPrefix(h, "https://") || strings.HasPrefix(h, "http://")) && !strings.ContainsAny(h, " \t") {
		return h
	}
	return ""
}

// stanza is one paragraph of a Debian control file; field names are
// case-insensitive, so they are kept lower-case.
type stanza struct {
	fields map[string]string
	line   int // where it starts
}

// parseControlFile reads a control-format file (dpkg status) of at most
// limit bytes and calls fn for every stanza.
func parseControlFile(fsys fs.FS, name string, limit int64, fn func(file string, s stanza) error) error {
	f, err := fsys.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	dt, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return fmt.Errorf("/%s: %w", name, err)
	}
	if int64(len(dt)) > limit {
		return fmt.Errorf("/%s: more than %d bytes", name, limit)
	}
	return parseControl(dt, func(s stanza) error { return fn(name, s) }, func(line int, msg string) error {
		return fmt.Errorf("/%s:%d: %s", name, line, msg)
	})
}

// parseControl splits deb822 data into stanzas. Malformed lines are errors
// (made by errAt) rather than guesses: an SBOM that silently lost a package
// is worse than a build that says which line it could not read.
func parseControl(dt []byte, fn func(stanza) error, errAt func(line int, msg string) error) error {
	sc := bufio.NewScanner(bytes.NewReader(dt))
	sc.Buffer(make([]byte, 0, 4096), maxControlLine)
	var cur *stanza
	last := ""
	flush := func() error {
		if cur == nil {
			return nil
		}
		s := *cur
		cur, last = nil, ""
		return fn(s)
	}
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSuffix(sc.Text(), "\r")
		switch {
		case strings.TrimSpace(text) == "":
			if err := flush(); err != nil {
				return err
			}
		case strings.HasPrefix(text, "#") && cur == nil:
			// comment between stanzas
		case text[0] == ' ' || text[0] == '\t':
			if cur == nil || last == "" {
				return errAt(line, "continuation line without a field")
			}
			cur.fields[last] += "\n" + strings.TrimSpace(text)
		default:
			k, v, ok := strings.Cut(text, ":")
			k = strings.ToLower(strings.TrimSpace(k))
			if !ok || k == "" || strings.ContainsAny(k, " \t") {
				return errAt(line, fmt.Sprintf("%q is not a field (Name: value)", clip(text)))
			}
			if cur == nil {
				cur = &stanza{fields: map[string]string{}, line: line}
			}
			if _, dup := cur.fields[k]; dup {
				return errAt(line, fmt.Sprintf("field %q appears twice in one stanza", k))
			}
			if len(cur.fields) >= maxStanzaFields {
				return errAt(line, fmt.Sprintf("more than %d fields in one stanza", maxStanzaFields))
			}
			cur.fields[k] = strings.TrimSpace(v)
			last = k
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return errAt(line+1, fmt.Sprintf("line longer than %d bytes", maxControlLine))
		}
		return err
	}
	return flush()
}

// osRelease returns the purl namespace and distro qualifier of the image's
// OS ("debian", "debian-12"), from os-release; without one, the namespace
// is debian and the distro unknown.
func osRelease(fsys fs.FS) (ns, distro string) {
	for _, name := range []string{"etc/os-release", "usr/lib/os-release"} {
		f, err := fsys.Open(name)
		if err != nil {
			continue
		}
		dt, err := io.ReadAll(io.LimitReader(f, maxOSReleaseFile))
		f.Close()
		if err != nil {
			continue
		}
		id, version := parseOSRelease(dt)
		if !osID.MatchString(id) {
			return "debian", ""
		}
		if !osVersion.MatchString(version) {
			return id, ""
		}
		return id, id + "-" + version
	}
	return "debian", ""
}

// parseOSRelease reads ID and VERSION_ID from os-release's shell-like
// KEY=value lines.
func parseOSRelease(dt []byte) (id, versionID string) {
	for _, line := range strings.Split(string(dt), "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), "=")
		if !ok {
			continue
		}
		v = strings.TrimSpace(v)
		if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
			v = v[1 : len(v)-1]
		}
		switch k {
		case "ID":
			id = v
		case "VERSION_ID":
			versionID = v
		}
	}
	return id, versionID
}

func clip(s string) string {
	if len(s) > 60 {
		return s[:60] + "..."
	}
	return s
}
