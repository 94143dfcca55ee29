package spec

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/org/safe-frontend/rules"
	"go.yaml.in/yaml/v3"
)

// MaxSize is the largest spec accepted; anything bigger is refused unread.
const MaxSize = 256 << 10

const (
	// maxDepth bounds mapping/sequence nesting; the model is four levels
	// deep, so anything near this is not a spec.
	maxDepth = 32
	// maxNodes bounds the number of YAML nodes in a spec.
	maxNodes = 10000
	// maxErrors bounds the report for garbage input; the last entry says
	// that the list was cut.
	maxErrors = 100
)

// Parse decodes a spec strictly. On failure the error is an ErrorList that
// names every problem with its rule and position.
//
// Decoding is strict: unknown keys, duplicate keys, nulls, values of the
// wrong YAML type, anchors, aliases, merge keys, several documents, tabs in
// indentation and non-text bytes are all refused. String fields take any
// scalar's literal text (version: 1.20 is "1.20"); integer fields take
// only decimal integers; boolean fields only true or false.
func Parse(filename string, data []byte) (s *Spec, err error) {
	defer func() {
		// A last guard: the parser must not take the frontend down
		// whatever the input is.
		if r := recover(); r != nil {
			s = nil
			err = ErrorList{{
				Filename: filename,
				Rule:     rules.Syntax,
				Msg:      fmt.Sprintf("internal error reading the spec: %v", r),
				Range:    Range{Start: Pos{1, 1}, End: Pos{1, 1}},
			}}
		}
	}()
	p := &parser{filename: filename}
	return p.parse(data)
}

type parser struct {
	filename string
	t        *text
	src      *Source
	errs     ErrorList
	// aliasLines holds lines already reported under AliasUsed: one
	// finding per line keeps a billion-laughs document readable.
	aliasLines map[int]bool
}

func (p *parser) errorf(rule string, r Range, format string, args ...any) {
	p.errs = append(p.errs, &Error{Filename: p.filename, Rule: rule, Msg: fmt.Sprintf(format, args...), Range: r})
}

func (p *parser) result() error {
	sort.SliceStable(p.errs, func(i, j int) bool {
		a, b := p.errs[i].Range.Start, p.errs[j].Range.Start
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Col < b.Col
	})
	if len(p.errs) > maxErrors {
		cut := p.errs[maxErrors]
		p.errs = append(p.errs[:maxErrors:maxErrors], &Error{
			Filename: p.filename,
			Rule:     rules.TooLarge,
			Msg:      fmt.Sprintf("too many problems; stopped after %d", maxErrors),
			Range:    cut.Range,
		})
	}
	return p.errs
}

var bom = []byte("\xef\xbb\xbf")

func (p *parser) parse(data []byte) (*Spec, error) {
	if len(data) > MaxSize {
		p.errorf(rules.TooLarge, Range{Start: Pos{1, 1}, End: Pos{1, 1}},
			"the spec is %d bytes; the limit is %d", len(data), MaxSize)
		return nil, p.result()
	}
	data = bytes.Clone(data)
	p.t = newText(data)
	if bytes.HasPrefix(data, bom) {
		p.errorf(rules.Syntax, Range{Start: Pos{1, 1}, End: Pos{1, 2}},
			"byte order mark at the start of the file; save the spec as UTF-8 without BOM")
		return nil, p.result()
	}
	// Bytes the YAML library would reject without a position, or accept
	// although they make a spec misleading, are found here first.
	p.checkText()
	if len(p.errs) > 0 {
		return nil, p.result()
	}

	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	err := dec.Decode(&doc)
	if err != nil && !errors.Is(err, io.EOF) {
		p.yamlError(err)
		return nil, p.result()
	}
	var root *yaml.Node
	if err == nil {
		if len(doc.Content) > 0 {
			root = doc.Content[0]
		}
		var next yaml.Node
		switch err := dec.Decode(&next); {
		case errors.Is(err, io.EOF):
		case err != nil:
			p.yamlError(err)
		default:
			r := p.t.lineRange(next.Line)
			r.Start = nodeStart(&next)
			p.errorf(rules.MultiDocument, r,
				"a second YAML document starts here; a spec is exactly one document")
		}
	}
	if root != nil && !p.checkTree(root) {
		return nil, p.result()
	}

	p.src = &Source{Filename: p.filename, Data: data, Fields: map[string]Range{}, Keys: map[string]Range{}}
	s := &Spec{}
	v := reflectValue(s)
	if root == nil || (root.Kind == yaml.ScalarNode && root.ShortTag() == nullTag) {
		// An empty document is an empty mapping: it misses every
		// required key.
		r := Range{Start: Pos{1, 1}, End: Pos{1, 1}}
		if root != nil {
			r = p.t.nodeRange(root)
		}
		p.src.Fields[""] = r
		p.missing(v.Type(), map[string]bool{}, "", r)
	} else {
		p.src.Fields[""] = p.t.nodeRange(root)
		p.decode(root, v, "", "")
	}
	if len(p.errs) > 0 {
		return nil, p.result()
	}
	s.Source = p.src
	return s, nil
}

