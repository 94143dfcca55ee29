package hardened

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestParseUser(t *testing.T) {
	for _, tc := range []struct {
		in       string
		uid, gid uint32
		err      string
	}{
		{in: "65532:65532", uid: 65532, gid: 65532},
		{in: "1000:0", uid: 1000, gid: 0},
		{in: "", err: "no User"},
		{in: "nonroot", err: "numeric"},
		{in: "65532", err: "numeric"},
		{in: "nonroot:nonroot", err: "not a numeric id"},
		{in: "65532:staff", err: "not a numeric id"},
		{in: "0:0", err: "is root"},
		{in: "-1:5", err: "not a numeric id"},
		{in: "4294967295:1", err: "not a numeric id"},
	} {
		uid, gid, err := ParseUser(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseUser(%q) error = %v, want it to contain %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || uid != tc.uid || gid != tc.gid {
			t.Errorf("ParseUser(%q) = %d, %d, %v; want %d, %d", tc.in, uid, gid, err, tc.uid, tc.gid)
		}
	}
}

func TestSpec(t *testing.T) {
	img := ocispecs.ImageConfig{
		User:       "65532:65532",
		Entrypoint: []string{"/app"},
		Cmd:        []string{"--listen=:8080"},
		Env:        []string{"LOG_FORMAT=json"},
		WorkingDir: "/srv",
	}
	s, err := Spec(img, SpecOptions{})
	if err != nil {
		t.Fatal(err)
	}
	p := s.Process
	if !slices.Equal(p.Args, []string{"/app", "--listen=:8080"}) {
		t.Errorf("args = %q", p.Args)
	}
	if p.Cwd != "/srv" || p.User.UID != 65532 || p.User.GID != 65532 {
		t.Errorf("cwd %q user %+v", p.Cwd, p.User)
	}
	if !slices.Contains(p.Env, "LOG_FORMAT=json") || !strings.HasPrefix(p.Env[0], "PATH=") {
		t.Errorf("env = %q, want the image env plus a default PATH", p.Env)
	}
	if !s.Root.Readonly || !p.NoNewPrivileges {
		t.Errorf("readonly=%v noNewPrivileges=%v", s.Root.Readonly, p.NoNewPrivileges)
	}
	if len(p.Rlimits) != 1 || p.Rlimits[0].Type != "RLIMIT_NOFILE" {
		t.Errorf("rlimits = %+v", p.Rlimits)
	}
	for _, ns := range s.Linux.Namespaces {
		if ns.Type == specs.NetworkNamespace || ns.Type == specs.UserNamespace {
			t.Errorf("unexpected namespace %s", ns.Type)
		}
	}
	for _, want := range []specs.LinuxNamespaceType{specs.PIDNamespace, specs.IPCNamespace, specs.UTSNamespace, specs.MountNamespace} {
		if !slices.ContainsFunc(s.Linux.Namespaces, func(n specs.LinuxNamespace) bool { return n.Type == want }) {
			t.Errorf("namespace %s missing", want)
		}
	}
	if !slices.Contains(s.Linux.MaskedPaths, "/proc/kcore") || !slices.Contains(s.Linux.ReadonlyPaths, "/proc/sys") {
		t.Errorf("masked %q readonly %q", s.Linux.MaskedPaths, s.Linux.ReadonlyPaths)
	}
	if !slices.ContainsFunc(s.Mounts, func(m specs.Mount) bool { return m.Destination == "/tmp" && m.Type == "tmpfs" }) {
		t.Error("no tmpfs at /tmp")
	}
	// /tmp is the only writable directory an app may use: containerd's
	// default tmpfs on /run is dropped.
	if slices.ContainsFunc(s.Mounts, func(m specs.Mount) bool { return m.Destination == "/run" }) {
		t.Error("a mount at /run: /tmp must be the only writable place")
	}
	sc := s.Linux.Seccomp
	if sc == nil || sc.DefaultAction != specs.ActErrno || len(sc.Syscalls) == 0 {
		t.Fatalf("seccomp = %+v", sc)
	}
	// Capability-gated syscalls must stay blocked when no capability is held.
	for _, rule := range sc.Syscalls {
		if rule.Action == specs.ActAllow && slices.Contains(rule.Names, "mount") {
			t.Error("seccomp allows mount without CAP_SYS_ADMIN")
		}
	}

	// runc reads a present capabilities object with absent (omitted) sets as
	// "no capabilities"; a missing object would mean runc's defaults.
	data, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var raw struct {
		Process struct {
			Capabilities *map[string][]string `json:"capabilities"`
		} `json:"process"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		t.Fatal(err)
	}
	if raw.Process.Capabilities == nil {
		t.Fatal("config.json has no capabilities object")
	}
	for set, v := range *raw.Process.Capabilities {
		if len(v) != 0 {
			t.Errorf("capabilities.%s = %v, want none", set, v)
		}
	}

	s, err = Spec(img, SpecOptions{Args: []string{"-v"}})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(s.Process.Args, []string{"/app", "-v"}) {
		t.Errorf("override args = %q", s.Process.Args)
	}
	if s, err := Spec(ocispecs.ImageConfig{User: "65532:65532"}, SpecOptions{}); err == nil {
		t.Errorf("empty entrypoint accepted: %+v", s.Process)
	}
	if _, err := Spec(ocispecs.ImageConfig{User: "root", Cmd: []string{"/x"}}, SpecOptions{}); err == nil {
		t.Error("user name accepted")
	}
}

type entry struct {
	name, body, link string
	typ              byte
	mode             int64
}

func layerTar(t *testing.T, entries []entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		hdr := &tar.Header{Name: e.name, Typeflag: e.typ, Mode: e.mode, Linkname: e.link, Size: int64(len(e.body))}
		if hdr.Mode == 0 {
			hdr.Mode = 0o644
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(e.body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func gz(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	if _, err := w.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// ociTar lays out blobs and an index.json in a tar, as `type=oci,dest=` does.
type ociTar struct {
	t     *testing.T
	blobs map[digest.Digest][]byte
}

func (o *ociTar) add(mediaType string, data []byte) ocispecs.Descriptor {
	d := digest.FromBytes(data)
	o.blobs[d] = data
	return ocispecs.Descriptor{MediaType: mediaType, Digest: d, Size: int64(len(data))}
}

func (o *ociTar) addJSON(mediaType string, v any) ocispecs.Descriptor {
	data, err := json.Marshal(v)
	if err != nil {
		o.t.Fatal(err)
	}
	return o.add(mediaType, data)
}

func (o *ociTar) write(path string, top ocispecs.Descriptor) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	file := func(name string, data []byte) {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg}); err != nil {
			o.t.Fatal(err)
		}
		if _, err := tw.Write(data); err != nil {
			o.t.Fatal(err)
		}
	}
	idx, _ := json.Marshal(ocispecs.Index{MediaType: ocispecs.MediaTypeImageIndex, Manifests: []ocispecs.Descriptor{top}})
	idx = append([]byte(`{"schemaVersion":2,`), idx[1:]...)
	file("oci-layout", []byte(`{"imageLayoutVersion":"1.0.0"}`))
	for d, b := range o.blobs {
		file("blobs/sha256/"+d.Encoded(), b)
	}
	file("index.json", idx)
	if err := tw.Close(); err != nil {
		o.t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		o.t.Fatal(err)
	}
}

func buildImage(t *testing.T) (*ociTar, ocispecs.Descriptor) {
	o := &ociTar{t: t, blobs: map[digest.Digest][]byte{}}
	cfg := ocispecs.Image{
		Platform: ocispecs.Platform{OS: "linux", Architecture: "amd64"},
		Config: ocispecs.ImageConfig{
			User: "65532:65532", Entrypoint: []string{"/bin/app"},
			ExposedPorts: map[string]struct{}{"8080/tcp": {}},
			Labels:       map[string]string{"org.opencontainers.image.title": "t"},
		},
		RootFS: ocispecs.RootFS{Type: "layers"},
	}
	l1 := o.add(ocispecs.MediaTypeImageLayerGzip, gz(t, layerTar(t, []entry{
		{name: "bin/", typ: tar.TypeDir, mode: 0o755},
		{name: "bin/app", typ: tar.TypeReg, body: "#!app", mode: 0o755},
		{name: "bin/sh", typ: tar.TypeSymlink, link: "app"},
		{name: "etc/", typ: tar.TypeDir, mode: 0o755},
		{name: "etc/a", typ: tar.TypeReg, body: "a"},
		{name: "etc/b", typ: tar.TypeReg, body: "b"},
		{name: "data/", typ: tar.TypeDir, mode: 0o755},
		{name: "data/x", typ: tar.TypeReg, body: "x"},
		{name: "data/sub/", typ: tar.TypeDir, mode: 0o755},
		{name: "data/sub/y", typ: tar.TypeReg, body: "y"},
		{name: "tmp/", typ: tar.TypeDir, mode: 0o1777},
	})))
	l2 := o.add(ocispecs.MediaTypeImageLayer, layerTar(t, []entry{
		{name: "etc/.wh.a", typ: tar.TypeReg},
		{name: "etc/c", typ: tar.TypeReg, body: "c"},
		{name: "etc/hard", typ: tar.TypeLink, link: "etc/b"},
		{name: "data/", typ: tar.TypeDir, mode: 0o750},
		{name: "data/.wh..wh..opq", typ: tar.TypeReg},
		{name: "data/z", typ: tar.TypeReg, body: "z"},
		{name: "./bin/app", typ: tar.TypeReg, body: "app v2", mode: 0o755},
	}))
	cfgDesc := o.addJSON(ocispecs.MediaTypeImageConfig, cfg)
	man := o.addJSON(ocispecs.MediaTypeImageManifest, ocispecs.Manifest{
		MediaType: ocispecs.MediaTypeImageManifest, Config: cfgDesc, Layers: []ocispecs.Descriptor{l1, l2},
	})
	return o, man
}

func TestOpenUnpackWhiteouts(t *testing.T) {
	dir := t.TempDir()
	o, man := buildImage(t)
	man.Platform = &ocispecs.Platform{OS: "linux", Architecture: "amd64"}
	// Wrap it in an index with an attestation manifest, as BuildKit does
	// when it attaches provenance: the runner must pick the image.
	att := o.addJSON(ocispecs.MediaTypeImageManifest, ocispecs.Manifest{MediaType: ocispecs.MediaTypeImageManifest})
	att.Annotations = map[string]string{annotationReferenceType: "attestation-manifest"}
	att.Platform = &ocispecs.Platform{OS: "unknown", Architecture: "unknown"}
	top := o.addJSON(ocispecs.MediaTypeImageIndex, ocispecs.Index{MediaType: ocispecs.MediaTypeImageIndex, Manifests: []ocispecs.Descriptor{att, man}})
	image := filepath.Join(dir, "img.tar")
	o.write(image, top)

	img, err := Open(image)
	if err != nil {
		t.Fatal(err)
	}
	if img.Digest != top.Digest || img.ManifestDigest != man.Digest {
		t.Errorf("digest %s manifest %s, want %s %s", img.Digest, img.ManifestDigest, top.Digest, man.Digest)
	}
	s, err := img.Summary()
	if err != nil {
		t.Fatal(err)
	}
	if s.User != "65532:65532" || !slices.Equal(s.ExposedPorts, []string{"8080/tcp"}) || s.Layers != 2 || s.CompressedSize <= 0 {
		t.Errorf("summary = %+v", s)
	}

	rootfs := filepath.Join(dir, "bundle", "rootfs")
	if err := os.MkdirAll(rootfs, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := img.Unpack(rootfs); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(rootfs)
	if err != nil || fi.Mode().Perm() != 0o755 {
		t.Errorf("rootfs mode = %v, %v; want 0755", fi.Mode(), err)
	}
	read := func(p string) string {
		b, err := os.ReadFile(filepath.Join(rootfs, p))
		if err != nil {
			return "<" + err.Error() + ">"
		}
		return string(b)
	}
	exists := func(p string) bool {
		_, err := os.Lstat(filepath.Join(rootfs, p))
		return err == nil
	}
	if exists("etc/a") {
		t.Error("etc/a survived its whiteout")
	}
	if read("etc/b") != "b" || read("etc/c") != "c" || read("etc/hard") != "b" {
		t.Errorf("etc/b=%q etc/c=%q etc/hard=%q", read("etc/b"), read("etc/c"), read("etc/hard"))
	}
	if exists("data/x") || exists("data/sub") {
		t.Error("lower content of an opaque directory survived")
	}
	if read("data/z") != "z" {
		t.Errorf("data/z = %q", read("data/z"))
	}
	if fi, err := os.Stat(filepath.Join(rootfs, "data")); err != nil || fi.Mode().Perm() != 0o750 {
		t.Errorf("data mode = %v, %v", fi.Mode(), err)
	}
	if read("bin/app") != "app v2" {
		t.Errorf("bin/app = %q, want the upper layer's file", read("bin/app"))
	}
	if l, err := os.Readlink(filepath.Join(rootfs, "bin/sh")); err != nil || l != "app" {
		t.Errorf("bin/sh -> %q, %v", l, err)
	}
	if fi, err := os.Stat(filepath.Join(rootfs, "tmp")); err != nil || fi.Mode()&os.ModeSticky == 0 || fi.Mode().Perm() != 0o777 {
		t.Errorf("tmp mode = %v, %v; want sticky 0777", fi.Mode(), err)
	}
	if err := img.Unpack(rootfs); err == nil {
		t.Error("unpacking into a non-empty rootfs succeeded")
	}
}

func TestApplyTarStaysInRoot(t *testing.T) {
	outer := t.TempDir()
	root := filepath.Join(outer, "rootfs")
	if err := os.Mkdir(root, 0o755); err != nil {
		t.Fatal(err)
	}
	// A symlink pointing out of the root, then a write through it: the
	// write must land inside the root.
	err := ApplyTar(root, bytes.NewReader(layerTar(t, []entry{
		{name: "escape", typ: tar.TypeSymlink, link: outer},
		{name: "escape/pwned", typ: tar.TypeReg, body: "x"},
	})))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(outer, "pwned")); err == nil {
		t.Fatal("layer wrote outside the rootfs through a symlink")
	}
	err = ApplyTar(root, bytes.NewReader(layerTar(t, []entry{{name: "../evil", typ: tar.TypeReg, body: "x"}})))
	if err == nil {
		t.Error("a path escaping the root was accepted")
	}
}

func TestOpenRejectsTamperedBlob(t *testing.T) {
	dir := t.TempDir()
	o, man := buildImage(t)
	// Corrupt the config blob while keeping its name.
	for d, b := range o.blobs {
		var probe map[string]any
		if json.Unmarshal(b, &probe) == nil && probe["architecture"] != nil {
			o.blobs[d] = bytes.Replace(b, []byte("65532"), []byte("00000"), 1)
		}
	}
	image := filepath.Join(dir, "img.tar")
	o.write(image, man)
	if _, err := Open(image); err == nil || !strings.Contains(err.Error(), "digest") {
		t.Fatalf("Open of a tampered image: %v", err)
	}
}
