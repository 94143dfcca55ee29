package llbgen

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/org/safe-frontend/render/dockerfile"
)

// The ejected Dockerfile of each planned example, compared with
// testdata/<name>.Dockerfile (-update rewrites it).
func TestEjectGolden(t *testing.T) {
	for name, in := range map[string]*Input{
		"go-hello":     testInput(helloSpec(), amd64),
		"node-hello":   nodeInput(nodeSpec(), nodeFiles(), amd64),
		"python-hello": pythonInput(pythonHelloSpec(), map[string][]byte{"requirements.txt": []byte(pyLock)}),
		"rust-hello":   rustInput(t, rustSpec(), amd64),
		"java-hello":   javaInput(t, javaSpec(), "hello", amd64),
		"static-site":  staticInput(staticSpec()),
	} {
		t.Run(name, func(t *testing.T) {
			res, err := Convert(in)
			if err != nil {
				t.Fatal(err)
			}
			refs := map[string]string{}
			for role, b := range in.Bases {
				refs[role] = b.Name + "@" + b.Digest.String()
			}
			var baseEnv []string
			if res.BaseImage != nil {
				baseEnv = res.BaseImage.Config.Env
			}
			df, ig, err := dockerfile.Render(&dockerfile.Input{Plan: res.Plan, Bases: refs, Image: res.Image, BaseEnv: baseEnv,
				Spec: in.Spec, SpecFile: "Dockerfile", CA: CAPath(in.Spec), Excludes: []string{".git", "**/*.pem"}})
			if err != nil {
				t.Fatal(err)
			}
			got := string(df) + "\n--- .dockerignore\n" + string(ig)
			golden := filepath.Join("testdata", name+".Dockerfile")
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run: go test ./llbgen -run TestEjectGolden -update)", err)
			}
			if got != string(want) {
				t.Errorf("the ejected Dockerfile differs from %s (run: go test ./llbgen -run TestEjectGolden -update)\n%s", golden, got)
			}
		})
	}
}
