// Package probe is the health probe of the images safe-frontend builds: the
// command safe-probe, which Docker's HEALTHCHECK (exec form) and Kubernetes
// exec probes run inside the container without a shell, and safe-static
// -probe, a static site's server checking itself.
//
//	NAME [-timeout=3s] http://127.0.0.1:8080/healthz
//	NAME [-timeout=3s] tcp://127.0.0.1:8080
//
// Exit status: 0 healthy (HTTP: a 2xx answer; TCP: the port accepts a
// connection), 1 unhealthy (one line on stdout says why), 2 usage error.
//
// safe-probe lands in every image, so this package is kept small: it speaks
// just enough HTTP/1.1 for a probe (one GET with Connection: close, then the
// status line and headers only; the body is never read) over a socket it
// opens itself, and parses its one URL and one flag by hand. net, net/http,
// net/url, fmt and flag would more than double safe-probe's size. Hosts are
// IP addresses or localhost: a probe talks to its own container and
// resolves no names.
package probe

import (
	"errors"
	"io"
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
)

// usage is the help text of the command named name.
func usage(name string) string {
	return "usage: " + name + " [-timeout=3s] http://HOST:PORT/PATH\n" +
		"       " + name + " [-timeout=3s] tcp://HOST:PORT\n" +
		"exit 0 healthy (HTTP 2xx, or the TCP port accepts), 1 unhealthy, 2 usage error\n"
}

// errHelp is -h: the usage, and no error line.
var errHelp = errors.New("help requested")

// Run is the whole command: arguments in, one line out, exit status back.
// name is the command as its user types it ("safe-probe", "safe-static
// -probe"): usage and error lines say it, and the User-Agent is it without
// spaces, so a server's log tells which probe asked.
func Run(name string, args []string, stdout, stderr io.Writer) int {
	target, timeout, err := parseArgs(args)
	if err != nil {
		if !errors.Is(err, errHelp) {
			io.WriteString(stderr, name+": "+err.Error()+"\n")
		}
		io.WriteString(stderr, usage(name))
		return exitUsage
	}
	p := prober{
		deadline: time.Now().Add(timeout),
		timeout:  timeout,
		agent:    strings.ReplaceAll(name, " ", "") + "/1",
	}
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

// prober holds the one deadline that every connection of a probe shares,
// redirects included, and the User-Agent its requests carry.
type prober struct {
	deadline time.Time
	timeout  time.Duration
	agent    string
}

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
