// Package spdxcheck parses an SPDX JSON document with the SPDX project's own
// Go library and checks what that library does not: the SPDX 2.3 rules the
// frontend's documents must keep (IDs, required fields, relationships) and
// a parseable package URL on every package. Tests use it; the frontend
// binary does not link it.
package spdxcheck

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/package-url/packageurl-go"
	spdxjson "github.com/spdx/tools-golang/json"
	"github.com/spdx/tools-golang/spdx"
	"github.com/spdx/tools-golang/spdxlib"
)

var (
	idString = regexp.MustCompile(`^[A-Za-z0-9.-]+$`)
	purposes = map[string]bool{"": true, "APPLICATION": true, "FRAMEWORK": true, "LIBRARY": true, "CONTAINER": true,
		"OPERATING-SYSTEM": true, "DEVICE": true, "FIRMWARE": true, "SOURCE": true, "ARCHIVE": true, "FILE": true, "INSTALL": true, "OTHER": true}
)

// Check parses dt as SPDX 2.3 JSON and validates it.
func Check(dt []byte) (*spdx.Document, error) {
	doc, err := spdxjson.Read(bytes.NewReader(dt))
	if err != nil {
		return nil, fmt.Errorf("parsing SPDX JSON: %w", err)
	}
	if err := spdxlib.ValidateDocument(doc); err != nil {
		return nil, fmt.Errorf("tools-golang validation: %w", err)
	}
	var errs []error
	fail := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if doc.SPDXVersion != "SPDX-2.3" {
		fail("spdxVersion %q, want SPDX-2.3", doc.SPDXVersion)
	}
	if doc.DataLicense != "CC0-1.0" {
		fail("dataLicense %q, want CC0-1.0", doc.DataLicense)
	}
	if doc.SPDXIdentifier != "DOCUMENT" {
		fail("SPDXID %q, want SPDXRef-DOCUMENT", doc.SPDXIdentifier)
	}
	if doc.DocumentName == "" || doc.DocumentNamespace == "" {
		fail("name %q and documentNamespace %q are required", doc.DocumentName, doc.DocumentNamespace)
	}
	if doc.CreationInfo == nil || len(doc.CreationInfo.Creators) == 0 {
		fail("creationInfo.creators is required")
	} else if _, err := time.Parse("2006-01-02T15:04:05Z", doc.CreationInfo.Created); err != nil {
		fail("creationInfo.created %q is not YYYY-MM-DDThh:mm:ssZ", doc.CreationInfo.Created)
	}
	ids := map[string]bool{}
	for _, p := range doc.Packages {
		id := string(p.PackageSPDXIdentifier)
		if !idString.MatchString(id) {
			fail("package %q: SPDXID %q has characters outside [A-Za-z0-9.-]", p.PackageName, id)
		}
		if ids[id] {
			fail("SPDXID %q is used twice", id)
		}
		ids[id] = true
		if p.PackageName == "" || p.PackageDownloadLocation == "" {
			fail("package %s: name and downloadLocation are required", id)
		}
		if p.FilesAnalyzed && p.PackageVerificationCode == nil {
			fail("package %s: filesAnalyzed needs a verification code", id)
		}
		if !purposes[p.PrimaryPackagePurpose] {
			fail("package %s: primaryPackagePurpose %q", id, p.PrimaryPackagePurpose)
		}
		purls := 0
		for _, r := range p.PackageExternalReferences {
			if r.RefType != "purl" {
				continue
			}
			purls++
			if r.Category != "PACKAGE-MANAGER" {
				fail("package %s: purl in category %q", id, r.Category)
			}
			if _, err := packageurl.FromString(r.Locator); err != nil {
				fail("package %s: purl %q: %v", id, r.Locator, err)
			}
		}
		if purls != 1 {
			fail("package %s (%s): %d purls, want exactly one", id, p.PackageName, purls)
		}
	}
	describes := 0
	for _, r := range doc.Relationships {
		if r.Relationship == "DESCRIBES" && r.RefA.ElementRefID == "DOCUMENT" {
			describes++
		}
	}
	if describes == 0 {
		fail("no DOCUMENT DESCRIBES relationship")
	}
	return doc, errors.Join(errs...)
}

// PURL returns a package's package URL ("" if none).
func PURL(p *spdx.Package) string {
	for _, r := range p.PackageExternalReferences {
		if r.RefType == "purl" {
			return r.Locator
		}
	}
	return ""
}

// Related lists the element IDs a relationship of type typ leads to from id.
func Related(doc *spdx.Document, id, typ string) []string {
	var out []string
	for _, r := range doc.Relationships {
		if string(r.RefA.ElementRefID) == id && r.Relationship == typ {
			out = append(out, string(r.RefB.ElementRefID))
		}
	}
	return out
}
