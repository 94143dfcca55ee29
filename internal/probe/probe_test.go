package probe

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// server is a loopback TCP listener that answers every connection with
// answer(request) and records the requests it saw.
type server struct {
	ln       net.Listener
	mu       sync.Mutex
	requests []string
}

// serve starts a server; answer gets the request head and the connection
// (to hold it open or write raw bytes) and returns what to write back.
func serve(t *testing.T, answer func(req string, c net.Conn) string) *server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &server{ln: ln}
	done := make(chan struct{})
	t.Cleanup(func() { ln.Close(); <-done })
	go func() {
		defer close(done)
		var wg sync.WaitGroup
		defer wg.Wait()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				c.SetDeadline(time.Now().Add(10 * time.Second))
				req := readHead(c)
				s.mu.Lock()
				s.requests = append(s.requests, req)
				s.mu.Unlock()
				if out := answer(req, c); out != "" {
					c.Write([]byte(out))
				}
			}()
		}
	}()
	return s
}

func readHead(c net.Conn) string {
	br := bufio.NewReader(c)
	var b strings.Builder
	for {
		l, err := br.ReadString('\n')
		b.WriteString(l)
		if err != nil || l == "\r\n" {
			return b.String()
		}
	}
}

func (s *server) addr() string { return s.ln.Addr().String() }

func (s *server) seen() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.requests...)
}

func fixed(resp string) func(string, net.Conn) string {
	return func(string, net.Conn) string { return resp }
}

// probe runs the command as safe-probe and returns its exit status and
// output.
func probe(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	return probeAs(t, "safe-probe", args...)
}

func probeAs(t *testing.T, name string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Run(name, args, &out, &errOut)
	if code != exitUsage && strings.Count(out.String(), "\n") != 1 {
		t.Errorf("stdout is not one line: %q", out.String())
	}
	return code, out.String(), errOut.String()
}

func expect(t *testing.T, args []string, wantCode int, wantOut string) string {
	t.Helper()
	code, out, errOut := probe(t, args...)
	if code != wantCode {
		t.Fatalf("safe-probe %q: exit %d, want %d\nstdout: %s\nstderr: %s", args, code, wantCode, out, errOut)
	}
	if !strings.Contains(out+errOut, wantOut) {
		t.Fatalf("safe-probe %q: output lacks %q\nstdout: %s\nstderr: %s", args, wantOut, out, errOut)
	}
	return out
}

func TestHTTPStatus(t *testing.T) {
	for _, tc := range []struct {
		resp string
		code int
		want string
	}{
		{"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", 0, "healthy: HTTP 200"},
		{"HTTP/1.1 204 No Content\r\n\r\n", 0, "healthy: HTTP 204"},
		{"HTTP/1.0 200 OK\r\n\r\n", 0, "healthy: HTTP 200"},
		{"HTTP/1.1 200\r\n\r\n", 0, "healthy: HTTP 200"}, // the reason phrase is optional
		{"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n", 1, "unhealthy: HTTP 500"},
		{"HTTP/1.1 503 Service Unavailable\r\n\r\n", 1, "unhealthy: HTTP 503"},
		{"HTTP/1.1 404 Not Found\r\n\r\n", 1, "unhealthy: HTTP 404"},
		{"HTTP/1.1 304 Not Modified\r\n\r\n", 1, "unhealthy: HTTP 304"},
		{"HTTP/1.1 302 Found\r\n\r\n", 1, "unhealthy: HTTP 302"}, // no Location
		{"HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\nHTTP/1.1 200 OK\r\n\r\n", 0, "healthy: HTTP 200"},
	} {
		s := serve(t, fixed(tc.resp))
		expect(t, []string{"http://" + s.addr() + "/healthz"}, tc.code, tc.want)
	}
}

