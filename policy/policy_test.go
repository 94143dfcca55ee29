package policy

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/org/safe-frontend/rules"
	"github.com/org/safe-frontend/spec"
)

// goodSpec is a spec built in code that no rule fires on.
func goodSpec() *spec.Spec {
	return &spec.Spec{
		Name:     "app",
		Version:  "1.2.3",
		Language: "go",
		Go:       &spec.Go{Version: "1.26", Main: "./cmd/app"},
		Build:    spec.Build{Args: map[string]string{"GOFLAGS": "-mod=mod", "TOKEN_FILE": "/run/secrets/t"}},
		Run: spec.Run{
			Port:      8080,
			User:      "65532:65532",
			Env:       map[string]string{"LOG_FORMAT": "json", "API_TOKEN": "", "PUBLIC_KEY": "abc"},
			Health:    &spec.Health{HTTP: "/healthz"},
			Resources: &spec.Resources{CPU: "250m", Memory: "128Mi"},
			Writable:  []string{"/tmp"},
		},
		Final: "distroless",
		Labels: map[string]string{
			"org.opencontainers.image.licenses": "Apache-2.0 OR MIT",
			"org.opencontainers.image.created":  "2024-05-01T12:00:00Z",
			"org.opencontainers.image.revision": "0123456789abcdef0123456789abcdef01234567",
			"org.opencontainers.image.source":   "https://example.com/app",
			"com.example.keyboard":              "yes",
		},
		Include: []string{"config/app.yaml"},
		Copy: []spec.Copy{
			{From: "static", To: "/srv/static"},
			{URL: "https://example.com/a.tgz", SHA256: strings.Repeat("ab", 32), To: "/opt/a.tgz"},
		},
		Secrets: []spec.Secret{
			{ID: "netrc", Target: "/root/.netrc"},
			{ID: "gh", Env: "GITHUB_TOKEN"},
			{ID: "ca", Target: "/etc/ssl/extra.pem"},
		},
	}
}

func TestGoodSpecIsClean(t *testing.T) {
	r := Check(goodSpec())
	if len(r.Findings) != 0 {
		t.Fatalf("findings on the good spec: %+v", r.Findings)
	}
	if r.Err() != nil {
		t.Fatalf("Err on the good spec: %v", r.Err())
	}
}

type ruleCase struct {
	name   string
	mutate func(*spec.Spec)
	rule   string
	path   string
	msg    string // substring of the message
}

