package main

import (
	"fmt"
	"os"
	"strings"
)

// changelogSection is the body of CHANGELOG.md's "## [version]" section
// (Keep a Changelog): the release notes. A release without one is refused.
func changelogSection(path, version string) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("reading the release notes: %w", err)
	}
	head := "## [" + version + "]"
	var out []string
	in := false
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "## ") {
			if in {
				break
			}
			in = line == head || strings.HasPrefix(line, head+" ")
			continue
		}
		if in {
			out = append(out, line)
		}
	}
	body := strings.TrimSpace(strings.Join(out, "\n"))
	if body == "" {
		return "", fmt.Errorf("%s has no %q section with notes: write the release notes first", path, head)
	}
	// Link references ("[1.4.2]: https://...") belong to the whole file.
	return body + "\n", nil
}
