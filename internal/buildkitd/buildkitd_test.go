package buildkitd

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pelletier/go-toml/v2"
)

func TestConfigMirrorsToRegistry(t *testing.T) {
	var cfg struct {
		Worker   map[string]struct{ Enabled bool }
		Otel     struct{ SocketPath string }
		Registry map[string]struct {
			HTTP    bool
			Mirrors []string
		}
	}
	if err := toml.Unmarshal([]byte(Config("127.0.0.1:5000", "/tmp/x/otel.sock")), &cfg); err != nil {
		t.Fatalf("config is not TOML: %v", err)
	}
	if !cfg.Worker["oci"].Enabled || cfg.Worker["containerd"].Enabled {
		t.Errorf("workers = %+v, want oci only", cfg.Worker)
	}
	if cfg.Otel.SocketPath != "/tmp/x/otel.sock" {
		t.Errorf("otel socket = %q", cfg.Otel.SocketPath)
	}
	if !cfg.Registry["127.0.0.1:5000"].HTTP {
		t.Errorf("the loopback registry is not plain HTTP: %+v", cfg.Registry)
	}
	for _, host := range []string{"docker.io", "gcr.io"} {
		if m := cfg.Registry[host].Mirrors; len(m) != 1 || m[0] != "127.0.0.1:5000" {
			t.Errorf("%s mirrors = %v", host, m)
		}
	}
}

func TestStartNamesTheFixWhenNotBuilt(t *testing.T) {
	_, err := Start(context.Background(), Options{Bin: filepath.Join(t.TempDir(), "buildkitd"), Registry: "127.0.0.1:5000"})
	if err == nil || !strings.Contains(err.Error(), "run hack/stack up") {
		t.Fatalf("err = %v, want one that names hack/stack up", err)
	}
}
