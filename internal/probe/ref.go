package probe

import (
	"errors"
	"strconv"
	"strings"
	"syscall"
)

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
