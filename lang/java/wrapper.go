package java

import (
	_ "embed"
	"fmt"
	"net/url"
	"path"
	"regexp"
	"strconv"
	"strings"

	"github.com/pkg/errors"

	"github.com/org/safe-frontend/lang"
)

// wrapperProps is the Maven wrapper's settings: which Maven the project
// builds with.
const wrapperProps = ".mvn/wrapper/maven-wrapper.properties"

// maxWrapperProps bounds the properties file read from the context.
const maxWrapperProps = 64 << 10

// mavenWrapper is the Maven distribution a project's wrapper names. The
// frontend fetches it itself rather than run ./mvnw (or a
// maven-wrapper.jar from the context): the download goes through the
// build's truststore, and its SHA-256 is checked against
// distributionSha256Sum, or printed as the line to add.
type mavenWrapper struct {
	URL    string // distributionUrl
	SHA256 string // distributionSha256Sum, lower case; "" when not pinned
	Name   string // the distribution's name: apache-maven-3.9.11
}

// distDir is where the distribution is unpacked, in the build stage's
// filesystem (the dependency layer): the package step finds it there.
func (w *mavenWrapper) distDir() string { return "/root/.m2/wrapper/dists/" + w.Name }

var (
	sha256Re    = regexp.MustCompile(`^[0-9a-fA-F]{64}$`)
	distNameRe  = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,100}$`)
	propsEscape = strings.NewReplacer(`\:`, ":", `\=`, "=", `\ `, " ", `\\`, `\`)
)

// readWrapper reads maven-wrapper.properties (Java properties: key=value
// or key: value, # and ! comments, \: escapes as older wrappers wrote).
func readWrapper(data []byte) (*mavenWrapper, error) {
	if len(data) > maxWrapperProps {
		return nil, errors.Errorf("%s is %d bytes; a wrapper's settings are a few lines", wrapperProps, len(data))
	}
	w := &mavenWrapper{}
	for i, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' || line[0] == '!' {
			continue
		}
		k, v, ok := cutProperty(line)
		if !ok {
			continue
		}
		switch k {
		case "distributionUrl":
			w.URL = v
		case "distributionSha256Sum":
			if !sha256Re.MatchString(v) {
				return nil, errors.Errorf("%s:%d: distributionSha256Sum %q is not a SHA-256 (64 hex digits)", wrapperProps, i+1, lang.Truncate(v, 80))
			}
			w.SHA256 = strings.ToLower(v)
		}
	}
	if w.URL == "" {
		return nil, errors.Errorf("%s has no distributionUrl: name the Maven distribution (e.g. distributionUrl=https://repo.maven.apache.org/maven2/org/apache/maven/apache-maven/3.9.11/apache-maven-3.9.11-bin.zip), or delete the file to build with the builder's Maven", wrapperProps)
	}
	u, err := url.Parse(w.URL)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, errors.Errorf("%s: distributionUrl %s must be a plain https URL, without user, password, query or fragment", wrapperProps, shownURL(w.URL))
	}
	name, ok := strings.CutSuffix(path.Base(u.Path), "-bin.zip")
	if !ok || !distNameRe.MatchString(name) {
		return nil, errors.Errorf("%s: distributionUrl %q does not name a Maven binary zip (…/apache-maven-<version>-bin.zip)", wrapperProps, lang.Truncate(w.URL, 200))
	}
	w.Name = name
	return w, nil
}

// shownURL is a URL as an error may quote it: never its user, password,
// query or fragment, where credentials hide; an unparsable one not at all.
func shownURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable)"
	}
	u.User, u.RawQuery, u.Fragment = nil, "", ""
	return strconv.Quote(lang.Truncate(u.String(), 200))
}

// cutProperty splits a properties line at its first unescaped = or :.
func cutProperty(line string) (string, string, bool) {
	for i := 0; i < len(line); i++ {
		switch line[i] {
		case '\\':
			i++
		case '=', ':':
			return strings.TrimSpace(propsEscape.Replace(line[:i])), strings.TrimSpace(propsEscape.Replace(line[i+1:])), true
		}
	}
	return "", "", false
}

// mavenDistJava downloads and unpacks the wrapper's distribution.
//
//go:embed MavenDist.java
var mavenDistJava string

// fetchScript fetches the wrapper's Maven into distDir (step 2): the
// JDK's source launcher runs MavenDist with the build's truststore.
func (w *mavenWrapper) fetchScript() string {
	return fmt.Sprintf(`mkdir -p /tmp/maven-dist
cat > /tmp/maven-dist/MavenDist.java <<'JAVA'
%sJAVA
java -XX:TieredStopAtLevel=1 -XX:+UseSerialGC ${MAVEN_OPTS:-} /tmp/maven-dist/MavenDist.java %s %s %s %s
`, mavenDistJava, lang.ShellQuote(w.URL), lang.ShellQuote(w.SHA256+"-"), lang.ShellQuote(w.distDir()), wrapperProps)
}
