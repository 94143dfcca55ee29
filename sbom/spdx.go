package sbom

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/distribution/reference"
	"github.com/package-url/packageurl-go"
	"github.com/spdx/tools-golang/spdx/v2/common"
	spdx "github.com/spdx/tools-golang/spdx/v2/v2_3"
)

// Image is what a document describes: one platform's image of a build.
type Image struct {
	Name    string // the spec's name
	Version string // the spec's version, may be ""
	// OS, Architecture and Variant of this platform's image.
	OS, Architecture, Variant string
	// Base is the final stage's base image; nil for scratch.
	Base *BaseImage
	// Created is SOURCE_DATE_EPOCH: the document's time, never the clock.
	Created time.Time
	// Unread are sources of the image no reader understands yet; the
	// document says so rather than pretend they hold nothing.
	Unread []Source
}

// BaseImage is a base by the name the build asked for and the digest it
// was pinned to.
type BaseImage struct {
	Name   string // e.g. gcr.io/distroless/static-debian13:nonroot
	Digest string // "" when a named context gave none
}

// NamespacePrefix starts every documentNamespace; the rest is derived from
// the document's content, so the same build gives the same namespace.
const NamespacePrefix = "https://github.com/org/safe-frontend/spdx/"

// Creator names the tool in creationInfo.
const Creator = "safe-frontend"

// Element IDs (without the SPDXRef- prefix) of the image and its base.
const (
	ImageID     = "Image"
	BaseImageID = "BaseImage"
)

const noAssertion = "NOASSERTION"

// Document writes the SPDX 2.3 JSON document for an image and the packages
// found in it. The same arguments give the same bytes: packages and
// relationships are sorted, IDs derive from package URLs, the time is
// img.Created and the namespace a digest of the rest.
func Document(img Image, pkgs []Package) ([]byte, error) {
	if img.Name == "" {
		return nil, fmt.Errorf("sbom: the image has no name")
	}
	platform := strings.Join(nonEmpty(img.OS, img.Architecture, img.Variant), "/")
	doc := &spdx.Document{
		SPDXVersion:    spdx.Version,
		DataLicense:    spdx.DataLicense,
		SPDXIdentifier: "DOCUMENT",
		DocumentName:   strings.Join(nonEmpty(img.Name, img.Version, platform), " "),
		CreationInfo: &spdx.CreationInfo{
			Creators: []common.Creator{{CreatorType: "Tool", Creator: Creator}},
			Created:  img.Created.UTC().Format(time.RFC3339),
		},
	}
	if len(img.Unread) > 0 {
		var unread []string
		for _, u := range img.Unread {
			unread = append(unread, u.Kind+" "+u.Path)
		}
		slices.Sort(unread)
		doc.CreationInfo.CreatorComment = "Not described (no reader for their kind yet): " + strings.Join(slices.Compact(unread), ", ")
	}
	b := &builder{ids: map[string]*spdx.Package{}, rels: map[[3]string]bool{}}

	root := &spdx.Package{
		PackageName:             img.Name,
		PackageSPDXIdentifier:   ImageID,
		PackageVersion:          img.Version,
		PackageDownloadLocation: noAssertion,
		PrimaryPackagePurpose:   "CONTAINER",
		PackageSourceInfo:       "image built by " + Creator + " for " + platform,
		// The image's own digest is known only once it is exported.
		PackageExternalReferences: purlRef(ociPURL(img.Name, "", img.Architecture, "", "")),
	}
	b.add(root)
	b.relate("DOCUMENT", common.TypeRelationshipDescribe, ImageID)

	if img.Base != nil {
		base, err := basePackage(img.Base, img.Architecture)
		if err != nil {
			return nil, err
		}
		b.add(base)
		b.relate(ImageID, common.TypeRelationshipDescendantOf, BaseImageID)
	}
	for _, p := range pkgs {
		id := b.addPackage(p)
		b.relate(ImageID, common.TypeRelationshipContains, id)
	}

	doc.Packages = b.sortedPackages()
	doc.Relationships = b.sortedRelationships()

	// The namespace must be unique per document: a digest of everything
	// else, so it changes exactly when the content does.
	content, err := encode(doc)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(content)
	doc.DocumentNamespace = NamespacePrefix + idPart(img.Name) + "-" + hex.EncodeToString(sum[:])
	return encode(doc)
}

