package main

import (
	"os"
	"slices"
	"strings"
)

// The page (docs/benchmark.md) is prose written around four tables; a run
// replaces the rows it measured and keeps every other row, so a run of
// one example or one scenario never loses the figures of the others.
const (
	timingTable  = "| example | scenario | safe-frontend (median) | hand-written (median) | ratio | runs |"
	eachRunTable = "| example | scenario | safe-frontend, each run (s) | hand-written, each run (s) |"
	sizeTable    = "| example | image via safe-frontend | image via hand-written | ratio | of ours: tini + safe-probe layer | ours without that layer vs hand-written |"
	scratchTable = "| `final: scratch` variant | binary | tini + safe-probe | all layers, uncompressed | over the binary | over the binary without tini + probe | compressed image |"
	staticTable  = "| site | figure | safe-frontend (safe-static) | nginx peer | goal |"
)

// tableHeadings head a table the page lacks when it is appended.
var tableHeadings = map[string]string{timingTable: "## Summary", eachRunTable: "## Every run", staticTable: "## Static site served"}

// tableRows are rows for one table of the page; keyCells is how many
// leading cells name a row (example, or example and scenario).
type tableRows struct {
	header   string
	keyCells int
	rows     []string
}

// pageHeader starts a page written from nothing.
const pageHeader = "# Benchmark\n\n" +
	"Measured with `make bench` on a 2-core machine shared with other work (buildkitd v0.34.2, runc,\n" +
	"loopback registry). The benchmark starts a buildkitd of its own (own root and socket, the stack's\n" +
	"registry mirror configuration) and stops it at the end, so pruning never touches anybody's build\n" +
	"cache. It builds the frontend and runtime images from the checkout it runs in and points the specs'\n" +
	"`# syntax=` line at them with `BUILDKIT_SYNTAX`; the hand-written Dockerfiles (`bench/*.Dockerfile`)\n" +
	"carry `# syntax=docker/dockerfile:1`. Cold = build cache pruned first; no-change = the same build\n" +
	"again; source edit = one line appended to the app's main source file; fresh runner = a CI runner\n" +
	"that starts empty: the build before it exported its cache to the registry (`--cache-to\n" +
	"type=registry,mode=max`), then the daemon's whole cache, cache mounts included, is pruned, the source\n" +
	"edited, and the timed build imports that cache (`--cache-from type=registry`); cache mounts do not\n" +
	"travel in a registry cache, layers do. The two sides of every scenario are built alternately, so the\n" +
	"machine's load hits both alike: absolute times move with that load, the ratios are what to read.\n"

// mergePage puts the rows into the page: a row whose key cells match a
// row of the same table replaces it (keeping that row's first cell, which
// may carry a note such as "java-hello (jlink)"); a new row goes after the
// last row of its example, or at the end of the table. A table the page
// lacks is appended, and an empty page gets pageHeader first.
func mergePage(page string, tables []tableRows) string {
	if strings.TrimSpace(page) == "" {
		page = pageHeader
	}
	lines := strings.Split(strings.TrimRight(page, "\n"), "\n")
	for _, t := range tables {
		if len(t.rows) == 0 {
			continue
		}
		h := -1
		for i, l := range lines {
			if strings.TrimSpace(l) == t.header {
				h = i
				break
			}
		}
		if h < 0 {
			if heading := tableHeadings[t.header]; heading != "" && !slices.Contains(lines, heading) {
				lines = append(lines, "", heading)
			}
			sep := "|" + strings.Repeat("---|", len(cells(t.header)))
			lines = append(lines, "", t.header, sep)
			h = len(lines) - 2
		}
		for _, row := range t.rows {
			// The table's rows: after the header and its separator, up to
			// the first line that is not a table row.
			start, end := h+2, h+2
			for end < len(lines) && strings.HasPrefix(strings.TrimSpace(lines[end]), "|") {
				end++
			}
			key := rowKey(row, t.keyCells)
			at, after := -1, -1
			for i := start; i < end; i++ {
				if rowKey(lines[i], t.keyCells) == key {
					at = i
				}
				if rowKey(lines[i], 1) == rowKey(row, 1) {
					after = i
				}
			}
			switch {
			case at >= 0:
				c := cells(row)
				c[0] = cells(lines[at])[0]
				lines[at] = "| " + strings.Join(c, " | ") + " |"
			case after >= 0:
				lines = append(lines[:after+1], append([]string{row}, lines[after+1:]...)...)
			default:
				lines = append(lines[:end], append([]string{row}, lines[end:]...)...)
			}
		}
	}
	return strings.Join(lines, "\n") + "\n"
}

// cells splits a Markdown table row into its trimmed cells.
func cells(row string) []string {
	row = strings.TrimSpace(row)
	row = strings.TrimSuffix(strings.TrimPrefix(row, "|"), "|")
	c := strings.Split(row, "|")
	for i := range c {
		c[i] = strings.TrimSpace(c[i])
	}
	return c
}

// rowKey names a row by its first n cells; of the first cell only its
// first word counts (the example).
func rowKey(row string, n int) string {
	c := cells(row)
	if len(c) < n {
		return ""
	}
	c = c[:n]
	if f := strings.Fields(c[0]); len(f) > 0 {
		c[0] = f[0]
	}
	return strings.Join(c, "|")
}

// mergeFile merges the rows into the page at path (created when missing).
func mergeFile(path string, tables []tableRows) error {
	dt, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	return os.WriteFile(path, []byte(mergePage(string(dt), tables)), 0o644)
}
