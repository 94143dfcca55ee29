package policy

import (
	"fmt"
	"maps"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/org/safe-frontend/llbgen"
	"github.com/org/safe-frontend/rules"
	"github.com/org/safe-frontend/spec"
)

// checker collects the findings of one spec.
type checker struct {
	s        *spec.Spec
	src      *spec.Source
	findings []Finding
}

func (c *checker) add(id, p, format string, args ...any) {
	c.findings = append(c.findings, Finding{
		Rule:    rules.MustLookup(id),
		Message: fmt.Sprintf(format, args...),
		Path:    p,
		Range:   c.src.Range(p),
	})
}

// present reports whether a scalar was written: a non-zero value, or a key
// the parser saw (an explicit empty value is still "written").
func (c *checker) present(p string, nonZero bool) bool {
	return nonZero || c.src.Has(p)
}

// Check runs every semantic rule on a parsed spec. s.Source may be nil (a
// spec built in code); ranges then fall back to line 1.
func Check(s *spec.Spec) *Report {
	r := &Report{}
	if s == nil {
		return r
	}
	c := &checker{s: s, src: s.Source}
	if s.Source != nil {
		r.Filename = s.Source.Filename
	}
	c.checkName()
	c.checkLanguage()
	c.checkGo()
	c.checkNode()
	c.checkPython()
	c.checkRust()
	c.checkJava()
	c.checkStatic()
	c.checkUser()
	c.checkPort()
	c.checkHealth()
	c.checkRuntime()
	c.checkResources()
	c.checkWritable()
	c.checkEnv()
	c.checkBuildArgs()
	c.checkLabels()
	c.checkInclude()
	c.checkCopy()
	c.checkSecrets()
	c.checkVersion()
	valid := c.checkExemptions()
	exempt(c.findings, valid)
	sortFindings(c.findings)
	r.Findings = c.findings
	r.Exemptions = usedExemptions(s, r.Findings)
	return r
}

// exempt marks the findings an allow: entry waives.
func exempt(findings []Finding, valid map[string]spec.Exemption) {
	for i := range findings {
		f := &findings[i]
		if !f.Rule.Exemptible {
			continue
		}
		if ex, ok := valid[f.Rule.ID]; ok {
			f.Exempted = true
			f.Reason = strings.TrimSpace(ex.Reason)
		}
	}
}

// usedExemptions are the allow: entries that waived a finding, in spec
// order, each rule once (its first valid entry).
func usedExemptions(s *spec.Spec, findings []Finding) []spec.Exemption {
	used := map[string]bool{}
	for _, f := range findings {
		if f.Exempted {
			used[f.Rule.ID] = true
		}
	}
	var out []spec.Exemption
	for _, ex := range s.Allow {
		id := strings.TrimSpace(ex.Rule)
		if used[id] {
			out = append(out, spec.Exemption{Rule: id, Reason: strings.TrimSpace(ex.Reason)})
			delete(used, id)
		}
	}
	return out
}

// nameRe keeps the name usable as a file name (the binary) and a label.
var nameRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)

func (c *checker) checkName() {
	n := c.s.Name
	if n == "" {
		return // a missing name is the parser's MissingKey
	}
	if !nameRe.MatchString(n) {
		c.add(rules.InvalidValue, "name", "name %q must start with a letter or digit and use only letters, digits, '.', '_' and '-' (at most 128): it also names the binary", n)
	}
}

// checkLanguage needs no table of its own: which blocks exist comes from
// the spec model, what a language's artifacts need from llbgen.
func (c *checker) checkLanguage() {
	for _, name := range llbgen.Languages() {
		if c.s.Language != name && (c.s.HasBlock(name) || c.src.Has(name)) {
			c.add(rules.ConflictingKey, name, "the %s: block applies only to language: %s, but language is %q; remove the block or set language: %s", name, name, c.s.Language, name)
		}
	}
	finals, why, ok := llbgen.SufficientFinals(c.s)
	if !ok || c.s.Final == "" || slices.Contains(finals, c.s.Final) {
		return
	}
	c.add(rules.FinalTooFat, "final", "final %q is larger than a %s app needs: %s; use %s", c.s.Final, c.s.Language, why, quoteList(finals, "or"))
}

// goVersionRe is a golang image release tag, optionally pinned by digest.
var goVersionRe = regexp.MustCompile(`^\d+\.\d+(\.\d+)?((rc|beta)\d+)?(@sha256:[0-9a-f]{64})?$`)

