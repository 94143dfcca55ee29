package probe

import (
	"bufio"
	"errors"
	"io"
	"strconv"
	"strings"
)

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
		"User-Agent: " + p.agent + "\r\n" +
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
