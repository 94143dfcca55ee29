// Package repro explains why two builds of the same inputs gave different
// images: which config fields differ and, layer by layer, which files differ
// in content, mode, owner or time. A failing reproducibility test prints it,
// so the cause is in the test log rather than in a debugging session.
package repro

import (
	"archive/tar"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"path"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/org/safe-frontend/internal/hardened"
	"github.com/org/safe-frontend/internal/ocitar"
)

// MaxLines bounds a report; the first differences name the cause.
const MaxLines = 60

// Diff compares the images of two OCI tars (as `--output type=oci` writes
// them) and describes every difference; "" when the manifests are equal.
func Diff(a, b string) (string, error) {
	ia, err := load(a)
	if err != nil {
		return "", err
	}
	ib, err := load(b)
	if err != nil {
		return "", err
	}
	if ia.img.ManifestDigest == ib.img.ManifestDigest {
		return "", nil
	}
	r := &report{}
	r.add("manifest %s vs %s", ia.img.ManifestDigest, ib.img.ManifestDigest)
	// Descriptors' annotations and media types live in the manifest only.
	var ma, mb any
	if err := json.Unmarshal(ia.blob(ia.img.ManifestDigest.Encoded()), &ma); err != nil {
		return "", fmt.Errorf("%s: manifest: %w", a, err)
	}
	if err := json.Unmarshal(ib.blob(ib.img.ManifestDigest.Encoded()), &mb); err != nil {
		return "", fmt.Errorf("%s: manifest: %w", b, err)
	}
	diffJSON(r, "manifest", ma, mb)
	if ia.img.Manifest.Config.Digest != ib.img.Manifest.Config.Digest {
		var ca, cb any
		if err := json.Unmarshal(ia.blob(ia.img.Manifest.Config.Digest.Encoded()), &ca); err != nil {
			return "", fmt.Errorf("%s: config: %w", a, err)
		}
		if err := json.Unmarshal(ib.blob(ib.img.Manifest.Config.Digest.Encoded()), &cb); err != nil {
			return "", fmt.Errorf("%s: config: %w", b, err)
		}
		diffJSON(r, "config", ca, cb)
	}
	la, lb := ia.img.Manifest.Layers, ib.img.Manifest.Layers
	if len(la) != len(lb) {
		r.add("layers: %d vs %d", len(la), len(lb))
	}
	for i := range min(len(la), len(lb)) {
		if la[i].Digest == lb[i].Digest {
			continue
		}
		fa, oa, err := files(ia.blob(la[i].Digest.Encoded()))
		if err != nil {
			return "", fmt.Errorf("%s: layer %d: %w", a, i, err)
		}
		fb, ob, err := files(ib.blob(lb[i].Digest.Encoded()))
		if err != nil {
			return "", fmt.Errorf("%s: layer %d: %w", b, i, err)
		}
		before := len(r.lines)
		diffFiles(r, fmt.Sprintf("layer %d", i), fa, fb)
		if len(r.lines) == before {
			if !slices.Equal(oa, ob) {
				r.add("layer %d: the same files in a different tar order", i)
			} else {
				r.add("layer %d: the same files and headers; the compressed blobs differ (%s vs %s)", i, la[i].Digest, lb[i].Digest)
			}
		}
	}
	return r.String(), nil
}

type image struct {
	img   *hardened.Image
	blobs map[string][]byte // by hex digest
}

func (i *image) blob(hex string) []byte { return i.blobs[hex] }

func load(ociTar string) (*image, error) {
	img, err := hardened.Open(ociTar)
	if err != nil {
		return nil, err
	}
	out := &image{img: img, blobs: map[string][]byte{}}
	err = ocitar.Entries(ociTar, func(name string, dt []byte) error {
		if hex, ok := strings.CutPrefix(path.Clean(name), "blobs/sha256/"); ok {
			out.blobs[hex] = dt
		}
		return nil
	})
	return out, err
}

// entry is what a layer records about one path.
type entry struct {
	Type     byte
	Mode     int64
	UID, GID int
	Uname    string
	Gname    string
	Size     int64
	ModTime  time.Time
	Linkname string
	PAX      map[string]string
	SHA256   string
}

