// Command run-hardened runs an OCI image built by BuildKit under runc with a
// hardened runtime spec, or prints a summary of the image.
//
//	run-hardened inspect [-json] IMAGE
//	run-hardened run -image IMAGE -state DIR [-id NAME] [-grace 10s] [-- ARGS...]
//
// `run` stays in the foreground until the container exits or the command gets
// SIGTERM/SIGINT, which it turns into an orderly stop of the container
// (SIGTERM, grace period, SIGKILL). Its exit status is the container's.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"maps"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/org/safe-frontend/internal/hardened"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	code := 0
	switch os.Args[1] {
	case "inspect":
		err = inspect(os.Args[2:])
	case "run":
		code, err = run(os.Args[2:])
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "run-hardened: %v\n", err)
		os.Exit(1)
	}
	os.Exit(code)
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: run-hardened inspect [-json] IMAGE\n       run-hardened run -image IMAGE -state DIR [-id NAME] [-grace DURATION] [-- ARGS...]")
	os.Exit(2)
}

func inspect(args []string) error {
	fs := flag.NewFlagSet("inspect", flag.ExitOnError)
	asJSON := fs.Bool("json", false, "print the summary as JSON")
	_ = fs.Parse(args)
	if fs.NArg() != 1 {
		usage()
	}
	s, err := hardened.Inspect(fs.Arg(0))
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(s)
	}
	fmt.Printf("digest:          %s\n", s.Digest)
	if s.ManifestDigest != s.Digest {
		fmt.Printf("manifest:        %s\n", s.ManifestDigest)
	}
	fmt.Printf("platform:        %s\n", s.Platform)
	fmt.Printf("compressed size: %d bytes (%.1f MB) in %d layers\n", s.CompressedSize, float64(s.CompressedSize)/1e6, s.Layers)
	fmt.Printf("user:            %s\n", s.User)
	fmt.Printf("entrypoint:      %s\n", quote(s.Entrypoint))
	fmt.Printf("cmd:             %s\n", quote(s.Cmd))
	if s.WorkingDir != "" {
		fmt.Printf("workdir:         %s\n", s.WorkingDir)
	}
	fmt.Printf("exposed ports:   %s\n", strings.Join(s.ExposedPorts, " "))
	if s.Created != "" {
		fmt.Printf("created:         %s\n", s.Created)
	}
	if s.Healthcheck != nil {
		fmt.Printf("healthcheck:     %s\n", quote(s.Healthcheck.Test))
	}
	fmt.Println("env:")
	for _, e := range s.Env {
		fmt.Printf("  %s\n", e)
	}
	fmt.Println("labels:")
	for _, k := range slices.Sorted(maps.Keys(s.Labels)) {
		fmt.Printf("  %s=%s\n", k, s.Labels[k])
	}
	return nil
}

func run(args []string) (int, error) {
	fs := flag.NewFlagSet("run", flag.ExitOnError)
	image := fs.String("image", "", "OCI layout tar or directory")
	state := fs.String("state", "", "state directory (bundles, logs, runc state)")
	id := fs.String("id", "hardened", "container id")
	grace := fs.Duration("grace", 10*time.Second, "time between SIGTERM and SIGKILL")
	_ = fs.Parse(args)
	if *image == "" || *state == "" {
		usage()
	}
	var cargs []string
	if fs.NArg() > 0 {
		cargs = fs.Args()
	}

	// Catch the signals before starting so one arriving during start-up is
	// not lost and still stops the container.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)

	ctx := context.Background()
	c, err := hardened.Run(ctx, hardened.Options{Image: *image, Args: cargs, StateDir: *state, ID: *id})
	if err != nil {
		return 1, err
	}
	stdout, stderr := c.LogPaths()
	fmt.Fprintf(os.Stderr, "run-hardened: container %s running (bundle %s, stdout %s, stderr %s)\n", c.ID, c.Bundle, stdout, stderr)

	select {
	case sig := <-sigs:
		fmt.Fprintf(os.Stderr, "run-hardened: %s received, sending SIGTERM to %s (grace %s)\n", sig, c.ID, *grace)
		code, err := c.Stop(ctx, *grace)
		fmt.Fprintf(os.Stderr, "run-hardened: container %s exited with status %d\n", c.ID, code)
		return code, err
	case <-c.Done():
		code, err := c.Stop(ctx, *grace) // only cleans up: it has already exited
		fmt.Fprintf(os.Stderr, "run-hardened: container %s exited on its own with status %d\n", c.ID, code)
		if err == nil && code != 0 {
			_, errb, _ := c.Logs()
			err = errors.New(strings.TrimSpace(string(errb)))
		}
		return code, err
	}
}

func quote(v []string) string {
	if v == nil {
		return "[]"
	}
	b, _ := json.Marshal(v)
	return string(b)
}
