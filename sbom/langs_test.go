package sbom

import (
	"bytes"
	"compress/zlib"
	"debug/elf"
	"encoding/binary"
	"os"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

func TestNPMLock(t *testing.T) {
	pkgs, err := Read(os.DirFS("testdata/node"), []Source{{Kind: KindNPMLock, Path: "/app/node_modules/.package-lock.json", App: "ignored"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(pkgs) != 1 || pkgs[0].PURL != "pkg:npm/node-hello@1.0.0" || pkgs[0].Purpose != "APPLICATION" {
		t.Fatalf("want the lockfile's app, got %+v", pkgs)
	}
	// Sorted by install path; the link is left out, the dev entry is in
	// the image and listed, an alias is listed by the package it is.
	want := []string{
		"pkg:npm/%40types/node@22.10.2",
		"pkg:npm/debug@4.4.0",
		"pkg:npm/express@5.3.0",
		"pkg:npm/left-over@1.0.0",
		"pkg:npm/debug@2.6.9",
		"pkg:npm/string-width@4.2.3",
	}
	deps := pkgs[0].DependsOn
	if got := purls(deps); !slices.Equal(got, want) {
		t.Fatalf("purls:\n got %q\nwant %q", got, want)
	}
	if c := deps[2].Checksums; len(c) != 1 || c[0].Algorithm != "SHA512" || len(c[0].Value) != 128 {
		t.Errorf("express checksums %+v", c)
	}
	if !strings.Contains(deps[3].SourceInfo, "marked dev") {
		t.Errorf("dev entry: %q", deps[3].SourceInfo)
	}
}

func TestDistInfo(t *testing.T) {
	src := Source{Kind: KindPythonDistInfo, Path: "/venv/lib/python3.13/site-packages", App: "python-hello", AppVersion: "1.0.0"}
	pkgs, err := Read(os.DirFS("testdata/python"), []Source{src})
	if err != nil {
		t.Fatal(err)
	}
	// The venv does not name its app: the source's App owns the packages.
	if len(pkgs) != 1 || pkgs[0].PURL != "pkg:generic/python-hello@1.0.0" || pkgs[0].Purpose != "APPLICATION" {
		t.Fatalf("want the app, got %+v", pkgs)
	}
	deps := pkgs[0].DependsOn
	want := []string{"pkg:pypi/zope-interface@7.2", "pkg:pypi/flask@3.1.3"}
	if got := purls(deps); !slices.Equal(got, want) {
		t.Fatalf("purls:\n got %q\nwant %q", got, want)
	}
	if deps[1].Name != "Flask" || deps[1].Version != "3.1.3" {
		t.Errorf("flask: %+v", deps[1])
	}
}

func TestRustBinary(t *testing.T) {
	bin := elfWith(t, ".dep-v0", auditJSON(t, `{"packages":[
		{"name":"axum","version":"0.8.9","source":"crates.io","dependencies":[3]},
		{"name":"cc","version":"1.2.0","source":"crates.io","kind":"build"},
		{"name":"rust-hello","version":"0.1.0","source":"local","dependencies":[0,3],"root":true},
		{"name":"tokio","version":"1.54.1","source":"crates.io"}]}`))
	fsys := fstest.MapFS{"usr/local/bin/rust-hello": {Data: bin, Mode: 0o755}}
	pkgs, err := Read(fsys, []Source{{Kind: KindRustBinary, Path: "/usr/local/bin/rust-hello", App: "ignored"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(pkgs) != 1 || pkgs[0].PURL != "pkg:cargo/rust-hello@0.1.0" || pkgs[0].FileName != "/usr/local/bin/rust-hello" {
		t.Fatalf("want the root crate as the app, got %+v", pkgs)
	}
	// The root is not its own dependency; build-only crates are not linked in.
	if got, want := purls(pkgs[0].DependsOn), []string{"pkg:cargo/axum@0.8.9", "pkg:cargo/tokio@1.54.1"}; !slices.Equal(got, want) {
		t.Fatalf("purls:\n got %q\nwant %q", got, want)
	}
}

// Hostile input: every case fails with an error naming the file, and none
// panics (a recovered panic says "internal error").
func TestLanguageReadersHostile(t *testing.T) {
	const lock, site, bin = "app/node_modules/.package-lock.json", "venv/site-packages", "bin/app"
	meta := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }
	var bomb bytes.Buffer
	zw := zlib.NewWriter(&bomb)
	zw.Write([]byte(`{"packages":[`))
	zw.Write(bytes.Repeat([]byte(" "), maxAuditJSON+10))
	zw.Close()
	cases := []struct {
		name, kind, file string
		fsys             fstest.MapFS
		want             string
	}{
		{"npm missing", KindNPMLock, lock, fstest.MapFS{}, "not exist"},
		{"npm not json", KindNPMLock, lock, fstest.MapFS{lock: meta(`{"packages": [`)}, lock},
		{"npm packages not a map", KindNPMLock, lock, fstest.MapFS{lock: meta(`{"packages": []}`)}, lock},
		{"npm bad name", KindNPMLock, lock, fstest.MapFS{lock: meta(`{"packages": {"node_modules/../../etc": {"version": "1"}}}`)}, "not an npm package name"},
		{"npm no version", KindNPMLock, lock, fstest.MapFS{lock: meta(`{"packages": {"node_modules/a": {}}}`)}, "has no version"},
		{"npm directory", KindNPMLock, lock, fstest.MapFS{lock + "/x": meta("")}, "not a regular file"},
		{"python missing", KindPythonDistInfo, site, fstest.MapFS{}, "not exist"},
		{"python no metadata", KindPythonDistInfo, site, fstest.MapFS{site + "/a-1.dist-info/RECORD": meta("")}, site + "/a-1.dist-info/METADATA"},
		{"python no name", KindPythonDistInfo, site, fstest.MapFS{site + "/a-1.dist-info/METADATA": meta("Version: 1\n")}, "not a Python distribution name"},
		{"python bad version", KindPythonDistInfo, site, fstest.MapFS{site + "/a-1.dist-info/METADATA": meta("Name: a\nVersion: 1 2\n")}, "not a Python version"},
		{"python endless headers", KindPythonDistInfo, site, fstest.MapFS{site + "/a-1.dist-info/METADATA": meta("Name: a\nX: " + strings.Repeat("y", maxDistMetadata))}, "no end of the headers"},
		{"python bad header", KindPythonDistInfo, site, fstest.MapFS{site + "/a-1.dist-info/METADATA": meta(" continuation first\n\n")}, "headers"},
		{"rust not elf", KindRustBinary, bin, fstest.MapFS{bin: meta("#!/bin/sh\n")}, "not an ELF executable"},
		{"rust no section", KindRustBinary, bin, fstest.MapFS{bin: {Data: elfWith(t, ".text", []byte{0x90})}}, "no .dep-v0 section"},
		{"rust not zlib", KindRustBinary, bin, fstest.MapFS{bin: {Data: elfWith(t, ".dep-v0", []byte("{}"))}}, ".dep-v0"},
		{"rust bomb", KindRustBinary, bin, fstest.MapFS{bin: {Data: elfWith(t, ".dep-v0", bomb.Bytes())}}, "inflates to more than"},
		{"rust not json", KindRustBinary, bin, fstest.MapFS{bin: {Data: elfWith(t, ".dep-v0", auditJSON(t, `{"packages":{}}`))}}, ".dep-v0"},
		{"rust bad name", KindRustBinary, bin, fstest.MapFS{bin: {Data: elfWith(t, ".dep-v0", auditJSON(t, `{"packages":[{"name":"a b","version":"1"}]}`))}}, "not a crate name"},
		{"rust two roots", KindRustBinary, bin, fstest.MapFS{bin: {Data: elfWith(t, ".dep-v0", auditJSON(t, `{"packages":[{"name":"a","version":"1","root":true},{"name":"b","version":"1","root":true}]}`))}}, "two root crates"},
		{"rust truncated", KindRustBinary, bin, fstest.MapFS{bin: {Data: elfWith(t, ".dep-v0", auditJSON(t, `{"packages":[]}`))[:100]}}, bin},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Read(c.fsys, []Source{{Kind: c.kind, Path: "/" + c.file}})
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), c.file) || strings.Contains(err.Error(), "internal error") {
				t.Errorf("error %q, want one naming %s and saying %q", err, c.file, c.want)
			}
		})
	}
}

// Random bytes as a Rust binary never panic.
func TestRustBinaryGarbage(t *testing.T) {
	good := elfWith(t, ".dep-v0", auditJSON(t, `{"packages":[{"name":"a","version":"1","root":true}]}`))
	for i := range len(good) {
		for _, b := range []byte{0x00, 0xff, 0x7f} {
			dt := slices.Clone(good)
			dt[i] = b
			_, err := Read(fstest.MapFS{"b": {Data: dt}}, []Source{{Kind: KindRustBinary, Path: "/b"}})
			if err != nil && strings.Contains(err.Error(), "internal error") {
				t.Fatalf("byte %d = %#x: %v", i, b, err)
			}
		}
	}
}

// elfWith is a minimal ELF64 executable with one section holding data.
func elfWith(t testing.TB, section string, data []byte) []byte {
	t.Helper()
	strtab := append([]byte("\x00.shstrtab\x00"), section+"\x00"...)
	const hdr, shdr = 64, 64
	strOff := uint64(hdr)
	dataOff := strOff + uint64(len(strtab))
	shOff := dataOff + uint64(len(data))
	var b bytes.Buffer
	h := elf.Header64{
		Type: uint16(elf.ET_EXEC), Machine: uint16(elf.EM_X86_64), Version: uint32(elf.EV_CURRENT),
		Shoff: shOff, Ehsize: hdr, Phentsize: 56, Shentsize: shdr, Shnum: 3, Shstrndx: 1,
	}
	copy(h.Ident[:], elf.ELFMAG)
	h.Ident[elf.EI_CLASS], h.Ident[elf.EI_DATA], h.Ident[elf.EI_VERSION] = byte(elf.ELFCLASS64), byte(elf.ELFDATA2LSB), byte(elf.EV_CURRENT)
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(binary.Write(&b, binary.LittleEndian, h))
	b.Write(strtab)
	b.Write(data)
	for _, s := range []elf.Section64{
		{},
		{Name: 1, Type: uint32(elf.SHT_STRTAB), Off: strOff, Size: uint64(len(strtab)), Addralign: 1},
		{Name: uint32(len(".shstrtab") + 2), Type: uint32(elf.SHT_PROGBITS), Off: dataOff, Size: uint64(len(data)), Addralign: 1},
	} {
		must(binary.Write(&b, binary.LittleEndian, s))
	}
	return b.Bytes()
}

// auditJSON compresses a .dep-v0 document as cargo-auditable does.
func auditJSON(t testing.TB, js string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zlib.NewWriter(&b)
	if _, err := zw.Write([]byte(js)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
