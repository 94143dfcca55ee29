package main

import (
	"bytes"
	"io"
	"net"
	"strings"
	"testing"
)

// A root without a manifest, an unknown flag or a stray argument stop the
// server before it listens, saying why.
func TestRunRefuses(t *testing.T) {
	for _, tc := range []struct {
		args []string
		says string
	}{
		{[]string{"-root=" + t.TempDir(), "-listen=127.0.0.1:0"}, "safe-precompress"},
		{[]string{"-root=/nonexistent/site"}, "no such file"},
		{[]string{"-nope"}, "flag provided but not defined"},
		{[]string{"-root=/srv/www", "extra"}, "unexpected arguments"},
	} {
		err := run(tc.args, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("%v: %v, want an error saying %q", tc.args, err, tc.says)
		}
	}
}

// TestCommand: -probe first makes the server the probe (package probe,
// named safe-static -probe), with the probe's exit statuses; anything else
// is the server, exit 1 when it cannot start.
func TestCommand(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	// It never accepts: a TCP probe succeeds, an HTTP one times out.
	addr := ln.Addr().String()
	for _, tc := range []struct {
		args []string
		code int
		says string
	}{
		{[]string{"-probe", "tcp://" + addr}, 0, "healthy: " + addr + " accepts connections\n"},
		{[]string{"--probe", "-timeout=200ms", "http://" + addr + "/healthz"}, 1, "unhealthy: timeout after 200ms talking to " + addr + "\n"},
		{[]string{"-probe", "-h"}, 2, "usage: safe-static -probe [-timeout=3s] http://HOST:PORT/PATH\n"},
		{[]string{"-probe", "ftp://127.0.0.1/"}, 2, "safe-static -probe: \"ftp://127.0.0.1/\": the scheme must be http:// or tcp://\nusage: safe-static -probe "},
		{[]string{"-listen=127.0.0.1:0", "-probe"}, 1, "safe-static: flag provided but not defined: -probe\n"},
	} {
		var out bytes.Buffer
		code := command(tc.args, &out, &out)
		if code != tc.code || !strings.HasPrefix(out.String(), tc.says) {
			t.Errorf("safe-static %q: exit %d, said %q; want exit %d saying %q", tc.args, code, out.String(), tc.code, tc.says)
		}
	}
}