var ruleCases = []ruleCase{
	{"name with slash", func(s *spec.Spec) { s.Name = "../app" }, rules.InvalidValue, "name", "names the binary"},
	{"go block, other language", func(s *spec.Spec) { s.Language = "rust" }, rules.ConflictingKey, "go", "applies only to language: go"},
	{"rust latest", rustWith(func(r *spec.Rust) { r.Version = "latest" }), rules.UnpinnedVersion, "rust/version", "pin a release"},
	{"rust variant", rustWith(func(r *spec.Rust) { r.Version = "1.95-slim" }), rules.UnpinnedVersion, "rust/version", "names an image variant"},
	{"rust at", rustWith(func(r *spec.Rust) { r.Version = "1.95@sha256:x" }), rules.UnpinnedVersion, "rust/version", "without a sha256"},
	{"rust major", rustWith(func(r *spec.Rust) { r.Version = "1" }), rules.UnpinnedVersion, "rust/version", "not a Rust release"},
	{"rust bin", rustWith(func(r *spec.Rust) { r.Bin = "a b" }), rules.InvalidValue, "rust/bin", "not a cargo binary target name"},
	{"rust package", rustWith(func(r *spec.Rust) { r.Package = "$(x)" }), rules.InvalidValue, "rust/package", "not a cargo package name"},
	{"rust feature", rustWith(func(r *spec.Rust) { r.Features = []string{"ok", "a b"} }), rules.InvalidValue, "rust/features/1", "not a cargo feature name"},
	{"java latest", javaWith(func(j *spec.Java) { j.Version = "latest" }), rules.UnpinnedVersion, "java/version", "moves over time"},
	{"java update release", javaWith(func(j *spec.Java) { j.Version = "21.0.5" }), rules.InvalidValue, "java/version", `write the major "21"`},
	{"java non-LTS", javaWith(func(j *spec.Java) { j.Version = "23" }), rules.UnsupportedJava, "java/version", "use \"17\", \"21\" or \"25\""},
	{"java 1.8", javaWith(func(j *spec.Java) { j.Version = "1.8" }), rules.UnsupportedJava, "java/version", "Java 8 has no supported"},
	{"java gradle", javaWith(func(j *spec.Java) { j.Build = "gradle" }), rules.UnsupportedBuildTool, "java/build", "Gradle builds are not supported"},
	{"java ant", javaWith(func(j *spec.Java) { j.Build = "ant" }), rules.InvalidValue, "java/build", "write maven"},
	{"java module escapes", javaWith(func(j *spec.Java) { j.Module = "../other" }), rules.PathEscapes, "java/module", "outside the build context"},
	{"java module name", javaWith(func(j *spec.Java) { j.Module = "a b" }), rules.InvalidValue, "java/module", "not a Maven module"},
	{"java main", javaWith(func(j *spec.Java) { j.Main = "com/example/App" }), rules.InvalidValue, "java/main", "fully qualified main class"},
	{"java option not a flag", javaWith(func(j *spec.Java) { j.Options = []string{"-Xss512k", "serve"} }), rules.InvalidValue, "java/options/1", "not a JVM flag"},
	{"java option jar", javaWith(func(j *spec.Java) { j.Options = []string{"-jar"} }), rules.ConflictingKey, "java/options/0", "changes what java runs"},
	{"java option secret", javaWith(func(j *spec.Java) { j.Options = []string{"-Ddb.password=hunter2"} }), rules.SecretInEnv, "java/options/0", "secret-looking property db.password"},
	{"java modules name", javaWith(func(j *spec.Java) { j.Modules = []string{"jdk.crypto.cryptoki", "java sql"} }), rules.InvalidValue, "java/modules/1", "not a JDK module name"},
	{"java modules with jre", javaWith(func(j *spec.Java) { j.Runtime, j.Modules = "jre", []string{"java.sql"} }), rules.ConflictingKey, "java/modules", "full runtime has every module"},
	{"java block, go language", func(s *spec.Spec) { s.Java = &spec.Java{} }, rules.ConflictingKey, "java", "applies only to language: java"},
	{"rust block, go language", func(s *spec.Spec) { s.Rust = &spec.Rust{} }, rules.ConflictingKey, "rust", "applies only to language: rust"},
	{"go latest", func(s *spec.Spec) { s.Go.Version = "latest" }, rules.UnpinnedVersion, "go/version", "pin a release"},
	{"go stable", func(s *spec.Spec) { s.Go.Version = "stable" }, rules.UnpinnedVersion, "go/version", "moves over time"},
	{"go tip", func(s *spec.Spec) { s.Go.Version = "tip" }, rules.UnpinnedVersion, "go/version", ""},
	{"go prefix", func(s *spec.Spec) { s.Go.Version = "go1.26" }, rules.UnpinnedVersion, "go/version", `write "1.26"`},
	{"go at", func(s *spec.Spec) { s.Go.Version = "1.26@foo" }, rules.UnpinnedVersion, "go/version", "without a sha256"},
	{"go space", func(s *spec.Spec) { s.Go.Version = "1.26 " }, rules.UnpinnedVersion, "go/version", ""},
	{"go major only", func(s *spec.Spec) { s.Go.Version = "1" }, rules.UnpinnedVersion, "go/version", ""},
	{"go alpine", func(s *spec.Spec) { s.Go.Version = "1.26-alpine" }, rules.UnpinnedVersion, "go/version", ""},
	{"node end of life", func(s *spec.Spec) { s.Language, s.Go, s.Node = "node", nil, &spec.Node{Version: "20"} }, rules.EndOfLifeNode, "node/version", "past its end of life"},
	{"node odd major", func(s *spec.Spec) { s.Language, s.Go, s.Node = "node", nil, &spec.Node{Version: "25.1"} }, rules.EndOfLifeNode, "node/version", "move to 22 or 24"},
	{"node latest", func(s *spec.Spec) { s.Language, s.Go, s.Node = "node", nil, &spec.Node{Version: "lts"} }, rules.UnpinnedVersion, "node/version", "moves over time"},
	{"node v prefix", func(s *spec.Spec) { s.Language, s.Go, s.Node = "node", nil, &spec.Node{Version: "v22"} }, rules.UnpinnedVersion, "node/version", `write "22"`},
	{"node main escapes", func(s *spec.Spec) { s.Language, s.Go, s.Node = "node", nil, &spec.Node{Main: "/srv/a.js"} }, rules.PathEscapes, "node/main", "outside the build context"},
	{"node workspace escapes", func(s *spec.Spec) { s.Language, s.Go, s.Node = "node", nil, &spec.Node{Workspace: "../x"} }, rules.PathEscapes, "node/workspace", "outside the build context"},
	{"node block, other language", func(s *spec.Spec) { s.Node = &spec.Node{} }, rules.ConflictingKey, "node", "applies only to language: node"},
	{"download without sum", func(s *spec.Spec) { s.Copy[1].SHA256 = "" }, rules.DownloadNoChecksum, "copy/1/url", "sha256sum"},
	{"download over http", func(s *spec.Spec) { s.Copy[1].URL = "http://example.com/a" }, rules.InvalidValue, "copy/1/url", "https"},
	{"sha256 upper-case", func(s *spec.Spec) { s.Copy[1].SHA256 = strings.Repeat("AB", 32) }, rules.InvalidValue, "copy/1/sha256", "64 lower-case hex"},
	{"sha256 short", func(s *spec.Spec) { s.Copy[1].SHA256 = "abc" }, rules.InvalidValue, "copy/1/sha256", ""},
	{"fat final", func(s *spec.Spec) { s.Final = "distroless-base" }, rules.FinalTooFat, "final", `"scratch" or "distroless"`},
	{"root uid", func(s *spec.Spec) { s.Run.User = "0:0" }, rules.RootUser, "run/user", "root"},
	{"root uid only", func(s *spec.Spec) { s.Run.User = "0" }, rules.RootUser, "run/user", ""},
	{"root uid zeros", func(s *spec.Spec) { s.Run.User = "000:1000" }, rules.RootUser, "run/user", ""},
	{"user name root", func(s *spec.Spec) { s.Run.User = "root" }, rules.NonNumericUser, "run/user", `"root" is uid 0`},
	{"user name", func(s *spec.Spec) { s.Run.User = "nobody" }, rules.NonNumericUser, "run/user", "numeric"},
	{"user names", func(s *spec.Spec) { s.Run.User = "app:app" }, rules.NonNumericUser, "run/user", ""},
	{"user mixed", func(s *spec.Spec) { s.Run.User = "1000:app" }, rules.NonNumericUser, "run/user", ""},
	{"uid too big", func(s *spec.Spec) { s.Run.User = "99999999999" }, rules.InvalidValue, "run/user", "out of range"},
	{"port zero-ish", func(s *spec.Spec) { s.Run.Port = -1 }, rules.PortOutOfRange, "run/port", "1-65535"},
	{"port big", func(s *spec.Spec) { s.Run.Port = 65536 }, rules.PortOutOfRange, "run/port", ""},
	{"port 80", func(s *spec.Spec) { s.Run.Port = 80 }, rules.PrivilegedPort, "run/port", "NET_BIND_SERVICE"},
	{"port 1023", func(s *spec.Spec) { s.Run.Port = 1023 }, rules.PrivilegedPort, "run/port", ""},
	{"no health", func(s *spec.Spec) { s.Run.Health = nil }, rules.NoHealthCheck, "run", "/healthz"},
	{"health empty", func(s *spec.Spec) { s.Run.Health.HTTP = "" }, rules.InvalidHealth, "run/health", "no check"},
	{"health http and tcp", func(s *spec.Spec) { s.Run.Health.TCP = true }, rules.ConflictingKey, "run/health/tcp", "keep one"},
	{"health tcp no port", func(s *spec.Spec) { s.Run.Health = &spec.Health{TCP: true}; s.Run.Port = 0 }, rules.InvalidHealth, "run/health", "run.port"},
	{"health interval", func(s *spec.Spec) { s.Run.Health.Interval = "ten" }, rules.InvalidHealth, "run/health/interval", "duration"},
	{"health timeout over interval", func(s *spec.Spec) { s.Run.Health.Timeout = "20s" }, rules.InvalidHealth, "run/health/timeout", "overlap"},
	{"health retries", func(s *spec.Spec) { s.Run.Health.Retries = -1 }, rules.InvalidHealth, "run/health/retries", "1-100"},
	{"health start interval", func(s *spec.Spec) { s.Run.Health.StartInterval = "soon" }, rules.InvalidHealth, "run/health/startInterval", "duration"},
	{"health start interval over interval", func(s *spec.Spec) { s.Run.Health.StartInterval = "30s" }, rules.InvalidHealth, "run/health/startInterval", "first healthy"},
	{"health start interval under 1ms", func(s *spec.Spec) { s.Run.Health.StartInterval = "500us" }, rules.InvalidHealth, "run/health/startInterval", "1ms"},
	{"init off", func(s *spec.Spec) { off := false; s.Run.Init = &off }, rules.NoInit, "run/init", "PID 1"},
	{"signal group without init", func(s *spec.Spec) { off := false; s.Run.Init = &off; s.Run.SignalGroup = true }, rules.ConflictingKey, "run/signalGroup", "run.init"},
	{"no resources", func(s *spec.Spec) { s.Run.Resources = nil }, rules.NoResources, "run", "memory"},
	{"resources no memory", func(s *spec.Spec) { s.Run.Resources.Memory = "" }, rules.NoResources, "run/resources", "memory"},
	{"resources bad cpu", func(s *spec.Spec) { s.Run.Resources.CPU = "lots" }, rules.InvalidValue, "run/resources/cpu", "quantity"},
	{"resources zero memory", func(s *spec.Spec) { s.Run.Resources.Memory = "0Mi" }, rules.InvalidValue, "run/resources/memory", "positive"},
	{"grace malformed", func(s *spec.Spec) { s.Run.StopGracePeriod = "30" }, rules.InvalidValue, "run/stopGracePeriod", "duration"},
	{"grace fractional", func(s *spec.Spec) { s.Run.StopGracePeriod = "1.5s" }, rules.InvalidValue, "run/stopGracePeriod", "whole seconds"},
	{"grace short", func(s *spec.Spec) { s.Run.StopGracePeriod = "5s" }, rules.ShortGrace, "run/stopGracePeriod", "at least 6s"},
	{"grace under shutdown", func(s *spec.Spec) { s.Run.ShutdownTimeout = "40s" }, rules.ShortGrace, "run/shutdownTimeout", "at least 45s"},
	{"writable relative", func(s *spec.Spec) { s.Run.Writable = []string{"tmp"} }, rules.DestNotAbsolute, "run/writable/0", "absolute"},
	{"writable root", func(s *spec.Spec) { s.Run.Writable = []string{"/"} }, rules.DestNotAbsolute, "run/writable/0", "root"},
	{"writable twice", func(s *spec.Spec) { s.Run.Writable = []string{"/tmp", "/tmp"} }, rules.InvalidValue, "run/writable/1", "twice"},
	{"health relative", func(s *spec.Spec) { s.Run.Health.HTTP = "healthz" }, rules.InvalidHealth, "run/health/http", "absolute path"},
	{"health url", func(s *spec.Spec) { s.Run.Health.HTTP = "http://x/healthz" }, rules.InvalidHealth, "run/health/http", ""},
	{"health scheme-relative", func(s *spec.Spec) { s.Run.Health.HTTP = "//x/healthz" }, rules.InvalidHealth, "run/health/http", ""},
	{"health space", func(s *spec.Spec) { s.Run.Health.HTTP = "/health z" }, rules.InvalidHealth, "run/health/http", "whitespace"},
	{"health fragment", func(s *spec.Spec) { s.Run.Health.HTTP = "/healthz#x" }, rules.InvalidHealth, "run/health/http", "fragment"},
	{"health without port", func(s *spec.Spec) { s.Run.Port = 0 }, rules.InvalidHealth, "run/health", "run.port is not set"},
	{"env token", func(s *spec.Spec) { s.Run.Env["API_TOKEN"] = "abc" }, rules.SecretInEnv, "run/env/API_TOKEN", "secrets:"},
	{"env password lower", func(s *spec.Spec) { s.Run.Env["db_password"] = "x" }, rules.SecretInEnv, "run/env/db_password", ""},
	{"env auth", func(s *spec.Spec) { s.Run.Env["AUTH"] = "x" }, rules.SecretInEnv, "run/env/AUTH", ""},
	{"env key middle", func(s *spec.Spec) { s.Run.Env["AWS_KEY_ID"] = "x" }, rules.SecretInEnv, "run/env/AWS_KEY_ID", ""},
	{"env bad key", func(s *spec.Spec) { s.Run.Env["A=B"] = "x" }, rules.InvalidValue, "run/env/A=B", ""},
	{"label secret", func(s *spec.Spec) { s.Labels["com.example.api-key"] = "x" }, rules.SecretInLabel, "labels/com.example.api-key", "secrets:"},
	{"label secret dot", func(s *spec.Spec) { s.Labels["com.example.token"] = "x" }, rules.SecretInLabel, "labels/com.example.token", ""},
	{"arg secret", func(s *spec.Spec) { s.Build.Args["NPM_TOKEN"] = "x" }, rules.SecretInBuildArg, "build/args/NPM_TOKEN", "secrets:"},
	{"arg credentials", func(s *spec.Spec) { s.Build.Args["GIT_CREDENTIALS"] = "x" }, rules.SecretInBuildArg, "build/args/GIT_CREDENTIALS", ""},
	{"arg bad name", func(s *spec.Spec) { s.Build.Args["1X"] = "x" }, rules.InvalidValue, "build/args/1X", ""},
	{"include env", func(s *spec.Spec) { s.Include = []string{".env.production"} }, rules.IncludesExcluded, "include/0", ".env*"},
	{"include pem deep", func(s *spec.Spec) { s.Include = []string{"config/tls/server.pem"} }, rules.IncludesExcluded, "include/0", ""},
	{"include git", func(s *spec.Spec) { s.Include = []string{".git/HEAD"} }, rules.IncludesExcluded, "include/0", ""},
	{"include key glob", func(s *spec.Spec) { s.Include = []string{"keys/*.key"} }, rules.IncludesExcluded, "include/0", ""},
	{"include escapes", func(s *spec.Spec) { s.Include = []string{"../x"} }, rules.PathEscapes, "include/0", "outside"},
	{"include absolute", func(s *spec.Spec) { s.Include = []string{"/etc/passwd"} }, rules.PathEscapes, "include/0", ""},
	{"include empty", func(s *spec.Spec) { s.Include = []string{" "} }, rules.InvalidValue, "include/0", ""},
	{"secret dup id", func(s *spec.Spec) { s.Secrets[1].ID = "netrc" }, rules.InvalidSecret, "secrets/1/id", "already declared"},
	{"secret empty id", func(s *spec.Spec) { s.Secrets[0].ID = "" }, rules.InvalidSecret, "secrets/0/id", "empty"},
	{"secret bad id", func(s *spec.Spec) { s.Secrets[0].ID = "a b" }, rules.InvalidSecret, "secrets/0/id", ""},
	{"secret target and env", func(s *spec.Spec) { s.Secrets[0].Env = "NETRC" }, rules.InvalidSecret, "secrets/0", "both"},
	{"secret relative target", func(s *spec.Spec) { s.Secrets[0].Target = "netrc" }, rules.InvalidSecret, "secrets/0/target", "not absolute"},
	{"secret unclean target", func(s *spec.Spec) { s.Secrets[0].Target = "/run/../etc/x" }, rules.InvalidSecret, "secrets/0/target", "clean"},
	{"secret dup target", func(s *spec.Spec) { s.Secrets[2].Target = "/root/.netrc" }, rules.InvalidSecret, "secrets/2/target", ""},
	{"secret bad env", func(s *spec.Spec) { s.Secrets[1].Env = "GITHUB-TOKEN" }, rules.InvalidSecret, "secrets/1/env", "variable name"},
	{"secret dup env", func(s *spec.Spec) {
		s.Secrets = append(s.Secrets, spec.Secret{ID: "gh2", Env: "GITHUB_TOKEN"})
	}, rules.InvalidSecret, "secrets/3/env", ""},
	{"ca as env", func(s *spec.Spec) { s.Secrets[2] = spec.Secret{ID: "ca", Env: "CA"} }, rules.InvalidSecret, "secrets/2/env", "reserved"},
	{"main absolute", func(s *spec.Spec) { s.Go.Main = "/src/cmd" }, rules.PathEscapes, "go/main", ""},
	{"main climbs", func(s *spec.Spec) { s.Go.Main = "./cmd/../../x" }, rules.PathEscapes, "go/main", ""},
	{"main import path", func(s *spec.Spec) { s.Go.Main = "cmd/app" }, rules.InvalidValue, "go/main", `"./cmd/app"`},
	{"copy from escapes", func(s *spec.Spec) { s.Copy[0].From = "../secrets" }, rules.PathEscapes, "copy/0/from", ""},
	{"copy from absolute", func(s *spec.Spec) { s.Copy[0].From = "/etc/shadow" }, rules.PathEscapes, "copy/0/from", ""},
	{"copy to relative", func(s *spec.Spec) { s.Copy[0].To = "srv/static" }, rules.DestNotAbsolute, "copy/0/to", "not absolute"},
	{"copy to root", func(s *spec.Spec) { s.Copy[0].To = "/" }, rules.DestNotAbsolute, "copy/0/to", "root"},
	{"copy to unclean", func(s *spec.Spec) { s.Copy[0].To = "/srv/../etc" }, rules.DestNotAbsolute, "copy/0/to", `"/etc"`},
	{"copy to trailing slash", func(s *spec.Spec) { s.Copy[0].To = "/srv/" }, rules.DestNotAbsolute, "copy/0/to", ""},
	{"copy dup to", func(s *spec.Spec) { s.Copy[1].To = "/srv/static" }, rules.ConflictingKey, "copy/1/to", "overwrite"},
	{"copy from and url", func(s *spec.Spec) { s.Copy[0].URL = "https://x/y" }, rules.ConflictingKey, "copy/0", "both"},
	{"copy neither", func(s *spec.Spec) { s.Copy[0].From = "" }, rules.ConflictingKey, "copy/0", "neither"},
	{"copy sum on from", func(s *spec.Spec) { s.Copy[0].SHA256 = strings.Repeat("a", 64) }, rules.ConflictingKey, "copy/0/sha256", ""},
	{"label base digest", func(s *spec.Spec) { s.Labels[labelBaseDig] = "sha256:x" }, rules.ConflictingKey, "labels/" + labelBaseDig, "generated"},
	{"label base name", func(s *spec.Spec) { s.Labels[labelBaseName] = "x" }, rules.ConflictingKey, "labels/" + labelBaseName, ""},
	{"created date only", func(s *spec.Spec) { s.Labels[labelCreated] = "2024-05-01" }, rules.LabelCreated, "labels/" + labelCreated, "RFC 3339"},
	{"created space", func(s *spec.Spec) { s.Labels[labelCreated] = "2024-05-01 12:00:00" }, rules.LabelCreated, "labels/" + labelCreated, ""},
	{"revision short", func(s *spec.Spec) { s.Labels[labelRevision] = "abc12" }, rules.LabelRevision, "labels/" + labelRevision, "7 to 64"},
	{"revision branch", func(s *spec.Spec) { s.Labels[labelRevision] = "main" }, rules.LabelRevision, "labels/" + labelRevision, ""},
	{"license typo", func(s *spec.Spec) { s.Labels[labelLicenses] = "Apache2.0" }, rules.LabelLicenses, "labels/" + labelLicenses, "Apache-2.0"},
	{"license comma", func(s *spec.Spec) { s.Labels[labelLicenses] = "MIT, Apache-2.0" }, rules.LabelLicenses, "labels/" + labelLicenses, ""},
	{"license lower op", func(s *spec.Spec) { s.Labels[labelLicenses] = "MIT or Apache-2.0" }, rules.LabelLicenses, "labels/" + labelLicenses, "upper-case"},
	{"license paren", func(s *spec.Spec) { s.Labels[labelLicenses] = "(MIT OR Apache-2.0" }, rules.LabelLicenses, "labels/" + labelLicenses, ")"},
	{"license empty", func(s *spec.Spec) { s.Labels[labelLicenses] = "" }, rules.LabelLicenses, "labels/" + labelLicenses, "empty"},
	{"license bad exception", func(s *spec.Spec) { s.Labels[labelLicenses] = "GPL-2.0-only WITH Nope" }, rules.LabelLicenses, "labels/" + labelLicenses, "exception"},
	{"source not url", func(s *spec.Spec) { s.Labels["org.opencontainers.image.source"] = "github.com/x/y" }, rules.LabelURL, "labels/org.opencontainers.image.source", "http"},
	{"url ftp", func(s *spec.Spec) { s.Labels["org.opencontainers.image.url"] = "ftp://x/y" }, rules.LabelURL, "labels/org.opencontainers.image.url", ""},
	{"docs no host", func(s *spec.Spec) { s.Labels["org.opencontainers.image.documentation"] = "https:///x" }, rules.LabelURL, "labels/org.opencontainers.image.documentation", "host"},
	{"version v", func(s *spec.Spec) { s.Version = "v1.2.3" }, rules.VersionSemver, "version", `write "1.2.3"`},
	{"version short", func(s *spec.Spec) { s.Version = "1.2" }, rules.VersionSemver, "version", `"1.2.0"`},
	{"version leading zero", func(s *spec.Spec) { s.Version = "01.2.3" }, rules.VersionSemver, "version", ""},
	{"version words", func(s *spec.Spec) { s.Version = "latest" }, rules.VersionSemver, "version", ""},
	{"exempt unknown", func(s *spec.Spec) { s.Allow = []spec.Exemption{{Rule: "SF999", Reason: "x"}} }, rules.BadExemption, "allow/0/rule", "not a known rule"},
	{"exempt lower-case", func(s *spec.Spec) { s.Allow = []spec.Exemption{{Rule: "sf204", Reason: "x"}} }, rules.BadExemption, "allow/0/rule", `"SF204"`},
	{"exempt structural", func(s *spec.Spec) { s.Allow = []spec.Exemption{{Rule: rules.NonNumericUser, Reason: "x"}} }, rules.BadExemption, "allow/0/rule", "cannot be exempted"},
	{"exempt no reason", func(s *spec.Spec) { s.Allow = []spec.Exemption{{Rule: rules.PrivilegedPort, Reason: "  "}} }, rules.BadExemption, "allow/0", "without a reason"},
	{"exempt twice", func(s *spec.Spec) {
		s.Allow = []spec.Exemption{{Rule: rules.PrivilegedPort, Reason: "a"}, {Rule: rules.PrivilegedPort, Reason: "b"}}
	}, rules.BadExemption, "allow/1/rule", "again"},
	{"exempt empty rule", func(s *spec.Spec) { s.Allow = []spec.Exemption{{Rule: "", Reason: "x"}} }, rules.BadExemption, "allow/0/rule", ""},
}