// checkText reports, one per line, bytes that are not UTF-8 text, control
// characters, line breaks other than LF and CRLF, and tabs in indentation.
func (p *parser) checkText() {
	d := p.t.data
	for line := 1; line <= p.t.numLines(); line++ {
		start, end := p.t.lineBounds(line)
		// lineBounds strips the "\r" of a CRLF; any other "\r" is
		// a lone carriage return and is caught below.
		indent := true
		for off := start; off < end; {
			r, size := utf8.DecodeRune(d[off:end])
			msg := ""
			switch {
			case r == utf8.RuneError && size <= 1:
				msg = fmt.Sprintf("invalid UTF-8 byte 0x%02x; the spec must be UTF-8 text", d[off])
			case r == 0:
				msg = "null byte (0x00); the spec must be text"
			case r == '\t' && indent:
				if strings.TrimLeft(string(d[off:end]), " \t") != "" {
					msg = "tab character in indentation; indent with spaces"
				}
			case r == '\r':
				msg = "carriage return without line feed; end lines with LF or CRLF"
			case r == 0x85 || r == 0x2028 || r == 0x2029:
				msg = fmt.Sprintf("unusual line break U+%04X; end lines with LF or CRLF", r)
			case r == 0xFEFF:
				msg = "byte order mark inside the file"
			case !printable(r):
				msg = fmt.Sprintf("control character U+%04X is not allowed", r)
			}
			if msg != "" {
				at := p.t.pos(off)
				p.errorf(rules.Syntax, Range{Start: at, End: Pos{Line: at.Line, Col: at.Col + 1}}, "%s", msg)
				break
			}
			if r != ' ' && r != '\t' {
				indent = false
			}
			off += size
		}
	}
}

// printable is YAML's set of printable characters (YAML 1.2, 5.1).
func printable(r rune) bool {
	switch {
	case r == '\t' || r == '\n' || r == '\r':
		return true
	case r >= 0x20 && r <= 0x7e:
		return true
	case r == 0x85 || (r >= 0xa0 && r <= 0xd7ff) || (r >= 0xe000 && r <= 0xfffd) || (r >= 0x10000 && r <= 0x10ffff):
		return true
	}
	return false
}

var (
	yamlLineRe  = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)
	unknownAnch = regexp.MustCompile(`^yaml: unknown anchor '(.*)' referenced$`)
)

// yamlError turns a YAML library error into a finding. The library gives
// a line but no column. For parser (as opposed to scanner) errors, yaml.v3
// prints the 0-based line of the mark it reports, so one is added.
func (p *parser) yamlError(err error) {
	msg := err.Error()
	if m := unknownAnch.FindStringSubmatch(msg); m != nil {
		p.errorf(rules.AliasUsed, p.findAlias(m[1]), "alias *%s: anchors, aliases and merge keys are not allowed in a spec", m[1])
		return
	}
	line := 1
	if m := yamlLineRe.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = m[2]
		if isParserProblem(msg) {
			line = p.refineLine(line+1, msg)
		}
	} else {
		msg = strings.TrimPrefix(msg, "yaml: ")
	}
	line = min(max(line, 1), p.t.numLines())
	rule := rules.Syntax
	if strings.HasPrefix(msg, "exceeded max depth") {
		rule = rules.TooLarge
		msg = fmt.Sprintf("nesting deeper than %d levels", maxDepth)
	} else {
		msg = "invalid YAML: " + msg
	}
	p.errorf(rule, p.t.lineRange(line), "%s", msg)
}

