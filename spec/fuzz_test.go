package spec

import (
	"bytes"
	"errors"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/org/safe-frontend/rules"
	"go.yaml.in/yaml/v3"
)

// FuzzParse checks that Parse never panics, that every finding has a
// known rule and a line inside the document, and that a parsed spec
// survives a round trip through YAML unchanged.
func FuzzParse(f *testing.F) {
	f.Add([]byte(hdr + base))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse("f.yaml", data)
		if err != nil {
			if s != nil {
				t.Fatal("spec and error both returned")
			}
			var list ErrorList
			if !errors.As(err, &list) || len(list) == 0 {
				t.Fatalf("error is not a non-empty ErrorList: %v", err)
			}
			lines := bytes.Count(data, []byte("\n")) + 1
			for _, e := range list {
				if _, ok := rules.Lookup(e.Rule); !ok {
					t.Errorf("unknown rule in %v", e)
				}
				if e.Range.Start.Line < 1 || e.Range.Start.Line > lines+1 || e.Range.Start.Col < 1 {
					t.Errorf("position outside the document (%d lines): %v", lines, e)
				}
				if strings.Contains(e.Msg, "internal error") {
					t.Fatalf("parser panicked: %v", e)
				}
			}
			return
		}
		if s == nil || s.Source == nil {
			t.Fatal("nil spec or source without error")
		}
		out, err := yaml.Marshal(encodeNode(reflect.ValueOf(*s)))
		if err != nil {
			t.Fatalf("re-encoding: %v", err)
		}
		if len(out) > MaxSize {
			return // quoting can push a spec near the limit over it
		}
		s2, err := Parse("again.yaml", out)
		if err != nil {
			t.Fatalf("re-encoded spec does not parse: %v\n%s", err, out)
		}
		a, b := *s, *s2
		a.Source, b.Source = nil, nil
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("round trip changed the spec:\n%+v\n%+v\n%s", a, b, out)
		}
	})
}

// encodeNode writes a model value back as YAML: strings double-quoted so
// their text survives, nil pointers/slices/maps and zero optional scalars
// left out.
func encodeNode(v reflect.Value) *yaml.Node {
	switch v.Kind() {
	case reflect.Pointer:
		return encodeNode(v.Elem())
	case reflect.Struct:
		n := &yaml.Node{Kind: yaml.MappingNode}
		info := infoOf(v.Type())
		for _, f := range info.fields {
			fv := v.Field(f.index)
			switch fv.Kind() {
			case reflect.Pointer, reflect.Slice, reflect.Map:
				if fv.IsNil() {
					continue
				}
			default:
				if fv.IsZero() && !f.required {
					continue
				}
			}
			n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: strTag, Value: f.name}, encodeNode(fv))
		}
		return n
	case reflect.Slice:
		n := &yaml.Node{Kind: yaml.SequenceNode}
		for i := 0; i < v.Len(); i++ {
			n.Content = append(n.Content, encodeNode(v.Index(i)))
		}
		return n
	case reflect.Map:
		n := &yaml.Node{Kind: yaml.MappingNode}
		keys := v.MapKeys()
		sort.Slice(keys, func(i, j int) bool { return keys[i].String() < keys[j].String() })
		for _, k := range keys {
			n.Content = append(n.Content,
				&yaml.Node{Kind: yaml.ScalarNode, Tag: strTag, Style: yaml.DoubleQuotedStyle, Value: k.String()},
				encodeNode(v.MapIndex(k)))
		}
		return n
	case reflect.String:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: strTag, Style: yaml.DoubleQuotedStyle, Value: v.String()}
	case reflect.Int:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: intTag, Value: strconv.FormatInt(v.Int(), 10)}
	case reflect.Bool:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: boolTag, Value: strconv.FormatBool(v.Bool())}
	}
	panic("encodeNode: unsupported kind " + v.Kind().String())
}