// ValidGoVersion reports whether v is an acceptable go.version: a release
// such as "1.26", "1.26.8" or "1.27rc1", optionally followed by
// "@sha256:<digest>".
func ValidGoVersion(v string) bool { return goVersionRe.MatchString(v) }

func (c *checker) checkGo() {
	g := c.s.Go
	if g == nil {
		return
	}
	if c.present("go/version", g.Version != "") {
		v := g.Version
		switch lv := strings.ToLower(strings.TrimSpace(v)); {
		case lv == "":
			c.add(rules.UnpinnedVersion, "go/version", "go.version is empty; write a release such as \"1.26\" or remove the key to use the frontend's pinned default")
		case lv == "latest" || lv == "stable" || lv == "tip" || lv == "master":
			c.add(rules.UnpinnedVersion, "go/version", "go.version %q moves over time; pin a release such as \"1.26\" or \"1.26.8\"", v)
		case strings.HasPrefix(lv, "go") && goVersionRe.MatchString(lv[2:]):
			c.add(rules.UnpinnedVersion, "go/version", "go.version %q is not an image tag; write %q", v, v[2:])
		case strings.Contains(v, "@"):
			c.add(rules.UnpinnedVersion, "go/version", "go.version %q has an '@' without a sha256 digest; write a release such as \"1.26.8\", optionally followed by @sha256:<64 hex digits>", v)
		case !goVersionRe.MatchString(v):
			c.add(rules.UnpinnedVersion, "go/version", "go.version %q is not a Go release tag; write a release such as \"1.26\", \"1.26.8\" or \"1.27rc1\"", v)
		}
	}
	if m := g.Main; c.present("go/main", m != "") {
		switch {
		case m == "":
			c.add(rules.InvalidValue, "go/main", "go.main is empty; write a package path such as \"./cmd/app\", or remove the key to build \".\"")
		case escapes(m):
			c.add(rules.PathEscapes, "go/main", "go.main %q points outside the build context; write a relative package path such as \"./cmd/app\"", m)
		case m != "." && !strings.HasPrefix(m, "./"):
			c.add(rules.InvalidValue, "go/main", "go.main %q would be read by go as an import path, not a directory; write %q", m, "./"+strings.TrimPrefix(m, "/"))
		}
	}
}

