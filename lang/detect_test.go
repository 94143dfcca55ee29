package lang

import (
	"testing"
	"testing/fstest"
)

// The port and health route the sources show, in the forms apps write
// them; tests and comments are not the app.
func TestHints(t *testing.T) {
	for _, tc := range []struct {
		src    string
		port   int
		reads  bool
		health string
	}{
		{"const port = process.env.PORT || 3000;", 3000, true, ""},
		{"const port = process.env.PORT ?? '4000'", 4000, true, ""},
		{`port = int(os.environ.get("PORT", "8000"))`, 8000, true, ""},
		{`addr := os.Getenv("PORT")`, 0, true, ""},
		{`let addr = std::env::var("PORT").unwrap_or("7000".into());`, 7000, true, ""},
		{`srv := &http.Server{Addr: ":8081"}`, 8081, false, ""},
		{`TcpListener::bind("0.0.0.0:3001")`, 3001, false, ""},
		{"app.listen(5000, () => {})", 5000, false, ""},
		{"uvicorn.run(app, host='0.0.0.0', port=8001)", 8001, false, ""},
		{`mux.HandleFunc("GET /healthz", h)`, 0, false, "/healthz"},
		{"@app.get('/health')\n@app.get('/ping')", 0, false, "/health"},
		{"// listens on \":9999\", answers \"/healthz\"", 0, false, ""},
		{`x := ":80"`, 80, false, ""},
		{`x := ":70000"`, 0, false, ""},
	} {
		p := &Project{FS: fstest.MapFS{"src/app.js": {Data: []byte(tc.src)},
			"src/app.test.js": {Data: []byte(`app.listen(1234); get("/readyz")`)}}}
		h := p.Hints(".", ".js")
		if h.Port != tc.port || h.ReadsPORT != tc.reads || h.Health != tc.health {
			t.Errorf("%q: port %d reads PORT %v health %q; want %d %v %q", tc.src, h.Port, h.ReadsPORT, h.Health, tc.port, tc.reads, tc.health)
		}
	}
}

// Reads stay inside the project and bounded.
func TestProjectReads(t *testing.T) {
	p := &Project{FS: fstest.MapFS{
		"a/pom.xml": {Data: []byte("<project/>")},
		"b/pom.xml": {Data: []byte("<project/>")},
		"big.json":  {Data: make([]byte, maxProjectFile+1)},
	}}
	if _, ok := p.ReadFile("../etc/passwd"); ok {
		t.Error("a path out of the project was read")
	}
	if _, ok := p.ReadFile("big.json"); ok {
		t.Error("a file over the limit was read")
	}
	if got := p.Files("*/pom.xml", "missing"); len(got) != 2 {
		t.Errorf("Files(*/pom.xml) = %d files, want 2", len(got))
	}
}

func TestNameFrom(t *testing.T) {
	for in, want := range map[string]string{"@acme/Catalog": "catalog", "github.com/a/b": "b", "my app!": "my-app", "---": "app", "": "app"} {
		if got := NameFrom(in); got != want {
			t.Errorf("NameFrom(%q) = %q, want %q", in, got, want)
		}
	}
}
