package spec

import (
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/org/safe-frontend/rules"
	"go.yaml.in/yaml/v3"
)

func reflectValue(s *Spec) reflect.Value { return reflect.ValueOf(s).Elem() }

// joinPath and joinHuman build the two spellings of a location: the
// Source key ("run/env/LOG_FORMAT") and the one in messages
// ("run.env.LOG_FORMAT", "allow[0].rule").
func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "/" + key
}

func joinHuman(human, key string) string {
	if human == "" {
		return key
	}
	return human + "." + key
}

func subject(human string) string {
	if human == "" {
		return "the document"
	}
	return human
}

// skipped reports whether a node was already refused as an anchor or
// alias by checkTree, so its content is not judged a second time.
func skipped(n *yaml.Node) bool { return n.Kind == yaml.AliasNode || n.Anchor != "" }

// decode stores node n into v (a model value) and records the position of
// every entry below it. It reports false if n could not be stored.
func (p *parser) decode(n *yaml.Node, v reflect.Value, path, human string) bool {
	if skipped(n) {
		return false
	}
	switch v.Kind() {
	case reflect.Pointer:
		// A pointer to a scalar tells "written as the zero value" from
		// "not written" (run.init: false); a pointer to a struct is a block.
		if v.Type().Elem().Kind() != reflect.Struct {
			ptr := reflect.New(v.Type().Elem())
			if !p.decode(n, ptr.Elem(), path, human) {
				return false
			}
			v.Set(ptr)
			return true
		}
		if !p.want(n, yaml.MappingNode, human, "a mapping") {
			return false
		}
		ptr := reflect.New(v.Type().Elem())
		v.Set(ptr)
		p.decodeStruct(n, ptr.Elem(), path, human)
		return true
	case reflect.Struct:
		if !p.want(n, yaml.MappingNode, human, "a mapping") {
			return false
		}
		p.decodeStruct(n, v, path, human)
		return true
	case reflect.String:
		return p.decodeString(n, v, human)
	case reflect.Int, reflect.Int32, reflect.Int64:
		return p.decodeInt(n, v, human)
	case reflect.Bool:
		return p.decodeBool(n, v, human)
	case reflect.Slice:
		return p.decodeSlice(n, v, path, human)
	case reflect.Map:
		return p.decodeMap(n, v, path, human)
	}
	// The model only uses the kinds above; a new kind needs code here.
	panic(fmt.Sprintf("spec model field %s has unsupported kind %s", human, v.Kind()))
}

// want checks that n has the given kind, reporting WrongType otherwise.
func (p *parser) want(n *yaml.Node, kind yaml.Kind, human, what string) bool {
	if n.Kind == kind {
		return true
	}
	p.errorf(rules.WrongType, p.t.nodeRange(n), "%s: want %s, got %s", subject(human), what, describe(n))
	return false
}

// describe names a node's YAML type and, for scalars, its text.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a sequence"
	case yaml.AliasNode:
		return "an alias"
	case yaml.DocumentNode:
		return "a document"
	}
	v := n.Value
	if utf8.RuneCountInString(v) > 40 {
		v = string([]rune(v)[:40]) + "..."
	}
	switch tag := n.ShortTag(); tag {
	case nullTag:
		return "null"
	case strTag:
		return fmt.Sprintf("string %q", v)
	case intTag:
		return "integer " + v
	case floatTag:
		return "float " + v
	case boolTag:
		return "boolean " + v
	case timeTag:
		return "timestamp " + v
	default:
		return fmt.Sprintf("%s %q", tag, v)
	}
}

func (p *parser) decodeString(n *yaml.Node, v reflect.Value, human string) bool {
	if !p.want(n, yaml.ScalarNode, human, "a string") {
		return false
	}
	switch n.ShortTag() {
	case strTag, intTag, floatTag, boolTag, timeTag:
		// The literal text is kept: "version: 1.20" means "1.20".
		v.SetString(n.Value)
		return true
	}
	p.errorf(rules.WrongType, p.t.nodeRange(n), "%s: want a string, got %s", subject(human), describe(n))
	return false
}

var decimalRe = regexp.MustCompile(`^[-+]?(0|[1-9][0-9]*)$`)

func (p *parser) decodeInt(n *yaml.Node, v reflect.Value, human string) bool {
	if !p.want(n, yaml.ScalarNode, human, "an integer") {
		return false
	}
	if n.ShortTag() != intTag {
		p.errorf(rules.WrongType, p.t.nodeRange(n), "%s: want an integer, got %s", subject(human), describe(n))
		return false
	}
	if !decimalRe.MatchString(n.Value) {
		// Octal (0755, 0o755), hex and "1_000" spellings are valid YAML
		// but easy to misread; a spec writes plain decimals.
		p.errorf(rules.InvalidValue, p.t.nodeRange(n), "%s: write %q as a plain decimal integer", subject(human), n.Value)
		return false
	}
	i, err := strconv.ParseInt(n.Value, 10, 32)
	if err != nil {
		p.errorf(rules.InvalidValue, p.t.nodeRange(n), "%s: %s is out of range", subject(human), n.Value)
		return false
	}
	v.SetInt(i)
	return true
}

func (p *parser) decodeBool(n *yaml.Node, v reflect.Value, human string) bool {
	if !p.want(n, yaml.ScalarNode, human, "true or false") {
		return false
	}
	if n.ShortTag() == boolTag {
		switch n.Value {
		case "true", "True", "TRUE":
			v.SetBool(true)
			return true
		case "false", "False", "FALSE":
			v.SetBool(false)
			return true
		}
	}
	p.errorf(rules.WrongType, p.t.nodeRange(n), "%s: want true or false, got %s", subject(human), describe(n))
	return false
}

