package spec

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite docs/spec.schema.json from the model")

const schemaFile = "../docs/spec.schema.json"

func TestSchemaFileUpToDate(t *testing.T) {
	got, err := Schema()
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(schemaFile, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	file, err := os.ReadFile(schemaFile)
	if err != nil {
		t.Fatalf("%v; generate it with: go run ./cmd/safe schema > docs/spec.schema.json (or go test ./spec -run TestSchemaFileUpToDate -update)", err)
	}
	if !bytes.Equal(got, file) {
		t.Errorf("docs/spec.schema.json is out of date with the model; regenerate with:\n" +
			"  go run ./cmd/safe schema > docs/spec.schema.json\n" +
			"or: go test ./spec -run TestSchemaFileUpToDate -update")
	}
}

func TestSchemaDeterministic(t *testing.T) {
	a, err := Schema()
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		b, _ := Schema()
		if !bytes.Equal(a, b) {
			t.Fatal("Schema output differs between calls")
		}
	}
	if !bytes.HasSuffix(a, []byte("}\n")) || !bytes.Contains(a, []byte("\n  \"")) {
		t.Errorf("want indented JSON ending in a newline")
	}
}

func loadSchema(t *testing.T) map[string]any {
	t.Helper()
	b, err := Schema()
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("schema is not JSON: %v", err)
	}
	return m
}

func TestSchemaHeader(t *testing.T) {
	m := loadSchema(t)
	if m["$schema"] != "https://json-schema.org/draft/2020-12/schema" || m["$id"] != SchemaID || m["title"] == nil {
		t.Errorf("header: $schema %v $id %v title %v", m["$schema"], m["$id"], m["title"])
	}
	if m["additionalProperties"] != false {
		t.Errorf("root must be closed")
	}
	port := resolve(m, m["$defs"].(map[string]any)["Run"].(map[string]any))["properties"].(map[string]any)["port"].(map[string]any)
	if port["type"] != "integer" || port["minimum"] != 1.0 || port["maximum"] != 65535.0 || port["description"] == nil {
		t.Errorf("run.port schema %v", port)
	}
	final := m["properties"].(map[string]any)["final"].(map[string]any)
	if !reflect.DeepEqual(final["enum"], []any{"distroless", "distroless-base", "scratch"}) {
		t.Errorf("final enum %v", final["enum"])
	}
}

func resolve(root, s map[string]any) map[string]any {
	for {
		ref, ok := s["$ref"].(string)
		if !ok {
			return s
		}
		name := strings.TrimPrefix(ref, "#/$defs/")
		s = root["$defs"].(map[string]any)[name].(map[string]any)
	}
}

// TestSchemaInSyncWithModel walks the Go model (independently of the
// generator's code) and the generated schema side by side: every yaml
// field must be a property with the same required-ness and enum, every
// property must be a field, and every object must be closed.
func TestSchemaInSyncWithModel(t *testing.T) {
	root := loadSchema(t)
	seen := 0
	var walk func(typ reflect.Type, s map[string]any, path string)
	walk = func(typ reflect.Type, s map[string]any, path string) {
		s = resolve(root, s)
		for typ.Kind() == reflect.Pointer {
			typ = typ.Elem()
		}
		switch typ.Kind() {
		case reflect.Struct:
			if s["type"] != "object" || s["additionalProperties"] != false {
				t.Errorf("%s: want a closed object, got %v", path, s)
			}
			props, _ := s["properties"].(map[string]any)
			var req []string
			if r, ok := s["required"].([]any); ok {
				for _, x := range r {
					req = append(req, x.(string))
				}
			}
			var names, wantReq []string
			for i := 0; i < typ.NumField(); i++ {
				sf := typ.Field(i)
				name := strings.Split(sf.Tag.Get("yaml"), ",")[0]
				if name == "" || name == "-" {
					continue
				}
				seen++
				names = append(names, name)
				fp := path + "." + name
				ps, ok := props[name].(map[string]any)
				if !ok {
					t.Errorf("%s: in the model, missing from the schema", fp)
					continue
				}
				if sf.Tag.Get("required") == "true" {
					wantReq = append(wantReq, name)
				}
				if e := sf.Tag.Get("enum"); e != "" {
					var got []string
					for _, x := range ps["enum"].([]any) {
						got = append(got, x.(string))
					}
					if !slices.Equal(got, strings.Split(e, ",")) {
						t.Errorf("%s: enum %v, model %q", fp, got, e)
					}
				}
				if doc := sf.Tag.Get("doc"); doc != "" && ps["description"] != doc {
					t.Errorf("%s: description %v, model %q", fp, ps["description"], doc)
				}
				walk(sf.Type, ps, fp)
			}
			var propNames []string
			for k := range props {
				propNames = append(propNames, k)
			}
			sort.Strings(propNames)
			sort.Strings(names)
			if !slices.Equal(propNames, names) {
				t.Errorf("%s: schema properties %v, model fields %v", path, propNames, names)
			}
			sort.Strings(req)
			sort.Strings(wantReq)
			if !slices.Equal(req, wantReq) {
				t.Errorf("%s: schema required %v, model %v", path, req, wantReq)
			}
		case reflect.Slice:
			if s["type"] != "array" {
				t.Errorf("%s: want array, got %v", path, s["type"])
			}
			walk(typ.Elem(), s["items"].(map[string]any), path+"[]")
		case reflect.Map:
			if s["type"] != "object" {
				t.Errorf("%s: want object, got %v", path, s["type"])
			}
			walk(typ.Elem(), s["additionalProperties"].(map[string]any), path+".*")
		case reflect.String:
			if s["type"] != "string" {
				t.Errorf("%s: want string, got %v", path, s["type"])
			}
		case reflect.Int:
			if s["type"] != "integer" {
				t.Errorf("%s: want integer, got %v", path, s["type"])
			}
		case reflect.Bool:
			if s["type"] != "boolean" {
				t.Errorf("%s: want boolean, got %v", path, s["type"])
			}
		default:
			t.Errorf("%s: model kind %s not covered", path, typ.Kind())
		}
	}
	walk(reflect.TypeOf(Spec{}), root, "spec")
	if seen < 30 {
		t.Errorf("walked only %d fields; the walk is broken", seen)
	}
}
