package integration

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"debug/elf"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path"
	"slices"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// What the tests read straight from the stack's registry (the real one on
// loopback, over its HTTP API): an image index and, per platform, the
// config and the merged file tree of the layers.

func registryHost(t *testing.T) string {
	t.Helper()
	r := os.Getenv("SAFE_REGISTRY")
	if r == "" {
		t.Fatal("SAFE_REGISTRY is not set; the stack env sets it: eval \"$(hack/stack env)\"")
	}
	return r
}

// registryGet fetches a manifest or blob and checks what it got against
// the digest the registry names (or the one asked for).
func registryGet(t *testing.T, repo, kind, ref string) ([]byte, digest.Digest, string) {
	t.Helper()
	url := fmt.Sprintf("http://%s/v2/%s/%s/%s", registryHost(t), repo, kind, ref)
	req, err := http.NewRequestWithContext(testContext(t), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", strings.Join(manifestTypes, ", "))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	dt, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s: %s (hack/stack up pushes it)", url, resp.Status, tail(string(dt), 300))
	}
	got := digest.FromBytes(dt)
	want := digest.Digest(resp.Header.Get("Docker-Content-Digest"))
	if strings.HasPrefix(ref, "sha256:") {
		want = digest.Digest(ref)
	}
	if want != "" && got != want {
		t.Fatalf("GET %s: content digest %s, registry says %s", url, got, want)
	}
	return dt, got, resp.Header.Get("Content-Type")
}

// platformImage is one platform's manifest of an index, read from the
// registry.
type platformImage struct {
	Platform ocispecs.Platform
	Manifest ocispecs.Manifest
	Config   ocispecs.Image
	FS       *rootFS
}

// pullIndex reads repo:tag, which must be an OCI image index, and every
// image in it (attestation manifests aside).
func pullIndex(t *testing.T, repo, tag string) (digest.Digest, []platformImage) {
	t.Helper()
	dt, dgst, mt := registryGet(t, repo, "manifests", tag)
	var idx ocispecs.Index
	if err := json.Unmarshal(dt, &idx); err != nil {
		t.Fatal(err)
	}
	if mt != ocispecs.MediaTypeImageIndex || idx.MediaType != ocispecs.MediaTypeImageIndex {
		t.Fatalf("%s:%s is %s, want an OCI image index", repo, tag, mt)
	}
	var out []platformImage
	for _, d := range idx.Manifests {
		if d.Platform == nil || d.Platform.OS == "unknown" {
			continue
		}
		out = append(out, pullManifest(t, repo, d.Digest.String(), *d.Platform))
	}
	return dgst, out
}

// pullImages reads repo:tag whether it is an index or a single manifest.
func pullImages(t *testing.T, repo, tag string) []platformImage {
	t.Helper()
	_, dgst, mt := registryGet(t, repo, "manifests", tag)
	if mt == ocispecs.MediaTypeImageIndex || strings.Contains(mt, "manifest.list") {
		_, images := pullIndex(t, repo, tag)
		return images
	}
	img := pullManifest(t, repo, dgst.String(), ocispecs.Platform{})
	img.Platform = ocispecs.Platform{OS: img.Config.OS, Architecture: img.Config.Architecture}
	return []platformImage{img}
}

func pullManifest(t *testing.T, repo, ref string, p ocispecs.Platform) platformImage {
	t.Helper()
	dt, _, _ := registryGet(t, repo, "manifests", ref)
	img := platformImage{Platform: p, FS: newRootFS()}
	if err := json.Unmarshal(dt, &img.Manifest); err != nil {
		t.Fatal(err)
	}
	cfg, _, _ := registryGet(t, repo, "blobs", img.Manifest.Config.Digest.String())
	if err := json.Unmarshal(cfg, &img.Config); err != nil {
		t.Fatal(err)
	}
	for _, l := range img.Manifest.Layers {
		blob, _, _ := registryGet(t, repo, "blobs", l.Digest.String())
		if err := img.FS.apply(blob); err != nil {
			t.Fatalf("%s layer %s: %v", repo, l.Digest, err)
		}
	}
	return img
}

