package java

import (
	"bytes"
	"path"
	"regexp"
	"strings"

	"github.com/org/safe-frontend/lang"
	"github.com/org/safe-frontend/spec"
)

// repoFix is how a repository credential reaches Maven instead.
const repoFix = "pass a settings.xml as a build secret: secrets: [{id: maven-settings, target: /root/.m2/settings.xml}] and --secret id=maven-settings,src=$HOME/.m2/settings.xml"

// CheckProjectFiles refuses the Maven project files no build should take:
// too large or deep, a credential in a URL, a module, parent or system
// dependency outside the context; and shows JVM options that load an
// agent into the build tool.
func (java) CheckProjectFiles(_ *spec.Spec, files map[string][]byte) []lang.ContextFinding {
	return lang.CheckFiles(files, javaFormat, repoFix, func(name string, data []byte) []lang.ContextFinding {
		switch {
		case path.Base(name) == "pom.xml":
			return pomPathsOutside(name, data)
		case name == ".mvn/jvm.config" || name == ".mvn/maven.config":
			return jvmConfigFindings(name, data)
		}
		return nil
	})
}

func javaFormat(name string) lang.Format {
	if strings.HasSuffix(name, ".xml") {
		return lang.FormatXML
	}
	return lang.FormatText
}

// pomPathRe are the pom elements that name a file or directory: a
// module, the parent's relativePath, a system dependency's systemPath.
var pomPathRe = regexp.MustCompile(`<(module|relativePath|systemPath)>\s*([^<]*?)\s*</`)

var basedirRe = regexp.MustCompile(`^\$\{(project\.basedir|basedir|project\.baseUri)\}/?`)

func pomPathsOutside(name string, data []byte) []lang.ContextFinding {
	var out []lang.ContextFinding
	dir := path.Dir(name)
	for _, m := range pomPathRe.FindAllSubmatchIndex(data, -1) {
		elem, p := string(data[m[2]:m[3]]), string(data[m[4]:m[5]])
		if elem == "systemPath" {
			if !basedirRe.MatchString(p) && strings.HasPrefix(p, "${") {
				continue // another property: only Maven resolves it
			}
			p = basedirRe.ReplaceAllString(p, "")
		}
		if p != "" && lang.OutsideContext(dir, p) {
			out = append(out, lang.OutsideFinding(name, lang.LineAt(data, m[0]), "project."+elem, "<"+elem+">", p))
		}
	}
	return out
}

// agentRe are JVM options that load code into Maven's own JVM.
var agentRe = regexp.MustCompile(`(^|\s)(-javaagent:\S*|-agentlib:\S*|-agentpath:\S*|-Xbootclasspath\S*)`)

// secretPropRe is a system property whose value is a credential.
var secretPropRe = regexp.MustCompile(`(?i)-D([\w.-]*(password|passwd|token|secret|apikey)[\w.-]*)=\S`)

func jvmConfigFindings(name string, data []byte) []lang.ContextFinding {
	var out []lang.ContextFinding
	for n, line := range bytes.Split(data, []byte("\n")) {
		for _, m := range secretPropRe.FindAllSubmatch(line, -1) {
			out = append(out, lang.CredentialFinding(name, n+1, string(m[1]), "the property -D"+lang.Truncate(string(m[1]), 60)+" holds a credential", repoFix))
		}
		for _, m := range agentRe.FindAllSubmatch(line, -1) {
			out = append(out, lang.OverrideFinding(name, n+1, "", "the JVM option "+lang.Truncate(string(m[2]), 60)))
		}
	}
	return out
}