func (p *parser) decodeSlice(n *yaml.Node, v reflect.Value, path, human string) bool {
	if !p.want(n, yaml.SequenceNode, human, "a sequence") {
		return false
	}
	out := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, item := range n.Content {
		ip := joinPath(path, strconv.Itoa(i))
		p.src.Fields[ip] = p.t.nodeRange(item)
		p.decode(item, out.Index(i), ip, fmt.Sprintf("%s[%d]", human, i))
	}
	v.Set(out)
	return true
}

// entries yields the key/value pairs of mapping n that have a usable key,
// reporting merge keys (already refused), non-scalar keys and duplicates.
func (p *parser) entries(n *yaml.Node, human string, yield func(key string, k, val *yaml.Node)) {
	seen := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.ShortTag() == mergeTag {
			continue
		}
		if k.Kind == yaml.AliasNode {
			continue
		}
		if k.Kind != yaml.ScalarNode {
			p.errorf(rules.WrongType, p.t.nodeRange(k), "%s: want a key name, got %s", subject(human), describe(k))
			continue
		}
		if first, dup := seen[k.Value]; dup {
			p.errorf(rules.DuplicateKey, p.t.nodeRange(k), "%s: duplicate key, first written on line %d",
				joinHuman(human, k.Value), first.Line)
			continue
		}
		seen[k.Value] = k
		yield(k.Value, k, val)
	}
}

// entryRange is the range from a key's start to its value's end. An empty
// value sits just after the colon, so the key's end is the floor.
func (p *parser) entryRange(k, val *yaml.Node) (key, entry Range) {
	key = p.t.nodeRange(k)
	end := p.t.nodeEnd(val)
	if end.Line < key.End.Line || (end.Line == key.End.Line && end.Col < key.End.Col) {
		end = key.End
	}
	return key, Range{Start: key.Start, End: end}
}

func (p *parser) decodeMap(n *yaml.Node, v reflect.Value, path, human string) bool {
	if !p.want(n, yaml.MappingNode, human, "a mapping") {
		return false
	}
	m := reflect.MakeMapWithSize(v.Type(), len(n.Content)/2)
	p.entries(n, human, func(key string, k, val *yaml.Node) {
		kp := joinPath(path, key)
		p.src.Keys[kp], p.src.Fields[kp] = p.entryRange(k, val)
		elem := reflect.New(v.Type().Elem()).Elem()
		if p.decode(val, elem, kp, joinHuman(human, key)) {
			m.SetMapIndex(reflect.ValueOf(key), elem)
		}
	})
	v.Set(m)
	return true
}

func (p *parser) decodeStruct(n *yaml.Node, v reflect.Value, path, human string) {
	info := infoOf(v.Type())
	present := map[string]bool{}
	p.entries(n, human, func(key string, k, val *yaml.Node) {
		i, ok := info.byName[key]
		if !ok {
			p.unknownKey(k, info, human)
			return
		}
		present[key] = true
		f := info.fields[i]
		kp, kh := joinPath(path, key), joinHuman(human, key)
		p.src.Keys[kp], p.src.Fields[kp] = p.entryRange(k, val)
		fv := v.Field(f.index)
		if p.decode(val, fv, kp, kh) && f.enum != nil && fv.Kind() == reflect.String && !slices.Contains(f.enum, fv.String()) {
			hint := ""
			if s := suggestValue(fv.String(), f.enum); s != "" {
				hint = fmt.Sprintf(", did you mean %q?", s)
			}
			p.errorf(rules.InvalidValue, p.t.nodeRange(val), "%s: %q is not allowed%s; want one of %s",
				kh, fv.String(), hint, strings.Join(f.enum, ", "))
		}
	})
	r := p.t.nodeRange(n)
	if len(n.Content) > 0 {
		r.End = p.t.nodeEnd(n.Content[0])
	}
	p.missing(v.Type(), present, human, r)
}

// missing reports each required field of struct type t that is absent.
func (p *parser) missing(t reflect.Type, present map[string]bool, human string, r Range) {
	for _, f := range infoOf(t).fields {
		if f.required && !present[f.name] {
			if human == "" {
				p.errorf(rules.MissingKey, r, "missing required key %q", f.name)
			} else {
				p.errorf(rules.MissingKey, r, "%s: missing required key %q", human, f.name)
			}
		}
	}
}

// maxListedKeys is how many allowed keys an unknown-key message lists.
const maxListedKeys = 8

func (p *parser) unknownKey(k *yaml.Node, info *structInfo, human string) {
	msg := fmt.Sprintf("%s: unknown key", joinHuman(human, k.Value))
	if s := suggest(k.Value, info.names); s != "" {
		msg += fmt.Sprintf(", did you mean %q?", s)
	} else if paths := modelPaths()[k.Value]; len(paths) > 0 {
		// The key exists elsewhere in the model: it is probably
		// misplaced rather than misspelled.
		msg += fmt.Sprintf(", did you mean %q?", paths[0])
	}
	if len(info.names) <= maxListedKeys {
		msg += " (allowed: " + strings.Join(info.names, ", ") + ")"
	}
	p.errorf(rules.UnknownKey, p.t.nodeRange(k), "%s", msg)
}
