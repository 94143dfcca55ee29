package rules

import (
	"regexp"
	"testing"
)

func TestCatalog(t *testing.T) {
	id := regexp.MustCompile(`^SF\d{3}$`)
	name := regexp.MustCompile(`^[A-Z][A-Za-z]+$`)
	seenName := map[string]string{}
	for _, r := range All() {
		if !id.MatchString(r.ID) {
			t.Errorf("rule ID %q is not SFnnn", r.ID)
		}
		if !name.MatchString(r.Name) {
			t.Errorf("%s: name %q is not CamelCase", r.ID, r.Name)
		}
		if other, dup := seenName[r.Name]; dup {
			t.Errorf("%s and %s share the name %s", r.ID, other, r.Name)
		}
		seenName[r.Name] = r.ID
		if r.Severity != Error && r.Severity != Warning {
			t.Errorf("%s: severity %q", r.ID, r.Severity)
		}
		if r.Summary == "" || len(r.Catalogs) == 0 {
			t.Errorf("%s: needs a summary and at least one catalog", r.ID)
		}
		if got, ok := Lookup(r.ID); !ok || got.ID != r.ID {
			t.Errorf("Lookup(%s) failed", r.ID)
		}
	}
	if len(All()) != len(byID) {
		t.Errorf("duplicate rule IDs: %d rules, %d IDs", len(All()), len(byID))
	}
	if _, ok := Lookup("SF999"); ok {
		t.Error("Lookup found an unknown rule")
	}
}
