package probe

import (
	"bufio"
	"bytes"
	"strings"
	"testing"
)

// FuzzAnswer feeds what a hostile app could answer and where it could
// redirect: the probe must never panic, never read past its bounds, and
// only follow a redirect it can name without credentials.
func FuzzAnswer(f *testing.F) {
	f.Add([]byte("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"), "http://127.0.0.1:8080/healthz")
	f.Add([]byte("HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.0 302 Found\r\nLocation: ../x?y#z\r\n\r\n"), "http://[::1]:80/a/b/")
	f.Add([]byte("HTTP/1.1 301\nLOCATION:  //u:p@10.0.0.1:9/\n\n"), "tcp://localhost:1")
	f.Add([]byte("HTTP/2 200\r\n\r\n"), "http://user@h/")
	f.Fuzz(func(t *testing.T, answer []byte, raw string) {
		r := &headerReader{br: bufio.NewReaderSize(bytes.NewReader(answer), maxLineBytes)}
		for i := 0; i < 4; i++ {
			status, location, err := r.response()
			if err != nil {
				break
			}
			if status < 100 || status > 999 {
				t.Fatalf("status %d from %q", status, answer)
			}
			if r.bytes > maxHeaderBytes || r.lines > maxHeaderLines {
				t.Fatalf("read %d bytes, %d lines: past the bounds", r.bytes, r.lines)
			}
			base, err := parseRef(raw)
			if err != nil {
				continue
			}
			next, err := parseRef(location)
			if err != nil {
				continue
			}
			u := base.resolve(next)
			if s := u.String(); strings.ContainsAny(s, " \r\n") || strings.Contains(s, "@") && !strings.Contains(location+raw, "@") {
				t.Fatalf("resolved %q against %q to %q", location, raw, s)
			}
			_ = u.requestURI()
			_, _ = u.addr()
		}
	})
}
