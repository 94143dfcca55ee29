package sbom

import (
	"os"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

func purls(pkgs []Package) []string {
	var out []string
	for _, p := range pkgs {
		out = append(out, p.PURL)
	}
	return out
}

func TestDpkgStatusD(t *testing.T) {
	pkgs, err := Read(os.DirFS("testdata/distroless-debian13"), []Source{{Kind: KindDpkgStatus, Path: "/var/lib/dpkg/status.d"}})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"pkg:deb/debian/base-files@13.8%2Bdeb13u1?arch=amd64&distro=debian-13",
		"pkg:deb/debian/libc6@2.41-12?arch=amd64&distro=debian-13&upstream=glibc",
		"pkg:deb/debian/libssl3t64@3.5.1-1%2Bdeb13u1?arch=amd64&distro=debian-13&upstream=openssl%403.5.1-1%2Bdeb13u1",
		"pkg:deb/debian/netbase@6.5?arch=all&distro=debian-13",
		"pkg:deb/debian/tzdata@2025b-4%2Bdeb13u1?arch=all&distro=debian-13",
	}
	if got := purls(pkgs); !slices.Equal(got, want) {
		t.Fatalf("purls:\n got %q\nwant %q", got, want)
	}
	libc := pkgs[1]
	if libc.Supplier != "Person: GNU Libc Maintainers (debian-glibc@lists.debian.org)" {
		t.Errorf("supplier = %q", libc.Supplier)
	}
	if libc.Homepage != "https://www.gnu.org/software/libc/libc.html" {
		t.Errorf("homepage = %q", libc.Homepage)
	}
	if !strings.HasPrefix(libc.SourceInfo, "built package from: glibc 2.41-12;") || !strings.Contains(libc.SourceInfo, "/var/lib/dpkg/status.d/libc6") {
		t.Errorf("sourceInfo = %q", libc.SourceInfo)
	}
}

func TestDpkgStatusFile(t *testing.T) {
	pkgs, err := Read(os.DirFS("testdata/debian12"), []Source{{Kind: KindDpkgStatus, Path: "/var/lib/dpkg/status"}})
	if err != nil {
		t.Fatal(err)
	}
	// apt-old is removed (config files remain): not in the image's packages.
	want := []string{
		"pkg:deb/debian/adduser@3.134?arch=all&distro=debian-12",
		"pkg:deb/debian/libgcc-s1@12.2.0-14?arch=amd64&distro=debian-12&upstream=gcc-12%4012.2.0-14",
	}
	if got := purls(pkgs); !slices.Equal(got, want) {
		t.Fatalf("purls:\n got %q\nwant %q", got, want)
	}
}

// A base without dpkg data (scratch) has no Debian
// packages; that is not an error.
func TestDpkgAbsent(t *testing.T) {
	pkgs, err := Read(fstest.MapFS{"etc/passwd": {Data: []byte("root:x:0:0::/root:/sbin/nologin\n")}},
		[]Source{{Kind: KindDpkgStatus, Path: "/var/lib/dpkg/status.d"}, {Kind: KindDpkgStatus, Path: "/var/lib/dpkg/status"}})
	if err != nil || len(pkgs) != 0 {
		t.Fatalf("got %v, %v; want nothing", pkgs, err)
	}
}

func TestOSRelease(t *testing.T) {
	for _, tc := range []struct{ data, ns, distro string }{
		{"ID=debian\nVERSION_ID=\"13\"\n", "debian", "debian-13"},
		{"ID='ubuntu'\nVERSION_ID=24.04\n", "ubuntu", "ubuntu-24.04"},
		{"ID=debian\n", "debian", ""},
		{"ID=\"de bian\"\nVERSION_ID=13\n", "debian", ""},
		{"VERSION_ID=\"13\\\"; rm -rf\"\nID=debian\n", "debian", ""},
		{"\x00\xff garbage", "debian", ""},
	} {
		ns, distro := osRelease(fstest.MapFS{"etc/os-release": {Data: []byte(tc.data)}})
		if ns != tc.ns || distro != tc.distro {
			t.Errorf("%q: got %q %q, want %q %q", tc.data, ns, distro, tc.ns, tc.distro)
		}
	}
	if ns, distro := osRelease(fstest.MapFS{}); ns != "debian" || distro != "" {
		t.Errorf("no os-release: got %q %q", ns, distro)
	}
}