func encode(doc *spdx.Document) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", " ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("sbom: encoding the document: %w", err)
	}
	return buf.Bytes(), nil
}

type builder struct {
	pkgs []*spdx.Package
	ids  map[string]*spdx.Package
	rels map[[3]string]bool
}

func (b *builder) add(p *spdx.Package) {
	if _, ok := b.ids[string(p.PackageSPDXIdentifier)]; ok {
		return
	}
	b.ids[string(p.PackageSPDXIdentifier)] = p
	b.pkgs = append(b.pkgs, p)
}

func (b *builder) relate(a, typ, c string) {
	b.rels[[3]string{a, typ, c}] = true
}

// addPackage adds a found package and what it depends on; a package found
// twice (the standard library of two binaries) is one element.
func (b *builder) addPackage(p Package) string {
	id := packageID(p)
	b.add(spdxPackage(p, id))
	for _, d := range p.DependsOn {
		b.relate(id, common.TypeRelationshipDependsOn, b.addPackage(d))
	}
	return id
}

// sortedPackages: the image, its base, then by package URL.
func (b *builder) sortedPackages() []*spdx.Package {
	rank := func(p *spdx.Package) int {
		switch p.PackageSPDXIdentifier {
		case ImageID:
			return 0
		case BaseImageID:
			return 1
		}
		return 2
	}
	out := slices.Clone(b.pkgs)
	slices.SortFunc(out, func(x, y *spdx.Package) int {
		return cmp.Or(
			cmp.Compare(rank(x), rank(y)),
			cmp.Compare(purlOf(x), purlOf(y)),
			cmp.Compare(x.PackageSPDXIdentifier, y.PackageSPDXIdentifier),
		)
	})
	return out
}

// sortedRelationships: DESCRIBES first, then by element and type.
func (b *builder) sortedRelationships() []*spdx.Relationship {
	keys := make([][3]string, 0, len(b.rels))
	for k := range b.rels {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(x, y [3]string) int {
		return cmp.Or(
			cmp.Compare(boolRank(x[1] != common.TypeRelationshipDescribe), boolRank(y[1] != common.TypeRelationshipDescribe)),
			cmp.Compare(x[0], y[0]), cmp.Compare(x[1], y[1]), cmp.Compare(x[2], y[2]),
		)
	})
	out := make([]*spdx.Relationship, 0, len(keys))
	for _, k := range keys {
		out = append(out, &spdx.Relationship{
			RefA:         common.MakeDocElementID("", k[0]),
			Relationship: k[1],
			RefB:         common.MakeDocElementID("", k[2]),
		})
	}
	return out
}

func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}

func spdxPackage(p Package, id string) *spdx.Package {
	sp := &spdx.Package{
		PackageName:             p.Name,
		PackageSPDXIdentifier:   common.ElementID(id),
		PackageVersion:          p.Version,
		PackageFileName:         p.FileName,
		PackageDownloadLocation: noAssertion,
		PackageHomePage:         p.Homepage,
		PackageSourceInfo:       p.SourceInfo,
		PackageLicenseConcluded: noAssertion,
		PackageLicenseDeclared:  cmp.Or(p.License, noAssertion),
		PackageCopyrightText:    noAssertion,
		PrimaryPackagePurpose:   p.Purpose,
	}
	if typ, name, ok := strings.Cut(p.Supplier, ": "); ok && (typ == "Person" || typ == "Organization") && name != "" {
		sp.PackageSupplier = &common.Supplier{SupplierType: typ, Supplier: name}
	}
	for _, c := range p.Checksums {
		sp.PackageChecksums = append(sp.PackageChecksums, common.Checksum{Algorithm: common.ChecksumAlgorithm(c.Algorithm), Value: c.Value})
	}
	slices.SortFunc(sp.PackageChecksums, func(x, y common.Checksum) int {
		return cmp.Or(cmp.Compare(x.Algorithm, y.Algorithm), cmp.Compare(x.Value, y.Value))
	})
	sp.PackageExternalReferences = purlRef(p.PURL)
	return sp
}

