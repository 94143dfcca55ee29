package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"

	"github.com/moby/buildkit/client"

	"github.com/org/safe-frontend/internal/buildrun"
)

// benchFrontend builds the runtime image (runtime.Dockerfile) and the
// frontend image (Dockerfile) from this checkout on the benchmark's daemon
// and pushes them to the stack's registry under a tag of their own. It
// returns the frontend image by digest, for BUILDKIT_SYNTAX: the measured
// frontend is the one in this tree, not whatever last pushed
// org/safe-frontend:1.
func benchFrontend(ctx context.Context, c *client.Client, work, registry string) (string, error) {
	stage := filepath.Join(work, "runtime")
	cmd := exec.CommandContext(ctx, filepath.Join("hack", "runtime-stage.sh"), stage)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("staging the runtime image (hack/runtime-stage.sh %s): %w", stage, err)
	}
	dt, err := os.ReadFile("runtime.Dockerfile")
	if err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(stage, "runtime.Dockerfile"), dt, 0o644); err != nil {
		return "", err
	}
	platform := "linux/" + runtime.GOARCH
	fmt.Fprintf(os.Stderr, "bench: building the runtime image from this tree (%s)\n", platform)
	res, err := buildrun.Build(ctx, c, buildrun.Options{
		Dir:      stage,
		Filename: "runtime.Dockerfile",
		Attrs:    map[string]string{"platform": platform, "build-arg:SOURCE_DATE_EPOCH": "0"},
		Push:     registry + "/org/safe-frontend-runtime:bench",
	})
	if err != nil {
		return "", fmt.Errorf("building the runtime image: %w%s", err, logsOf(res))
	}
	runtimeDigest := res.Response.ExporterResponse["containerimage.digest"]
	if runtimeDigest == "" {
		return "", fmt.Errorf("the runtime image build reported no digest")
	}

	repo, err := os.Getwd()
	if err != nil {
		return "", err
	}
	fmt.Fprintf(os.Stderr, "bench: building the frontend image from this tree (runtime image %s)\n", runtimeDigest)
	res, err = buildrun.Build(ctx, c, buildrun.Options{
		Dir: repo,
		Attrs: map[string]string{
			"platform":                    platform,
			"build-arg:RUNTIME_DIGEST":    runtimeDigest,
			"build-arg:SOURCE_DATE_EPOCH": "0",
		},
		Push: registry + "/org/safe-frontend:bench",
	})
	if err != nil {
		return "", fmt.Errorf("building the frontend image: %w%s", err, logsOf(res))
	}
	frontendDigest := res.Response.ExporterResponse["containerimage.digest"]
	if frontendDigest == "" {
		return "", fmt.Errorf("the frontend image build reported no digest")
	}
	return registry + "/org/safe-frontend:bench@" + frontendDigest, nil
}

func logsOf(res *buildrun.Result) string {
	if res == nil || res.Logs == "" {
		return ""
	}
	return "\n" + res.Logs
}
