package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"syscall"
	"time"
)

// Probe exit statuses, as the runtime's safe-probe has them.
const (
	probeHealthy   = 0
	probeUnhealthy = 1
	probeUsage     = 2

	// maxRedirects bounds the redirects followed; the next one fails.
	maxRedirects = 3
	// maxHeaderBytes bounds what is read of an answer.
	maxHeaderBytes = 64 << 10
)

// probe is -probe: the server checks a health URL itself, the way the
// runtime's safe-probe does, so a static image needs no probe of its own.
//
//	safe-static -probe [-timeout=3s] http://127.0.0.1:8080/healthz
//	safe-static -probe [-timeout=3s] tcp://127.0.0.1:8080
//
// Exit 0 healthy (a 2xx answer; the port accepts), 1 unhealthy (one line
// on stdout says why), 2 usage error. Hosts are IP addresses or
// localhost: a probe talks to its own container and resolves no names.
func probe(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("safe-static -probe", flag.ContinueOnError)
	fs.SetOutput(stderr)
	timeout := fs.Duration("timeout", 3*time.Second, "deadline of the whole probe, redirects included")
	if err := fs.Parse(args); err != nil {
		return probeUsage
	}
	u, err := probeTarget(fs.Args(), *timeout)
	if err != nil {
		fmt.Fprintln(stderr, "safe-static -probe:", err)
		return probeUsage
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	var healthy bool
	var msg string
	if u.Scheme == "tcp" {
		healthy, msg = probeTCP(ctx, u, *timeout)
	} else {
		healthy, msg = probeHTTP(ctx, u, *timeout)
	}
	fmt.Fprintln(stdout, msg)
	if healthy {
		return probeHealthy
	}
	return probeUnhealthy
}

// probeTarget checks the one URL: http:// or tcp://, no credentials, an
// IP address or localhost, a port in range (required for tcp).
func probeTarget(args []string, timeout time.Duration) (*url.URL, error) {
	if timeout <= 0 {
		return nil, fmt.Errorf("-timeout must be positive, got %s", timeout)
	}
	if len(args) != 1 {
		return nil, fmt.Errorf("one URL expected (http://HOST:PORT/PATH or tcp://HOST:PORT), got %d arguments", len(args))
	}
	u, err := url.Parse(args[0])
	if err != nil {
		return nil, err
	}
	q := strconv.Quote(args[0])
	switch {
	case u.Scheme != "http" && u.Scheme != "tcp":
		return nil, fmt.Errorf("%s: the scheme must be http:// or tcp://", q)
	case u.User != nil:
		return nil, fmt.Errorf("%s carries credentials; a probe URL must not", q)
	case u.Scheme == "tcp" && (u.Port() == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != ""):
		return nil, fmt.Errorf("%s: a TCP probe is tcp://HOST:PORT and nothing more", q)
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("%s: port %q is not in 1-65535", q, p)
		}
	}
	if h := u.Hostname(); h != "localhost" && net.ParseIP(h) == nil {
		return nil, fmt.Errorf("%s: the host must be an IP address or localhost (the probe resolves no names)", q)
	}
	return u, nil
}

// dialLocal dials an IP address; localhost is 127.0.0.1. A redirect's
// host was checked against the probe's own before this.
func dialLocal(ctx context.Context, _, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	if host == "localhost" {
		host = "127.0.0.1"
	}
	if net.ParseIP(host) == nil {
		return nil, fmt.Errorf("%s is not an IP address", host)
	}
	var d net.Dialer
	return d.DialContext(ctx, "tcp", net.JoinHostPort(host, port))
}

// hostPort is the address a URL dials, the default port made explicit.
func hostPort(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = "80"
	}
	return net.JoinHostPort(u.Hostname(), port)
}