func TestRulesFire(t *testing.T) {
	for _, tc := range ruleCases {
		t.Run(tc.name, func(t *testing.T) {
			s := goodSpec()
			tc.mutate(s)
			r := Check(s)
			var got []string
			for _, f := range r.Findings {
				got = append(got, f.Rule.ID+"@"+f.Path+": "+f.Message)
				if f.Rule.ID == tc.rule && f.Path == tc.path && strings.Contains(f.Message, tc.msg) {
					checkMessageStyle(t, f)
					if f.Range.Start.Line != 1 {
						t.Errorf("range without a source: got line %d, want 1", f.Range.Start.Line)
					}
					return
				}
			}
			t.Fatalf("want %s at %q with %q; got:\n%s", tc.rule, tc.path, tc.msg, strings.Join(got, "\n"))
		})
	}
}

// Every semantic rule has a case above that makes it fire.
func TestEveryPolicyRuleHasACase(t *testing.T) {
	have := map[string]bool{}
	for _, tc := range ruleCases {
		have[tc.rule] = true
	}
	for _, id := range policyRules() {
		if !have[id] {
			t.Errorf("no unit case makes %s fire", id)
		}
	}
}

// policyRules are the rules Check raises (everything but the parser's
// structural rules, and the rules raised while building or about context
// files, which CheckContext raises).
func policyRules() []string {
	var ids []string
	for _, r := range rules.All() {
		if r.ID >= rules.BadExemption && !rules.AtBuild(r.ID) {
			ids = append(ids, r.ID)
		}
	}
	return ids
}

