// Package ocitar reads what an OCI image tar (`--output type=oci,dest=X.tar`)
// holds: its entries, and the files inside its gzip layers. The tests and
// the benchmark look into images with it.
package ocitar

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"os"
	"strings"
)

// Entries calls fn with the name and content of every entry of the tar.
func Entries(path string, fn func(name string, data []byte) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		dt, err := io.ReadAll(tr)
		if err != nil {
			return err
		}
		if err := fn(h.Name, dt); err != nil {
			return err
		}
	}
}

// Entry returns one entry's content, such as "index.json".
func Entry(path, name string) ([]byte, error) {
	var out []byte
	err := Entries(path, func(n string, dt []byte) error {
		if n == name {
			out = dt
		}
		return nil
	})
	if err == nil && out == nil {
		err = errors.New(name + " not found in " + path)
	}
	return out, err
}

// LayerFiles calls fn for every file of a layer blob, gzip or plain tar (as
// `docker save` writes them); ok is false when the blob is neither (a
// manifest or a config).
func LayerFiles(blob []byte, fn func(h *tar.Header, r io.Reader) error) (ok bool, err error) {
	var r io.Reader
	if zr, err := gzip.NewReader(bytes.NewReader(blob)); err == nil {
		r = zr
	} else if isTar(blob) {
		r = bytes.NewReader(blob)
	} else {
		return false, nil
	}
	lr := tar.NewReader(r)
	for {
		h, err := lr.Next()
		if errors.Is(err, io.EOF) {
			return true, nil
		}
		if err != nil {
			return true, err
		}
		if err := fn(h, lr); err != nil {
			return true, err
		}
	}
}

// isTar says whether a blob starts with a POSIX (ustar) or GNU tar header:
// the magic at offset 257.
func isTar(blob []byte) bool {
	return len(blob) >= 263 && string(blob[257:262]) == "ustar"
}

// File returns a file's content from the image's layers. Blobs are read in
// tar order, not layer order: use it for files that one layer adds.
func File(path, name string) ([]byte, error) {
	var out []byte
	err := Entries(path, func(_ string, blob []byte) error {
		_, err := LayerFiles(blob, func(h *tar.Header, r io.Reader) error {
			if strings.TrimPrefix(h.Name, "./") != name {
				return nil
			}
			dt, err := io.ReadAll(r)
			out = dt
			return err
		})
		return err
	})
	if err == nil && out == nil {
		err = errors.New(name + " not found in the layers of " + path)
	}
	return out, err
}
