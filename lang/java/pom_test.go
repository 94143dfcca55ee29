package java

import (
	"strings"
	"testing"
)

func TestPomHostile(t *testing.T) {
	deep := strings.Repeat("<a>", 100) + strings.Repeat("</a>", 100)
	for _, tc := range []struct {
		name, pom, msg string
	}{
		{"not xml", "{}", "not a readable pom.xml"},
		{"unclosed", "<project><artifactId>a</artifactId>", "not a readable pom.xml"},
		{"doctype", `<?xml version="1.0"?><!DOCTYPE project [<!ENTITY x "y">]><project><artifactId>&x;</artifactId></project>`, "has no DOCTYPE"},
		{"deep", "<project>" + deep + "</project>", "nested more than 48 deep"},
		{"root", "<settings/>", "expected element type <project>"},
		{"no artifact", "<project/>", "has no <artifactId>"},
		{"utf-16", `<?xml version="1.0" encoding="UTF-16"?><project/>`, "save the pom.xml as UTF-8"},
		{"big", "<project>" + strings.Repeat(" ", maxPomSize) + "</project>", "more than the 4 MiB"},
		{"module escapes", "<project><artifactId>a</artifactId><modules><module>../x</module></modules></project>", "must be a directory inside the build context"},
		{"module property", "<project><artifactId>a</artifactId><modules><module>${m}</module></modules></project>", "written literally"},
		{"module deep", "<project><artifactId>a</artifactId><modules><module>a/b/c/d</module></modules></project>", "more than 3 directories below"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := readReactor(map[string][]byte{"pom.xml": []byte(tc.pom)})
			if err == nil || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("got %v, want %q", err, tc.msg)
			}
		})
	}
	// A module listing its parent back is a cycle, not a loop.
	_, err := readReactor(map[string][]byte{
		"pom.xml":   []byte("<project><artifactId>a</artifactId><modules><module>b</module></modules></project>"),
		"b/pom.xml": []byte("<project><artifactId>b</artifactId><modules><module>../b</module></modules></project>"),
	})
	if err == nil || !strings.Contains(err.Error(), "cycle") {
		t.Errorf("cycle: %v", err)
	}
	// Properties that refer to each other end.
	r, err := readReactor(map[string][]byte{"pom.xml": []byte(
		"<project><artifactId>a</artifactId><properties><x>${y}</x><y>${x}</y><start-class>${x}</start-class></properties></project>")})
	if err != nil || r.Root.MainClass != "" {
		t.Errorf("recursive properties: %v %q", err, r.Root.MainClass)
	}
}
