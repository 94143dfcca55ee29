package main

import (
	"fmt"
	"slices"
	"strings"
)

// A scenario is one thing the benchmark measures per example; -scenarios
// picks some of them by key.
type scenario struct {
	key     string // for -scenarios
	label   string // the summary table's row
	short   string // the every-run table's row
	timings bool   // measured as build times (size is not)
}

var scenarios = []scenario{
	{"cold", "cold build", "cold", true},
	{"no-change", "no-change rebuild", "no-change", true},
	{"edit", "rebuild after a source edit", "source edit", true},
	{"ci-edit", "rebuild after a source edit, fresh runner with registry cache", "source edit, fresh runner", true},
	{"size", "image sizes", "", false},
}

func scenarioKeys() []string {
	keys := make([]string, len(scenarios))
	for i, s := range scenarios {
		keys[i] = s.key
	}
	return keys
}

// selection is the set of scenarios a run measures.
type selection map[string]bool

// parseScenarios reads -scenarios: comma-separated keys, "all" or empty for
// every scenario.
func parseScenarios(list string) (selection, error) {
	sel := selection{}
	if strings.TrimSpace(list) == "" || strings.TrimSpace(list) == "all" {
		for _, s := range scenarios {
			sel[s.key] = true
		}
		return sel, nil
	}
	for _, k := range strings.Split(list, ",") {
		k = strings.TrimSpace(k)
		if k == "" {
			continue
		}
		if !slices.Contains(scenarioKeys(), k) {
			return nil, fmt.Errorf("no scenario %q (have: %s)", k, strings.Join(scenarioKeys(), ", "))
		}
		sel[k] = true
	}
	if len(sel) == 0 {
		return nil, fmt.Errorf("-scenarios %q names no scenario (have: %s)", list, strings.Join(scenarioKeys(), ", "))
	}
	return sel, nil
}

// timed lists the selected scenarios measured as build times, in table order.
func (sel selection) timed() []scenario {
	var out []scenario
	for _, s := range scenarios {
		if s.timings && sel[s.key] {
			out = append(out, s)
		}
	}
	return out
}
