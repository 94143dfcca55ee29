package main

import (
	"strings"
	"testing"
	"time"
)

func TestParseScenarios(t *testing.T) {
	all, err := parseScenarios("all")
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != len(scenarios) {
		t.Errorf("all: %v, want every one of %v", all, scenarioKeys())
	}
	def, err := parseScenarios("")
	if err != nil || len(def) != len(scenarios) {
		t.Errorf("empty: %v %v, want every scenario", def, err)
	}
	sel, err := parseScenarios(" ci-edit , size,")
	if err != nil {
		t.Fatal(err)
	}
	if !sel["ci-edit"] || !sel["size"] || sel["cold"] || len(sel) != 2 {
		t.Errorf("ci-edit,size: %v", sel)
	}
	if timed := sel.timed(); len(timed) != 1 || timed[0].key != "ci-edit" {
		t.Errorf("timed scenarios of ci-edit,size: %v", timed)
	}
	if _, err := parseScenarios("cold,warm"); err == nil || !strings.Contains(err.Error(), `"warm"`) {
		t.Errorf("an unknown scenario: %v, want an error naming it", err)
	}
	if _, err := parseScenarios(","); err == nil {
		t.Error("a list naming no scenario was accepted")
	}
}

const page = `# Benchmark

Intro prose.

## Summary

| example | scenario | safe-frontend (median) | hand-written (median) | ratio | runs |
|---|---|---:|---:|---:|---:|
| node-hello | cold build | 28.24 s | 33.24 s | 0.85x | 5 |
| node-hello | rebuild after a source edit | 0.96 s | 0.94 s | 1.02x | 5 |
| go-hello | cold build | 164.32 s | 153.01 s | 1.07x | 2 |
| go-hello | rebuild after a source edit | 4.75 s | 3.59 s | 1.32x | 2 |

| example | image via safe-frontend | image via hand-written | ratio | of ours: tini + safe-probe layer | ours without that layer vs hand-written |
|---|---:|---:|---:|---:|---:|
| java-hello (jlink) | 31.14 MiB | 77.50 MiB | 0.402x | 1.04 MiB | -49699798 bytes |

Closing prose.
`

func TestMergePage(t *testing.T) {
	got := mergePage(page, []tableRows{
		{header: timingTable, keyCells: 2, rows: []string{
			"| go-hello | rebuild after a source edit | 4.00 s | 3.00 s | 1.33x | 1 |",
			"| go-hello | rebuild after a source edit, fresh runner with registry cache | 30.00 s | 60.00 s | 0.50x | 1 |",
			"| rust-hello | cold build | 1.00 s | 2.00 s | 0.50x | 1 |",
		}},
		{header: sizeTable, keyCells: 1, rows: []string{"| java-hello | 30.00 MiB | 70.00 MiB | 0.429x | 1.04 MiB | -1 bytes |"}},
		{header: eachRunTable, keyCells: 2, rows: []string{"| go-hello | source edit, fresh runner | 30.00 | 60.00 |"}},
	})
	want := `# Benchmark

Intro prose.

## Summary

| example | scenario | safe-frontend (median) | hand-written (median) | ratio | runs |
|---|---|---:|---:|---:|---:|
| node-hello | cold build | 28.24 s | 33.24 s | 0.85x | 5 |
| node-hello | rebuild after a source edit | 0.96 s | 0.94 s | 1.02x | 5 |
| go-hello | cold build | 164.32 s | 153.01 s | 1.07x | 2 |
| go-hello | rebuild after a source edit | 4.00 s | 3.00 s | 1.33x | 1 |
| go-hello | rebuild after a source edit, fresh runner with registry cache | 30.00 s | 60.00 s | 0.50x | 1 |
| rust-hello | cold build | 1.00 s | 2.00 s | 0.50x | 1 |

| example | image via safe-frontend | image via hand-written | ratio | of ours: tini + safe-probe layer | ours without that layer vs hand-written |
|---|---:|---:|---:|---:|---:|
| java-hello (jlink) | 30.00 MiB | 70.00 MiB | 0.429x | 1.04 MiB | -1 bytes |

Closing prose.

## Every run

| example | scenario | safe-frontend, each run (s) | hand-written, each run (s) |
|---|---|---|---|
| go-hello | source edit, fresh runner | 30.00 | 60.00 |
`
	if got != want {
		t.Errorf("merged page:\n%s\nwant:\n%s", got, want)
	}
	// Merging the same rows again changes nothing.
	if again := mergePage(got, []tableRows{{header: timingTable, keyCells: 2, rows: []string{
		"| go-hello | rebuild after a source edit | 4.00 s | 3.00 s | 1.33x | 1 |",
	}}}); again != got {
		t.Errorf("merging a row already there changed the page:\n%s", again)
	}
}

func TestMergePageFromNothing(t *testing.T) {
	got := mergePage("", timingRows("go-hello", selection{"ci-edit": true},
		map[string]timings{
			"a": {"ci-edit": {20 * time.Second, 30 * time.Second, 25 * time.Second}},
			"b": {"ci-edit": {50 * time.Second, 40 * time.Second, 60 * time.Second}},
		}, []side{{name: "a"}, {name: "b"}}))
	if !strings.HasPrefix(got, pageHeader+"\n## Summary\n\n"+timingTable) {
		t.Errorf("a page from nothing does not start with the page's intro:\n%s", got)
	}
	for _, row := range []string{
		"| go-hello | rebuild after a source edit, fresh runner with registry cache | 25.00 s | 50.00 s | 0.50x | 3 |",
		"| go-hello | source edit, fresh runner | 20.00, 30.00, 25.00 | 50.00, 40.00, 60.00 |",
	} {
		if !strings.Contains(got, "\n"+row+"\n") {
			t.Errorf("the page lacks %s:\n%s", row, got)
		}
	}
}

// One median serves timings, request rates and memory sizes alike.
func TestMedian(t *testing.T) {
	if got := median([]float64{18898, 15326, 22226}); got != 18898 {
		t.Errorf("median of three rates = %v, want 18898", got)
	}
	if got := median([]int64{4, 1, 3, 2}); got != 2 {
		t.Errorf("median of four sizes = %v, want 2 (the mean of 2 and 3, truncated)", got)
	}
	if got := median([]time.Duration{3 * time.Second, time.Second}); got != 2*time.Second {
		t.Errorf("median of two timings = %v, want 2s", got)
	}
	if got := median([]float64(nil)); got != 0 {
		t.Errorf("median of nothing = %v, want 0", got)
	}
}
