package spec

import (
	"fmt"
	"strings"
)

// Error is one problem with a spec, at a place in its file, under a rule ID
// from package rules.
type Error struct {
	Filename string
	Rule     string
	Msg      string
	Range    Range
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s:%d:%d: %s: %s", e.Filename, e.Range.Start.Line, e.Range.Start.Col, e.Rule, e.Msg)
}

// ErrorList is every problem found, in file order; nothing is dropped.
type ErrorList []*Error

func (l ErrorList) Error() string {
	msgs := make([]string, len(l))
	for i, e := range l {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "\n")
}