func checkMessageStyle(t *testing.T, f Finding) {
	t.Helper()
	m := f.Message
	if m == "" || strings.ToLower(m[:1]) != m[:1] || strings.HasSuffix(m, ".") {
		t.Errorf("message style (lower-case start, no trailing period): %q", m)
	}
}

func TestSecretWords(t *testing.T) {
	yes := []string{"API_TOKEN", "apikey", "DB_PASSWORD", "Secret_Message", "AUTH", "aws_key_id", "MY_PWORD", "X_PASSWD", "CREDENTIALS", "git_credential", "A__KEY"}
	no := []string{"TOKENS", "KEYBOARD", "AUTHOR", "PUBLIC_KEY", "TOKEN_FILE", "KEY_VERSION", "LOG_FORMAT", "MONKEY", "PASSWORDLESS", ""}
	for _, k := range yes {
		if !LooksSecret(k) {
			t.Errorf("LooksSecret(%q) = false", k)
		}
	}
	for _, k := range no {
		if LooksSecret(k) {
			t.Errorf("LooksSecret(%q) = true", k)
		}
	}
	if LooksSecret("api-key") || !LabelLooksSecret("com.example.api-key") || LabelLooksSecret("org.opencontainers.image.authors") {
		t.Error("label separators: '-' and '.' split words only in labels")
	}
	if LabelLooksSecret("com.example.public-key") {
		t.Error("public-key is a public key")
	}
}