// TestRequest: the request is a plain HTTP/1.1 GET that asks the server to
// close, names the host and the command that probes, and sends the query
// through.
func TestRequest(t *testing.T) {
	for name, agent := range map[string]string{"safe-probe": "safe-probe/1", "safe-static -probe": "safe-static-probe/1"} {
		s := serve(t, fixed("HTTP/1.1 200 OK\r\n\r\n"))
		if code, out, errOut := probeAs(t, name, "-timeout=2s", "http://"+s.addr()+"/healthz?deep=1"); code != 0 {
			t.Fatalf("%s: exit %d\nstdout: %s\nstderr: %s", name, code, out, errOut)
		}
		reqs := s.seen()
		if len(reqs) != 1 {
			t.Fatalf("%d requests, want 1", len(reqs))
		}
		for _, want := range []string{
			"GET /healthz?deep=1 HTTP/1.1\r\n",
			"\r\nHost: " + s.addr() + "\r\n",
			"\r\nConnection: close\r\n",
			"\r\nUser-Agent: " + agent + "\r\n",
		} {
			if !strings.Contains(reqs[0], want) {
				t.Errorf("%s: request lacks %q:\n%s", name, want, reqs[0])
			}
		}
	}
	// No path means "/".
	s2 := serve(t, fixed("HTTP/1.1 200 OK\r\n\r\n"))
	expect(t, []string{"http://" + s2.addr()}, 0, "healthy")
	if got := s2.seen(); len(got) != 1 || !strings.HasPrefix(got[0], "GET / HTTP/1.1\r\n") {
		t.Errorf("request for an empty path: %q", got)
	}
}

func TestRedirectOnHostFollowed(t *testing.T) {
	var s *server
	s = serve(t, func(req string, _ net.Conn) string {
		switch {
		case strings.HasPrefix(req, "GET /old "):
			return "HTTP/1.1 301 Moved Permanently\r\nlocation: /mid\r\n\r\n"
		case strings.HasPrefix(req, "GET /mid "):
			// Absolute, but the same host:port.
			return "HTTP/1.1 302 Found\r\nLocation: http://" + s.addr() + "/ready\r\n\r\n"
		case strings.HasPrefix(req, "GET /ready "):
			return "HTTP/1.1 200 OK\r\n\r\n"
		}
		return "HTTP/1.1 404 Not Found\r\n\r\n"
	})
	expect(t, []string{"http://" + s.addr() + "/old"}, 0, "healthy: HTTP 200 from http://"+s.addr()+"/ready")
	if n := len(s.seen()); n != 3 {
		t.Errorf("%d requests, want 3", n)
	}
}

func TestRedirectOffHostRefused(t *testing.T) {
	other := serve(t, fixed("HTTP/1.1 200 OK\r\n\r\n"))
	for _, loc := range []string{
		"http://" + other.addr() + "/", // another port on the same IP
		"https://127.0.0.1/",
		"//example.invalid/healthz",
		"http://127.0.0.2:9/", // another IP
	} {
		s := serve(t, fixed("HTTP/1.1 302 Found\r\nLocation: "+loc+"\r\n\r\n"))
		expect(t, []string{"http://" + s.addr() + "/"}, 1, "unhealthy: HTTP 302 redirect off-host to ")
	}
	s := serve(t, fixed("HTTP/1.1 308 Permanent Redirect\r\nLocation: http://127.0.0.2:9/\r\n\r\n"))
	expect(t, []string{"http://" + s.addr() + "/"}, 1, "unhealthy: HTTP 308 redirect off-host to http://127.0.0.2:9/ refused")
	if n := len(other.seen()); n != 0 {
		t.Errorf("the off-host server got %d requests", n)
	}
}

func TestRedirectLimit(t *testing.T) {
	s := serve(t, fixed("HTTP/1.1 307 Temporary Redirect\r\nLocation: /again\r\n\r\n"))
	expect(t, []string{"http://" + s.addr() + "/"}, 1, "more than 3 redirects")
	if n := len(s.seen()); n != 4 {
		t.Errorf("%d requests, want 4 (the first and 3 redirects)", n)
	}
}

// TestTimeout: a server that accepts and never answers costs the probe its
// -timeout, not more.
func TestTimeout(t *testing.T) {
	s := serve(t, func(_ string, c net.Conn) string {
		io.Copy(io.Discard, c) // until the probe gives up and closes
		return ""
	})
	start := time.Now()
	expect(t, []string{"-timeout=300ms", "http://" + s.addr() + "/"}, 1, "unhealthy: timeout after 300ms talking to "+s.addr())
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("the probe took %s with -timeout=300ms", d)
	}
}

