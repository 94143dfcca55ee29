package spec

import (
	"bytes"
	"fmt"
	"reflect"
	"slices"
	"strconv"

	yaml "go.yaml.in/yaml/v3"
)

// Syntax is the first line of every spec: it selects the frontend.
const Syntax = "# syntax=org/safe-frontend:1"

// Write renders a spec as the YAML a user would write: the syntax line,
// then every key that is set, in the model's order, empty ones left out.
// comments, by spec path ("run/port"), become comments at the end of
// their key's line. Parse reads the result back into the same spec.
func Write(s *Spec, comments map[string]string) ([]byte, error) {
	root := writeStruct(reflect.ValueOf(s).Elem(), "", comments)
	var buf bytes.Buffer
	buf.WriteString(Syntax + "\n")
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(root); err != nil {
		return nil, fmt.Errorf("writing the spec: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("writing the spec: %w", err)
	}
	return buf.Bytes(), nil
}

func writeStruct(v reflect.Value, prefix string, comments map[string]string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.MappingNode}
	for _, f := range infoOf(v.Type()).fields {
		p := joinPath(prefix, f.name)
		val := writeValue(v.Field(f.index), p, comments)
		if val == nil {
			continue
		}
		key := &yaml.Node{Kind: yaml.ScalarNode, Value: f.name, LineComment: comment(comments[p])}
		n.Content = append(n.Content, key, val)
	}
	if len(n.Content) == 0 {
		return nil
	}
	return n
}

// writeValue is the node of one value, nil when it is empty.
func writeValue(v reflect.Value, p string, comments map[string]string) *yaml.Node {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return nil
		}
		if v.Elem().Kind() == reflect.Bool {
			return scalar("!!bool", strconv.FormatBool(v.Elem().Bool()))
		}
		return writeValue(v.Elem(), p, comments)
	case reflect.Struct:
		return writeStruct(v, p, comments)
	case reflect.String:
		if v.String() == "" {
			return nil
		}
		return scalar("!!str", v.String())
	case reflect.Int:
		if v.Int() == 0 {
			return nil
		}
		return scalar("!!int", strconv.FormatInt(v.Int(), 10))
	case reflect.Bool:
		if !v.Bool() {
			return nil
		}
		return scalar("!!bool", "true")
	case reflect.Slice:
		return writeSlice(v, p, comments)
	case reflect.Map:
		return writeMap(v, p, comments)
	}
	return nil
}

func writeSlice(v reflect.Value, p string, comments map[string]string) *yaml.Node {
	if v.Len() == 0 {
		return nil
	}
	n := &yaml.Node{Kind: yaml.SequenceNode}
	if v.Type().Elem().Kind() == reflect.String {
		n.Style = yaml.FlowStyle
	}
	for i := 0; i < v.Len(); i++ {
		if e := writeValue(v.Index(i), joinPath(p, strconv.Itoa(i)), comments); e != nil {
			if n.Style == yaml.FlowStyle {
				e.Style = yaml.DoubleQuotedStyle // as JSON writes them: args often hold ':' and '='
			}
			n.Content = append(n.Content, e)
		}
	}
	return n
}

func writeMap(v reflect.Value, p string, comments map[string]string) *yaml.Node {
	if v.Len() == 0 {
		return nil
	}
	n := &yaml.Node{Kind: yaml.MappingNode}
	keys := make([]string, 0, v.Len())
	for _, k := range v.MapKeys() {
		keys = append(keys, k.String())
	}
	slices.Sort(keys)
	for _, k := range keys {
		kp := joinPath(p, k)
		n.Content = append(n.Content,
			&yaml.Node{Kind: yaml.ScalarNode, Value: k, LineComment: comment(comments[kp])},
			scalar("!!str", v.MapIndex(reflect.ValueOf(k)).String()))
	}
	return n
}

func scalar(tag, value string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: value}
}

func comment(s string) string {
	if s == "" {
		return ""
	}
	return "# " + s
}
