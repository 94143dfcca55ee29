package main

import (
	"bytes"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// The probe mode answers as safe-probe does: 0 on 2xx and an open port, 1
// with one line otherwise (redirects off-host or too many, a refused
// port, a server that never answers, within the timeout), 2 on a URL it
// will not probe.
func TestProbe(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {})
	mux.HandleFunc("/down", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusServiceUnavailable) })
	mux.HandleFunc("/moved", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/healthz", http.StatusFound) })
	mux.HandleFunc("/away", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://127.0.0.2:9/", http.StatusFound)
	})
	mux.HandleFunc("/loop", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/loop", http.StatusFound) })
	mux.HandleFunc("/hang", func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	srv := httptest.NewServer(mux)
	defer srv.Close()
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := closed.Addr().String()
	closed.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	for _, tc := range []struct {
		args []string
		code int
		says string
	}{
		{[]string{srv.URL + "/healthz"}, 0, "healthy: HTTP 200 from " + srv.URL + "/healthz"},
		{[]string{"tcp://" + host}, 0, "healthy: " + host + " accepts connections"},
		{[]string{srv.URL + "/moved"}, 0, "healthy: HTTP 200 from " + srv.URL + "/healthz"},
		{[]string{srv.URL + "/down"}, 1, "unhealthy: HTTP 503 from"},
		{[]string{srv.URL + "/away"}, 1, "unhealthy: HTTP 302 redirect off-host to http://127.0.0.2:9/ refused"},
		{[]string{srv.URL + "/loop"}, 1, "unhealthy: more than 3 redirects"},
		{[]string{"-timeout=300ms", srv.URL + "/hang"}, 1, "unhealthy: timeout after 300ms talking to " + host},
		{[]string{"http://" + refused + "/healthz"}, 1, "unhealthy: connection refused by " + refused},
		{[]string{"http://example.com/healthz"}, 2, "resolves no names"},
		{[]string{"https://127.0.0.1/healthz"}, 2, "the scheme must be http:// or tcp://"},
		{[]string{"http://u:p@127.0.0.1/"}, 2, "carries credentials"},
		{[]string{"tcp://127.0.0.1"}, 2, "tcp://HOST:PORT and nothing more"},
		{[]string{"-timeout=0s", srv.URL}, 2, "-timeout must be positive"},
		{nil, 2, "one URL expected"},
	} {
		var out, errOut bytes.Buffer
		start := time.Now()
		code := probe(tc.args, &out, &errOut)
		if took := time.Since(start); took > 2*time.Second {
			t.Errorf("%v took %s", tc.args, took)
		}
		said := out.String() + errOut.String()
		if code != tc.code || !strings.Contains(said, tc.says) {
			t.Errorf("%v: exit %d, said %q; want exit %d saying %q", tc.args, code, said, tc.code, tc.says)
		}
		if code < 2 && strings.Count(out.String(), "\n") != 1 {
			t.Errorf("%v: %q is not one line", tc.args, out.String())
		}
	}
}
