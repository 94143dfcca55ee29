// Command safe-static is the web server of `language: static` images: it
// serves the site's files as the build-time manifest lists them (see
// package staticsite), runs as any user on a read-only root, and stops at
// once on SIGTERM once in-flight requests are answered.
//
//	safe-static [-root=/srv/www] [-listen=:8080] [-spa] [-not-found=404.html]
//	            [-csp=POLICY] [-health=/healthz] [-access-log=true]
//	safe-static -probe [-timeout=3s] http://127.0.0.1:8080/healthz
//
// With -probe first it is the image's health check (package probe, as
// safe-probe), so a static image needs no probe binary besides the server.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/org/safe-frontend/internal/probe"
	"github.com/org/safe-frontend/staticsite"
)

func main() {
	os.Exit(command(os.Args[1:], os.Stdout, os.Stderr))
}

// command is the server, or with -probe first its health check, and the
// exit status.
func command(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && (args[0] == "-probe" || args[0] == "--probe") {
		return probe.Run("safe-static -probe", args[1:], stdout, stderr)
	}
	if err := run(args, stdout); err != nil {
		fmt.Fprintln(stderr, "safe-static:", err)
		return 1
	}
	return 0
}

type options struct {
	root, listen, notFound, csp, health string
	spa, accessLog                      bool
	drain                               time.Duration
}

func parseFlags(args []string) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("safe-static", flag.ContinueOnError)
	fs.StringVar(&o.root, "root", "/srv/www", "the site's directory")
	fs.StringVar(&o.listen, "listen", ":8080", "address to listen on")
	fs.BoolVar(&o.spa, "spa", false, "answer unknown pages with index.html (client-side routing)")
	fs.StringVar(&o.notFound, "not-found", "404.html", "page sent with 404 answers, relative to the root, when the site has it")
	fs.StringVar(&o.csp, "csp", "", "Content-Security-Policy (default: "+staticsite.DefaultCSP+")")
	fs.StringVar(&o.health, "health", "/healthz", "path answered 200 without touching the disk")
	fs.BoolVar(&o.accessLog, "access-log", true, "write one JSON line per request to stdout")
	fs.DurationVar(&o.drain, "shutdown-timeout", 10*time.Second, "how long in-flight requests get after SIGTERM")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	return o, nil
}

func run(args []string, stdout io.Writer) error {
	o, err := parseFlags(args)
	if err != nil {
		return err
	}
	root, err := os.OpenRoot(o.root)
	if err != nil {
		return err
	}
	m, err := staticsite.ReadManifest(root)
	if err != nil {
		return err
	}
	cfg := staticsite.Config{SPA: o.spa, NotFound: o.notFound, CSP: o.csp, Health: o.health}
	alog := staticsite.NewAccessLog(stdout)
	defer alog.Flush()
	if o.accessLog {
		cfg.Log = alog
	}
	srv := &http.Server{
		Handler:           staticsite.NewHandler(root, m, cfg),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    32 << 10,
		ErrorLog:          log.New(errorLog{alog}, "", 0),
	}
	ln, err := net.Listen("tcp", o.listen)
	if err != nil {
		return err
	}
	alog.Log("serving", staticsite.S("root", o.root), staticsite.I("files", int64(len(m.Files))), staticsite.S("listen", ln.Addr().String()))
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	// Shutdown closes the listener and waits for in-flight requests only:
	// idle connections are closed at once.
	sctx, cancel := context.WithTimeout(context.Background(), o.drain)
	defer cancel()
	err = srv.Shutdown(sctx)
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	alog.Log("stopped")
	return err
}

// errorLog puts net/http's own messages (a failed TLS probe, a bad
// header) into the JSON log.
type errorLog struct{ l *staticsite.AccessLog }

func (e errorLog) Write(b []byte) (int, error) {
	e.l.Log("http", staticsite.S("error", strings.TrimSpace(string(b))))
	return len(b), nil
}
