package integration

import (
	"archive/zip"
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// privateIndex is a PEP 503 index on loopback that serves one wheel and
// answers 401 to anyone without its basic-auth credentials.
type privateIndex struct {
	*authServer
	URL         string // http://127.0.0.1:PORT/simple/ (no credentials)
	Host        string // 127.0.0.1 (netrc's machine)
	User, Token string
	Wheel       string // file name
	WheelHash   string // sha256 hex
	Marker      string // a value only this wheel holds
}

// startPrivateIndex serves a freshly made pure-Python wheel privpkg 1.0.0
// whose content (and so hash) is new on every run: the install step can
// never come from the cache, so a passing build proves pip fetched it
// with the credentials now.
func startPrivateIndex(t *testing.T) *privateIndex {
	t.Helper()
	ix := &privateIndex{User: "ci", Token: randomHex(t, 20), Marker: randomHex(t, 8), Wheel: "privpkg-1.0.0-py3-none-any.whl"}
	wheel := makeWheel(t, "privpkg", "1.0.0", map[string]string{"privpkg/__init__.py": "MARKER = " + fmt.Sprintf("%q", ix.Marker) + "\n"})
	sum := sha256.Sum256(wheel)
	ix.WheelHash = hex.EncodeToString(sum[:])

	ix.authServer = startAuthServer(t, func(r *http.Request) bool {
		u, p, ok := r.BasicAuth()
		return ok && u == ix.User && p == ix.Token
	}, func(string) string { return `Basic realm="private"` })
	ix.Host = "127.0.0.1"
	ix.URL = ix.Base + "/simple/"
	ix.handle("/simple/", func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/simple/":
			fmt.Fprint(w, `<!DOCTYPE html><html><body><a href="privpkg/">privpkg</a></body></html>`)
		case "/simple/privpkg/":
			fmt.Fprintf(w, `<!DOCTYPE html><html><body><a href="/files/%s#sha256=%s">%s</a></body></html>`, ix.Wheel, ix.WheelHash, ix.Wheel)
		default:
			http.NotFound(w, r)
		}
	})
	ix.handle("/files/"+ix.Wheel, func(w http.ResponseWriter, r *http.Request) {
		ix.download()
		w.Header().Set("Content-Type", "application/octet-stream")
		_, _ = w.Write(wheel)
	})
	return ix
}

func randomHex(t *testing.T, n int) string {
	t.Helper()
	raw := make([]byte, n)
	if _, err := rand.Read(raw); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(raw)
}

