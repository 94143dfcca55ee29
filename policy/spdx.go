package policy

import (
	"fmt"
	"strings"
)

// spdxLicenses is a compact list of the SPDX license identifiers seen in
// practice (https://spdx.org/licenses/), deprecated forms included since
// they are still valid expressions. Identifiers match case-insensitively.
var spdxLicenses = strings.Fields(`
0BSD AAL AFL-3.0 AGPL-1.0-only AGPL-1.0-or-later AGPL-3.0 AGPL-3.0-only AGPL-3.0-or-later
Apache-1.0 Apache-1.1 Apache-2.0 APSL-2.0 Artistic-1.0 Artistic-2.0 BlueOak-1.0.0
BSD-1-Clause BSD-2-Clause BSD-2-Clause-Patent BSD-3-Clause BSD-3-Clause-Clear BSD-4-Clause
BSL-1.0 BUSL-1.1 CAL-1.0 CC-BY-3.0 CC-BY-4.0 CC-BY-SA-3.0 CC-BY-SA-4.0 CC-BY-NC-4.0 CC0-1.0
CDDL-1.0 CDDL-1.1 CECILL-2.1 CPL-1.0 ECL-2.0 EFL-2.0 EPL-1.0 EPL-2.0 EUPL-1.1 EUPL-1.2
FSFAP GFDL-1.3-only GFDL-1.3-or-later GPL-1.0-only GPL-1.0-or-later GPL-2.0 GPL-2.0-only
GPL-2.0-or-later GPL-3.0 GPL-3.0-only GPL-3.0-or-later HPND ICU IJG Imlib2 IPL-1.0 ISC
JSON LGPL-2.0-only LGPL-2.0-or-later LGPL-2.1 LGPL-2.1-only LGPL-2.1-or-later LGPL-3.0
LGPL-3.0-only LGPL-3.0-or-later Libpng libtiff LPL-1.02 LPPL-1.3c MIT MIT-0 MIT-CMU MPL-1.1
MPL-2.0 MPL-2.0-no-copyleft-exception MS-PL MS-RL MulanPSL-2.0 NCSA Nokia OFL-1.1 OpenSSL
OSL-3.0 PHP-3.01 PostgreSQL PSF-2.0 Python-2.0 Ruby SSPL-1.0 Unicode-3.0 Unicode-DFS-2016
Unlicense UPL-1.0 Vim W3C WTFPL X11 XFree86-1.1 Zlib zlib-acknowledgement ZPL-2.1
`)

// spdxExceptions are common SPDX license exceptions (after WITH).
var spdxExceptions = strings.Fields(`
389-exception Autoconf-exception-2.0 Autoconf-exception-3.0 Bison-exception-2.2
Bootloader-exception Classpath-exception-2.0 eCos-exception-2.0 Font-exception-2.0
freertos-exception-2.0 GCC-exception-2.0 GCC-exception-3.1 GPL-3.0-linking-exception
LGPL-3.0-linking-exception Libtool-exception Linux-syscall-note LLVM-exception
OCaml-LGPL-linking-exception OpenJDK-assembly-exception-1.0 openvpn-openssl-exception
Qt-GPL-exception-1.0 Qt-LGPL-exception-1.1 Swift-exception u-boot-exception-2.0
Universal-FOSS-exception-1.0 WxWindows-exception-3.1
`)

func lowerSet(ids []string) map[string]string {
	m := make(map[string]string, len(ids))
	for _, id := range ids {
		m[strings.ToLower(id)] = id
	}
	return m
}

var (
	spdxLicenseSet   = lowerSet(spdxLicenses)
	spdxExceptionSet = lowerSet(spdxExceptions)
)

// ParseSPDX checks an SPDX license expression: license identifiers (with an
// optional "+"), LicenseRef-*/DocumentRef-*:LicenseRef-* references, the
// operators AND, OR and WITH (upper-case) and parentheses. Precedence is
// WITH over AND over OR, as in SPDX annex D.
func ParseSPDX(expr string) error {
	toks, err := spdxTokens(expr)
	if err != nil {
		return err
	}
	if len(toks) == 0 {
		return fmt.Errorf("it is empty; write a license identifier such as MIT or Apache-2.0")
	}
	p := &spdxParser{toks: toks}
	if err := p.or(0); err != nil {
		return err
	}
	if p.pos < len(p.toks) {
		return p.unexpected()
	}
	return nil
}