func probeTCP(ctx context.Context, u *url.URL, timeout time.Duration) (bool, string) {
	addr := hostPort(u)
	c, err := dialLocal(ctx, "tcp", addr)
	if err != nil {
		return false, probeFailure(addr, err, timeout)
	}
	c.Close()
	return true, "healthy: " + addr + " accepts connections"
}

// probeHTTP GETs u, following up to maxRedirects redirects that stay on
// the same host:port; the answer's body is never read. It speaks HTTP/1.1
// over a connection of its own rather than through http.Client: the
// client's transport (HTTP/2 included) would add a quarter of a MiB to
// every static image.
func probeHTTP(ctx context.Context, u *url.URL, timeout time.Duration) (bool, string) {
	origin := hostPort(u)
	for redirects := 0; ; redirects++ {
		resp, err := get(ctx, u)
		if err != nil {
			return false, probeFailure(origin, err, timeout)
		}
		loc := resp.Header.Get("Location")
		switch code := resp.StatusCode; {
		case code >= 200 && code <= 299:
			return true, fmt.Sprintf("healthy: HTTP %d from %s", code, u.Redacted())
		case !isRedirect(code) || loc == "":
			return false, fmt.Sprintf("unhealthy: HTTP %d from %s", code, u.Redacted())
		case redirects == maxRedirects:
			return false, fmt.Sprintf("unhealthy: more than %d redirects (last HTTP %d from %s)", maxRedirects, code, u.Redacted())
		}
		next, err := u.Parse(loc)
		if err != nil {
			return false, fmt.Sprintf("unhealthy: HTTP %d with a bad Location %q", resp.StatusCode, clip(loc))
		}
		if next.Scheme != "http" || next.User != nil || hostPort(next) != origin {
			return false, fmt.Sprintf("unhealthy: HTTP %d redirect off-host to %s refused", resp.StatusCode, clip(next.Redacted()))
		}
		u = next
	}
}

func isRedirect(code int) bool {
	switch code {
	case 301, 302, 303, 307, 308:
		return true
	}
	return false
}

// get sends one GET with Connection: close and reads the status line and
// headers of the answer (1xx answers skipped), at most maxHeaderBytes.
func get(ctx context.Context, u *url.URL) (*http.Response, error) {
	c, err := dialLocal(ctx, "tcp", hostPort(u))
	if err != nil {
		return nil, err
	}
	defer c.Close()
	if d, ok := ctx.Deadline(); ok {
		c.SetDeadline(d)
	}
	req := "GET " + u.RequestURI() + " HTTP/1.1\r\nHost: " + u.Host + "\r\nUser-Agent: safe-static-probe/1\r\nAccept: */*\r\nConnection: close\r\n\r\n"
	if _, err := io.WriteString(c, req); err != nil {
		return nil, deadline(ctx, err)
	}
	br := bufio.NewReader(io.LimitReader(c, maxHeaderBytes))
	for {
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			return nil, deadline(ctx, err)
		}
		if resp.StatusCode < 100 || resp.StatusCode > 199 || resp.StatusCode == 101 {
			return resp, nil
		}
	}
}

// deadline names a timed-out read or write as the probe's own deadline.
func deadline(ctx context.Context, err error) error {
	if ctx.Err() != nil || errors.Is(err, os.ErrDeadlineExceeded) {
		return context.DeadlineExceeded
	}
	return err
}

// probeFailure turns a network error into the short reason printed.
func probeFailure(addr string, err error, timeout time.Duration) string {
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return "unhealthy: timeout after " + timeout.String() + " talking to " + addr
	case errors.Is(err, syscall.ECONNREFUSED):
		return "unhealthy: connection refused by " + addr
	case errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE):
		return "unhealthy: connection reset by " + addr
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return "unhealthy: " + addr + " closed the connection without a complete answer"
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return "unhealthy: " + addr + ": " + err.Error()
}

// clip keeps what a hostile server sent from flooding the probe's output.
func clip(s string) string {
	const max = 60
	if len(s) > max {
		return s[:max] + "..."
	}
	return s
}