func files(blob []byte) (map[string]entry, []string, error) {
	out := map[string]entry{}
	var order []string
	ok, err := ocitar.LayerFiles(blob, func(h *tar.Header, r io.Reader) error {
		sum := sha256.New()
		if _, err := io.Copy(sum, r); err != nil {
			return err
		}
		name := strings.TrimPrefix(h.Name, "./")
		order = append(order, name)
		out[name] = entry{
			Type: h.Typeflag, Mode: h.Mode, UID: h.Uid, GID: h.Gid, Uname: h.Uname, Gname: h.Gname,
			Size: h.Size, ModTime: h.ModTime.UTC(), Linkname: h.Linkname, PAX: h.PAXRecords,
			SHA256: hex.EncodeToString(sum.Sum(nil)),
		}
		return nil
	})
	if !ok {
		return nil, nil, fmt.Errorf("not a gzip tar layer")
	}
	return out, order, err
}

func diffFiles(r *report, where string, a, b map[string]entry) {
	names := slices.Sorted(maps.Keys(a))
	for n := range b {
		if _, ok := a[n]; !ok {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	for _, n := range names {
		ea, inA := a[n]
		eb, inB := b[n]
		switch {
		case !inB:
			r.add("%s: /%s only in the first image", where, n)
		case !inA:
			r.add("%s: /%s only in the second image", where, n)
		default:
			if d := entryDiff(ea, eb); d != "" {
				r.add("%s: /%s: %s", where, n, d)
			}
		}
	}
}

func entryDiff(a, b entry) string {
	var d []string
	if !a.ModTime.Equal(b.ModTime) {
		d = append(d, fmt.Sprintf("mtime %s vs %s", a.ModTime.Format(time.RFC3339Nano), b.ModTime.Format(time.RFC3339Nano)))
	}
	if a.SHA256 != b.SHA256 {
		d = append(d, fmt.Sprintf("content differs (%d vs %d bytes)", a.Size, b.Size))
	}
	if a.Mode != b.Mode {
		d = append(d, fmt.Sprintf("mode %o vs %o", a.Mode, b.Mode))
	}
	if a.UID != b.UID || a.GID != b.GID || a.Uname != b.Uname || a.Gname != b.Gname {
		d = append(d, fmt.Sprintf("owner %d:%d(%s:%s) vs %d:%d(%s:%s)", a.UID, a.GID, a.Uname, a.Gname, b.UID, b.GID, b.Uname, b.Gname))
	}
	if a.Type != b.Type || a.Linkname != b.Linkname {
		d = append(d, fmt.Sprintf("type %q->%q vs %q->%q", a.Type, a.Linkname, b.Type, b.Linkname))
	}
	if !maps.Equal(a.PAX, b.PAX) {
		d = append(d, fmt.Sprintf("PAX records %v vs %v", a.PAX, b.PAX))
	}
	return strings.Join(d, ", ")
}

// diffJSON names every path where two JSON values differ.
func diffJSON(r *report, at string, a, b any) {
	switch va := a.(type) {
	case map[string]any:
		vb, ok := b.(map[string]any)
		if !ok {
			break
		}
		keys := slices.Sorted(maps.Keys(va))
		for k := range vb {
			if _, ok := va[k]; !ok {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		for _, k := range slices.Compact(keys) {
			diffJSON(r, at+"."+k, va[k], vb[k])
		}
		return
	case []any:
		vb, ok := b.([]any)
		if !ok || len(va) != len(vb) {
			break
		}
		for i := range va {
			diffJSON(r, fmt.Sprintf("%s[%d]", at, i), va[i], vb[i])
		}
		return
	}
	if !reflect.DeepEqual(a, b) {
		r.add("%s: %s vs %s", at, short(a), short(b))
	}
}

func short(v any) string {
	dt, _ := json.Marshal(v)
	if len(dt) > 200 {
		return string(dt[:200]) + "..."
	}
	return string(dt)
}

type report struct{ lines []string }

func (r *report) add(format string, args ...any) {
	r.lines = append(r.lines, fmt.Sprintf(format, args...))
}

func (r *report) String() string {
	lines := r.lines
	if len(lines) > MaxLines {
		lines = append(lines[:MaxLines:MaxLines], fmt.Sprintf("... and %d more differences", len(r.lines)-MaxLines))
	}
	return strings.Join(lines, "\n")
}
