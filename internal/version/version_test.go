package version

import (
	"runtime"
	"strings"
	"testing"
)

func TestLine(t *testing.T) {
	old, oldRev := Version, Revision
	t.Cleanup(func() { Version, Revision = old, oldRev })
	Version, Revision = "1.4.2", "0123456789abcdef0123456789abcdef01234567"
	got := Line("safe-frontend")
	want := "safe-frontend 1.4.2 (revision 0123456789abcdef0123456789abcdef01234567, " + runtime.Version() + ", " + runtime.GOOS + "/" + runtime.GOARCH
	if !strings.HasPrefix(got, want) || !strings.HasSuffix(got, ")") {
		t.Errorf("Line = %q, want it to start with %q", got, want)
	}
	if s := Short(); s != "safe-frontend 1.4.2" {
		t.Errorf("Short = %q", s)
	}
}

func TestLineDevelopment(t *testing.T) {
	if Version != "dev" {
		t.Fatalf("an unstamped build says Version %q, want dev", Version)
	}
	if got := Line("safe"); !strings.HasPrefix(got, "safe dev (revision ") {
		t.Errorf("Line = %q", got)
	}
}
