// Command safe-probe is the health probe of the images safe-frontend builds:
// a static binary, started without a shell, that Docker's HEALTHCHECK (exec
// form) and Kubernetes exec probes run inside the container.
//
//	safe-probe [-timeout=3s] http://127.0.0.1:8080/healthz
//	safe-probe [-timeout=3s] tcp://127.0.0.1:8080
//
// Exit status: 0 healthy (HTTP: a 2xx answer; TCP: the port accepts a
// connection), 1 unhealthy (one line on stdout says why), 2 usage error.
//
// It speaks just enough HTTP/1.1 for a probe instead of importing net/http,
// which would triple its size in every image: one GET with Connection: close,
// then the status line and headers only; the body is never read.
package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

const (
	exitHealthy   = 0
	exitUnhealthy = 1
	exitUsage     = 2

	defaultTimeout = 3 * time.Second
	// maxRedirects bounds the redirects followed; the next one is a failure.
	maxRedirects = 3
	// Bounds on what is read of an answer: one header line, the whole
	// header block, and the number of header lines.
	maxLineBytes   = 8 << 10
	maxHeaderBytes = 64 << 10
	maxHeaderLines = 128

	userAgent = "safe-probe/1"
)

const usageText = `usage: safe-probe [-timeout=3s] http://HOST:PORT/PATH
       safe-probe [-timeout=3s] tcp://HOST:PORT
exit 0 healthy (HTTP 2xx, or the TCP port accepts), 1 unhealthy, 2 usage error
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is the whole command: arguments in, one line out, exit status back.
func run(args []string, stdout, stderr io.Writer) int {
	target, timeout, err := parseArgs(args)
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(stderr, "safe-probe: %v\n", err)
		}
		io.WriteString(stderr, usageText)
		return exitUsage
	}
	p := prober{deadline: time.Now().Add(timeout), timeout: timeout}
	var msg string
	var healthy bool
	if target.Scheme == "tcp" {
		healthy, msg = p.tcp(target.Host)
	} else {
		healthy, msg = p.http(target)
	}
	io.WriteString(stdout, msg+"\n")
	if healthy {
		return exitHealthy
	}
	return exitUnhealthy
}

// parseArgs accepts [-timeout=D] and exactly one http:// or tcp:// URL.
func parseArgs(args []string) (*url.URL, time.Duration, error) {
	fs := flag.NewFlagSet("safe-probe", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // usageText is printed instead
	timeout := fs.Duration("timeout", defaultTimeout, "")
	if err := fs.Parse(args); err != nil {
		return nil, 0, err
	}
	if *timeout <= 0 {
		return nil, 0, fmt.Errorf("-timeout must be positive, got %s", *timeout)
	}
	switch fs.NArg() {
	case 0:
		return nil, 0, errors.New("missing the URL to probe")
	case 1:
	default:
		return nil, 0, fmt.Errorf("one URL expected, got %d arguments: %q", fs.NArg(), fs.Args())
	}
	raw := fs.Arg(0)
	if !strings.Contains(raw, "://") {
		return nil, 0, fmt.Errorf("%q: the scheme must be http:// or tcp://", raw)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, 0, fmt.Errorf("bad URL %q: %w", raw, err)
	}
	switch u.Scheme {
	case "http":
		if u.Hostname() == "" {
			return nil, 0, fmt.Errorf("%q names no host", raw)
		}
		if u.User != nil {
			return nil, 0, fmt.Errorf("%q carries credentials; a probe URL must not", raw)
		}
		if err := checkPort(u, true); err != nil {
			return nil, 0, err
		}
	case "tcp":
		if u.Hostname() == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.User != nil {
			return nil, 0, fmt.Errorf("%q: a TCP probe is tcp://HOST:PORT and nothing more", raw)
		}
		if err := checkPort(u, false); err != nil {
			return nil, 0, err
		}
	case "https":
		return nil, 0, fmt.Errorf("%q: https is not supported; probe the app's plain-HTTP port on loopback", raw)
	default:
		return nil, 0, fmt.Errorf("%q: the scheme must be http:// or tcp://", raw)
	}
	return u, *timeout, nil
}

func checkPort(u *url.URL, optional bool) error {
	port := u.Port()
	if port == "" {
		if optional {
			return nil
		}
		return fmt.Errorf("%q names no port", u.String())
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("%q: port %q is not in 1-65535", u.String(), port)
	}
	return nil
}

// prober holds the one deadline that every connection of a probe shares,
// redirects included.
type prober struct {
	deadline time.Time
	timeout  time.Duration
}

func (p prober) dial(addr string) (net.Conn, error) {
	d := net.Dialer{Deadline: p.deadline}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	if err := c.SetDeadline(p.deadline); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// failure turns a network error into the short reason a probe prints.
func (p prober) failure(addr string, err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()):
		return fmt.Sprintf("unhealthy: timeout after %s talking to %s", p.timeout, addr)
	case errors.Is(err, syscall.ECONNREFUSED):
		return "unhealthy: connection refused by " + addr
	case errors.Is(err, syscall.ECONNRESET):
		return "unhealthy: connection reset by " + addr
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return "unhealthy: " + addr + " closed the connection without a complete answer"
	}
	return "unhealthy: " + err.Error()
}

func (p prober) tcp(addr string) (bool, string) {
	c, err := p.dial(addr)
	if err != nil {
		return false, p.failure(addr, err)
	}
	c.Close()
	return true, "healthy: " + addr + " accepts connections"
}

// http GETs u, following up to maxRedirects redirects that stay on the
// same host:port.
func (p prober) http(u *url.URL) (bool, string) {
	origin := hostPort(u)
	for redirects := 0; ; redirects++ {
		status, location, err := p.get(u)
		if err != nil {
			var bad *malformedError
			if errors.As(err, &bad) {
				return false, "unhealthy: malformed answer from " + origin + ": " + bad.msg
			}
			return false, p.failure(origin, err)
		}
		switch {
		case status >= 200 && status <= 299:
			return true, fmt.Sprintf("healthy: HTTP %d from %s", status, u)
		case isRedirect(status) && location != "":
		default:
			return false, fmt.Sprintf("unhealthy: HTTP %d from %s", status, u)
		}
		if redirects == maxRedirects {
			return false, fmt.Sprintf("unhealthy: more than %d redirects (last HTTP %d from %s)", maxRedirects, status, u)
		}
		ref, err := url.Parse(location)
		if err != nil {
			return false, fmt.Sprintf("unhealthy: HTTP %d with a bad Location %q", status, location)
		}
		next := u.ResolveReference(ref)
		if next.Scheme != "http" || next.User != nil || hostPort(next) != origin {
			return false, fmt.Sprintf("unhealthy: HTTP %d redirect off-host to %s refused", status, next.Redacted())
		}
		u = next
	}
}

func isRedirect(status int) bool {
	switch status {
	case 301, 302, 303, 307, 308:
		return true
	}
	return false
}

// hostPort is the address a URL dials, with the default port made
// explicit so http://h/ and http://h:80/ compare equal.
func hostPort(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = "80"
	}
	return net.JoinHostPort(strings.ToLower(u.Hostname()), port)
}

// malformedError is an answer that is not HTTP/1.x.
type malformedError struct{ msg string }

func (e *malformedError) Error() string { return e.msg }

// get sends one GET and reads the status line and headers of the answer.
// It returns the status code and the Location header.
func (p prober) get(u *url.URL) (int, string, error) {
	addr := hostPort(u)
	c, err := p.dial(addr)
	if err != nil {
		return 0, "", err
	}
	defer c.Close()
	var req bytes.Buffer
	req.WriteString("GET " + u.RequestURI() + " HTTP/1.1\r\n")
	req.WriteString("Host: " + u.Host + "\r\n")
	req.WriteString("User-Agent: " + userAgent + "\r\n")
	req.WriteString("Accept: */*\r\n")
	req.WriteString("Connection: close\r\n\r\n")
	if _, err := c.Write(req.Bytes()); err != nil {
		return 0, "", err
	}
	r := &headerReader{br: bufio.NewReaderSize(c, maxLineBytes)}
	for {
		status, location, err := r.response()
		if err != nil {
			return 0, "", err
		}
		// 1xx answers (103 Early Hints) precede the real one; 101 would
		// switch protocols, which a GET without Upgrade never asked for.
		if status >= 100 && status <= 199 && status != 101 {
			continue
		}
		return status, location, nil
	}
}

// headerReader reads header blocks within the byte and line bounds.
type headerReader struct {
	br    *bufio.Reader
	bytes int
	lines int
}

func (r *headerReader) line() (string, error) {
	dt, err := r.br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		return "", &malformedError{fmt.Sprintf("a header line longer than %d bytes", maxLineBytes)}
	}
	if err != nil {
		if errors.Is(err, io.EOF) {
			return "", io.ErrUnexpectedEOF
		}
		return "", err
	}
	r.bytes += len(dt)
	r.lines++
	if r.bytes > maxHeaderBytes || r.lines > maxHeaderLines {
		return "", &malformedError{fmt.Sprintf("headers beyond %d bytes or %d lines", maxHeaderBytes, maxHeaderLines)}
	}
	return strings.TrimRight(string(dt), "\r\n"), nil
}

// response reads a status line and its headers up to the empty line.
func (r *headerReader) response() (int, string, error) {
	first, err := r.line()
	if err != nil {
		return 0, "", err
	}
	status, err := parseStatusLine(first)
	if err != nil {
		return 0, "", err
	}
	location := ""
	for {
		l, err := r.line()
		if err != nil {
			return 0, "", err
		}
		if l == "" {
			return status, location, nil
		}
		name, value, ok := strings.Cut(l, ":")
		if !ok {
			return 0, "", &malformedError{fmt.Sprintf("header line %q has no colon", clip(l))}
		}
		if location == "" && strings.EqualFold(name, "Location") {
			location = strings.TrimSpace(value)
		}
	}
}

// parseStatusLine reads "HTTP/1.x NNN reason".
func parseStatusLine(l string) (int, error) {
	proto, rest, _ := strings.Cut(l, " ")
	if len(proto) != len("HTTP/1.1") || !strings.HasPrefix(proto, "HTTP/1.") || proto[7] < '0' || proto[7] > '9' {
		return 0, &malformedError{fmt.Sprintf("status line %q is not HTTP/1.x", clip(l))}
	}
	code, _, _ := strings.Cut(rest, " ")
	n, err := strconv.Atoi(code)
	if err != nil || len(code) != 3 || n < 100 {
		return 0, &malformedError{fmt.Sprintf("status line %q has no status code", clip(l))}
	}
	return n, nil
}

// clip keeps what a hostile server sent from flooding the probe's output.
func clip(s string) string {
	const max = 60
	if len(s) > max {
		return s[:max] + "..."
	}
	return s
}