// rootFS is the file tree of an image's layers applied in order.
type rootFS struct {
	files map[string]*fsEntry // by clean absolute path
}

type fsEntry struct {
	Header *tar.Header
	Data   []byte
}

func newRootFS() *rootFS {
	return &rootFS{files: map[string]*fsEntry{"/": {Header: &tar.Header{Name: "/", Typeflag: tar.TypeDir, Mode: 0o755}}}}
}

func (r *rootFS) apply(blob []byte) error {
	zr, err := gzip.NewReader(bytes.NewReader(blob))
	if err != nil {
		return err
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		name := path.Clean("/" + h.Name)
		dir, base := path.Split(name)
		if base == ".wh..wh..opq" {
			r.removeUnder(path.Clean(dir), false)
			continue
		}
		if strings.HasPrefix(base, ".wh.") {
			r.removeUnder(path.Join(dir, strings.TrimPrefix(base, ".wh.")), true)
			continue
		}
		var dt []byte
		if h.Typeflag == tar.TypeReg {
			if dt, err = io.ReadAll(tr); err != nil {
				return err
			}
		}
		r.files[name] = &fsEntry{Header: h, Data: dt}
	}
}

func (r *rootFS) removeUnder(p string, self bool) {
	for name := range r.files {
		if (self && name == p) || strings.HasPrefix(name, p+"/") {
			delete(r.files, name)
		}
	}
}

// lookup returns the entry at p without following a final symlink.
func (r *rootFS) lookup(p string) *fsEntry { return r.files[path.Clean("/"+p)] }

// resolve follows symlinks in every component of p, inside the tree, the
// way the kernel and the dynamic loader would in the container.
func (r *rootFS) resolve(p string) (string, *fsEntry, error) {
	cur := "/"
	rest := strings.Split(strings.Trim(path.Clean("/"+p), "/"), "/")
	for hops := 0; len(rest) > 0; {
		c := rest[0]
		rest = rest[1:]
		if c == "" || c == "." {
			continue
		}
		next := path.Join(cur, c)
		e := r.files[next]
		if e == nil {
			return next, nil, fmt.Errorf("%s: %s does not exist", p, next)
		}
		if e.Header.Typeflag == tar.TypeSymlink {
			if hops++; hops > 40 {
				return next, nil, fmt.Errorf("%s: too many symlinks", p)
			}
			target := e.Header.Linkname
			if !strings.HasPrefix(target, "/") {
				target = path.Join(cur, target)
			}
			rest = append(strings.Split(strings.Trim(path.Clean(target), "/"), "/"), rest...)
			cur = "/"
			continue
		}
		cur = next
	}
	return cur, r.files[cur], nil
}

// elfFiles lists the regular files of the tree that are ELF objects.
func (r *rootFS) elfFiles() map[string]*elf.File {
	out := map[string]*elf.File{}
	for name, e := range r.files {
		if e.Header.Typeflag != tar.TypeReg || !bytes.HasPrefix(e.Data, []byte("\x7fELF")) {
			continue
		}
		if f, err := elf.NewFile(bytes.NewReader(e.Data)); err == nil {
			out[name] = f
		}
	}
	return out
}

// archs is what the tests know of each release platform: its ELF machine,
// class and byte order, Debian's multiarch directory for its libraries,
// and the qemu-user emulator its binaries run under here ("native": on
// this host; "": not run).
type archInfo struct {
	platform  string
	machine   elf.Machine
	class     elf.Class
	order     string
	multiarch string
	qemu      string
}