// TestTimeoutSlowHeaders: the deadline covers the whole answer, not each read.
func TestTimeoutSlowHeaders(t *testing.T) {
	s := serve(t, func(_ string, c net.Conn) string {
		c.Write([]byte("HTTP/1.1 200 OK\r\n"))
		for i := 0; i < 30; i++ {
			if _, err := c.Write([]byte("X-Drip: 1\r\n")); err != nil {
				return ""
			}
			time.Sleep(100 * time.Millisecond)
		}
		return "\r\n"
	})
	start := time.Now()
	expect(t, []string{"-timeout=500ms", "http://" + s.addr() + "/"}, 1, "timeout")
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("the probe took %s with -timeout=500ms", d)
	}
}

func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func TestConnectionRefused(t *testing.T) {
	addr := closedPort(t)
	expect(t, []string{"http://" + addr + "/healthz"}, 1, "connection refused by "+addr)
}

func TestMalformedAnswers(t *testing.T) {
	for _, tc := range []struct{ name, resp, want string }{
		{"ssh banner", "SSH-2.0-OpenSSH_9.2\r\n", "not HTTP/1.x"},
		{"http2 preface", "\x00\x00\x12\x04\x00\x00\x00\x00\x00\n", "not HTTP/1.x"},
		{"no code", "HTTP/1.1 OK\r\n\r\n", "no status code"},
		{"short code", "HTTP/1.1 20 OK\r\n\r\n", "no status code"},
		{"header without colon", "HTTP/1.1 200 OK\r\nnonsense\r\n\r\n", "no colon"},
		{"long line", "HTTP/1.1 200 OK\r\nX: " + strings.Repeat("a", 20000) + "\r\n\r\n", "longer than"},
		{"endless headers", "HTTP/1.1 200 OK\r\n" + strings.Repeat("X-A: b\r\n", 500), "headers beyond"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := serve(t, fixed(tc.resp))
			expect(t, []string{"http://" + s.addr() + "/"}, 1, tc.want)
		})
	}
	// Closed before a complete answer.
	for _, resp := range []string{"", "HTTP/1.1 200 OK\r\n"} {
		s := serve(t, func(_ string, c net.Conn) string {
			c.Write([]byte(resp))
			return ""
		})
		expect(t, []string{"http://" + s.addr() + "/"}, 1, "without a complete answer")
	}
}

func TestTCP(t *testing.T) {
	s := serve(t, fixed(""))
	expect(t, []string{"tcp://" + s.addr()}, 0, "healthy: "+s.addr()+" accepts connections")
	addr := closedPort(t)
	expect(t, []string{"-timeout=1s", "tcp://" + addr}, 1, "connection refused by "+addr)
}

func TestUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "missing the URL"},
		{[]string{"http://127.0.0.1:1/", "tcp://127.0.0.1:2"}, "one URL expected"},
		{[]string{"-timeout=soon", "http://127.0.0.1:1/"}, "invalid value"},
		{[]string{"-timeout=0s", "http://127.0.0.1:1/"}, "must be positive"},
		{[]string{"-retries=3", "http://127.0.0.1:1/"}, "not defined"},
		{[]string{"-h"}, "usage: safe-probe"},
		{[]string{"https://127.0.0.1:8443/healthz"}, "https is not supported"},
		{[]string{"ftp://127.0.0.1:21/"}, "must be http:// or tcp://"},
		{[]string{"127.0.0.1:8080"}, "must be http:// or tcp://"},
		{[]string{"http:///healthz"}, "names no host"},
		{[]string{"http://user:pw@127.0.0.1:8080/"}, "credentials"},
		{[]string{"http://127.0.0.1:99999/"}, "not in 1-65535"},
		{[]string{"http://127.0.0.1:8080/a b\r\nX: y"}, "bad URL"},
		{[]string{"tcp://127.0.0.1"}, "names no port"},
		{[]string{"tcp://127.0.0.1:8080/healthz"}, "tcp://HOST:PORT and nothing more"},
		{[]string{"http://app.internal:8080/healthz"}, "IP address or localhost"},
		{[]string{"http://[::1:8080/"}, "bad URL"},
	} {
		code, out, errOut := probe(t, tc.args...)
		if code != exitUsage {
			t.Errorf("safe-probe %q: exit %d, want 2 (stdout %q)", tc.args, code, out)
			continue
		}
		if !strings.Contains(errOut, tc.want) || !strings.Contains(errOut, "usage: safe-probe") {
			t.Errorf("safe-probe %q: stderr lacks %q and the usage:\n%s", tc.args, tc.want, errOut)
		}
		if out != "" {
			t.Errorf("safe-probe %q: a usage error wrote to stdout: %q", tc.args, out)
		}
	}
}

