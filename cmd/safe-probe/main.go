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
// It lands in every image, so it is kept small: it speaks just enough
// HTTP/1.1 for a probe (one GET with Connection: close, then the status line
// and headers only; the body is never read) over a socket it opens itself,
// and parses its one URL and one flag by hand. net, net/http, net/url, fmt
// and flag would more than double its size. Hosts are IP addresses or
// localhost: a probe talks to its own container and resolves no names.
package main

import (
	"bufio"
	"errors"
	"io"
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

// errHelp is -h: the usage, and no error line.
var errHelp = errors.New("help requested")

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is the whole command: arguments in, one line out, exit status back.
func run(args []string, stdout, stderr io.Writer) int {
	target, timeout, err := parseArgs(args)
	if err != nil {
		if !errors.Is(err, errHelp) {
			io.WriteString(stderr, "safe-probe: "+err.Error()+"\n")
		}
		io.WriteString(stderr, usageText)
		return exitUsage
	}
	p := prober{deadline: time.Now().Add(timeout), timeout: timeout}
	var msg string
	var healthy bool
	if target.scheme == "tcp" {
		healthy, msg = p.tcp(target)
	} else {
		healthy, msg = p.http(target)
	}
	io.WriteString(stdout, msg+"\n")
	if healthy {
		return exitHealthy
	}
	return exitUnhealthy
}

// parseArgs accepts [-timeout=D] (or -timeout D, --timeout=D, -h) and
// exactly one http:// or tcp:// URL; flags end at the first argument that
// is not one, or at --.
func parseArgs(args []string) (*ref, time.Duration, error) {
	timeout := defaultTimeout
	var rest []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			rest = args[i+1:]
			break
		}
		if len(a) < 2 || a[0] != '-' {
			rest = args[i:]
			break
		}
		name, value, hasValue := strings.Cut(strings.TrimPrefix(a[1:], "-"), "=")
		switch name {
		case "h", "help":
			return nil, 0, errHelp
		case "timeout":
			if !hasValue {
				if i+1 == len(args) {
					return nil, 0, errors.New("flag needs an argument: -timeout")
				}
				i++
				value = args[i]
			}
			d, err := time.ParseDuration(value)
			if err != nil {
				return nil, 0, errors.New("invalid value " + strconv.Quote(value) + " for flag -timeout: parse error")
			}
			timeout = d
		default:
			return nil, 0, errors.New("flag provided but not defined: -" + name)
		}
	}
	if timeout <= 0 {
		return nil, 0, errors.New("-timeout must be positive, got " + timeout.String())
	}
	switch len(rest) {
	case 0:
		return nil, 0, errors.New("missing the URL to probe")
	case 1:
	default:
		quoted := make([]string, len(rest))
		for i, a := range rest {
			quoted[i] = strconv.Quote(a)
		}
		return nil, 0, errors.New("one URL expected, got " + strconv.Itoa(len(rest)) + " arguments: [" + strings.Join(quoted, " ") + "]")
	}
	raw := rest[0]
	q := strconv.Quote(raw)
	if !strings.Contains(raw, "://") {
		return nil, 0, errors.New(q + ": the scheme must be http:// or tcp://")
	}
	u, err := parseRef(raw)
	if err != nil {
		return nil, 0, errors.New("bad URL " + q + ": " + err.Error())
	}
	switch u.scheme {
	case "http":
		if u.host == "" {
			return nil, 0, errors.New(q + " names no host")
		}
		if u.user {
			return nil, 0, errors.New(q + " carries credentials; a probe URL must not")
		}
		if err := checkPort(u, true); err != nil {
			return nil, 0, err
		}
	case "tcp":
		if u.host == "" || (u.path != "" && u.path != "/") || u.hasQuery || u.user {
			return nil, 0, errors.New(q + ": a TCP probe is tcp://HOST:PORT and nothing more")
		}
		if err := checkPort(u, false); err != nil {
			return nil, 0, err
		}
	case "https":
		return nil, 0, errors.New(q + ": https is not supported; probe the app's plain-HTTP port on loopback")
	default:
		return nil, 0, errors.New(q + ": the scheme must be http:// or tcp://")
	}
	if _, err := u.addr(); err != nil {
		return nil, 0, errors.New(q + ": " + err.Error())
	}
	return u, timeout, nil
}

func checkPort(u *ref, optional bool) error {
	if u.port == "" {
		if optional {
			return nil
		}
		return errors.New(strconv.Quote(u.String()) + " names no port")
	}
	if n, err := strconv.Atoi(u.port); err != nil || n < 1 || n > 65535 {
		return errors.New(strconv.Quote(u.String()) + ": port " + strconv.Quote(u.port) + " is not in 1-65535")
	}
	return nil
}

