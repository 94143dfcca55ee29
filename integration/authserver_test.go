package integration

import (
	"net"
	"net/http"
	"sync"
	"testing"
)

// authServer is a loopback HTTP server that answers 401 with its
// challenge to every request without the right credentials, as a
// company's private index or registry does, and counts both kinds. Build
// steps share the host's network, so the package managers in them reach it.
type authServer struct {
	Base string // http://127.0.0.1:PORT

	allowed   func(*http.Request) bool
	challenge string
	mux       *http.ServeMux

	mu         sync.Mutex
	authorized int // downloads with the right credentials
	refused    int // requests without them
}

// startAuthServer serves until the test ends; challenge gets the server's
// base URL and returns its WWW-Authenticate header.
func startAuthServer(t *testing.T, allowed func(*http.Request) bool, challenge func(base string) string) *authServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &authServer{Base: "http://" + ln.Addr().String(), allowed: allowed, mux: http.NewServeMux()}
	s.challenge = challenge(s.Base)
	srv := &http.Server{Handler: s.mux}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return s
}

// handle serves pattern to requests with the credentials only.
func (s *authServer) handle(pattern string, h http.HandlerFunc) {
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		if !s.allowed(r) {
			s.mu.Lock()
			s.refused++
			s.mu.Unlock()
			w.Header().Set("WWW-Authenticate", s.challenge)
			http.Error(w, "credentials required", http.StatusUnauthorized)
			return
		}
		h(w, r)
	})
}

// download counts one download served with the credentials.
func (s *authServer) download() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.authorized++
}

func (s *authServer) counts() (authorized, refused int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.authorized, s.refused
}
