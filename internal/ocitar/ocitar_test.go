package ocitar

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"testing"
)

func tarOf(t *testing.T, files map[string][]byte, order []string) []byte {
	t.Helper()
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for _, n := range order {
		if err := tw.WriteHeader(&tar.Header{Name: n, Mode: 0o644, Size: int64(len(files[n])), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(files[n]); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestReadsEntriesAndLayerFiles(t *testing.T) {
	layer := tarOf(t, map[string][]byte{"./usr/bin/app": []byte("ELF...")}, []string{"./usr/bin/app"})
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	if _, err := zw.Write(layer); err != nil {
		t.Fatal(err)
	}
	zw.Close()
	image := tarOf(t, map[string][]byte{
		"index.json":       []byte(`{"manifests":[]}`),
		"blobs/sha256/aaa": []byte(`{"config":{}}`),
		"blobs/sha256/bbb": gz.Bytes(),
	}, []string{"index.json", "blobs/sha256/aaa", "blobs/sha256/bbb"})
	path := filepath.Join(t.TempDir(), "img.tar")
	if err := os.WriteFile(path, image, 0o644); err != nil {
		t.Fatal(err)
	}
	if dt, err := Entry(path, "index.json"); err != nil || string(dt) != `{"manifests":[]}` {
		t.Fatalf("Entry = %q, %v", dt, err)
	}
	if dt, err := File(path, "usr/bin/app"); err != nil || string(dt) != "ELF..." {
		t.Fatalf("File = %q, %v", dt, err)
	}
	if _, err := File(path, "etc/passwd"); err == nil {
		t.Fatal("File found a file that is not there")
	}
	if _, err := Entry(path, "oci-layout"); err == nil {
		t.Fatal("Entry found an entry that is not there")
	}
	if ok, err := LayerFiles([]byte(`{"not":"gzip"}`), nil); ok || err != nil {
		t.Fatalf("LayerFiles on JSON = %v, %v; want not a layer", ok, err)
	}
}
