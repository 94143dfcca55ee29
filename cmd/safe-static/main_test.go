package main

import (
	"io"
	"strings"
	"testing"
)

// A root without a manifest, an unknown flag or a stray argument stop the
// server before it listens, saying why.
func TestRunRefuses(t *testing.T) {
	for _, tc := range []struct {
		args []string
		says string
	}{
		{[]string{"-root=" + t.TempDir(), "-listen=127.0.0.1:0"}, "safe-precompress"},
		{[]string{"-root=/nonexistent/site"}, "no such file"},
		{[]string{"-nope"}, "flag provided but not defined"},
		{[]string{"-root=/srv/www", "extra"}, "unexpected arguments"},
	} {
		err := run(tc.args, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("%v: %v, want an error saying %q", tc.args, err, tc.says)
		}
	}
}
