package java

import (
	_ "embed"
	"strings"

	"github.com/org/safe-frontend/plan"
)

// reproducibleJar makes every jar it is given reproducible. maven-jar-plugin
// 3.2.0 and later honours project.build.outputTimestamp (every entry at
// that time, in an order of the archiver's own): the tool reads such a jar,
// finds every entry at the build's time and leaves it as it is. An older
// plugin's jar (entry times of the build's clock, the order of the file
// system, a date comment in pom.properties) is rewritten: every entry at
// the build's time, in name order (the manifest first), no comment. It also
// checks that one of the jars holds the main class (exit 3 if none does).
// It is compiled once (a cached step), so the package step pays for one
// short JVM start, not for the source launcher's compilation.
//
//go:embed ReproducibleJar.java
var reproducibleJar string

// mainClassJava finds a Spring Boot app's main class in its jar, for the
// jar tool, when neither the spec nor the pom names it.
//
//go:embed MainClass.java
var mainClassJava string

// classPathJars readies the dependency jars for the jdeps step (jlink.go).
//
//go:embed ClassPathJars.java
var classPathJars string

// truststoreScript defines java_truststore PEM STORE: the `ca` secret as a
// PKCS12 truststore (the JDK's cacerts plus the secret's certificates) for
// the build tool's JVM, which reads no PEM bundle.
//
//go:embed java_truststore.sh
var truststoreScript string

// pemTrustStoreJava is the Java half of java_truststore.sh (its here
// document), compiled with the jar tool for the package step.
var pemTrustStoreJava = func() string {
	_, rest, _ := strings.Cut(truststoreScript, "<<'JAVA'\n")
	src, _, _ := strings.Cut(rest, "\nJAVA\n")
	return src + "\n"
}()

// Stages of the jar tool: its sources, and the classes javac makes of them.
const (
	toolsSrcStage = "java-tools-src"
	toolsStage    = "java-tools"
)

// toolStages compile the jar tool and the truststore maker once: keyed by
// their sources and the builder, so every build after the first finds them
// cached. They show as part of step n, the step that runs them.
func toolStages(n int) []plan.Stage {
	return []plan.Stage{
		{Name: toolsSrcStage, From: plan.Scratch, Steps: []plan.Step{{
			N: n, Name: "jar rewriter (one entry time)", SpecPath: "language",
			Why: "the sources of the frontend's own Java tools: the jar rewriter with its main class finder, the truststore maker, the class path reader for jdeps",
			Files: []plan.FileAction{
				{Mkfile: &plan.Mkfile{Path: "/ReproducibleJar.java", Mode: 0o644, Data: reproducibleJar}},
				{Mkfile: &plan.Mkfile{Path: "/MainClass.java", Mode: 0o644, Data: mainClassJava}},
				{Mkfile: &plan.Mkfile{Path: "/PemTrustStore.java", Mode: 0o644, Data: pemTrustStoreJava}},
				{Mkfile: &plan.Mkfile{Path: "/ClassPathJars.java", Mode: 0o644, Data: classPathJars}},
			},
		}}},
		{Name: toolsStage, From: plan.Builder, Output: "/run/tools", Steps: []plan.Step{{
			N: n, Name: "javac ReproducibleJar.java MainClass.java PemTrustStore.java ClassPathJars.java", SpecPath: "language",
			Why: "compiled once and cached: the package step starts one short JVM for them, not the source launcher's compiler",
			Run: &plan.Run{
				Args: []string{"javac", "-d", "/run/tools", "/run/tools-src/ReproducibleJar.java", "/run/tools-src/MainClass.java",
					"/run/tools-src/PemTrustStore.java", "/run/tools-src/ClassPathJars.java"},
				Mounts: []plan.Mount{
					{Target: "/run/tools-src", From: &plan.Ref{Stage: toolsSrcStage}},
					{Target: "/run/tools", Output: true},
				},
			},
		}}},
	}
}

// toolsMount is the compiled tools, where the package and jdeps steps find them.
var toolsMount = plan.Mount{Target: toolsDir, From: &plan.Ref{Stage: toolsStage}}
