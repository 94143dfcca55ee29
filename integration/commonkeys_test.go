package integration

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/moby/buildkit/frontend/subrequests/lint"
)

// commonLanguage is one row of the common-keys suite: what differs per
// language is only which example it builds, which bases named contexts
// replace, which build arg its tools read and how its lock breaks. Adding
// a language is one entry here (and one in llbgen's commonkeys_test.go).
type commonLanguage struct {
	lang    string
	example string
	// final is the final base's name, as a named context replaces it.
	final string
	// builder is the builder image (docker.io/library/<builder>), as a
	// named context replaces it.
	builder string
	// arg is a build arg the language's own tools read, set to a harmless value.
	arg, value string
	// unlocked breaks the example's lock in a copy of its directory; the
	// build refuses that with rule lockRule, and so must --check (Go reads
	// no context file at conversion: nil).
	unlocked func(t *testing.T, dir string)
	lockRule string
}

var commonLanguages = []commonLanguage{
	{"go", "go-hello", "gcr.io/distroless/static-debian13", "golang:1.26", "GOFLAGS", "-mod=readonly", nil, ""},
	{"node", "node-hello", "gcr.io/distroless/nodejs22-debian13", "node:22-trixie", "npm_config_fund", "false", removeFile("package-lock.json"), "SF110"},
	{"python", "python-hello", "gcr.io/distroless/python3-debian13", "debian:trixie-slim", "PIP_DISABLE_PIP_VERSION_CHECK", "1", appendFile("requirements.txt", "requests\n"), "SF120"},
	{"rust", "rust-hello", "gcr.io/distroless/static-debian13", "rust:1.95-trixie", "CARGO_TERM_COLOR", "never", removeFile("Cargo.lock"), "SF130"},
	{"java", "java-hello", "gcr.io/distroless/cc-debian13", "maven:3-eclipse-temurin-21", "MAVEN_OPTS", "-Djava.awt.headless=true", removeFile("pom.xml"), "SF140"},
}

