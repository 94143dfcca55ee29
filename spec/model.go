package spec

import (
	"reflect"
	"strconv"
	"strings"
	"sync"
)

// field is one yaml-tagged field of a model struct, with the constraints
// its struct tags declare. The parser and the schema generator both read
// the model through this, so they cannot disagree.
type field struct {
	name     string
	index    int
	typ      reflect.Type
	required bool
	enum     []string
	doc      string
	// minimum and maximum are documentation for the schema; range checks
	// with their own rule IDs live in package policy.
	minimum, maximum *int64
}

type structInfo struct {
	fields []field
	byName map[string]int
	names  []string
}

var infoCache sync.Map // reflect.Type -> *structInfo

func infoOf(t reflect.Type) *structInfo {
	if v, ok := infoCache.Load(t); ok {
		return v.(*structInfo)
	}
	si := &structInfo{byName: map[string]int{}}
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		name, _, _ := strings.Cut(sf.Tag.Get("yaml"), ",")
		if name == "" || name == "-" || !sf.IsExported() {
			continue
		}
		f := field{
			name:     name,
			index:    i,
			typ:      sf.Type,
			required: sf.Tag.Get("required") == "true",
			doc:      sf.Tag.Get("doc"),
		}
		if e := sf.Tag.Get("enum"); e != "" {
			f.enum = strings.Split(e, ",")
		}
		f.minimum = parseIntTag(sf.Tag.Get("minimum"))
		f.maximum = parseIntTag(sf.Tag.Get("maximum"))
		si.byName[name] = len(si.fields)
		si.fields = append(si.fields, f)
		si.names = append(si.names, name)
	}
	v, _ := infoCache.LoadOrStore(t, si)
	return v.(*structInfo)
}

func parseIntTag(s string) *int64 {
	if s == "" {
		return nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return nil
	}
	return &n
}

// structOf returns the struct type a field holds directly, through a
// pointer or as slice elements, or nil.
func structOf(t reflect.Type) reflect.Type {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
		t = t.Elem()
	}
	if t.Kind() == reflect.Struct {
		return t
	}
	return nil
}

var modelPaths = sync.OnceValue(func() map[string][]string {
	m := map[string][]string{}
	var walk func(t reflect.Type, prefix string, depth int)
	walk = func(t reflect.Type, prefix string, depth int) {
		if depth > 8 {
			return
		}
		for _, f := range infoOf(t).fields {
			p := f.name
			if prefix != "" {
				p = prefix + "." + f.name
			}
			m[f.name] = append(m[f.name], p)
			if st := structOf(f.typ); st != nil {
				if f.typ.Kind() == reflect.Slice {
					p += "[]"
				}
				walk(st, p, depth+1)
			}
		}
	}
	walk(reflect.TypeOf(Spec{}), "", 0)
	return m
})
