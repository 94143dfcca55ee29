package main

import (
	"bytes"
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// source is the tree a release is built from.
type source struct {
	dir      string    // the repository's top directory
	revision string    // HEAD's commit
	epoch    string    // HEAD's commit time, Unix seconds: SOURCE_DATE_EPOCH
	created  time.Time // the same time, for the SBOMs
	major    string
	minor    string // MAJOR.MINOR
}

var semver = regexp.MustCompile(`^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$`)

// checkSource refuses anything but a clean tree whose HEAD is tagged
// v<version>: what is released is exactly what the tag names.
func checkSource(version string) (source, error) {
	m := semver.FindStringSubmatch(version)
	if m == nil {
		return source{}, fmt.Errorf("-version %q is not MAJOR.MINOR.PATCH (for example 1.4.2)", version)
	}
	s := source{major: m[1], minor: m[1] + "." + m[2]}
	var err error
	if s.dir, err = git("", "rev-parse", "--show-toplevel"); err != nil {
		return s, err
	}
	dirty, err := git(s.dir, "status", "--porcelain", "--untracked-files=normal")
	if err != nil {
		return s, err
	}
	if dirty != "" {
		return s, fmt.Errorf("the tree has changes a release would not record (commit or stash them):\n%s", dirty)
	}
	if s.revision, err = git(s.dir, "rev-parse", "HEAD"); err != nil {
		return s, err
	}
	tagged, err := git(s.dir, "rev-parse", "-q", "--verify", "refs/tags/v"+version+"^{commit}")
	if err != nil || tagged != s.revision {
		return s, fmt.Errorf("HEAD (%s) does not carry the tag v%s: tag it (git tag -s v%s) or check out the tag", short(s.revision), version, version)
	}
	if s.epoch, err = git(s.dir, "log", "-1", "--format=%ct", "HEAD"); err != nil {
		return s, err
	}
	sec, err := strconv.ParseInt(s.epoch, 10, 64)
	if err != nil {
		return s, fmt.Errorf("HEAD's commit time %q: %w", s.epoch, err)
	}
	s.created = time.Unix(sec, 0).UTC()
	if _, err := changelogSection(s.dir+"/CHANGELOG.md", version); err != nil {
		return s, err
	}
	return s, nil
}

func git(dir string, args ...string) (string, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("git %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSpace(string(out)), nil
}

func short(rev string) string {
	if len(rev) > 12 {
		return rev[:12]
	}
	return rev
}
