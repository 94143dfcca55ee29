package main

import (
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/containerd/platforms"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/org/safe-frontend/manifests"
	"github.com/org/safe-frontend/policy"
	"github.com/org/safe-frontend/spec"
)

// manifestCmd prints the Deployment and Service for a spec. The spec is
// checked first, with the rules the build applies: errors refuse it (exit
// 1), warnings go to stderr. Flags may come before or after the file.
func manifestCmd(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("safe manifest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	image := fs.String("image", "", "the pushed image by digest, REF@sha256:... (required)")
	namespace := fs.String("namespace", "", "namespace of the objects (default: none, the kubectl context's)")
	platformList := fs.String("platform", "", "platforms the image was built for, comma-separated (linux/arm64): the pod is kept on such nodes")
	var files []string
	for {
		if err := fs.Parse(args); err != nil {
			return exitUsage
		}
		if fs.NArg() == 0 {
			break
		}
		files = append(files, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(files) != 1 {
		fmt.Fprintf(stderr, "safe manifest: want one spec file, got %d\n%s", len(files), usage)
		return exitUsage
	}
	name := files[0]
	if _, err := manifests.ParseImage(*image); err != nil {
		fmt.Fprintf(stderr, "safe manifest: --image: %v\n", err)
		return exitUsage
	}
	if err := manifests.CheckNamespace(*namespace); err != nil {
		fmt.Fprintf(stderr, "safe manifest: --namespace: %v\n", err)
		return exitUsage
	}
	var targets []ocispecs.Platform
	if *platformList != "" {
		for _, p := range strings.Split(*platformList, ",") {
			pl, err := platforms.Parse(strings.TrimSpace(p))
			if err != nil {
				fmt.Fprintf(stderr, "safe manifest: --platform: %v\n", err)
				return exitUsage
			}
			targets = append(targets, platforms.Normalize(pl))
		}
	}
	data, err := readSpec(name, stdin)
	if err != nil {
		fmt.Fprintf(stderr, "safe manifest: %v\n", err)
		return exitUsage
	}
	var s *spec.Spec
	var report *policy.Report
	if len(data) > spec.MaxSize {
		report = tooLarge(name)
	} else {
		s, report = policy.Lint(name, data)
	}
	ew := &errWriter{w: stderr}
	lines := strings.Split(string(data), "\n")
	errs := report.Errors()
	for _, f := range append(errs, report.Warnings()...) {
		printFinding(ew, name, lines, f)
	}
	if len(errs) > 0 || s == nil {
		ew.printf("safe manifest: %s was refused (%s); no manifests written\n", name, plural(len(errs), "error"))
		return exitFindings
	}
	res, err := manifests.Generate(s, manifests.Options{Image: *image, Namespace: *namespace, Platforms: targets})
	if err != nil {
		fmt.Fprintf(stderr, "safe manifest: %s: %v\n", name, err)
		return exitFindings
	}
	for _, n := range res.Notes {
		ew.printf("note: %s\n", n)
	}
	out, err := res.YAML()
	if err != nil {
		fmt.Fprintf(stderr, "safe manifest: %v\n", err)
		return exitUsage
	}
	if _, err := stdout.Write(out); err != nil {
		fmt.Fprintf(stderr, "safe manifest: writing output: %v\n", err)
		return exitUsage
	}
	return exitOK
}
