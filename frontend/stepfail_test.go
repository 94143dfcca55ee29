package frontend

import (
	"strings"
	"testing"
)

// What the package managers print when they fail, as the runner keeps it.
const (
	npmOutput = "\n> fail-node@1.0.0 postinstall\n> echo 'config.json is missing: run make config first' >&2; exit 3\n\n" +
		"config.json is missing: run make config first\nnpm error code 3\nnpm error path /app\nnpm error command failed\n" +
		"npm error command sh -c echo 'config.json is missing: run make config first' >&2; exit 3\n" +
		"npm error A complete log of this run can be found in: /root/.npm/_logs/2026-12-06T08_33_16_348Z-debug-0.log\n"
	cargoOutput = "   Compiling fail-rust v1.0.0 (/src)\nerror[E0425]: cannot find value `greeting` in this scope\n --> src/main.rs:2:20\n  |\n" +
		"2 |     println!(\"{}\", greeting);\n  |                    ^^^^^^^^ not found in this scope\n\n" +
		"For more information about this error, try `rustc --explain E0425`.\n" +
		"error: could not compile `fail-rust` (bin \"fail-rust\") due to 1 previous error\n"
	pipOutput = "ERROR: Could not find a version that satisfies the requirement not-a-real-package==1.0.0 (from versions: none)\n" +
		"ERROR: No matching distribution found for not-a-real-package==1.0.0\n"
	mavenOutput = "[ERROR] COMPILATION ERROR : \n[INFO] -------------------------------------------------------------\n" +
		"[ERROR] /src/src/main/java/org/example/fail/Main.java:[5,28] cannot find symbol\n  symbol:   variable greeting\n" +
		"  location: class org.example.fail.Main\n[INFO] 1 error\n[INFO] -------------------------------------------------------------\n" +
		"[INFO] BUILD FAILURE\n[INFO] Total time:  2.738 s\n[INFO] Finished at: 2026-12-06T08:37:00Z\n" +
		"[ERROR] Failed to execute goal org.apache.maven.plugins:maven-compiler-plugin:3.13.0:compile (default-compile) on project fail-java: Compilation failure\n" +
		"[ERROR] /src/src/main/java/org/example/fail/Main.java:[5,28] cannot find symbol\n[ERROR]   symbol:   variable greeting\n" +
		"[ERROR]   location: class org.example.fail.Main\n[ERROR] -> [Help 1]\n[ERROR] \n" +
		"[ERROR] To see the full stack trace of the errors, re-run Maven with the -e switch.\n" +
		"[ERROR] Re-run Maven using the -X switch to enable full debug logging.\n[ERROR] \n" +
		"[ERROR] For more information about the errors and possible solutions, please read the following articles:\n" +
		"[ERROR] [Help 1] http://cwiki.apache.org/confluence/display/MAVEN/MojoFailureException\n"
)

// The line a failed step ends with is the tool's own message, boilerplate
// left out, with the file and line the tool names.
func TestToolMessage(t *testing.T) {
	for _, tc := range []struct{ name, out, want string }{
		{"npm", npmOutput, "config.json is missing: run make config first"},
		{"cargo", cargoOutput, "error[E0425]: cannot find value `greeting` in this scope (at src/main.rs:2)"},
		{"pip", pipOutput, "ERROR: Could not find a version that satisfies the requirement not-a-real-package==1.0.0 (from versions: none)"},
		{"maven", mavenOutput, "[ERROR] /src/src/main/java/org/example/fail/Main.java:[5,28] cannot find symbol"},
		{"no error word", "building\nsomething odd happened\n", "something odd happened"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lines := toolLines(tc.out)
			if got := toolMessage(lines); got != tc.want {
				t.Errorf("message %q\nwant    %q", got, tc.want)
			}
			if len(lines) == 0 || len(lines) > stepLogLines {
				t.Errorf("%d lines kept", len(lines))
			}
			for _, l := range lines {
				if strings.Contains(l, "A complete log") || strings.Contains(l, "[Help 1]") || strings.Contains(l, "Total time") {
					t.Errorf("boilerplate kept: %q", l)
				}
			}
		})
	}
}

// Escapes, carriage-return redraws and control characters never reach the
// message; a long line is clipped.
func TestToolLinesClean(t *testing.T) {
	got := toolLines("\x1b[31merror\x1b[0m: bad\r\nprogress 10%\rprogress 100%\nnul\x00 byte\n")
	want := []string{"error: bad", "progress 100%", "nul byte"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("lines %q, want %q", got, want)
	}
	if c := clip(strings.Repeat("x", 300), maxStepLine); len(c) != maxStepLine || !strings.HasSuffix(c, "...") {
		t.Errorf("clip: %d bytes", len(c))
	}
}

// FuzzToolMessage: whatever a tool prints, the message is at most a few
// clean lines and never panics.
func FuzzToolMessage(f *testing.F) {
	for _, s := range []string{npmOutput, cargoOutput, pipOutput, mavenOutput, "\r\x1b[2K\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, out string) {
		lines := toolLines(out)
		if len(lines) > stepLogLines {
			t.Fatalf("%d lines", len(lines))
		}
		for _, l := range lines {
			if strings.ContainsAny(l, "\r\n\x1b\x00") {
				t.Fatalf("control characters kept: %q", l)
			}
		}
		if len(lines) > 0 {
			_ = clip("[x 1/1] step: "+toolMessage(lines), maxStepLine)
		}
	})
}