func removeFile(name string) func(*testing.T, string) {
	return func(t *testing.T, dir string) {
		if err := os.Remove(filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
}

func appendFile(name, line string) func(*testing.T, string) {
	return func(t *testing.T, dir string) {
		f, err := os.OpenFile(filepath.Join(dir, name), os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if _, err := f.WriteString(line); err != nil {
			t.Fatal(err)
		}
	}
}

// A fixed file a copy: url downloads (Go's module proxy is reachable
// wherever the examples build; the checksum pins the bytes).
const (
	commonURL    = "https://proxy.golang.org/github.com/google/uuid/@v/v1.6.0.mod"
	commonURLSum = "73da47b6338b00a082fd451aa35a3273d3adc09b8e9bba98dab01091e402af6e"
)

// commonKeysDir copies a language's example and rewrites its spec to use
// every key that is not the language's own: run.env, run.signalGroup,
// labels, build.args, secrets, include, copy (from the context and by
// URL) and an allow exemption. The example specs end with their labels.
func commonKeysDir(t *testing.T, c commonLanguage) string {
	t.Helper()
	dir := copyDir(t, example(c.example))
	dt, err := os.ReadFile(filepath.Join(dir, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	s := string(dt)
	i := strings.Index(s, "\nlabels:\n")
	if i < 0 {
		t.Fatalf("examples/%s/Dockerfile has no labels: block to replace", c.example)
	}
	s = s[:i+1]
	if strings.Contains(s, "\n  env:\n") {
		s = strings.Replace(s, "\n  env:\n", "\n  env:\n    APP_MODE: common-keys\n", 1)
	} else {
		s = strings.Replace(s, "\nrun:\n", "\nrun:\n  env: {APP_MODE: common-keys}\n", 1)
	}
	s = strings.Replace(s, "\nrun:\n", "\nrun:\n  signalGroup: true\n", 1)
	s += fmt.Sprintf(`labels:
  org.opencontainers.image.licenses: MIT
  org.example.team: payments
build:
  args:
    %s: %q
    SAFE_IT_MODE: default
secrets:
  - id: it-token
    env: SAFE_IT_TOKEN
    required: true
include:
  - config/tls.pem
copy:
  - {from: config/, to: /etc/app}
  - {url: %s, sha256: %s, to: /etc/app/uuid.mod}
allow:
  - rule: SF304
    reason: config/tls.pem is the public certificate the app presents, no key
`, c.arg, c.value, commonURL, commonURLSum)
	writeFiles(t, dir, map[string]string{
		"Dockerfile":       s,
		"config/app.yaml":  "mode: common-keys\n",
		"config/tls.pem":   "-----BEGIN CERTIFICATE-----\nnot a real certificate\n-----END CERTIFICATE-----\n",
		"config/other.key": "excluded by default\n",
	})
	return dir
}

// TestCommonKeys builds each language's example once, with a spec that
// uses every common key at once, and checks that each key did for that
// language what it does for Go: config and labels field by field, the
// copied and included files, the exemption record, the named contexts
// (the final base's digest recorded, the builder used), epoch times on
// every layer the frontend made, no secret in any blob, a missing
// required secret refused at its line.
func TestCommonKeys(t *testing.T) {
	const epoch = 1700000000
	for _, c := range commonLanguages {
		t.Run(c.lang, func(t *testing.T) {
			dir := commonKeysDir(t, c)
			// The final base by another digest (same layers, so the same
			// cache): the image must record that one.
			repo := strings.TrimPrefix(c.final, "gcr.io/")
			tag := "common-keys-" + c.lang
			override := pushVariant(t, repo, "nonroot", tag, "common-keys-"+c.lang)
			// The builder by another tag and digest: the build must start from it.
			builderName, builderTag, _ := strings.Cut(c.builder, ":")
			pushVariant(t, "library/"+builderName, builderTag, tag, "common-keys-"+c.lang)
			builderRef := builderName + ":" + tag
			raw := make([]byte, 24)
			if _, err := rand.Read(raw); err != nil {
				t.Fatal(err)
			}
			token := hex.EncodeToString(raw)
			out := filepath.Join(t.TempDir(), "img.tar")
			res := mustBuild(t, buildOpts{dir: dir, inProcess: true, out: out,
				secrets: map[string][]byte{"it-token": []byte(token)},
				attrs: map[string]string{
					"vcs:revision":                testRevision,
					"vcs:source":                  testSource,
					"build-arg:SOURCE_DATE_EPOCH": fmt.Sprint(epoch),
					"build-arg:SAFE_IT_MODE":      "override",
					"label:org.example.ci":        "pipeline-42",
					"label:org.example.team":      "from-the-command-line",
					"context:" + c.final:          "docker-image://" + c.final + ":" + tag,
					"context:" + builderName:      "docker-image://" + builderRef,
				}})
			img := openImage(t, out)
			cfg := img.Config.Config

			t.Run("run", func(t *testing.T) {
				eq(t, "User", cfg.User, "65532:65532")
				// A language may add its own init flags (java maps the JVM's exit 143).
				if len(cfg.Entrypoint) < 4 || !slices.Equal(cfg.Entrypoint[:2], []string{"/usr/sbin/tini", "-g"}) || !slices.Contains(cfg.Entrypoint, "--") {
					t.Errorf("Entrypoint = %v, want /usr/sbin/tini -g ... -- (run.signalGroup) in front of the app", cfg.Entrypoint)
				}
				if len(cfg.Cmd) == 0 || !strings.HasPrefix(cfg.Cmd[0], "--") {
					t.Errorf("Cmd = %v, want the example's run.args", cfg.Cmd)
				}
				if _, ok := cfg.ExposedPorts["8080/tcp"]; !ok || len(cfg.ExposedPorts) != 1 {
					t.Errorf("ExposedPorts = %v, want 8080/tcp", cfg.ExposedPorts)
				}
				if !slices.Contains(cfg.Env, "APP_MODE=common-keys") {
					t.Errorf("Env = %v, want run.env's APP_MODE=common-keys", cfg.Env)
				}
				eq(t, "StopSignal", cfg.StopSignal, "SIGTERM")
				sum, err := img.Summary()
				if err != nil {
					t.Fatal(err)
				}
				if hc := sum.Healthcheck; hc == nil || !slices.Equal(hc.Test, []string{"CMD", "/usr/sbin/safe-probe", "-timeout=3s", "http://127.0.0.1:8080/healthz"}) {
					t.Errorf("Healthcheck = %+v, want the probe on run.health.http", hc)
				}
				for _, kv := range cfg.Env {
					if strings.Contains(kv, "SAFE_IT") || strings.Contains(kv, c.arg+"=") || strings.Contains(kv, "SOURCE_DATE_EPOCH") {
						t.Errorf("a build arg or secret reached the image env: %s", kv)
					}
				}
			})

			t.Run("labels", func(t *testing.T) {
				l := cfg.Labels
				eq(t, "title", l["org.opencontainers.image.title"], c.example)
				eq(t, "version", l["org.opencontainers.image.version"], "1.0.0")
				eq(t, "revision", l["org.opencontainers.image.revision"], testRevision)
				eq(t, "source", l["org.opencontainers.image.source"], testSource)
				eq(t, "licenses", l["org.opencontainers.image.licenses"], "MIT")
				eq(t, "spec label over --label", l["org.example.team"], "payments")
				eq(t, "--label", l["org.example.ci"], "pipeline-42")
				eq(t, "base.name", l["org.opencontainers.image.base.name"], c.final+":nonroot")
				eq(t, "base.digest (the named context's)", l["org.opencontainers.image.base.digest"], override.String())
				ex := l["org.safe-frontend.exemptions"]
				if !strings.Contains(ex, "SF304") || !strings.Contains(ex, "public certificate") {
					t.Errorf("exemptions label = %q, want SF304 with its reason", ex)
				}
			})

			t.Run("named-context-builder", func(t *testing.T) {
				name, _ := vertex(t, res, "[context "+builderName+"] "+builderRef)
				if !strings.HasPrefix(name, "[context ") {
					t.Errorf("the builder came from %q, not the named context", name)
				}
			})

			t.Run("source-date-epoch", func(t *testing.T) {
				want := time.Unix(epoch, 0).UTC()
				eq(t, "Created", img.Config.Created.UTC(), want)
				eq(t, "created label", cfg.Labels["org.opencontainers.image.created"], want.Format(time.RFC3339))
				ours := 0
				for _, h := range img.Config.History {
					if h.Created == nil || h.Created.After(want) {
						t.Errorf("history %q created %v: later than SOURCE_DATE_EPOCH", h.CreatedBy, h.Created)
					}
					if strings.HasPrefix(h.CreatedBy, "safe-frontend: ") {
						ours++
					}
				}
				// runtime, the language's layers, copy
				if ours < 3 {
					t.Fatalf("%d layers made by the frontend in the history, want at least 3", ours)
				}
				requireEpochLayers(t, out, img, ours, want)
			})

			t.Run("copy-include", func(t *testing.T) {
				files := imageFiles(t, out)
				for _, f := range []string{"etc/app/app.yaml", "etc/app/tls.pem", "etc/app/uuid.mod"} {
					if !files[f] {
						t.Errorf("/%s is not in the image: copy/include did not put it there", f)
					}
				}
				for f := range files {
					if strings.HasSuffix(f, "other.key") {
						t.Errorf("/%s is in the image: a *.key file not named by include: must stay out of the context", f)
					}
				}
			})

			t.Run("secret-in-no-blob", func(t *testing.T) {
				if hits := blobsContain(t, out, []byte(token)); len(hits) > 0 {
					t.Fatalf("the build secret is in the image: %v", hits)
				}
			})

			// Without the cache, the first build step needs the secret: a
			// required one that was not passed is refused at its line.
			t.Run("required-secret-missing", func(t *testing.T) {
				_, err := build(t, buildOpts{dir: dir, inProcess: true, noCache: true,
					attrs: map[string]string{"context:" + c.final: "docker-image://" + c.final + ":" + tag}})
				if err == nil || !strings.Contains(err.Error(), "SF305") {
					t.Fatalf("a build without the required secret: err = %v, want SF305", err)
				}
				if lines := sourceLines(err); !slices.Contains(lines, "Dockerfile:"+fmt.Sprint(specLine(t, dir, "  - id: it-token"))) {
					t.Errorf("SF305 points at %v, want the secret's line", lines)
				}
			})
		})
	}
}

// TestCommonKeysSubrequests: `--check` and `--call=outline` answer the
// same for every language, through the gateway (no build).
func TestCommonKeysSubrequests(t *testing.T) {
	for _, c := range commonLanguages {
		t.Run(c.lang, func(t *testing.T) {
			dir := commonKeysDir(t, c)
			o := outlineOf(t, dir)
			var args, secrets []string
			for _, a := range o.Args {
				args = append(args, a.Name+"="+a.Value)
			}
			for _, s := range o.Secrets {
				secrets = append(secrets, s.Name)
			}
			want := []string{c.arg + "=" + c.value, "SAFE_IT_MODE=default"}
			slices.Sort(want)
			eq(t, "outline args", args, want)
			eq(t, "outline secrets", secrets, []string{"it-token", "ca"})

			// --check: the exempted SF304 is not reported; a root user and a
			// non-semver version are, at their lines, and fail the check.
			spec, err := os.ReadFile(filepath.Join(dir, "Dockerfile"))
			if err != nil {
				t.Fatal(err)
			}
			bad := strings.Replace(string(spec), "version: 1.0.0\n", "version: one\n", 1)
			bad = strings.Replace(bad, "\nrun:\n", "\nrun:\n  user: \"0:0\"\n", 1)
			writeFiles(t, dir, map[string]string{"check.yaml": bad})
			type checkCase struct {
				what, dir, file, status string
				want                    []string
			}
			cases := []checkCase{
				{"the spec", dir, "Dockerfile", "0", nil},
				{"a root user and a non-semver version", dir, "check.yaml", "1", []string{"SF201", "SF505"}},
			}
			// A lock the build would refuse is reported by --check too.
			if c.unlocked != nil {
				unlocked := commonKeysDir(t, c)
				c.unlocked(t, unlocked)
				cases = append(cases, checkCase{"a broken lock", unlocked, "Dockerfile", "1", []string{c.lockRule}})
			}
			for _, tc := range cases {
				meta, err := subrequest(t, tc.dir, tc.file, "frontend.lint")
				if err != nil {
					t.Fatalf("--check of %s: %v", tc.what, err)
				}
				var res lint.LintResults
				if err := json.Unmarshal(meta["result.json"], &res); err != nil {
					t.Fatalf("--check of %s: %v: %s", tc.what, err, meta["result.json"])
				}
				var got []string
				for _, w := range res.Warnings {
					got = append(got, strings.Fields(w.RuleName)[0])
					if w.Location == nil || len(w.Location.Ranges) == 0 || w.Location.Ranges[0].Start.Line == 0 {
						t.Errorf("--check of %s: %s has no spec line", tc.what, w.RuleName)
					}
				}
				slices.Sort(got)
				if tc.what == "a broken lock" {
					// The lock's rule; a language may name more about it.
					if !slices.Contains(got, c.lockRule) {
						t.Errorf("--check findings of %s = %v, want %s", tc.what, got, c.lockRule)
					}
				} else {
					eq(t, "--check findings of "+tc.what, got, tc.want)
				}
				eq(t, "--check status of "+tc.what, string(meta["result.statuscode"]), tc.status)
			}
		})
	}
}

// specLine is the 1-based line of the spec in dir that starts with prefix.
func specLine(t *testing.T, dir, prefix string) int {
	t.Helper()
	dt, err := os.ReadFile(filepath.Join(dir, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range strings.Split(string(dt), "\n") {
		if strings.HasPrefix(l, prefix) {
			return i + 1
		}
	}
	t.Fatalf("no line %q in the spec", prefix)
	return 0
}