// escapes reports whether a context path is absolute or climbs out of the
// context once cleaned.
func escapes(p string) bool {
	if path.IsAbs(p) || strings.HasPrefix(p, `\`) || (len(p) >= 2 && p[1] == ':') {
		return true
	}
	cl := path.Clean(strings.ReplaceAll(p, `\`, "/"))
	return cl == ".." || strings.HasPrefix(cl, "../")
}

var userRe = regexp.MustCompile(`^(\d+)(?::(\d+))?$`)

func (c *checker) checkUser() {
	u := c.s.Run.User
	if !c.present("run/user", u != "") {
		return
	}
	m := userRe.FindStringSubmatch(u)
	if m == nil {
		name, _, _ := strings.Cut(u, ":")
		hint := ""
		if strings.TrimSpace(name) == "root" {
			hint = ", and \"root\" is uid 0"
		}
		if u == "" {
			c.add(rules.NonNumericUser, "run/user", "run.user is empty; write a numeric UID:GID such as \"65532:65532\" or remove the key for that default")
			return
		}
		c.add(rules.NonNumericUser, "run/user", "run.user %q is not a numeric UID:GID (Kubernetes runAsNonRoot cannot verify a name)%s; write a numeric non-root UID:GID such as \"65532:65532\"", u, hint)
		return
	}
	for i, part := range m[1:] {
		if part == "" {
			continue
		}
		if _, err := strconv.ParseUint(part, 10, 32); err != nil {
			c.add(rules.InvalidValue, "run/user", "run.user %q: %s %s is out of range (0-4294967295)", u, []string{"uid", "gid"}[i], part)
			return
		}
	}
	if uid, _ := strconv.ParseUint(m[1], 10, 32); uid == 0 {
		c.add(rules.RootUser, "run/user", "run.user %q runs the app as root (uid 0); use a non-root UID:GID such as \"65532:65532\" or remove the key for that default", u)
	}
}

func (c *checker) checkPort() {
	p := c.s.Run.Port
	if !c.present("run/port", p != 0) {
		return
	}
	switch {
	case p < 1 || p > 65535:
		c.add(rules.PortOutOfRange, "run/port", "run.port %d is not a TCP port; use 1-65535, e.g. 8080", p)
	case p < 1024:
		c.add(rules.PrivilegedPort, "run/port", "run.port %d is privileged and needs NET_BIND_SERVICE as non-root; listen on a port >= 1024 (e.g. 8080) and map it, or exempt SF204 with a reason", p)
	}
}

func (c *checker) checkHealth() {
	h := c.s.Run.Health
	hasPort := c.present("run/port", c.s.Run.Port != 0)
	if h == nil {
		// An impossible port is SF203's; no health check could probe it.
		if hasPort && c.s.Run.Port >= 1 && c.s.Run.Port <= 65535 && !c.src.Has("run/health") {
			c.add(rules.NoHealthCheck, "run", "run.port %d is served but no health check is declared; add run.health.http, e.g. /healthz", c.s.Run.Port)
		}
		return
	}
	hasHTTP := c.present("run/health/http", h.HTTP != "")
	switch {
	case hasHTTP && h.TCP:
		c.add(rules.ConflictingKey, "run/health/tcp", "run.health sets both http and tcp; an HTTP check already proves the port accepts connections, keep one")
		return
	case h.TCP:
		if !hasPort {
			c.add(rules.InvalidHealth, "run/health", "run.health.tcp cannot be probed because run.port is not set; declare the port the app listens on")
		}
		return
	case !hasHTTP:
		c.add(rules.InvalidHealth, "run/health", "run.health declares no check; add http: /healthz (a path that answers 2xx) or tcp: true")
		return
	}
	p := h.HTTP
	switch {
	case p == "":
		c.add(rules.InvalidHealth, "run/health/http", "run.health.http is empty; write the path that answers 2xx when healthy, e.g. /healthz")
		return
	case !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//"):
		c.add(rules.InvalidHealth, "run/health/http", "run.health.http %q must be an absolute path on the app's own port, e.g. /healthz", p)
		return
	case strings.IndexFunc(p, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0:
		c.add(rules.InvalidHealth, "run/health/http", "run.health.http %q contains whitespace or control characters; percent-encode them or use a plain path such as /healthz", p)
		return
	case strings.Contains(p, "#"):
		c.add(rules.InvalidHealth, "run/health/http", "run.health.http %q has a fragment, which is never sent to the server; remove the '#...' part", p)
		return
	}
	if _, err := url.ParseRequestURI(p); err != nil {
		c.add(rules.InvalidHealth, "run/health/http", "run.health.http %q is not a valid request path; write a path such as /healthz", p)
		return
	}
	if !hasPort {
		c.add(rules.InvalidHealth, "run/health", "run.health.http %q cannot be probed because run.port is not set; declare the port the app listens on", p)
	}
}

// envKeyOK refuses keys that would corrupt an image config Env entry.
func envKeyOK(k string) bool {
	return k != "" && strings.IndexFunc(k, func(r rune) bool {
		return r == '=' || unicode.IsSpace(r) || unicode.IsControl(r)
	}) < 0
}

var argNameRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func (c *checker) checkEnv() {
	for _, k := range slices.Sorted(maps.Keys(c.s.Run.Env)) {
		p := spec.Path("run", "env", k)
		if !envKeyOK(k) {
			c.add(rules.InvalidValue, p, "run.env key %q cannot be an environment variable name (no '=', whitespace or control characters)", k)
			continue
		}
		if LooksSecret(k) && c.s.Run.Env[k] != "" {
			c.add(rules.SecretInEnv, p, "run.env %s looks like a secret and its literal value would be stored in the image config; leave it out (or empty) and inject it at run time from a secret store, or declare a build secret under secrets:", k)
		}
	}
}

func (c *checker) checkBuildArgs() {
	for _, k := range slices.Sorted(maps.Keys(c.s.Build.Args)) {
		p := spec.Path("build", "args", k)
		if !argNameRe.MatchString(k) {
			c.add(rules.InvalidValue, p, "build.args name %q is not a valid variable name; use letters, digits and '_', not starting with a digit", k)
			continue
		}
		v := c.s.Build.Args[k]
		if LooksSecret(k) && v != "" {
			c.add(rules.SecretInBuildArg, p, "build.args %s looks like a secret and its default is written in the spec (and build history); remove the default and declare it under secrets: with env: %s", k, k)
		} else if u, err := url.Parse(v); err == nil && u.User != nil && u.Host != "" {
			// An index URL with credentials (PIP_INDEX_URL=https://user:token@...).
			c.add(rules.SecretInBuildArg, p, "build.args %s holds credentials in its URL, which the spec and build history would keep; drop the user:password@ part and pass them as a build secret (a netrc file: secrets: [{id: netrc, target: /root/.netrc}])", k)
		}
	}
}

// OCI label keys the policy validates.
const (
	labelCreated  = "org.opencontainers.image.created"
	labelRevision = "org.opencontainers.image.revision"
	labelLicenses = "org.opencontainers.image.licenses"
	labelBaseName = "org.opencontainers.image.base.name"
	labelBaseDig  = "org.opencontainers.image.base.digest"
)

// urlLabels hold URLs (OCI image-spec annotations).
var urlLabels = map[string]bool{
	"org.opencontainers.image.source":        true,
	"org.opencontainers.image.url":           true,
	"org.opencontainers.image.documentation": true,
}

var revisionRe = regexp.MustCompile(`^[0-9a-fA-F]{7,64}$`)

func (c *checker) checkLabels() {
	for _, k := range slices.Sorted(maps.Keys(c.s.Labels)) {
		v := c.s.Labels[k]
		p := spec.Path("labels", k)
		if strings.TrimSpace(k) == "" || strings.IndexFunc(k, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
			c.add(rules.InvalidValue, p, "label key %q is empty or contains whitespace; use a reverse-DNS key such as com.example.team", k)
			continue
		}
		if LabelLooksSecret(k) && v != "" {
			c.add(rules.SecretInLabel, p, "label %s looks like a secret and labels are public image metadata; remove it and keep the value in a secret store (declare a build secret under secrets: if the build needs it)", k)
		}
		switch {
		case k == labelBaseName || k == labelBaseDig:
			c.add(rules.ConflictingKey, p, "label %s is generated from the resolved final base; a hand-written value would misreport the image's base, remove it", k)
		case k == labelCreated:
			if _, err := time.Parse(time.RFC3339, v); err != nil {
				c.add(rules.LabelCreated, p, "label %s %q is not an RFC 3339 timestamp such as \"2024-05-01T12:00:00Z\"; or remove it and let the frontend derive it from SOURCE_DATE_EPOCH", k, v)
			}
		case k == labelRevision:
			if !revisionRe.MatchString(v) {
				c.add(rules.LabelRevision, p, "label %s %q is not a git commit hash (7 to 64 hex digits); write the output of git rev-parse HEAD", k, v)
			}
		case k == labelLicenses:
			if err := ParseSPDX(v); err != nil {
				c.add(rules.LabelLicenses, p, "label %s %q is not an SPDX license expression: %v", k, v, err)
			}
		case urlLabels[k]:
			if msg := checkURL(v); msg != "" {
				c.add(rules.LabelURL, p, "label %s %q %s; write an absolute https:// URL", k, v, msg)
			}
		}
	}
}

// checkURL says what is wrong with a label URL, or "".
func checkURL(v string) string {
	if strings.IndexFunc(v, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
		return "contains whitespace"
	}
	u, err := url.Parse(v)
	if err != nil {
		return "is not a URL"
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return "is not an http(s) URL"
	}
	if u.Host == "" {
		return "has no host"
	}
	return ""
}

func (c *checker) checkInclude() {
	for i, inc := range c.s.Include {
		p := spec.Path("include", i)
		switch {
		case strings.TrimSpace(inc) == "":
			c.add(rules.InvalidValue, p, "include[%d] is empty; write a context path such as config/tls.pem", i)
		case escapes(inc):
			c.add(rules.PathEscapes, p, "include[%d] %q is outside the build context; write a path relative to the context", i, inc)
		case Excluded(inc):
			c.add(rules.IncludesExcluded, p, "include[%d] %q re-admits a file the default secret excludes drop (%s); make sure it holds no secret, or exempt SF304 with a reason", i, inc, matchingExclude(inc))
		}
	}
}

var sha256Re = regexp.MustCompile(`^[0-9a-f]{64}$`)

func (c *checker) checkCopy() {
	dests := map[string]int{}
	for i, cp := range c.s.Copy {
		base := spec.Path("copy", i)
		hasFrom := c.present(base+"/from", cp.From != "")
		hasURL := c.present(base+"/url", cp.URL != "")
		hasSum := c.present(base+"/sha256", cp.SHA256 != "")
		switch {
		case hasFrom && hasURL:
			c.add(rules.ConflictingKey, base, "copy[%d] sets both from and url; a copy takes either a context path (from) or a download (url with sha256)", i)
		case !hasFrom && !hasURL:
			c.add(rules.ConflictingKey, base, "copy[%d] has neither from nor url; set from: to a context path, or url: and sha256: for a download", i)
		case hasFrom && hasSum:
			c.add(rules.ConflictingKey, base+"/sha256", "copy[%d] sets sha256 on a context copy (from); sha256 only applies to url downloads, remove it", i)
		}
		if hasFrom {
			switch {
			case cp.From == "":
				c.add(rules.InvalidValue, base+"/from", "copy[%d].from is empty; write a path relative to the build context", i)
			case escapes(cp.From):
				c.add(rules.PathEscapes, base+"/from", "copy[%d].from %q is outside the build context; write a path relative to the context", i, cp.From)
			}
		}
		if hasURL {
			u, err := url.Parse(cp.URL)
			if err != nil || u.Scheme != "https" || u.Host == "" {
				c.add(rules.InvalidValue, base+"/url", "copy[%d].url %q is not an absolute https:// URL; downloads must use TLS", i, cp.URL)
			}
			if !hasSum {
				c.add(rules.DownloadNoChecksum, base+"/url", "copy[%d].url %q has no sha256; add sha256: with the file's digest (sha256sum FILE) so a changed download fails the build", i, cp.URL)
			}
		}
		if hasSum && !sha256Re.MatchString(cp.SHA256) {
			c.add(rules.InvalidValue, base+"/sha256", "copy[%d].sha256 %q is not 64 lower-case hex digits", i, cp.SHA256)
		}
		to := cp.To
		if !c.present(base+"/to", to != "") {
			continue // missing to is the parser's MissingKey
		}
		switch {
		case !path.IsAbs(to):
			c.add(rules.DestNotAbsolute, base+"/to", "copy[%d].to %q is not absolute; write the full path in the image, e.g. /etc/app/config.yaml", i, to)
		case to == "/" || path.Clean(to) == "/":
			c.add(rules.DestNotAbsolute, base+"/to", "copy[%d].to %q is the image root; write the full path of the copied file or directory", i, to)
		case path.Clean(to) != to:
			c.add(rules.DestNotAbsolute, base+"/to", "copy[%d].to %q is not a clean path; write %q", i, to, path.Clean(to))
		default:
			if j, dup := dests[to]; dup {
				c.add(rules.ConflictingKey, base+"/to", "copy[%d].to %q is also the destination of copy[%d]; one would overwrite the other", i, to, j)
			} else {
				dests[to] = i
			}
		}
	}
}

var (
	secretIDRe = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)
	envNameRe  = argNameRe
)

// CASecretID is the reserved secret id of the extra CA bundle the frontend
// mounts for TLS; it may be declared only as a file.
const CASecretID = "ca"

func (c *checker) checkSecrets() {
	ids := map[string]int{}
	envs := map[string]int{}
	targets := map[string]int{}
	for i, sec := range c.s.Secrets {
		base := spec.Path("secrets", i)
		switch {
		case sec.ID == "":
			c.add(rules.InvalidSecret, base+"/id", "secrets[%d].id is empty; name the secret as passed with --secret id=NAME", i)
		case !secretIDRe.MatchString(sec.ID):
			c.add(rules.InvalidSecret, base+"/id", "secrets[%d].id %q may use only letters, digits, '_', '.' and '-'", i, sec.ID)
		default:
			if j, dup := ids[sec.ID]; dup {
				c.add(rules.InvalidSecret, base+"/id", "secrets[%d].id %q is already declared by secrets[%d]; declare each secret once", i, sec.ID, j)
			} else {
				ids[sec.ID] = i
			}
		}
		hasTarget := c.present(base+"/target", sec.Target != "")
		hasEnv := c.present(base+"/env", sec.Env != "")
		if hasTarget && hasEnv {
			c.add(rules.InvalidSecret, base, "secrets[%d] sets both target and env; mount it as a file (target) or expose it as a variable (env), not both", i)
		}
		if hasTarget {
			t := sec.Target
			switch {
			case !path.IsAbs(t):
				c.add(rules.InvalidSecret, base+"/target", "secrets[%d].target %q is not absolute; write a path such as /run/secrets/%s", i, t, sec.ID)
			case path.Clean(t) != t || t == "/":
				c.add(rules.InvalidSecret, base+"/target", "secrets[%d].target %q is not a clean file path; write a path such as /run/secrets/%s", i, t, sec.ID)
			default:
				if j, dup := targets[t]; dup {
					c.add(rules.InvalidSecret, base+"/target", "secrets[%d].target %q is also the target of secrets[%d]; give each secret its own file", i, t, j)
				} else {
					targets[t] = i
				}
			}
		}
		if hasEnv {
			switch {
			case !envNameRe.MatchString(sec.Env):
				c.add(rules.InvalidSecret, base+"/env", "secrets[%d].env %q is not a valid variable name; use letters, digits and '_', not starting with a digit", i, sec.Env)
			case sec.ID == CASecretID:
				c.add(rules.InvalidSecret, base+"/env", "secret id %q is reserved for the extra CA bundle and is mounted as a file; remove env: (a target: is allowed) or rename the secret", CASecretID)
			default:
				if j, dup := envs[sec.Env]; dup {
					c.add(rules.InvalidSecret, base+"/env", "secrets[%d].env %q is also set by secrets[%d]; one would hide the other", i, sec.Env, j)
				} else {
					envs[sec.Env] = i
				}
			}
		}
	}
}

// semverRe is semver 2.0.0: no leading zeros in numeric parts, optional
// pre-release and build metadata.
var semverRe = regexp.MustCompile(`^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)` +
	`(-(0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*)(\.(0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*))*)?` +
	`(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$`)

// ValidSemver reports whether v is a semver 2.0.0 version (no leading "v").
func ValidSemver(v string) bool { return semverRe.MatchString(v) }

var partialVersionRe = regexp.MustCompile(`^v?(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))?$`)

func (c *checker) checkVersion() {
	v := c.s.Version
	if !c.present("version", v != "") || ValidSemver(v) {
		return
	}
	hint := "write MAJOR.MINOR.PATCH such as \"1.0.0\""
	switch {
	case v == "":
		hint = "write a version such as \"1.0.0\" or remove the key"
	case (v[0] == 'v' || v[0] == 'V') && ValidSemver(v[1:]):
		hint = fmt.Sprintf("drop the leading %q: write %q", v[:1], v[1:])
	case partialVersionRe.MatchString(v):
		parts := strings.Split(strings.TrimPrefix(v, "v"), ".")
		for len(parts) < 3 {
			parts = append(parts, "0")
		}
		hint = fmt.Sprintf("write all three parts: %q", strings.Join(parts, "."))
	}
	c.add(rules.VersionSemver, "version", "version %q is not semantic versioning 2.0.0; %s", v, hint)
}

// checkExemptions reports bad allow: entries and returns the valid ones by
// rule ID (the first valid entry of a rule wins).
func (c *checker) checkExemptions() map[string]spec.Exemption {
	valid := map[string]spec.Exemption{}
	seen := map[string]int{}
	for i, ex := range c.s.Allow {
		base := spec.Path("allow", i)
		id := strings.TrimSpace(ex.Rule)
		rule, known := rules.Lookup(id)
		switch {
		case id == "":
			c.add(rules.BadExemption, base+"/rule", "allow[%d].rule is empty; name the rule to waive, e.g. SF204", i)
			continue
		case !known:
			hint := ""
			if _, ok := rules.Lookup(strings.ToUpper(id)); ok {
				hint = fmt.Sprintf(" (rule IDs are upper-case: %q)", strings.ToUpper(id))
			}
			c.add(rules.BadExemption, base+"/rule", "allow[%d].rule %q is not a known rule%s; see `safe rules` for the catalog", i, ex.Rule, hint)
			continue
		case !rule.Exemptible:
			c.add(rules.BadExemption, base+"/rule", "allow[%d].rule %s (%s) cannot be exempted; fix the spec instead", i, id, rule.Name)
			continue
		}
		if j, dup := seen[id]; dup {
			c.add(rules.BadExemption, base+"/rule", "allow[%d] waives %s again (already waived by allow[%d]); keep one entry", i, id, j)
			continue
		}
		seen[id] = i
		if strings.TrimSpace(ex.Reason) == "" {
			p := base + "/reason"
			if !c.src.Has(p) {
				p = base
			}
			c.add(rules.BadExemption, p, "allow[%d] waives %s without a reason; say why the rule does not apply, it is recorded in the image", i, id)
			continue
		}
		valid[id] = ex
	}
	return valid
}

func quoteList(items []string, conj string) string {
	q := make([]string, len(items))
	for i, it := range items {
		q[i] = strconv.Quote(it)
	}
	if len(q) <= 1 {
		return strings.Join(q, "")
	}
	return strings.Join(q[:len(q)-1], ", ") + " " + conj + " " + q[len(q)-1]
}