// ref is a parsed URL or URL reference (RFC 3986), as much of it as a
// probe needs: no fragment, no percent-decoding (the path is sent as written).
type ref struct {
	scheme   string // lower case; "" in a relative reference
	hasAuth  bool   // "//" authority present
	user     bool   // the authority carries user information
	host     string // host name or address, without brackets, lower case
	port     string // "" when none
	path     string
	query    string
	hasQuery bool
}

// parseRef splits a URL or a reference into its parts. Control characters
// and spaces are refused: they have no place in a probe's request line.
func parseRef(raw string) (*ref, error) {
	for i := 0; i < len(raw); i++ {
		if c := raw[i]; c <= ' ' || c == 0x7f {
			return nil, errors.New("invalid character " + strconv.QuoteRune(rune(c)) + " in URL")
		}
	}
	s, _, _ := strings.Cut(raw, "#")
	r := &ref{}
	// A scheme is letters, digits, + - . before the first colon, and
	// starts with a letter; "/a:b" and "a/b:c" have none.
	if i := strings.IndexAny(s, ":/?"); i > 0 && s[i] == ':' && validScheme(s[:i]) {
		r.scheme, s = strings.ToLower(s[:i]), s[i+1:]
	}
	if rest, ok := strings.CutPrefix(s, "//"); ok {
		r.hasAuth = true
		end := strings.IndexAny(rest, "/?")
		if end < 0 {
			end = len(rest)
		}
		auth := rest[:end]
		s = rest[end:]
		if at := strings.LastIndexByte(auth, '@'); at >= 0 {
			r.user, auth = true, auth[at+1:]
		}
		if strings.HasPrefix(auth, "[") {
			end := strings.IndexByte(auth, ']')
			if end < 0 {
				return nil, errors.New("missing ']' in host")
			}
			r.host, auth = auth[1:end], auth[end+1:]
			if auth != "" && auth[0] != ':' {
				return nil, errors.New("invalid port " + strconv.Quote(auth) + " after host")
			}
			r.port = strings.TrimPrefix(auth, ":")
		} else {
			host, port, hasPort := strings.Cut(auth, ":")
			if hasPort && strings.Contains(port, ":") {
				return nil, errors.New("an IPv6 host must be in brackets")
			}
			r.host, r.port = host, port
		}
		for _, c := range r.port {
			if c < '0' || c > '9' {
				return nil, errors.New("invalid port " + strconv.Quote(":"+r.port) + " after host")
			}
		}
		r.host = strings.ToLower(r.host)
	}
	r.path, r.query, r.hasQuery = strings.Cut(s, "?")
	return r, nil
}

func validScheme(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case i > 0 && ('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.'):
		default:
			return false
		}
	}
	return true
}

// resolve is the URL the reference r names, seen from base (RFC 3986
// section 5.2.2).
func (base *ref) resolve(r *ref) *ref {
	t := *r
	switch {
	case r.scheme != "":
		t.path = removeDots(r.path)
		return &t
	case r.hasAuth:
		t.path = removeDots(r.path)
	case r.path == "":
		t.path = base.path
		if !r.hasQuery {
			t.query, t.hasQuery = base.query, base.hasQuery
		}
		t.hasAuth, t.user, t.host, t.port = base.hasAuth, base.user, base.host, base.port
	default:
		p := r.path
		if !strings.HasPrefix(p, "/") {
			if base.hasAuth && base.path == "" {
				p = "/" + p
			} else {
				p = base.path[:strings.LastIndexByte(base.path, '/')+1] + p
			}
		}
		t.path = removeDots(p)
		t.hasAuth, t.user, t.host, t.port = base.hasAuth, base.user, base.host, base.port
	}
	t.scheme = base.scheme
	return &t
}

// removeDots drops "." and ".." segments of a path.
func removeDots(p string) string {
	if !strings.Contains(p, ".") {
		return p
	}
	var out []string
	segs := strings.Split(p, "/")
	for i, s := range segs {
		switch s {
		case ".":
		case "..":
			if len(out) > 1 {
				out = out[:len(out)-1]
			}
		default:
			out = append(out, s)
			continue
		}
		if i == len(segs)-1 {
			out = append(out, "")
		}
	}
	return strings.Join(out, "/")
}

// authority is host[:port] as written in a URL.
func (r *ref) authority() string {
	h := r.host
	if strings.Contains(h, ":") {
		h = "[" + h + "]"
	}
	if r.port != "" {
		h += ":" + r.port
	}
	return h
}

// String is the URL without user information.
func (r *ref) String() string {
	s := ""
	if r.scheme != "" {
		s = r.scheme + ":"
	}
	if r.hasAuth {
		s += "//" + r.authority()
	}
	s += r.path
	if r.hasQuery {
		s += "?" + r.query
	}
	return s
}