// unexpected explains the token where an operator or the end was expected.
func (p *spdxParser) unexpected() error {
	tok := p.toks[p.pos]
	switch low := strings.ToLower(tok); low {
	case "and", "or", "with":
		return fmt.Errorf("operator %q must be upper-case: %s", tok, strings.ToUpper(tok))
	}
	return fmt.Errorf("unexpected %q; join licenses with AND or OR", tok)
}

func spdxTokens(s string) ([]string, error) {
	var toks []string
	i := 0
	for i < len(s) {
		ch := s[i]
		switch {
		case ch == ' ' || ch == '\t':
			i++
		case ch == '(' || ch == ')':
			toks = append(toks, string(ch))
			i++
		case isIDChar(ch) || ch == '+':
			j := i
			for j < len(s) && (isIDChar(s[j]) || s[j] == '+' || s[j] == ':') {
				j++
			}
			toks = append(toks, s[i:j])
			i = j
		default:
			return nil, fmt.Errorf("character %q is not allowed; separate licenses with AND or OR", ch)
		}
	}
	return toks, nil
}

func isIDChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.'
}

type spdxParser struct {
	toks []string
	pos  int
}

// maxSPDXDepth bounds parenthesis nesting, so no label can exhaust the stack.
const maxSPDXDepth = 32

func (p *spdxParser) peek() string {
	if p.pos < len(p.toks) {
		return p.toks[p.pos]
	}
	return ""
}

func (p *spdxParser) or(depth int) error {
	if err := p.and(depth); err != nil {
		return err
	}
	for p.peek() == "OR" {
		p.pos++
		if err := p.and(depth); err != nil {
			return err
		}
	}
	return nil
}

func (p *spdxParser) and(depth int) error {
	if err := p.with(depth); err != nil {
		return err
	}
	for p.peek() == "AND" {
		p.pos++
		if err := p.with(depth); err != nil {
			return err
		}
	}
	return nil
}

func (p *spdxParser) with(depth int) error {
	if err := p.atom(depth); err != nil {
		return err
	}
	if p.peek() == "WITH" {
		p.pos++
		exc := p.peek()
		if exc == "" {
			return fmt.Errorf("WITH needs an exception identifier")
		}
		p.pos++
		if _, ok := spdxExceptionSet[strings.ToLower(exc)]; !ok && !strings.HasPrefix(exc, "AdditionRef-") {
			return fmt.Errorf("%q is not a known SPDX license exception", exc)
		}
	}
	return nil
}

func (p *spdxParser) atom(depth int) error {
	tok := p.peek()
	switch tok {
	case "":
		return fmt.Errorf("it ends where a license identifier is expected")
	case ")", "AND", "OR", "WITH":
		return fmt.Errorf("unexpected %q where a license identifier is expected", tok)
	case "(":
		if depth >= maxSPDXDepth {
			return fmt.Errorf("parentheses nest deeper than %d", maxSPDXDepth)
		}
		p.pos++
		if err := p.or(depth + 1); err != nil {
			return err
		}
		if p.peek() == "" {
			return fmt.Errorf("missing \")\"")
		}
		if p.peek() != ")" {
			return p.unexpected()
		}
		p.pos++
		return nil
	}
	p.pos++
	switch low := strings.ToLower(tok); {
	case low == "and" || low == "or" || low == "with":
		return fmt.Errorf("operator %q must be upper-case: %s", tok, strings.ToUpper(tok))
	case strings.HasPrefix(tok, "LicenseRef-") && len(tok) > len("LicenseRef-"):
		return nil
	case strings.HasPrefix(tok, "DocumentRef-") && strings.Contains(tok, ":LicenseRef-"):
		return nil
	}
	id := strings.TrimSuffix(tok, "+")
	if _, ok := spdxLicenseSet[strings.ToLower(id)]; ok {
		return nil
	}
	if s := closestLicense(id); s != "" {
		return fmt.Errorf("%q is not a known SPDX license identifier (did you mean %s?)", tok, s)
	}
	return fmt.Errorf("%q is not a known SPDX license identifier; use one from spdx.org/licenses or LicenseRef-<name>", tok)
}

// closestLicense suggests a known identifier within a small edit distance.
func closestLicense(id string) string {
	best, bestD := "", 4
	low := strings.ToLower(id)
	for _, cand := range spdxLicenses {
		if d := editDistance(low, strings.ToLower(cand), bestD); d < bestD {
			best, bestD = cand, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance, cut off at limit.
func editDistance(a, b string, limit int) int {
	if d := len(a) - len(b); d >= limit || -d >= limit {
		return limit
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