// basePackage is the base image by digest: pkg:oci/<name>@<digest> with
// the repository it came from and the tag the build asked for.
func basePackage(base *BaseImage, arch string) (*spdx.Package, error) {
	named, err := reference.ParseNormalizedNamed(base.Name)
	if err != nil {
		return nil, fmt.Errorf("sbom: base image %q: %w", base.Name, err)
	}
	repo := named.Name()
	tag := ""
	if t, ok := named.(reference.Tagged); ok {
		tag = t.Tag()
	}
	p := &spdx.Package{
		PackageName:             repo,
		PackageSPDXIdentifier:   BaseImageID,
		PackageVersion:          base.Digest,
		PackageDownloadLocation: noAssertion,
		PrimaryPackagePurpose:   "CONTAINER",
		PackageSourceInfo:       "base image of the final stage, " + base.Name,
	}
	if base.Digest != "" {
		p.PackageChecksums = baseChecksum(base.Digest)
	}
	p.PackageExternalReferences = purlRef(ociPURL(repoName(repo), base.Digest, arch, repo, tag))
	return p, nil
}

// repoName is the last element of a repository: the name in an oci purl.
func repoName(repo string) string {
	return repo[strings.LastIndex(repo, "/")+1:]
}

func baseChecksum(dgst string) []common.Checksum {
	alg, hexv, ok := strings.Cut(dgst, ":")
	if !ok || alg != "sha256" || len(hexv) != 64 {
		return nil
	}
	return []common.Checksum{{Algorithm: common.SHA256, Value: hexv}}
}

func ociPURL(name, dgst, arch, repo, tag string) string {
	q := map[string]string{}
	if arch != "" {
		q["arch"] = arch
	}
	if repo != "" {
		q["repository_url"] = repo
	}
	if tag != "" {
		q["tag"] = tag
	}
	return packageurl.NewPackageURL(packageurl.TypeOCI, "", strings.ToLower(name), dgst, packageurl.QualifiersFromMap(q), "").ToString()
}

func purlRef(purl string) []*spdx.PackageExternalReference {
	if purl == "" {
		return nil
	}
	return []*spdx.PackageExternalReference{{Category: "PACKAGE-MANAGER", RefType: "purl", Locator: purl}}
}

func purlOf(p *spdx.Package) string {
	for _, r := range p.PackageExternalReferences {
		if r.RefType == "purl" {
			return r.Locator
		}
	}
	return ""
}

var notIDChar = regexp.MustCompile(`[^A-Za-z0-9.-]+`)

// packageID is a stable SPDX ID: readable type and name, plus a digest of
// what makes the package unique (its URL, and its file for executables).
func packageID(p Package) string {
	key := p.PURL
	if key == "" {
		key = p.Name + "@" + p.Version
	}
	sum := sha256.Sum256([]byte(key + "\x00" + p.FileName))
	typ := "package"
	if u, err := packageurl.FromString(p.PURL); err == nil {
		typ = u.Type
	}
	return idPart(typ) + "-" + idPart(p.Name) + "-" + hex.EncodeToString(sum[:6])
}

// idPart makes s fit an SPDX ID ([A-Za-z0-9.-]) and keeps it short.
func idPart(s string) string {
	s = strings.Trim(notIDChar.ReplaceAllString(s, "-"), "-")
	if len(s) > 48 {
		s = s[:48]
	}
	if s == "" {
		return "x"
	}
	return s
}

func nonEmpty(vs ...string) []string {
	var out []string
	for _, v := range vs {
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}