func TestExcludes(t *testing.T) {
	excluded := []string{".git", ".git/config", ".env", ".env.local", "app/.env", "a/b/.env.prod", "tls.pem", "x/y/tls.pem", "id.key", "deep/er/id.key", "./.env", "certs/*.pem"}
	kept := []string{"main.go", "go.mod", "config/app.yaml", "env", "pem", "key.go", "keys/readme", "a/.gitignore", ".github/workflows/ci.yml", "."}
	for _, p := range excluded {
		if !Excluded(p) {
			t.Errorf("Excluded(%q) = false", p)
		}
	}
	for _, p := range kept {
		if Excluded(p) {
			t.Errorf("Excluded(%q) = true", p)
		}
	}
	inc := []string{"config/tls.pem", "certs"}
	if !Included("config/tls.pem", inc) || !Included("certs/ca.pem", inc) || !Included("main.go", inc) {
		t.Error("include: entries must re-admit their paths")
	}
	if Included("other/tls.pem", inc) || Included(".env", inc) {
		t.Error("include: must not re-admit other secret files")
	}
	ex := ContextExcludes([]string{"../x", "config/tls.pem"})
	if len(ex) != len(DefaultExcludes)+2 || ex[len(ex)-2] != "!config/tls.pem" {
		t.Errorf("ContextExcludes = %q", ex)
	}
}

