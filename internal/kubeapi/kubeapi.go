// Package kubeapi runs a real Kubernetes API server for tests: etcd and
// kube-apiserver, built from source by hack/kube/build, started on loopback
// with a token for an admin in system:masters and their own serving
// certificate. Nothing else of a cluster runs (no scheduler, no kubelet, no
// controllers), which is enough for admission and validation: server-side
// dry runs go through every admission plugin, Pod Security included.
package kubeapi

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// Binaries are the two programs a Server runs.
type Binaries struct {
	APIServer string
	Etcd      string
}

// Build runs hack/kube/build in repoRoot (which builds once and then reuses
// the binaries) and returns their paths. Its progress goes to log.
func Build(ctx context.Context, repoRoot string, log io.Writer) (Binaries, error) {
	script := filepath.Join(repoRoot, "hack", "kube", "build")
	cmd := exec.CommandContext(ctx, script)
	cmd.Stderr = log
	out, err := cmd.Output()
	if err != nil {
		return Binaries{}, fmt.Errorf("%s: %w (its log says why; run it by hand to retry)", script, err)
	}
	lines := strings.Fields(string(out))
	if len(lines) != 2 {
		return Binaries{}, fmt.Errorf("%s printed %q, want the kube-apiserver and etcd paths", script, out)
	}
	return Binaries{APIServer: lines[0], Etcd: lines[1]}, nil
}

// Server is a running etcd + kube-apiserver pair.
type Server struct {
	// URL is the API server's https://127.0.0.1:PORT.
	URL string
	// Token authenticates as an admin (group system:masters).
	Token string
	// Client trusts the server's certificate and nothing else.
	Client *http.Client
	// Started is how long start-up took, until /readyz answered ok.
	Started time.Duration

	dir   string
	procs []*exec.Cmd
}

// Start runs etcd and kube-apiserver with their state under dir and waits
// until the API server is ready. Stop ends both; dir keeps their logs.
func Start(ctx context.Context, bins Binaries, dir string) (s *Server, err error) {
	begin := time.Now()
	s = &Server{dir: dir}
	defer func() {
		if err != nil {
			s.Stop()
			err = fmt.Errorf("%w\n%s", err, s.logTails())
		}
	}()
	for _, b := range []string{bins.APIServer, bins.Etcd} {
		if st, err := os.Stat(b); err != nil || st.Mode()&0o111 == 0 {
			return nil, fmt.Errorf("%s is missing or not executable; build it with hack/kube/build", b)
		}
	}
	ports, err := freePorts(3)
	if err != nil {
		return nil, err
	}
	etcdClient := fmt.Sprintf("http://127.0.0.1:%d", ports[0])
	etcdPeer := fmt.Sprintf("http://127.0.0.1:%d", ports[1])
	if err := s.start(ctx, "etcd", bins.Etcd,
		"--name=test",
		"--data-dir="+filepath.Join(dir, "etcd"),
		"--listen-client-urls="+etcdClient, "--advertise-client-urls="+etcdClient,
		"--listen-peer-urls="+etcdPeer, "--initial-advertise-peer-urls="+etcdPeer,
		"--initial-cluster=test="+etcdPeer,
		"--log-level=warn",
		"--unsafe-no-fsync", // a throw-away store; fsync only slows the test
	); err != nil {
		return nil, err
	}
	if err := waitFor(ctx, 30*time.Second, func() error { return etcdHealthy(ctx, etcdClient) }); err != nil {
		return nil, fmt.Errorf("etcd did not become healthy: %w", err)
	}

	files, err := s.writeCredentials(dir)
	if err != nil {
		return nil, err
	}
	s.URL = fmt.Sprintf("https://127.0.0.1:%d", ports[2])
	if err := s.start(ctx, "kube-apiserver", bins.APIServer,
		"--etcd-servers="+etcdClient,
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		fmt.Sprintf("--secure-port=%d", ports[2]),
		"--tls-cert-file="+files.cert, "--tls-private-key-file="+files.key,
		"--token-auth-file="+files.tokens,
		"--authorization-mode=RBAC",
		"--service-account-issuer=https://kubernetes.default.svc",
		"--service-account-key-file="+files.saKey,
		"--service-account-signing-key-file="+files.saKey,
		"--service-cluster-ip-range=10.0.0.0/24",
		"--endpoint-reconciler-type=none", // no kubelet, no endpoints to keep
		"--profiling=false",
	); err != nil {
		return nil, err
	}
	if err := waitFor(ctx, 90*time.Second, func() error {
		code, body, _, err := s.Do(ctx, http.MethodGet, "/readyz", "", nil)
		if err == nil && code != http.StatusOK {
			err = fmt.Errorf("/readyz: %d %s", code, body)
		}
		return err
	}); err != nil {
		return nil, fmt.Errorf("kube-apiserver did not become ready: %w", err)
	}
	s.Started = time.Since(begin)
	return s, nil
}