// refineLine finds where a parser error really is. For parser errors the
// library reports the start of the enclosing construct (a mapping that
// began many lines earlier), so the first prefix of the file, in whole
// lines, that fails with the same message pins the line down. Prefixes
// only fail more as they grow, so a binary search is enough.
func (p *parser) refineLine(line int, msg string) int {
	lo, hi := line, p.t.numLines()
	if lo > hi {
		return hi
	}
	for lo < hi {
		mid := lo + (hi-lo)/2
		_, end := p.t.lineBounds(mid)
		if prefixFails(p.t.data[:end], msg) {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return hi
}

// prefixFails reports whether data fails to parse with the given message
// (without its "yaml: line N: " prefix).
func prefixFails(data []byte, msg string) bool {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var n yaml.Node
		err := dec.Decode(&n)
		if err == nil {
			continue
		}
		if errors.Is(err, io.EOF) {
			return false
		}
		m := yamlLineRe.FindStringSubmatch(err.Error())
		return m != nil && m[2] == msg
	}
}

func isParserProblem(msg string) bool {
	for _, prefix := range []string{"did not find expected", "found duplicate %", "found incompatible YAML document", "found undefined tag handle"} {
		if strings.HasPrefix(msg, prefix) {
			return true
		}
	}
	return false
}

// findAlias locates the first use of *name in the source.
func (p *parser) findAlias(name string) Range {
	d := p.t.data
	needle := []byte("*" + name)
	for from := 0; ; {
		i := bytes.Index(d[from:], needle)
		if i < 0 {
			return Range{Start: Pos{1, 1}, End: Pos{1, 1}}
		}
		i += from
		end := i + len(needle)
		if end == len(d) || isBlank(d[end]) || bytes.IndexByte([]byte(",[]{}"), d[end]) >= 0 {
			return Range{Start: p.t.pos(i), End: p.t.pos(end)}
		}
		from = i + 1
	}
}

const (
	nullTag  = "!!null"
	strTag   = "!!str"
	intTag   = "!!int"
	boolTag  = "!!bool"
	floatTag = "!!float"
	mergeTag = "!!merge"
	timeTag  = "!!timestamp"
)

// checkTree enforces the size limits and reports anchors, aliases and
// merge keys. It walks with an explicit stack so that hostile nesting
// costs no recursion. It returns false when the tree is too large to
// decode.
func (p *parser) checkTree(root *yaml.Node) bool {
	type item struct {
		n     *yaml.Node
		depth int
	}
	stack := []item{{root, 1}}
	count := 0
	for len(stack) > 0 {
		it := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		n := it.n
		count++
		if count > maxNodes {
			p.errorf(rules.TooLarge, p.t.lineRange(n.Line), "more than %d YAML nodes", maxNodes)
			return false
		}
		if (n.Kind == yaml.MappingNode || n.Kind == yaml.SequenceNode) && it.depth > maxDepth {
			r := p.t.lineRange(n.Line)
			r.Start = nodeStart(n)
			p.errorf(rules.TooLarge, r, "nesting deeper than %d levels", maxDepth)
			return false
		}
		switch {
		case n.Anchor != "":
			p.aliasError(n, "anchor &"+n.Anchor, 1+len(n.Anchor))
		case n.Kind == yaml.AliasNode:
			p.aliasError(n, "alias *"+n.Value, 1+len(n.Value))
		case n.Kind == yaml.ScalarNode && n.ShortTag() == mergeTag:
			p.aliasError(n, "merge key <<", 2)
		}
		for i := len(n.Content) - 1; i >= 0; i-- {
			stack = append(stack, item{n.Content[i], it.depth + 1})
		}
	}
	return true
}

func (p *parser) aliasError(n *yaml.Node, what string, width int) {
	if p.aliasLines == nil {
		p.aliasLines = map[int]bool{}
	}
	if p.aliasLines[n.Line] {
		return
	}
	p.aliasLines[n.Line] = true
	start := p.t.offset(nodeStart(n))
	p.errorf(rules.AliasUsed, Range{Start: nodeStart(n), End: p.t.pos(start + width)},
		"%s: anchors, aliases and merge keys are not allowed in a spec", what)
}