var archs = []archInfo{
	{"linux/amd64", elf.EM_X86_64, elf.ELFCLASS64, "LittleEndian", "x86_64-linux-gnu", "native"},
	{"linux/arm64", elf.EM_AARCH64, elf.ELFCLASS64, "LittleEndian", "aarch64-linux-gnu", "qemu-aarch64-static"},
	{"linux/arm/v7", elf.EM_ARM, elf.ELFCLASS32, "LittleEndian", "arm-linux-gnueabihf", ""},
	{"linux/ppc64le", elf.EM_PPC64, elf.ELFCLASS64, "LittleEndian", "powerpc64le-linux-gnu", ""},
	{"linux/s390x", elf.EM_S390, elf.ELFCLASS64, "BigEndian", "s390x-linux-gnu", ""},
	{"linux/riscv64", elf.EM_RISCV, elf.ELFCLASS64, "LittleEndian", "riscv64-linux-gnu", "qemu-riscv64-static"},
}

// debianMachine maps an OCI architecture to its ELF machine and the Debian
// multiarch directory of its libraries.
func debianMachine(t *testing.T, arch string) (elf.Machine, string) {
	t.Helper()
	for _, a := range archs {
		if strings.Split(a.platform, "/")[1] == arch {
			return a.machine, a.multiarch
		}
	}
	t.Fatalf("no ELF machine known for %s", arch)
	return 0, ""
}

// archOf is the release platform's entry of archs.
func archOf(platform string) (archInfo, bool) {
	i := slices.IndexFunc(archs, func(a archInfo) bool { return a.platform == platform })
	if i < 0 {
		return archInfo{}, false
	}
	return archs[i], true
}

// unresolvedLinks checks, as ldd would inside the image, that every ELF
// object's interpreter and DT_NEEDED libraries resolve in the tree (RUNPATH
// with $ORIGIN, then the multiarch and default directories) to objects of
// the platform's machine. It returns one line per problem and the number of
// ELF objects checked.
func unresolvedLinks(t *testing.T, fs *rootFS, arch string) ([]string, int) {
	t.Helper()
	machine, triplet := debianMachine(t, arch)
	defaults := []string{"/lib/" + triplet, "/usr/lib/" + triplet, "/lib", "/usr/lib"}
	if arch == "amd64" {
		defaults = append(defaults, "/lib64", "/usr/lib64")
	}
	var problems []string
	objs := fs.elfFiles()
	for name, f := range objs {
		if f.Machine != machine {
			problems = append(problems, fmt.Sprintf("%s: machine %s, want %s", name, f.Machine, machine))
			continue
		}
		for _, p := range f.Progs {
			if p.Type != elf.PT_INTERP {
				continue
			}
			dt, _ := io.ReadAll(p.Open())
			interp := strings.TrimRight(string(dt), "\x00")
			if _, e, err := fs.resolve(interp); err != nil || e == nil || e.Header.Typeflag != tar.TypeReg {
				problems = append(problems, fmt.Sprintf("%s: interpreter %s does not resolve (%v)", name, interp, err))
			}
		}
		needed, _ := f.DynString(elf.DT_NEEDED)
		var search []string
		for _, tag := range []elf.DynTag{elf.DT_RUNPATH, elf.DT_RPATH} {
			rp, _ := f.DynString(tag)
			for _, s := range rp {
				for _, d := range strings.Split(s, ":") {
					search = append(search, strings.ReplaceAll(strings.ReplaceAll(d, "${ORIGIN}", path.Dir(name)), "$ORIGIN", path.Dir(name)))
				}
			}
		}
		search = append(search, defaults...)
	libs:
		for _, lib := range needed {
			for _, dir := range search {
				found, e, err := fs.resolve(path.Join(dir, lib))
				if err != nil || e == nil {
					continue
				}
				if lf := objs[found]; lf != nil && lf.Machine == machine {
					continue libs
				}
			}
			problems = append(problems, fmt.Sprintf("%s: needs %s, not found in %v", name, lib, search))
		}
	}
	return problems, len(objs)
}