// start runs one program with its output in dir/NAME.log. The child dies
// with the test process, so a failed test leaves nothing running.
func (s *Server) start(ctx context.Context, name, bin string, args ...string) error {
	logf, err := os.Create(filepath.Join(s.dir, name+".log"))
	if err != nil {
		return err
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("starting %s: %w", name, err)
	}
	go func() { _ = cmd.Wait(); logf.Close() }()
	s.procs = append(s.procs, cmd)
	return nil
}

// Stop ends the API server, then etcd: SIGTERM, then SIGKILL after 10s.
func (s *Server) Stop() {
	for i := len(s.procs) - 1; i >= 0; i-- {
		p := s.procs[i].Process
		_ = p.Signal(syscall.SIGTERM)
		deadline := time.Now().Add(10 * time.Second)
		for p.Signal(syscall.Signal(0)) == nil && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
		_ = p.Kill()
	}
	s.procs = nil
}

// logTails is the end of each program's log, for start-up errors.
func (s *Server) logTails() string {
	var b strings.Builder
	for _, name := range []string{"etcd", "kube-apiserver"} {
		dt, err := os.ReadFile(filepath.Join(s.dir, name+".log"))
		if err != nil {
			continue
		}
		if len(dt) > 3000 {
			dt = dt[len(dt)-3000:]
		}
		fmt.Fprintf(&b, "--- %s.log (end)\n%s\n", name, dt)
	}
	return b.String()
}

// Do sends one request with the admin token. A nil body sends none.
func (s *Server) Do(ctx context.Context, method, path, contentType string, body []byte) (int, []byte, http.Header, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, s.URL+path, rd)
	if err != nil {
		return 0, nil, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+s.Token)
	req.Header.Set("Accept", "application/json")
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := s.Client.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	dt, err := io.ReadAll(resp.Body)
	return resp.StatusCode, dt, resp.Header, err
}

// Create POSTs an object (JSON or YAML) to path and fails unless the
// server created it.
func (s *Server) Create(ctx context.Context, path string, obj any) error {
	dt, err := json.Marshal(obj)
	if err != nil {
		return err
	}
	code, body, _, err := s.Do(ctx, http.MethodPost, path, "application/json", dt)
	if err != nil {
		return fmt.Errorf("POST %s: %w", path, err)
	}
	if code != http.StatusCreated {
		return fmt.Errorf("POST %s: %d %s", path, code, body)
	}
	return nil
}

// CreateNamespace creates a namespace with labels and its default
// ServiceAccount, which the controller manager would create in a cluster
// (and without which the ServiceAccount admission plugin refuses pods).
func (s *Server) CreateNamespace(ctx context.Context, name string, labels map[string]string) error {
	ns := map[string]any{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": name, "labels": labels}}
	if err := s.Create(ctx, "/api/v1/namespaces", ns); err != nil {
		return err
	}
	sa := map[string]any{"apiVersion": "v1", "kind": "ServiceAccount", "metadata": map[string]any{"name": "default"}}
	return s.Create(ctx, "/api/v1/namespaces/"+name+"/serviceaccounts", sa)
}

type credentialFiles struct{ cert, key, tokens, saKey string }

// writeCredentials writes a serving certificate for 127.0.0.1 (which Client
// trusts), the service account signing key and the token file.
func (s *Server) writeCredentials(dir string) (credentialFiles, error) {
	f := credentialFiles{
		cert: filepath.Join(dir, "serving.crt"), key: filepath.Join(dir, "serving.key"),
		tokens: filepath.Join(dir, "tokens.csv"), saKey: filepath.Join(dir, "sa.key"),
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return f, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "kube-apiserver (test)"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return f, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return f, err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return f, err
	}
	saKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return f, err
	}
	saDER, err := x509.MarshalPKCS8PrivateKey(saKey)
	if err != nil {
		return f, err
	}
	tok := make([]byte, 24)
	if _, err := rand.Read(tok); err != nil {
		return f, err
	}
	s.Token = hex.EncodeToString(tok)
	for path, dt := range map[string][]byte{
		f.cert:   pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		f.key:    pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}),
		f.saKey:  pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: saDER}),
		f.tokens: []byte(s.Token + ",safe-admin,safe-admin,\"system:masters\"\n"),
	} {
		if err := os.WriteFile(path, dt, 0o600); err != nil {
			return f, err
		}
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	s.Client = &http.Client{
		Timeout:   30 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}},
	}
	return f, nil
}

func etcdHealthy(ctx context.Context, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url+"/health", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var h struct{ Health string }
	if err := json.NewDecoder(resp.Body).Decode(&h); err != nil {
		return err
	}
	if h.Health != "true" {
		return fmt.Errorf("etcd /health: %q", h.Health)
	}
	return nil
}

// freePorts asks the kernel for n distinct unused loopback ports.
func freePorts(n int) ([]int, error) {
	var ports []int
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// waitFor polls check until it succeeds, ctx ends or timeout passes.
func waitFor(ctx context.Context, timeout time.Duration, check func() error) error {
	deadline := time.Now().Add(timeout)
	var err error
	for {
		if err = check(); err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("after %s: %w", timeout, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}