func TestSPDX(t *testing.T) {
	good := []string{"MIT", "mit", "Apache-2.0", "MIT OR Apache-2.0", "(MIT OR Apache-2.0) AND BSD-3-Clause", "GPL-2.0-or-later WITH Classpath-exception-2.0", "GPL-2.0+", "LicenseRef-Proprietary", "DocumentRef-x:LicenseRef-y", "((MIT))", "Apache-2.0 WITH LLVM-exception OR MIT"}
	bad := []string{"", "MIT,Apache-2.0", "MIT OR", "OR MIT", "(MIT", "MIT)", "MIT and Apache-2.0", "Apache 2.0", "GPL", "LicenseRef-", "MIT WITH", "MIT AND AND MIT", strings.Repeat("(", 40) + "MIT" + strings.Repeat(")", 40), "MIT/Apache-2.0"}
	for _, e := range good {
		if err := ParseSPDX(e); err != nil {
			t.Errorf("ParseSPDX(%q) = %v", e, err)
		}
	}
	for _, e := range bad {
		if err := ParseSPDX(e); err == nil {
			t.Errorf("ParseSPDX(%q) = nil", e)
		}
	}
}

func TestVersions(t *testing.T) {
	for _, v := range []string{"1.26", "1.26.8", "1.27rc1", "1.27beta2", "1.26.8@sha256:" + strings.Repeat("0", 64)} {
		if !ValidGoVersion(v) {
			t.Errorf("ValidGoVersion(%q) = false", v)
		}
	}
	for _, v := range []string{"", "latest", "1", "1.26-alpine", "1.26@sha256:abc", "v1.26", "1.26 "} {
		if ValidGoVersion(v) {
			t.Errorf("ValidGoVersion(%q) = true", v)
		}
	}
	for _, v := range []string{"0.0.0", "1.2.3", "1.2.3-rc.1", "1.2.3+build.5", "1.0.0-alpha-a.b-c"} {
		if !ValidSemver(v) {
			t.Errorf("ValidSemver(%q) = false", v)
		}
	}
	for _, v := range []string{"v1.2.3", "1.2", "01.2.3", "1.2.3-01", "1.2.3-", "1.2.3+"} {
		if ValidSemver(v) {
			t.Errorf("ValidSemver(%q) = true", v)
		}
	}
}

