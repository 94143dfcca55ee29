package integration

import (
	"archive/tar"
	"crypto/x509"
	"encoding/pem"
	"runtime"
	"sort"
	"strings"
	"testing"

	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/client/llb"
)

// TestStandinsDebian13: the distroless Debian 13 stand-ins carry, for
// amd64 and arm64, what the real images do: Debian 13's os-release, the
// users, /tmp, the Mozilla CA bundle, zoneinfo, one dpkg status file per
// package (what scanners and the SBOM read) and, for base and cc, libraries
// every ELF object of which resolves inside the image.
func TestStandinsDebian13(t *testing.T) {
	static := []string{"base-files", "ca-certificates", "media-types", "netbase", "tzdata", "tzdata-legacy"}
	base := append([]string{"libc6", "libssl3t64", "libzstd1", "zlib1g"}, static...)
	for _, tc := range []struct {
		name     string
		packages []string
		elfs     bool
		libs     []string // must resolve in the multiarch directory
	}{
		{"static", static, false, nil},
		{"base", base, true, []string{"libc.so.6", "libssl.so.3", "libcrypto.so.3"}},
		{"cc", append([]string{"gcc-14-base", "libgcc-s1", "libgomp1", "libstdc++6"}, base...), true,
			[]string{"libc.so.6", "libssl.so.3", "libstdc++.so.6", "libgcc_s.so.1", "libgomp.so.1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			repo := "distroless/" + tc.name + "-debian13"
			_, images := pullIndex(t, repo, "nonroot")
			var plats []string
			for _, img := range images {
				arch := img.Platform.Architecture
				plats = append(plats, img.Platform.OS+"/"+arch)
				checkDistrolessCommon(t, repo+" "+arch, img)
				checkStatusD(t, repo+" "+arch, img, tc.packages)
				problems, n := unresolvedLinks(t, img.FS, arch)
				for _, p := range problems {
					t.Errorf("%s %s: %s", repo, arch, p)
				}
				if tc.elfs && n < 10 {
					t.Errorf("%s %s: only %d ELF objects; the libraries are missing", repo, arch, n)
				}
				if !tc.elfs && n != 0 {
					t.Errorf("%s %s: %d ELF objects in a static image", repo, arch, n)
				}
				_, triplet := debianMachine(t, arch)
				for _, lib := range tc.libs {
					if _, e, err := img.FS.resolve("/usr/lib/" + triplet + "/" + lib); err != nil || e == nil {
						t.Errorf("%s %s: %s missing: %v", repo, arch, lib, err)
					}
				}
				t.Logf("%s %s: %d ELF objects, all links resolve; %d packages", repo, arch, n, len(tc.packages))
				if tc.elfs {
					// The check itself must catch a missing library.
					delete(img.FS.files, "/usr/lib/"+triplet+"/libc.so.6")
					if problems, _ := unresolvedLinks(t, img.FS, arch); len(problems) == 0 {
						t.Errorf("%s %s: with libc.so.6 removed, every link still resolves: the check is blind", repo, arch)
					}
				}
			}
			if tc.elfs {
				loaderList(t, "gcr.io/"+repo+":nonroot", tc.libs)
			}
			sort.Strings(plats)
			if strings.Join(plats, ",") != "linux/amd64,linux/arm64" {
				t.Errorf("%s platforms %v, want linux/amd64 and linux/arm64", repo, plats)
			}
		})
	}
}

// loaderList runs, under runc, the image's own dynamic loader on its
// libraries (`ld.so --list`, what ldd does) on the host's platform: the
// libraries load, not just exist.
func loaderList(t *testing.T, ref string, libs []string) {
	t.Helper()
	if runtime.GOARCH != "amd64" {
		return // the loader path below is amd64's; arm64 is covered by the ELF check
	}
	st := llb.Image(ref)
	for _, lib := range libs {
		st = st.Run(llb.Args([]string{"/lib64/ld-linux-x86-64.so.2", "--list", "/usr/lib/x86_64-linux-gnu/" + lib}),
			llb.WithCustomNamef("[%s] ld.so --list %s", ref, lib)).Root()
	}
	def, err := st.Marshal(testContext(t))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := newClient(t).Solve(testContext(t), def, client.SolveOpt{}, nil); err != nil {
		t.Errorf("the loader of %s cannot load %v: %v", ref, libs, err)
	}
}