// makeWheel zips a pure-Python wheel with its dist-info and a RECORD that
// carries every file's hash, as a wheel builder writes it.
func makeWheel(t *testing.T, name, version string, files map[string]string) []byte {
	t.Helper()
	info := name + "-" + version + ".dist-info/"
	all := map[string]string{}
	for k, v := range files {
		all[k] = v
	}
	all[info+"METADATA"] = "Metadata-Version: 2.1\nName: " + name + "\nVersion: " + version + "\n"
	all[info+"WHEEL"] = "Wheel-Version: 1.0\nGenerator: safe-frontend-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
	var names []string
	for k := range all {
		names = append(names, k)
	}
	var record strings.Builder
	for _, n := range names {
		sum := sha256.Sum256([]byte(all[n]))
		fmt.Fprintf(&record, "%s,sha256=%s,%d\n", n, base64.RawURLEncoding.EncodeToString(sum[:]), len(all[n]))
	}
	record.WriteString(info + "RECORD,,\n")
	all[info+"RECORD"] = record.String()
	names = append(names, info+"RECORD")

	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, n := range names {
		w, err := zw.Create(n)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(all[n])); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestPythonPrivateIndexSecret: a private index's credentials given as a
// build secret, once as a pip.conf (index URL with user and token) and
// once as a netrc next to a credential-free PIP_INDEX_URL build arg, reach
// pip; the package is installed from that index; the token is found in
// no layer, config or history. Without the secret the install fails.
func TestPythonPrivateIndexSecret(t *testing.T) {
	ix := startPrivateIndex(t)
	// The two variants also run the app both ways: a file, and a module.
	const head = "# syntax=org/safe-frontend:1\nname: private-deps\nversion: 1.0.0\nlanguage: python\npython:\n  version: \"3.13\"\n"
	const allowNoProbe = "allow:\n  - rule: SF205\n    reason: a batch job that prints and exits; nothing to probe\n"
	const base = head + "  main: app.py\n" + allowNoProbe
	const moduleBase = head + "  module: app\n" + allowNoProbe
	files := map[string]string{
		"app.py":           "import privpkg\n\nprint(privpkg.MARKER)\n",
		"requirements.txt": "privpkg==1.0.0 \\\n    --hash=sha256:" + ix.WheelHash + "\n",
	}
	pipConf := "[global]\nindex-url = http://" + ix.User + ":" + ix.Token + "@" + strings.TrimPrefix(ix.URL, "http://") + "\n"
	netrc := "machine " + ix.Host + "\nlogin " + ix.User + "\npassword " + ix.Token + "\n"

	for _, tc := range []struct {
		name, spec string
		secret     map[string][]byte
		entrypoint []string
	}{
		{"pip.conf", base + "secrets:\n  - id: pipconf\n    target: /etc/pip.conf\n    required: true\n",
			map[string][]byte{"pipconf": []byte(pipConf)}, []string{"/usr/sbin/tini", "--", "/venv/bin/python", "/app/app.py"}},
		{"netrc", moduleBase + "build:\n  args:\n    PIP_INDEX_URL: " + ix.URL + "\nsecrets:\n  - id: netrc\n    target: /root/.netrc\n    required: true\n",
			map[string][]byte{"netrc": []byte(netrc)}, []string{"/usr/sbin/tini", "--", "/venv/bin/python", "-m", "app"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFiles(t, dir, files)
			writeFiles(t, dir, map[string]string{"Dockerfile": tc.spec})
			before, _ := ix.counts()
			out := filepath.Join(t.TempDir(), "img.tar")
			res := mustBuild(t, buildOpts{dir: dir, inProcess: true, out: out, secrets: tc.secret})
			if name, v := vertex(t, res, "] pip install"); v.Cached {
				t.Fatalf("%q came from the cache; the index was not asked", name)
			}
			if after, _ := ix.counts(); after <= before {
				t.Errorf("the private index served no wheel with the right credentials (%d downloads before, %d after)", before, after)
			}
			if hits := blobsContain(t, out, []byte(ix.Token)); len(hits) > 0 {
				t.Fatalf("the index token is in the image: %v", hits)
			}
			img := openImage(t, out)
			root := t.TempDir()
			if err := img.Unpack(root); err != nil {
				t.Fatal(err)
			}
			for _, p := range []string{"etc/pip.conf", "root/.netrc", "root/.config/pip/pip.conf"} {
				if _, err := os.Lstat(filepath.Join(root, p)); err == nil {
					t.Errorf("/%s is in the final image", p)
				}
			}
			site := filepath.Join(root, "venv/lib/python3.13/site-packages")
			if got := installedVersions(t, site); fmt.Sprint(got) != "map[privpkg:1.0.0]" {
				t.Errorf("installed %v, want privpkg 1.0.0 only", got)
			}
			if dt, err := os.ReadFile(filepath.Join(site, "privpkg", "__init__.py")); err != nil || !strings.Contains(string(dt), ix.Marker) {
				t.Errorf("privpkg is not the private index's wheel: %v %q", err, dt)
			}
			eq(t, "Entrypoint", img.Config.Config.Entrypoint, tc.entrypoint)
			code, stdout, stderr, err := runToExit(t, out, "it-py-private")
			if err != nil || code != 0 || strings.TrimSpace(string(stdout)) != ix.Marker {
				t.Errorf("exit %d, %v; output %q%s, want the private package's marker %s", code, err, stdout, stderr, ix.Marker)
			}
		})
	}

	t.Run("without-secret", func(t *testing.T) {
		dir := t.TempDir()
		writeFiles(t, dir, files)
		spec := base + "build:\n  args:\n    PIP_INDEX_URL: " + ix.URL + "\nsecrets:\n  - id: netrc\n    target: /root/.netrc\n"
		writeFiles(t, dir, map[string]string{"Dockerfile": spec})
		_, refusedBefore := ix.counts()
		res, err := build(t, buildOpts{dir: dir, inProcess: true})
		if err == nil {
			t.Fatal("installed from the private index without its credentials")
		}
		if name, v := vertex(t, res, "] pip install"); v.Error == "" {
			t.Errorf("the failing step is not the install %q: %v", name, err)
		}
		if _, refused := ix.counts(); refused <= refusedBefore {
			t.Errorf("the index refused nothing; pip did not ask it: %v\n%s", err, tail(res.Logs, 2000))
		}
	})
}