func TestExemptions(t *testing.T) {
	s := goodSpec()
	s.Run.Port = 80
	s.Run.User = "0:0"
	s.Allow = []spec.Exemption{
		{Rule: rules.PrivilegedPort, Reason: " serves :80 on a host network; CAP_NET_BIND_SERVICE granted "},
		{Rule: rules.NoHealthCheck, Reason: "unused"}, // waives nothing: not reported, not recorded
	}
	r := Check(s)
	var port *Finding
	for i, f := range r.Findings {
		if f.Rule.ID == rules.PrivilegedPort {
			port = &r.Findings[i]
		}
	}
	if port == nil || !port.Exempted || port.Reason != "serves :80 on a host network; CAP_NET_BIND_SERVICE granted" {
		t.Fatalf("SF204 not exempted with its reason: %+v", port)
	}
	if len(r.Errors()) != 1 || r.Errors()[0].Rule.ID != rules.RootUser {
		t.Fatalf("Errors() = %+v, want only SF201", r.Errors())
	}
	if len(r.Exempted()) != 1 {
		t.Errorf("Exempted() = %+v", r.Exempted())
	}
	if len(r.Exemptions) != 1 || r.Exemptions[0].Rule != rules.PrivilegedPort {
		t.Fatalf("Exemptions = %+v, want only the used SF204", r.Exemptions)
	}
	err := r.Err()
	pe, ok := AsError(err)
	if !ok || len(pe.Findings) != 1 {
		t.Fatalf("Err() = %v", err)
	}
	want := ":1:1: SF201 RootUser: run.user \"0:0\" runs the app as root"
	if !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "docs/rules/SF201.md)") {
		t.Errorf("Err() = %q, want it to contain %q and the rule URL", err.Error(), want)
	}

	// A non-exemptible rule stays an error even when listed (and the
	// listing itself is SF010).
	s = goodSpec()
	s.Run.User = "root"
	s.Allow = []spec.Exemption{{Rule: rules.NonNumericUser, Reason: "legacy"}}
	r = Check(s)
	ids := findingIDs(r.Errors())
	if ids != "SF010,SF202" {
		t.Errorf("errors = %s, want SF010,SF202", ids)
	}
	if len(r.Exemptions) != 0 {
		t.Errorf("Exemptions = %+v", r.Exemptions)
	}

	// An exemption without a reason waives nothing.
	s = goodSpec()
	s.Run.Port = 443
	s.Allow = []spec.Exemption{{Rule: rules.PrivilegedPort}}
	if ids := findingIDs(Check(s).Errors()); ids != "SF010,SF204" {
		t.Errorf("errors = %s, want SF010,SF204", ids)
	}
}

func findingIDs(fs []Finding) string {
	ids := make([]string, len(fs))
	for i, f := range fs {
		ids[i] = f.Rule.ID
	}
	return strings.Join(ids, ",")
}