// TestUsageNamesCommand: the error line and the usage name the command
// that runs the probe; -h prints the usage alone.
func TestUsageNamesCommand(t *testing.T) {
	const name = "safe-static -probe"
	usage := "usage: safe-static -probe [-timeout=3s] http://HOST:PORT/PATH\n" +
		"       safe-static -probe [-timeout=3s] tcp://HOST:PORT\n" +
		"exit 0 healthy (HTTP 2xx, or the TCP port accepts), 1 unhealthy, 2 usage error\n"
	for _, tc := range []struct {
		args   []string
		stderr string
	}{
		{[]string{"-retries=3", "http://127.0.0.1:1/"}, name + ": flag provided but not defined: -retries\n" + usage},
		{[]string{"--help"}, usage},
	} {
		code, out, errOut := probeAs(t, name, tc.args...)
		if code != exitUsage || out != "" || errOut != tc.stderr {
			t.Errorf("%s %q: exit %d, stdout %q, stderr:\n%s\nwant exit 2, no stdout, stderr:\n%s", name, tc.args, code, out, errOut, tc.stderr)
		}
	}
}

// TestNetHTTPServer: the probe reads the answers of Go's own server, a
// body, a redirect with one, and an error status alike.
func TestNetHTTPServer(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok") })
	mux.HandleFunc("/down", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusServiceUnavailable) })
	mux.HandleFunc("/moved", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/healthz", http.StatusFound) })
	srv := httptest.NewServer(mux)
	defer srv.Close()
	expect(t, []string{srv.URL + "/healthz"}, 0, "healthy: HTTP 200 from "+srv.URL+"/healthz")
	expect(t, []string{srv.URL + "/moved"}, 0, "healthy: HTTP 200 from "+srv.URL+"/healthz")
	expect(t, []string{srv.URL + "/down"}, 1, "unhealthy: HTTP 503 from "+srv.URL+"/down")
}

// TestAddresses: the hosts a probe dials without resolving names.
func TestAddresses(t *testing.T) {
	for _, tc := range []struct {
		host string
		ok   bool
	}{
		{"127.0.0.1", true}, {"localhost", true}, {"::1", true}, {"fe80::1:2", true},
		{"2001:db8:0:0:0:0:0:1", true}, {"::", true},
		{"256.0.0.1", false}, {"127.0.0", false}, {"127.00.0.1", false}, {"1:2:3:4:5:6:7:8:9", false},
		{"1::2::3", false}, {"12345::1", false}, {"example.com", false}, {"", false},
	} {
		_, err := (&ref{host: tc.host}).addr()
		if (err == nil) != tc.ok {
			t.Errorf("host %q: err %v, want ok=%v", tc.host, err, tc.ok)
		}
	}
}

// TestResolve: redirect targets are resolved as RFC 3986 says.
func TestResolve(t *testing.T) {
	base, err := parseRef("http://127.0.0.1:8080/a/b/c?x=1")
	if err != nil {
		t.Fatal(err)
	}
	for loc, want := range map[string]string{
		"/ready":                    "http://127.0.0.1:8080/ready",
		"d":                         "http://127.0.0.1:8080/a/b/d",
		"../d?y=2":                  "http://127.0.0.1:8080/a/d?y=2",
		"?y=2":                      "http://127.0.0.1:8080/a/b/c?y=2",
		"//10.0.0.1/z":              "http://10.0.0.1/z",
		"HTTP://127.0.0.1:8080/./e": "http://127.0.0.1:8080/e",
		"/a/../..":                  "http://127.0.0.1:8080/",
	} {
		r, err := parseRef(loc)
		if err != nil {
			t.Errorf("%q: %v", loc, err)
			continue
		}
		if got := base.resolve(r).String(); got != want {
			t.Errorf("%q resolves to %q, want %q", loc, got, want)
		}
	}
}
