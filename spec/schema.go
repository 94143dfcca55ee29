package spec

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
)

// SchemaID is the $id of the JSON Schema for spec version 1.
const SchemaID = "https://github.com/org/safe-frontend/schema/spec-v1.json"

// Schema returns a JSON Schema (draft 2020-12) of the spec, generated from
// the model's struct tags so it cannot drift from what Parse accepts. The
// output is deterministic: object keys sorted, two-space indent, trailing
// newline. Editors use it for completion and validation; Parse stays the
// authority (it also refuses anchors, duplicates and tabs, which a schema
// cannot express).
func Schema() ([]byte, error) {
	g := &schemaGen{defs: map[string]any{}}
	root := g.object(reflect.TypeOf(Spec{}))
	root["$schema"] = "https://json-schema.org/draft/2020-12/schema"
	root["$id"] = SchemaID
	root["title"] = "safe-frontend app spec, version 1"
	root["description"] = "The YAML app spec read by the org/safe-frontend:1 BuildKit frontend " +
		"(first line: # syntax=org/safe-frontend:1)."
	if len(g.defs) > 0 {
		root["$defs"] = g.defs
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(root); err != nil {
		return nil, fmt.Errorf("encoding spec schema: %w", err)
	}
	return buf.Bytes(), nil
}

type schemaGen struct {
	defs map[string]any
}

// object is the schema of a model struct: closed, with its required keys.
func (g *schemaGen) object(t reflect.Type) map[string]any {
	info := infoOf(t)
	props := map[string]any{}
	var required []string
	for _, f := range info.fields {
		s := g.typeSchema(f.typ)
		if f.doc != "" {
			s["description"] = f.doc
		}
		if f.enum != nil {
			s["enum"] = f.enum
		}
		if f.minimum != nil {
			s["minimum"] = *f.minimum
		}
		if f.maximum != nil {
			s["maximum"] = *f.maximum
		}
		props[f.name] = s
		if f.required {
			required = append(required, f.name)
		}
	}
	out := map[string]any{
		"type":                 "object",
		"properties":           props,
		"additionalProperties": false,
	}
	if len(required) > 0 {
		out["required"] = required
	}
	return out
}

// typeSchema maps a Go type of the model to its schema. Nested structs go
// to $defs under their Go type name and are referenced.
func (g *schemaGen) typeSchema(t reflect.Type) map[string]any {
	switch t.Kind() {
	case reflect.Pointer:
		return g.typeSchema(t.Elem())
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Int, reflect.Int32, reflect.Int64:
		// Parse stores integers in 32 bits; fields narrow this with
		// minimum/maximum tags.
		return map[string]any{"type": "integer", "minimum": math.MinInt32, "maximum": math.MaxInt32}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Slice:
		return map[string]any{"type": "array", "items": g.typeSchema(t.Elem())}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": g.typeSchema(t.Elem())}
	case reflect.Struct:
		if _, ok := g.defs[t.Name()]; !ok {
			g.defs[t.Name()] = nil // reserve: guards against recursive types
			g.defs[t.Name()] = g.object(t)
		}
		return map[string]any{"$ref": "#/$defs/" + t.Name()}
	}
	return map[string]any{}
}