func TestExemptionLabel(t *testing.T) {
	if got := ExemptionLabel(nil); got != "" {
		t.Errorf("empty label = %q", got)
	}
	got := ExemptionLabel([]spec.Exemption{{Rule: "SF205", Reason: "batch job; no <port>"}, {Rule: "SF204", Reason: `a;b="c"`}})
	want := `[{"rule":"SF204","reason":"a;b=\"c\""},{"rule":"SF205","reason":"batch job; no <port>"}]`
	if got != want {
		t.Fatalf("ExemptionLabel = %s\nwant %s", got, want)
	}
	var back []map[string]string
	if err := json.Unmarshal([]byte(got), &back); err != nil || len(back) != 2 {
		t.Fatalf("label is not a JSON array: %v", err)
	}
}

func TestCheckUsesSourceRanges(t *testing.T) {
	s := goodSpec()
	s.Run.Port = 22
	s.Source = &spec.Source{
		Filename: "app.yaml",
		Fields: map[string]spec.Range{
			"":         {Start: spec.Pos{Line: 2, Col: 1}, End: spec.Pos{Line: 30, Col: 1}},
			"run":      {Start: spec.Pos{Line: 9, Col: 1}, End: spec.Pos{Line: 14, Col: 1}},
			"run/port": {Start: spec.Pos{Line: 10, Col: 3}, End: spec.Pos{Line: 10, Col: 11}},
		},
	}
	r := Check(s)
	if r.Filename != "app.yaml" || len(r.Findings) != 1 {
		t.Fatalf("report = %+v", r)
	}
	f := r.Findings[0]
	if f.Rule.ID != rules.PrivilegedPort || f.Range.Start != (spec.Pos{Line: 10, Col: 3}) {
		t.Errorf("finding = %+v", f)
	}
	// A path the source lacks falls back to its closest ancestor.
	s.Run.Port = 8080
	s.Run.Health = nil
	r = Check(s)
	if len(r.Findings) != 1 || r.Findings[0].Range.Start.Line != 9 {
		t.Errorf("fallback range: %+v", r.Findings)
	}
}

func TestFindingsOrder(t *testing.T) {
	s := goodSpec()
	s.Run.Port = 80
	s.Version = "v1"
	s.Source = &spec.Source{Fields: map[string]spec.Range{
		"version":  {Start: spec.Pos{Line: 3, Col: 1}},
		"run/port": {Start: spec.Pos{Line: 2, Col: 3}},
	}}
	ids := findingIDs(Check(s).Findings)
	if ids != "SF204,SF505" {
		t.Errorf("order = %s", ids)
	}
}

func TestCheckNilAndEmpty(t *testing.T) {
	if r := Check(nil); len(r.Findings) != 0 || r.Err() != nil {
		t.Errorf("Check(nil) = %+v", r)
	}
	if r := Check(&spec.Spec{}); len(r.Findings) != 0 {
		t.Errorf("Check(empty) = %+v", r.Findings)
	}
	var r *Report
	if r.Errors() != nil || r.Warnings() != nil || r.Exempted() != nil {
		t.Error("nil report accessors")
	}
}

func TestParseErrorsBecomeFindings(t *testing.T) {
	list := spec.ErrorList{
		{Filename: "f", Rule: rules.UnknownKey, Msg: "unknown key \"prot\"", Range: spec.Range{Start: spec.Pos{Line: 4, Col: 3}}},
		{Filename: "f", Rule: rules.Syntax, Msg: "bad", Range: spec.Range{Start: spec.Pos{Line: 2, Col: 1}}},
	}
	r := parseReport("f", list)
	if ids := findingIDs(r.Errors()); ids != "SF001,SF002" {
		t.Errorf("parse findings = %s", ids)
	}
	r = parseReport("f", errors.New("boom"))
	if len(r.Findings) != 1 || r.Findings[0].Rule.ID != rules.Syntax || r.Findings[0].Range.Start.Line != 1 {
		t.Errorf("plain error = %+v", r.Findings)
	}
	r = parseReport("f", spec.ErrorList{{Rule: "SF777", Msg: "x"}})
	if len(r.Errors()) != 1 {
		t.Errorf("unknown rule must still refuse: %+v", r.Findings)
	}
}

// One mistake, one finding: an impossible port is not also reported as a
// server without a health check.
func TestNoFollowOnFindings(t *testing.T) {
	s := goodSpec()
	s.Run.Port = 70000
	s.Run.Health = nil
	if ids := findingIDs(Check(s).Findings); ids != "SF203" {
		t.Errorf("findings = %s, want SF203 only", ids)
	}
	s = goodSpec()
	s.Run.User = "root"
	if ids := findingIDs(Check(s).Findings); ids != "SF202" {
		t.Errorf("findings = %s, want SF202 only", ids)
	}
	s = goodSpec()
	s.Copy[1].URL = "ftp://example.com/x"
	s.Copy[1].SHA256 = ""
	if ids := findingIDs(Check(s).Findings); ids != "SF009,SF102" {
		t.Errorf("findings = %s, want SF009,SF102", ids)
	}
}

// javaWith turns the good spec into a java one and edits its java block.
func javaWith(edit func(*spec.Java)) func(*spec.Spec) {
	return func(s *spec.Spec) {
		s.Language, s.Go = "java", nil
		s.Java = &spec.Java{Version: "21"}
		edit(s.Java)
	}
}

// rustWith turns the good spec into a rust one and edits its rust block.
func rustWith(edit func(*spec.Rust)) func(*spec.Spec) {
	return func(s *spec.Spec) {
		s.Language, s.Go = "rust", nil
		s.Rust = &spec.Rust{Version: "1.95"}
		edit(s.Rust)
	}
}
