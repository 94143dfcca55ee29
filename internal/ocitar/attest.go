package ocitar

import (
	"encoding/json"
	"fmt"

	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// Annotations BuildKit puts on attestation manifests and their layers.
const (
	annotationRefType      = "vnd.docker.reference.type"
	annotationRefDigest    = "vnd.docker.reference.digest"
	annotationPredicate    = "in-toto.io/predicate-type"
	refTypeAttestation     = "attestation-manifest"
	maxIndexDepth          = 4
	mediaTypeDockerList    = "application/vnd.docker.distribution.manifest.list.v2+json"
	mediaTypeDockerImageV2 = "application/vnd.docker.distribution.manifest.v2+json"
)

// Attestation is one in-toto statement attached to an image of the tar.
type Attestation struct {
	// Subject is the manifest digest of the image it is about, Platform
	// that image's platform.
	Subject       digest.Digest
	Platform      ocispecs.Platform
	PredicateType string
	// Statement is the in-toto statement as stored (JSON).
	Statement []byte
}

// Statement is the part of an in-toto statement tests look at.
type Statement struct {
	Type          string `json:"_type"`
	PredicateType string `json:"predicateType"`
	Subject       []struct {
		Name   string            `json:"name"`
		Digest map[string]string `json:"digest"`
	} `json:"subject"`
	Predicate json.RawMessage `json:"predicate"`
}

// Images lists the image manifests of the tar (attestation manifests
// excluded) with their platforms, by manifest digest.
func Images(path string) (map[digest.Digest]ocispecs.Platform, error) {
	l, err := load(path)
	if err != nil {
		return nil, err
	}
	out := map[digest.Digest]ocispecs.Platform{}
	for _, d := range l.manifests {
		if d.Annotations[annotationRefType] != refTypeAttestation && d.Platform != nil {
			out[d.Digest] = *d.Platform
		}
	}
	return out, nil
}

// Attestations lists every attestation of every image in the tar.
func Attestations(path string) ([]Attestation, error) {
	l, err := load(path)
	if err != nil {
		return nil, err
	}
	platforms := map[digest.Digest]ocispecs.Platform{}
	for _, d := range l.manifests {
		if d.Platform != nil && d.Annotations[annotationRefType] != refTypeAttestation {
			platforms[d.Digest] = *d.Platform
		}
	}
	var out []Attestation
	for _, d := range l.manifests {
		if d.Annotations[annotationRefType] != refTypeAttestation {
			continue
		}
		var m ocispecs.Manifest
		if err := l.json(d.Digest, &m); err != nil {
			return nil, err
		}
		subject := digest.Digest(d.Annotations[annotationRefDigest])
		for _, layer := range m.Layers {
			dt, err := l.blob(layer.Digest)
			if err != nil {
				return nil, err
			}
			out = append(out, Attestation{
				Subject:       subject,
				Platform:      platforms[subject],
				PredicateType: layer.Annotations[annotationPredicate],
				Statement:     dt,
			})
		}
	}
	return out, nil
}

type layout struct {
	blobs     map[string][]byte
	manifests []ocispecs.Descriptor
}

func load(path string) (*layout, error) {
	l := &layout{blobs: map[string][]byte{}}
	if err := Entries(path, func(name string, dt []byte) error {
		l.blobs[name] = dt
		return nil
	}); err != nil {
		return nil, err
	}
	var idx ocispecs.Index
	dt, ok := l.blobs["index.json"]
	if !ok {
		return nil, fmt.Errorf("%s has no index.json", path)
	}
	if err := json.Unmarshal(dt, &idx); err != nil {
		return nil, fmt.Errorf("%s: index.json: %w", path, err)
	}
	if err := l.walk(idx.Manifests, 0); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return l, nil
}

// walk collects manifests, descending into nested indexes.
func (l *layout) walk(descs []ocispecs.Descriptor, depth int) error {
	if depth > maxIndexDepth {
		return fmt.Errorf("indexes nested deeper than %d", maxIndexDepth)
	}
	for _, d := range descs {
		switch d.MediaType {
		case ocispecs.MediaTypeImageIndex, mediaTypeDockerList:
			var idx ocispecs.Index
			if err := l.json(d.Digest, &idx); err != nil {
				return err
			}
			if err := l.walk(idx.Manifests, depth+1); err != nil {
				return err
			}
		case ocispecs.MediaTypeImageManifest, mediaTypeDockerImageV2:
			l.manifests = append(l.manifests, d)
		}
	}
	return nil
}

func (l *layout) blob(d digest.Digest) ([]byte, error) {
	if err := d.Validate(); err != nil {
		return nil, err
	}
	dt, ok := l.blobs["blobs/"+d.Algorithm().String()+"/"+d.Encoded()]
	if !ok {
		return nil, fmt.Errorf("blob %s is missing", d)
	}
	return dt, nil
}

func (l *layout) json(d digest.Digest, v any) error {
	dt, err := l.blob(d)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(dt, v); err != nil {
		return fmt.Errorf("blob %s: %w", d, err)
	}
	return nil
}
