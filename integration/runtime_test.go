package integration

import (
	"archive/tar"
	"bytes"
	"debug/elf"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

const (
	runtimeRepo = "org/safe-frontend-runtime"
	runtimeTag  = "1"
)

// TestRuntimeImage: the runtime companion image hack/stack pushed is an
// index for the platforms of hack/platforms whose /sbin/tini and
// /sbin/safe-probe are static executables of each platform's machine,
// root-owned, 0755, at the epoch, with their licence texts; on this host's
// platform both really run.
func TestRuntimeImage(t *testing.T) {
	_, images := pullIndex(t, runtimeRepo, runtimeTag)
	seen := map[string]bool{}
	for _, img := range images {
		plat := img.Platform.OS + "/" + img.Platform.Architecture
		if img.Platform.Variant != "" {
			plat += "/" + img.Platform.Variant
		}
		seen[plat] = true
		if img.Config.OS+"/"+img.Config.Architecture != img.Platform.OS+"/"+img.Platform.Architecture {
			t.Errorf("%s: config says %s/%s", plat, img.Config.OS, img.Config.Architecture)
		}
		machine, _ := debianMachine(t, img.Platform.Architecture)
		for _, name := range []string{"/sbin/tini", "/sbin/safe-probe", "/sbin/safe-static", "/sbin/safe-precompress"} {
			e := img.FS.lookup(name)
			if e == nil || e.Header.Typeflag != tar.TypeReg {
				t.Errorf("%s: %s is missing or not a regular file", plat, name)
				continue
			}
			if e.Header.Mode&0o7777 != 0o755 || e.Header.Uid != 0 || e.Header.Gid != 0 {
				t.Errorf("%s: %s is mode %o uid %d gid %d, want 0755 root:root", plat, name, e.Header.Mode, e.Header.Uid, e.Header.Gid)
			}
			f, err := elf.NewFile(bytes.NewReader(e.Data))
			if err != nil {
				t.Errorf("%s: %s is not ELF: %v", plat, name, err)
				continue
			}
			if f.Machine != machine {
				t.Errorf("%s: %s is for %s, want %s", plat, name, f.Machine, machine)
			}
			for _, p := range f.Progs {
				if p.Type == elf.PT_INTERP {
					t.Errorf("%s: %s has an ELF interpreter: not static", plat, name)
				}
			}
			if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
				t.Errorf("%s: %s needs shared libraries %v", plat, name, libs)
			}
			t.Logf("%s %s: %d bytes", plat, name, len(e.Data))
		}
		for _, name := range []string{"/usr/share/doc/tini/copyright", "/usr/share/doc/safe-probe/LICENSE", "/usr/share/doc/safe-precompress/brotli-LICENSE"} {
			if e := img.FS.lookup(name); e == nil || len(e.Data) == 0 {
				t.Errorf("%s: licence text %s is missing", plat, name)
			}
		}
		if e := img.FS.lookup("/var/lib/dpkg/status.d/tini"); e == nil ||
			!strings.Contains(string(e.Data), "\nVersion: 0.19.0-") ||
			!strings.Contains(string(e.Data), "\nArchitecture: "+debianArch(img.Platform.Architecture)+"\n") {
			t.Errorf("%s: /var/lib/dpkg/status.d/tini does not name tini 0.19.0 for %s", plat, debianArch(img.Platform.Architecture))
		}
		for name, e := range img.FS.files {
			if name != "/" && (!e.Header.ModTime.Equal(time.Unix(0, 0)) || e.Header.Uid != 0 || e.Header.Gid != 0) {
				t.Errorf("%s: %s has time %s, owner %d:%d; want the epoch and root", plat, name, e.Header.ModTime.UTC(), e.Header.Uid, e.Header.Gid)
			}
		}
		if runtime.GOARCH == img.Platform.Architecture {
			runRuntimeBinaries(t, img)
		}
	}
	want := releasePlatforms(t)
	for _, p := range want {
		if !seen[p] {
			t.Errorf("no %s image; platforms %v, want exactly %v", p, seen, want)
		}
	}
	if len(seen) != len(want) {
		t.Errorf("platforms %v, want exactly %v", seen, want)
	}
}

// debianArch is Debian's name for an OCI architecture.
func debianArch(arch string) string {
	switch arch {
	case "arm":
		return "armhf"
	case "ppc64le":
		return "ppc64el"
	}
	return arch
}

// releasePlatforms reads hack/platforms, the platforms of every release.
func releasePlatforms(t *testing.T) []string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot, "hack", "platforms"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, l := range strings.Split(string(data), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return out
}

// runRuntimeBinaries runs the host platform's tini and probe from the image.
func runRuntimeBinaries(t *testing.T, img platformImage) {
	t.Helper()
	dir := t.TempDir()
	for _, name := range []string{"tini", "safe-probe"} {
		if err := os.WriteFile(filepath.Join(dir, name), img.FS.lookup("/sbin/"+name).Data, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	out, err := exec.Command(filepath.Join(dir, "tini"), "--version").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "tini version 0.19.0") {
		t.Errorf("tini --version: %v: %s", err, out)
	}
	// tini runs the probe as its child and passes its exit status on.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				buf := make([]byte, 4096)
				c.SetReadDeadline(time.Now().Add(5 * time.Second))
				var req []byte
				for !bytes.Contains(req, []byte("\r\n\r\n")) {
					n, err := c.Read(buf)
					req = append(req, buf[:n]...)
					if err != nil {
						return
					}
				}
				io.WriteString(c, "HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n")
			}()
		}
	}()
	probe := exec.Command(filepath.Join(dir, "tini"), "-s", "--", filepath.Join(dir, "safe-probe"), "-timeout=5s", "http://"+ln.Addr().String()+"/healthz")
	if out, err := probe.CombinedOutput(); err != nil || !strings.Contains(string(out), "healthy: HTTP 204") {
		t.Errorf("tini -- safe-probe against a live server: %v: %s", err, out)
	}
	ln.Close()
	probe = exec.Command(filepath.Join(dir, "safe-probe"), "-timeout=2s", "http://"+ln.Addr().String()+"/healthz")
	out, err = probe.CombinedOutput()
	if code := exitCode(err); code != 1 || !strings.Contains(string(out), "connection refused") {
		t.Errorf("safe-probe against a closed port: exit %d, %s", code, out)
	}
}

func exitCode(err error) int {
	if err == nil {
		return 0
	}
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	return -1
}

// TestRuntimeImageReproducible: each platform's /sbin/tini is the pinned
// .deb's tini-static byte for byte, as hack/runtime-stage.sh stages it
// afresh. That the whole index, probe included, rebuilds to the same digest
// on a fresh buildkitd is TestRelease's: it builds the runtime image cold.
func TestRuntimeImageReproducible(t *testing.T) {
	_, images := pullIndex(t, runtimeRepo, runtimeTag)
	ctxDir := t.TempDir()
	stage := exec.Command(filepath.Join(repoRoot, "hack", "runtime-stage.sh"), ctxDir)
	if out, err := stage.CombinedOutput(); err != nil {
		t.Fatalf("hack/runtime-stage.sh: %v\n%s", err, out)
	}
	for _, img := range images {
		arch := img.Platform.Architecture
		deb, err := os.ReadFile(filepath.Join(ctxDir, "tini", arch, "tini-static"))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(deb, img.FS.lookup("/sbin/tini").Data) {
			t.Errorf("%s: /sbin/tini is not the pinned .deb's tini-static", arch)
		}
	}
}