// Hostile dpkg data fails with the file and line, never a panic and never
// a silently shorter package list.
func TestDpkgHostile(t *testing.T) {
	const dir = "var/lib/dpkg/status.d/"
	good := "Package: zlib1g\nVersion: 1:1.3.dfsg+really1.3.1-1+b1\nArchitecture: amd64\n"
	for name, tc := range map[string]struct {
		data    string
		wantErr string // "" means: parses
	}{
		"continuation first":  {" leading continuation\n", "x:1: continuation line without a field"},
		"not a field":         {good + "garbage line\n", "x:4: \"garbage line\" is not a field"},
		"empty field name":    {": value\n", "x:1:"},
		"space in field name": {"Pack age: x\n", "x:1:"},
		"duplicate field":     {good + "Version: 2\n", "x:4: field \"version\" appears twice"},
		"bad name":            {"Package: ../../etc\nVersion: 1\n", "x:1: Package \"../../etc\" is not a Debian package name"},
		"bad version":         {"Package: a1\nVersion: 1 2\n", "x:1: package a1: Version \"1 2\""},
		"missing version":     {"Package: a1\n", "x:1: package a1: Version \"\""},
		"bad arch":            {"Package: a1\nVersion: 1\nArchitecture: am d64\n", "x:1: package a1: Architecture"},
		"long line":           {"Package: a1\nDescription: " + strings.Repeat("x", maxControlLine+1) + "\n", "x:2: line longer than"},
		"too big":             {strings.Repeat("#\n", maxStanzaFile/2+1), "more than 1048576 bytes"},
		"too many fields":     {manyFields(maxStanzaFields + 1), "more than 256 fields"},
		"binary":              {"\x7fELF\x02\x01\x01\x00\x00\x00\x00", "is not a field"},
		"crlf and comments":   {"# comment\r\n" + strings.ReplaceAll(good, "\n", "\r\n"), ""},
		"no package field":    {"Description: nothing\n", ""},
		"only blank lines":    {"\n\n  \n\t\n", ""},
		"nul bytes":           {"Package: a1\x00\nVersion: 1\n", "is not a Debian package name"},
	} {
		t.Run(name, func(t *testing.T) {
			fsys := fstest.MapFS{dir + "x": {Data: []byte(tc.data)}}
			_, err := Read(fsys, []Source{{Kind: KindDpkgStatus, Path: "/" + strings.TrimSuffix(dir, "/")}})
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("error = %v, want one containing %q", err, tc.wantErr)
			case err != nil && !strings.Contains(err.Error(), "/var/lib/dpkg/status.d/x"):
				t.Fatalf("error does not name the file: %v", err)
			}
		})
	}
}

func manyFields(n int) string {
	var b strings.Builder
	b.WriteString("Package: a1\nVersion: 1\n")
	for i := range n {
		b.WriteString("X-F")
		b.WriteString(strings.Repeat("a", i%7+1))
		b.WriteString(strings.Repeat("b", i/7+1))
		b.WriteString(": v\n")
	}
	return b.String()
}

func TestDpkgTooManyFiles(t *testing.T) {
	fsys := fstest.MapFS{}
	for i := range maxDpkgFiles + 1 {
		fsys["var/lib/dpkg/status.d/p"+strings.Repeat("x", i%3)+string(rune('a'+i%26))+itoa(i)] = &fstest.MapFile{Data: []byte("Package: p\nVersion: 1\n")}
	}
	_, err := Read(fsys, []Source{{Kind: KindDpkgStatus, Path: "/var/lib/dpkg/status.d"}})
	if err == nil || !strings.Contains(err.Error(), "more than the 10000") {
		t.Fatalf("err = %v", err)
	}
}

func itoa(i int) string {
	const digits = "0123456789"
	if i < 10 {
		return digits[i : i+1]
	}
	return itoa(i/10) + digits[i%10:i%10+1]
}

func FuzzDpkgStatus(f *testing.F) {
	for _, name := range []string{"base-files", "libc6", "libssl3t64", "netbase", "tzdata"} {
		dt, err := os.ReadFile("testdata/distroless-debian13/var/lib/dpkg/status.d/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(dt, []byte("ID=debian\nVERSION_ID=13\n"))
	}
	dt, err := os.ReadFile("testdata/debian12/var/lib/dpkg/status")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(dt, []byte("ID=debian\n"))
	f.Fuzz(func(t *testing.T, status, osrel []byte) {
		fsys := fstest.MapFS{
			"var/lib/dpkg/status.d/p": {Data: status},
			"var/lib/dpkg/status":     {Data: status},
			"etc/os-release":          {Data: osrel},
		}
		for _, p := range []string{"/var/lib/dpkg/status.d", "/var/lib/dpkg/status"} {
			pkgs, err := Read(fsys, []Source{{Kind: KindDpkgStatus, Path: p}})
			if err != nil {
				if strings.Contains(err.Error(), "internal error") {
					t.Fatal(err)
				}
				continue
			}
			for _, pkg := range pkgs {
				if pkg.Name == "" || pkg.Version == "" || !strings.HasPrefix(pkg.PURL, "pkg:deb/") {
					t.Fatalf("incomplete package %+v", pkg)
				}
			}
			if _, err := Document(Image{Name: "fuzz"}, pkgs); err != nil {
				t.Fatal(err)
			}
		}
	})
}
