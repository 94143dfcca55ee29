package main

import (
	"bytes"
	"compress/gzip"
	"debug/elf"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// build builds the probe as the runtime image does.
func build(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "safe-probe")
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w -buildid=", "-o", bin, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// TestBinarySmallAndStatic holds the probe to its budget: it lands in every
// image, next to tini.
func TestBinarySmallAndStatic(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	const maxGzip = 800 << 10
	dt, err := os.ReadFile(build(t))
	if err != nil {
		t.Fatal(err)
	}
	f, err := elf.NewFile(bytes.NewReader(dt))
	if err != nil {
		t.Fatal(err)
	}
	if f.Section(".interp") != nil {
		t.Error("the probe has an ELF interpreter: it is not static")
	}
	var gz bytes.Buffer
	w, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	w.Write(dt)
	w.Close()
	t.Logf("safe-probe: %d bytes, %d gzip", len(dt), gz.Len())
	if gz.Len() > maxGzip {
		t.Errorf("safe-probe is %d bytes gzip, over the %d budget; did an import pull in net, fmt or flag?", gz.Len(), maxGzip)
	}
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, heavy := range []string{"net", "net/http", "net/url", "crypto/tls", "fmt", "flag"} {
		if strings.Contains("\n"+string(out), "\n"+heavy+"\n") {
			t.Errorf("the probe imports %s", heavy)
		}
	}
}

// TestCommand: the binary is package probe under its own name, with its
// arguments and exit statuses.
func TestCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := build(t)
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
		{[]string{"tcp://" + addr}, 0, "healthy: " + addr + " accepts connections\n"},
		{[]string{"-timeout=200ms", "http://" + addr + "/healthz"}, 1, "unhealthy: timeout after 200ms talking to " + addr + "\n"},
		{[]string{"-h"}, 2, "usage: safe-probe [-timeout=3s] http://HOST:PORT/PATH\n"},
		{[]string{"ftp://127.0.0.1/"}, 2, "safe-probe: \"ftp://127.0.0.1/\": the scheme must be http:// or tcp://\nusage: safe-probe "},
	} {
		out, err := exec.Command(bin, tc.args...).CombinedOutput()
		code := 0
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			code = exit.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		if code != tc.code || !strings.HasPrefix(string(out), tc.says) {
			t.Errorf("safe-probe %q: exit %d, said %q; want exit %d saying %q", tc.args, code, out, tc.code, tc.says)
		}
	}
}
