package java

import (
	"bytes"
	"testing"
)

// FuzzJavaProjectFiles: the checks of the project files never panic, and
// every finding names a file that was read and a line of it.
func FuzzJavaProjectFiles(f *testing.F) {
	f.Add([]byte("<project><modules><module>../x</module></modules></project>"), []byte("<settings><password>p</password></settings>"), []byte("-javaagent:a.jar\n"))
	f.Fuzz(func(t *testing.T, a, b, c []byte) {
		files := map[string][]byte{"pom.xml": a, "settings.xml": b, ".mvn/jvm.config": c}
		for _, fd := range (java{}).CheckProjectFiles(nil, files) {
			dt, ok := files[fd.File]
			if !ok {
				t.Fatalf("finding in a file not read: %+v", fd)
			}
			if n := bytes.Count(dt, []byte("\n")) + 1; fd.Line < 0 || fd.Line > n {
				t.Fatalf("finding at line %d of %d: %+v", fd.Line, n, fd)
			}
		}
	})
}