// requestURI is what the request line asks for.
func (r *ref) requestURI() string {
	p := r.path
	if p == "" {
		p = "/"
	}
	if r.hasQuery {
		p += "?" + r.query
	}
	return p
}

// hostPort is the address a URL dials, with the default port made
// explicit so http://h/ and http://h:80/ compare equal.
func (r *ref) hostPort() string {
	port := r.port
	if port == "" {
		port = "80"
	}
	h := r.host
	if strings.Contains(h, ":") {
		h = "[" + h + "]"
	}
	return h + ":" + port
}

// addr is the socket address to dial: an IP address, or localhost.
func (r *ref) addr() (syscall.Sockaddr, error) {
	port := 80
	if r.port != "" {
		port, _ = strconv.Atoi(r.port)
	}
	if r.host == "localhost" {
		return &syscall.SockaddrInet4{Port: port, Addr: [4]byte{127, 0, 0, 1}}, nil
	}
	if ip, ok := parseIPv4(r.host); ok {
		return &syscall.SockaddrInet4{Port: port, Addr: ip}, nil
	}
	if ip, ok := parseIPv6(r.host); ok {
		return &syscall.SockaddrInet6{Port: port, Addr: ip}, nil
	}
	return nil, errors.New("the host must be an IP address or localhost (the probe resolves no names)")
}

// parseIPv4 reads a dotted quad.
func parseIPv4(s string) ([4]byte, bool) {
	var ip [4]byte
	parts := strings.Split(s, ".")
	if len(parts) != 4 {
		return ip, false
	}
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 || n > 255 || p == "" || p[0] == '+' || (len(p) > 1 && p[0] == '0') {
			return ip, false
		}
		ip[i] = byte(n)
	}
	return ip, true
}

// parseIPv6 reads eight groups of hex digits, one run of them shortened to
// "::"; no zone, no dotted quad at the end.
func parseIPv6(s string) ([16]byte, bool) {
	var ip [16]byte
	head, tail, short := strings.Cut(s, "::")
	if strings.Contains(tail, "::") {
		return ip, false
	}
	groups := func(s string) ([]uint16, bool) {
		if s == "" {
			return nil, true
		}
		var out []uint16
		for _, g := range strings.Split(s, ":") {
			n, err := strconv.ParseUint(g, 16, 16)
			if err != nil || g == "" || len(g) > 4 || g[0] == '+' {
				return nil, false
			}
			out = append(out, uint16(n))
		}
		return out, true
	}
	h, ok1 := groups(head)
	t, ok2 := groups(tail)
	n := len(h) + len(t)
	if !ok1 || !ok2 || (short && n > 7) || (!short && n != 8) {
		return ip, false
	}
	all := append(append(h, make([]uint16, 8-n)...), t...)
	for i, g := range all {
		ip[2*i], ip[2*i+1] = byte(g>>8), byte(g)
	}
	return ip, true
}

// prober holds the one deadline that every connection of a probe shares,
// redirects included.
type prober struct {
	deadline time.Time
	timeout  time.Duration
}

var errTimeout = errors.New("timeout")

// conn is a TCP connection on a non-blocking socket; every wait ends at
// the probe's deadline.
type conn struct {
	fd       int
	deadline time.Time
}

func (p prober) dial(u *ref) (*conn, error) {
	sa, err := u.addr()
	if err != nil {
		return nil, err
	}
	family := syscall.AF_INET
	if _, ok := sa.(*syscall.SockaddrInet6); ok {
		family = syscall.AF_INET6
	}
	fd, err := syscall.Socket(family, syscall.SOCK_STREAM|syscall.SOCK_NONBLOCK|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, os.NewSyscallError("socket", err)
	}
	c := &conn{fd: fd, deadline: p.deadline}
	err = syscall.Connect(fd, sa)
	if err == syscall.EINPROGRESS || err == syscall.EINTR || err == syscall.EAGAIN {
		if err = c.wait(true); err == nil {
			var soErr int
			if soErr, err = syscall.GetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_ERROR); err == nil && soErr != 0 {
				err = syscall.Errno(soErr)
			}
		}
	}
	if err != nil {
		c.Close()
		if err != errTimeout {
			err = os.NewSyscallError("connect", err)
		}
		return nil, err
	}
	return c, nil
}

// wait blocks until the socket is writable (or readable) or the deadline
// passes.
func (c *conn) wait(write bool) error {
	for {
		left := time.Until(c.deadline)
		if left <= 0 {
			return errTimeout
		}
		var set syscall.FdSet
		set.Bits[c.fd/64] |= 1 << (uint(c.fd) % 64)
		tv := syscall.NsecToTimeval(left.Nanoseconds())
		var err error
		if write {
			_, err = syscall.Select(c.fd+1, nil, &set, nil, &tv)
		} else {
			_, err = syscall.Select(c.fd+1, &set, nil, nil, &tv)
		}
		switch {
		case err == syscall.EINTR:
		case err != nil:
			return os.NewSyscallError("select", err)
		case set.Bits[c.fd/64]&(1<<(uint(c.fd)%64)) != 0:
			return nil
		}
	}
}

