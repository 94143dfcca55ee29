package integration

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestHostileProjectFiles drives project files no build may take through
// real builds: each is refused before any step runs, with its rule, file
// and line, and the credential planted in it is in no error, log line,
// warning, or blob and record of the daemon. Then a failing step of each
// package manager ends with its name and the tool's message, word for word,
// and no line of the error is longer than 200 characters.
func TestHostileProjectFiles(t *testing.T) {
	started := time.Now()
	raw := make([]byte, 16)
	if _, err := rand.Read(raw); err != nil {
		t.Fatal(err)
	}
	token := "tok" + hex.EncodeToString(raw)
	for _, tc := range []struct{ dir, lang, want string }{
		{"npmrc-auth-token", "node", ".npmrc:2 (_authToken): SF601 CredentialInProjectFile"},
		{"npm-lock-file-outside", "node", "package-lock.json:11: SF602 DependencyOutsideContext"},
		{"pnpm-alias-bomb", "node", "pnpm-lock.yaml:4: SF603 ProjectFileTooLarge"},
		{"pip-index-credential", "python", "requirements.txt:1: SF601 CredentialInProjectFile"},
		{"cargo-registry-token", "rust", ".cargo/config.toml:3 (registries.corp.token): SF601 CredentialInProjectFile"},
		{"maven-repository-credential", "java", "pom.xml:9: SF601 CredentialInProjectFile"},
	} {
		t.Run(tc.dir, func(t *testing.T) {
			dir := plantToken(t, filepath.Join(repoRoot, "testdata", "projects", "bad", tc.dir), token)
			res, err := build(t, buildOpts{dir: dir, inProcess: true})
			if err == nil {
				t.Fatal("the build was not refused")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error does not say %q:\n%v", tc.want, err)
			}
			for name := range res.Vertices {
				if strings.HasPrefix(name, "["+tc.lang+" ") {
					t.Errorf("step %q ran", name)
				}
			}
			texts := map[string]string{"error": err.Error(), "log": res.Logs}
			for name, l := range res.VertexLogs {
				texts["log of "+name] = l
			}
			for i, w := range res.Warnings {
				texts[fmt.Sprintf("warning %d", i)] = string(w.Short) + string(bytes.Join(w.Detail, nil))
			}
			for what, text := range texts {
				if strings.Contains(text, token) {
					t.Errorf("the credential is in the %s", what)
				}
			}
		})
	}
	if hits := daemonFilesContaining(t, started, []byte(token)); len(hits) > 0 {
		t.Errorf("the credential is in the daemon's blobs or records: %v", hits)
	}

	for _, tc := range []struct{ dir, want string }{
		{"fail-node", "[node 2/2] production install: npm ci --no-audit --no-fund --omit=dev: config.json is missing: run make config first"},
		{"fail-python", "[python 3/5] pip install --require-hashes -r requirements.txt into /venv: ERROR: Could not find a version that satisfies the requirement not-a-real-package==1.0.0 (from versions: none)"},
		{"fail-rust", "[rust 5/5] cargo build --release --bin fail-rust: error[E0425]: cannot find value `greeting` in this scope (at src/main.rs:2)"},
		{"fail-java", "[java 4/4] mvn -B package -DskipTests: [ERROR] /src/src/main/java/org/example/fail/Main.java:[5,28] cannot find symbol"},
	} {
		t.Run(tc.dir, func(t *testing.T) {
			_, err := build(t, buildOpts{dir: filepath.Join(repoRoot, "integration", "testdata", tc.dir), inProcess: true})
			if err == nil {
				t.Fatal("the build did not fail")
			}
			lines := strings.Split(strings.TrimRight(err.Error(), "\n"), "\n")
			if last := lines[len(lines)-1]; last != tc.want {
				t.Errorf("last line of the error:\n%s\nwant\n%s\nwhole error:\n%v", last, tc.want, err)
			}
			for _, l := range lines {
				if len([]rune(l)) > 200 {
					t.Errorf("a line of %d characters: %s", len([]rune(l)), l)
				}
			}
			if strings.Contains(err.Error(), "/run/safe-frontend/run") || strings.Contains(err.Error(), "$@") {
				t.Errorf("the error shows the generated scripts:\n%v", err)
			}
		})
	}
}

// plantToken copies a case's context, its planted credential replaced by
// this run's own, so a hit can only come from this run.
func plantToken(t *testing.T, src, token string) string {
	t.Helper()
	dir := copyDir(t, src)
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		dt, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(p, bytes.ReplaceAll(dt, []byte("PLANTEDs3cr3tTOKEN42"), []byte(token)), 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// daemonFilesContaining lists the daemon's content blobs written since
// start, and its cache, history and metadata databases, that hold needle.
// The context's own snapshot is not among them: it is what the client sent.
func daemonFilesContaining(t *testing.T, since time.Time, needle []byte) []string {
	t.Helper()
	sock, ok := strings.CutPrefix(buildkitHost, "unix://")
	root := filepath.Join(filepath.Dir(sock), "buildkitd")
	if _, err := os.Stat(filepath.Join(root, "cache.db")); !ok || err != nil {
		t.Fatalf("no buildkitd state beside %s (%v): run against the stack's daemon (hack/stack up)", buildkitHost, err)
	}
	var hits []string
	check := func(p string) {
		if dt, err := os.ReadFile(p); err == nil && bytes.Contains(dt, needle) {
			hits = append(hits, p)
		}
	}
	for _, db := range []string{"cache.db", "history.db", "runc-overlayfs/metadata_v2.db", "runc-overlayfs/containerdmeta.db"} {
		check(filepath.Join(root, db))
	}
	blobs := filepath.Join(root, "runc-overlayfs", "content", "blobs")
	_ = filepath.WalkDir(blobs, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		if info, err := d.Info(); err == nil && !info.ModTime().Before(since) {
			check(p)
		}
		return nil
	})
	return hits
}
