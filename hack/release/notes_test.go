package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestChangelogSection(t *testing.T) {
	path := filepath.Join(t.TempDir(), "CHANGELOG.md")
	text := "# Changelog\n\n## [Unreleased]\n\n- next\n\n## [1.1.0] - 2026-12-06\n\n### Added\n- multi-platform\n\n## [1.0.0] - 2026-11-01\n\n- first\n"
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := changelogSection(path, "1.1.0")
	if err != nil || got != "### Added\n- multi-platform\n" {
		t.Errorf("1.1.0: %q, %v", got, err)
	}
	if got, err := changelogSection(path, "1.0.0"); err != nil || got != "- first\n" {
		t.Errorf("1.0.0: %q, %v", got, err)
	}
	if _, err := changelogSection(path, "1.0"); err == nil || !strings.Contains(err.Error(), `"## [1.0]"`) {
		t.Errorf("a missing section: %v", err)
	}
}

func TestSemver(t *testing.T) {
	for v, ok := range map[string]bool{"1.0.0": true, "10.2.33": true, "1.0": false, "v1.0.0": false, "01.0.0": false, "1.0.0-rc1": false} {
		if semver.MatchString(v) != ok {
			t.Errorf("%q: match %v, want %v", v, !ok, ok)
		}
	}
}