func (c *conn) Read(b []byte) (int, error) {
	for {
		n, err := syscall.Read(c.fd, b)
		switch {
		case err == syscall.EAGAIN:
			if err := c.wait(false); err != nil {
				return 0, err
			}
		case err == syscall.EINTR:
		case err != nil:
			return 0, os.NewSyscallError("read", err)
		case n == 0 && len(b) > 0:
			return 0, io.EOF
		default:
			return n, nil
		}
	}
}

func (c *conn) Write(b []byte) (int, error) {
	done := 0
	for done < len(b) {
		n, err := syscall.Write(c.fd, b[done:])
		switch {
		case err == syscall.EAGAIN:
			if err := c.wait(true); err != nil {
				return done, err
			}
		case err == syscall.EINTR:
		case err != nil:
			return done, os.NewSyscallError("write", err)
		default:
			done += n
		}
	}
	return done, nil
}

func (c *conn) Close() error { return syscall.Close(c.fd) }

// failure turns a network error into the short reason a probe prints.
func (p prober) failure(addr string, err error) string {
	switch {
	case errors.Is(err, errTimeout):
		return "unhealthy: timeout after " + p.timeout.String() + " talking to " + addr
	case errors.Is(err, syscall.ECONNREFUSED):
		return "unhealthy: connection refused by " + addr
	case errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE):
		return "unhealthy: connection reset by " + addr
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return "unhealthy: " + addr + " closed the connection without a complete answer"
	}
	return "unhealthy: " + addr + ": " + err.Error()
}

func (p prober) tcp(u *ref) (bool, string) {
	addr := u.hostPort()
	c, err := p.dial(u)
	if err != nil {
		return false, p.failure(addr, err)
	}
	c.Close()
	return true, "healthy: " + addr + " accepts connections"
}

// http GETs u, following up to maxRedirects redirects that stay on the
// same host:port.
func (p prober) http(u *ref) (bool, string) {
	origin := u.hostPort()
	for redirects := 0; ; redirects++ {
		status, location, err := p.get(u)
		if err != nil {
			var bad *malformedError
			if errors.As(err, &bad) {
				return false, "unhealthy: malformed answer from " + origin + ": " + bad.msg
			}
			return false, p.failure(origin, err)
		}
		code := strconv.Itoa(status)
		switch {
		case status >= 200 && status <= 299:
			return true, "healthy: HTTP " + code + " from " + u.String()
		case isRedirect(status) && location != "":
		default:
			return false, "unhealthy: HTTP " + code + " from " + u.String()
		}
		if redirects == maxRedirects {
			return false, "unhealthy: more than " + strconv.Itoa(maxRedirects) + " redirects (last HTTP " + code + " from " + u.String() + ")"
		}
		r, err := parseRef(location)
		if err != nil {
			return false, "unhealthy: HTTP " + code + " with a bad Location " + strconv.Quote(clip(location))
		}
		next := u.resolve(r)
		if next.scheme != "http" || next.user || next.hostPort() != origin {
			return false, "unhealthy: HTTP " + code + " redirect off-host to " + clip(next.String()) + " refused"
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

// malformedError is an answer that is not HTTP/1.x.
type malformedError struct{ msg string }

func (e *malformedError) Error() string { return e.msg }

// get sends one GET and reads the status line and headers of the answer.
// It returns the status code and the Location header.
func (p prober) get(u *ref) (int, string, error) {
	c, err := p.dial(u)
	if err != nil {
		return 0, "", err
	}
	defer c.Close()
	req := "GET " + u.requestURI() + " HTTP/1.1\r\n" +
		"Host: " + u.authority() + "\r\n" +
		"User-Agent: " + userAgent + "\r\n" +
		"Accept: */*\r\n" +
		"Connection: close\r\n\r\n"
	if _, err := c.Write([]byte(req)); err != nil {
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
		return "", &malformedError{"a header line longer than " + strconv.Itoa(maxLineBytes) + " bytes"}
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
		return "", &malformedError{"headers beyond " + strconv.Itoa(maxHeaderBytes) + " bytes or " + strconv.Itoa(maxHeaderLines) + " lines"}
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
			return 0, "", &malformedError{"header line " + strconv.Quote(clip(l)) + " has no colon"}
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
		return 0, &malformedError{"status line " + strconv.Quote(clip(l)) + " is not HTTP/1.x"}
	}
	code, _, _ := strings.Cut(rest, " ")
	n, err := strconv.Atoi(code)
	if err != nil || len(code) != 3 || n < 100 {
		return 0, &malformedError{"status line " + strconv.Quote(clip(l)) + " has no status code"}
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