func checkDistrolessCommon(t *testing.T, what string, img platformImage) {
	t.Helper()
	if img.Config.Config.User != "65532:65532" || img.Config.Config.WorkingDir != "/home/nonroot" {
		t.Errorf("%s: user %q workdir %q, want 65532:65532 in /home/nonroot", what, img.Config.Config.User, img.Config.Config.WorkingDir)
	}
	if d := img.Config.Config.Labels["org.opencontainers.image.description"]; !strings.Contains(d, "stand-in") {
		t.Errorf("%s: not labelled as a stand-in: %q", what, d)
	}
	file := func(name string) string {
		_, e, err := img.FS.resolve(name)
		if err != nil || e == nil {
			t.Errorf("%s: %s: %v", what, name, err)
			return ""
		}
		return string(e.Data)
	}
	if osr := file("/etc/os-release"); !strings.Contains(osr, `VERSION_ID="13"`) || !strings.Contains(osr, "(trixie)") {
		t.Errorf("%s: /etc/os-release is not Debian 13:\n%s", what, osr)
	}
	if pw := file("/etc/passwd"); !strings.Contains(pw, "nonroot:x:65532:65532::/home/nonroot:") &&
		!strings.Contains(pw, "nonroot:x:65532:65532:nonroot:/home/nonroot:") {
		t.Errorf("%s: /etc/passwd lacks nonroot 65532:\n%s", what, pw)
	}
	if !strings.Contains(file("/etc/group"), "nonroot:x:65532:") {
		t.Errorf("%s: /etc/group lacks nonroot", what)
	}
	if !strings.Contains(file("/etc/nsswitch.conf"), "hosts:") {
		t.Errorf("%s: /etc/nsswitch.conf has no hosts line", what)
	}
	if file("/usr/share/zoneinfo/Europe/Berlin") == "" || !strings.HasPrefix(file("/usr/share/zoneinfo/UTC"), "TZif") {
		t.Errorf("%s: zoneinfo is missing", what)
	}
	for name, want := range map[string]struct {
		mode     int64
		uid, gid int
	}{"/tmp": {0o1777, 0, 0}, "/home/nonroot": {0o700, 65532, 65532}, "/root": {0o700, 0, 0}} {
		e := img.FS.lookup(name)
		if e == nil || e.Header.Typeflag != tar.TypeDir || e.Header.Mode&0o7777 != want.mode || e.Header.Uid != want.uid || e.Header.Gid != want.gid {
			t.Errorf("%s: %s is not a directory %o owned %d:%d (%+v)", what, name, want.mode, want.uid, want.gid, e)
		}
	}
	// The bundle is Mozilla's set only: nothing of the host's, such as the
	// local TLS proxy's CA, may leak into a base image.
	bundle := []byte(file("/etc/ssl/certs/ca-certificates.crt"))
	n := 0
	for {
		var b *pem.Block
		b, bundle = pem.Decode(bundle)
		if b == nil {
			break
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			t.Errorf("%s: CA bundle: %v", what, err)
			break
		}
		if !c.IsCA {
			t.Errorf("%s: CA bundle holds a non-CA certificate %s", what, c.Subject)
		}
		n++
	}
	if n < 100 {
		t.Errorf("%s: CA bundle has %d certificates, want Mozilla's set (100+)", what, n)
	}
}

// checkStatusD: exactly one dpkg status file per package, each the
// package's control stanza marked installed, for this architecture.
func checkStatusD(t *testing.T, what string, img platformImage, packages []string) {
	t.Helper()
	var got []string
	for name, e := range img.FS.files {
		pkg, ok := strings.CutPrefix(name, "/var/lib/dpkg/status.d/")
		if !ok || pkg == "" || strings.Contains(pkg, "/") || e.Header.Typeflag != tar.TypeReg {
			continue
		}
		got = append(got, pkg)
		s := string(e.Data)
		arch := img.Platform.Architecture
		if !strings.HasPrefix(s, "Package: "+pkg+"\nStatus: install ok installed\n") ||
			!strings.Contains(s, "\nVersion: ") ||
			(!strings.Contains(s, "\nArchitecture: "+arch+"\n") && !strings.Contains(s, "\nArchitecture: all\n")) {
			t.Errorf("%s: status.d/%s is not an installed %s stanza:\n%s", what, pkg, arch, s)
		}
	}
	sort.Strings(got)
	want := append([]string(nil), packages...)
	sort.Strings(want)
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("%s: status.d lists %v, want %v", what, got, want)
	}
}

// TestStandinTrixieSlim: the debian:trixie-slim stand-in is Debian 13 with
// dpkg and apt, and works as a build base: a RUN step on it, under runc.
func TestStandinTrixieSlim(t *testing.T) {
	images := pullImages(t, "library/debian", "trixie-slim")
	for _, img := range images {
		_, e, err := img.FS.resolve("/etc/os-release")
		if err != nil || !strings.Contains(string(e.Data), `VERSION_ID="13"`) {
			t.Errorf("%s: /etc/os-release is not Debian 13: %v", img.Platform.Architecture, err)
		}
		if d := img.Config.Config.Labels["org.opencontainers.image.description"]; !strings.Contains(d, "stand-in") {
			t.Errorf("not labelled as a stand-in: %q", d)
		}
		if e := img.FS.lookup("/usr/share/man/man1/ls.1.gz"); e != nil {
			t.Error("man pages in a slim image")
		}
		if problems, n := unresolvedLinks(t, img.FS, img.Platform.Architecture); len(problems) > 0 || n < 50 {
			t.Errorf("%d ELF objects; unresolved: %v", n, problems)
		}
	}
	def, err := llb.Image("docker.io/library/debian:trixie-slim").
		Run(llb.Args([]string{"/bin/sh", "-c", "dpkg-query -W libc6 apt && apt-get --version | head -1 && grep -q trixie /etc/apt/sources.list.d/debian.sources"}),
			llb.WithCustomName("[trixie-slim] dpkg-query, apt-get")).
		Root().Marshal(testContext(t))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := newClient(t).Solve(testContext(t), def, client.SolveOpt{}, nil); err != nil {
		t.Fatalf("a RUN step on debian:trixie-slim failed: %v", err)
	}
}
