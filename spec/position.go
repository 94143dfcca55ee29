package spec

import (
	"sort"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// text maps between byte offsets and the 1-based line:column positions the
// YAML library reports. Columns count characters, not bytes, as the library
// does; lines end at "\n" (a "\r" before it is not part of the line).
type text struct {
	data  []byte
	lines []int // byte offset where each line starts; lines[0] == 0
	// cols caches, per line that has non-ASCII bytes, the byte offset of
	// each column, so that conversions on one long line (a flow sequence
	// of thousands of items) do not rescan it every time.
	cols map[int][]int
}

func newText(data []byte) *text {
	t := &text{data: data, lines: []int{0}}
	for i, b := range data {
		if b == '\n' {
			t.lines = append(t.lines, i+1)
		}
	}
	return t
}

// numLines is the number of lines, counting the (possibly empty) text after
// the last line break as a line.
func (t *text) numLines() int { return len(t.lines) }

// lineBounds returns the byte range of line n (1-based) without its line
// break. Out-of-range lines are clamped.
func (t *text) lineBounds(n int) (start, end int) {
	n = min(max(n, 1), len(t.lines))
	start = t.lines[n-1]
	end = len(t.data)
	if n < len(t.lines) {
		end = t.lines[n] - 1
	}
	if end > start && t.data[end-1] == '\r' {
		end--
	}
	return start, end
}

// offset converts a position to a byte offset, clamping columns past the end
// of the line to the line's end.
func (t *text) offset(p Pos) int {
	start, end := t.lineBounds(p.Line)
	col := max(p.Col, 1)
	if cols := t.columns(p.Line, start, end); cols != nil {
		return cols[min(col, len(cols))-1]
	}
	return min(start+col-1, end)
}

// columns returns the column table of a line with non-ASCII bytes, or nil
// for an ASCII line, where columns and bytes coincide. cols[c-1] is the
// offset of column c; the last entry is the line's end.
func (t *text) columns(line, start, end int) []int {
	if cols, ok := t.cols[line]; ok {
		return cols
	}
	var cols []int
	for _, b := range t.data[start:end] {
		if b >= utf8.RuneSelf {
			cols = make([]int, 0, end-start+1)
			for off := start; off < end; {
				cols = append(cols, off)
				_, size := utf8.DecodeRune(t.data[off:end])
				off += size
			}
			cols = append(cols, end)
			break
		}
	}
	if t.cols == nil {
		t.cols = map[int][]int{}
	}
	t.cols[line] = cols
	return cols
}

// pos converts a byte offset to a position. An offset inside a line break
// maps to the end of its line.
func (t *text) pos(off int) Pos {
	off = min(max(off, 0), len(t.data))
	line := sort.Search(len(t.lines), func(i int) bool { return t.lines[i] > off })
	start, end := t.lineBounds(line)
	off = min(off, end)
	if cols := t.columns(line, start, end); cols != nil {
		// The column whose character contains off.
		return Pos{Line: line, Col: sort.Search(len(cols), func(i int) bool { return cols[i] > off })}
	}
	return Pos{Line: line, Col: 1 + off - start}
}

// lineRange is the range of line n's content, from its first non-blank
// character to its end; used when only a line is known.
func (t *text) lineRange(n int) Range {
	start, end := t.lineBounds(n)
	first := start
	for first < end && (t.data[first] == ' ' || t.data[first] == '\t') {
		first++
	}
	if first == end {
		first = start
	}
	return Range{Start: t.pos(first), End: t.pos(end)}
}

func nodeStart(n *yaml.Node) Pos { return Pos{Line: max(n.Line, 1), Col: max(n.Column, 1)} }

// nodeRange is the span of a node's text. End is exclusive: it is the
// column just past the node's last character.
func (t *text) nodeRange(n *yaml.Node) Range {
	return Range{Start: nodeStart(n), End: t.nodeEnd(n)}
}

// nodeEnd finds where a node's text ends. yaml.v3 records only where nodes
// start, so the end is recovered from the source: quoted scalars end at
// their closing quote, plain and block scalars after their last
// non-blank character (folding only changes whitespace, so counting the
// value's non-blank characters through the source finds it), block
// collections with their last child and flow collections at their
// closing bracket.
func (t *text) nodeEnd(n *yaml.Node) Pos {
	// Block collections end with their last descendant; walk down
	// iteratively so depth never costs stack.
	for (n.Kind == yaml.MappingNode || n.Kind == yaml.SequenceNode || n.Kind == yaml.DocumentNode) &&
		!t.isFlow(n) && len(n.Content) > 0 {
		n = n.Content[len(n.Content)-1]
	}
	start := t.offset(nodeStart(n))
	switch n.Kind {
	case yaml.AliasNode:
		return t.pos(start + 1 + len(n.Value))
	case yaml.ScalarNode:
		return t.pos(t.scalarEnd(n, t.skipProps(start)))
	case yaml.MappingNode, yaml.SequenceNode:
		return t.pos(t.flowEnd(n, t.skipProps(start)))
	}
	return nodeStart(n)
}

func isBlank(b byte) bool { return b == ' ' || b == '\t' || b == '\r' || b == '\n' }

// skipProps steps over a node's tag and anchor ("!!str ", "&a ") to its
// content.
func (t *text) skipProps(off int) int {
	for off < len(t.data) && (t.data[off] == '!' || t.data[off] == '&') {
		for off < len(t.data) && !isBlank(t.data[off]) {
			off++
		}
		for off < len(t.data) && isBlank(t.data[off]) {
			off++
		}
	}
	return off
}

// isFlow reports whether a collection is written in flow style ([...] or
// {...}) by looking at its first character.
func (t *text) isFlow(n *yaml.Node) bool {
	if n.Kind != yaml.MappingNode && n.Kind != yaml.SequenceNode {
		return false
	}
	off := t.skipProps(t.offset(nodeStart(n)))
	return off < len(t.data) && (t.data[off] == '[' || t.data[off] == '{')
}

func (t *text) scalarEnd(n *yaml.Node, off int) int {
	d := t.data
	if off >= len(d) {
		return len(d)
	}
	switch {
	case n.Style&yaml.DoubleQuotedStyle != 0 && d[off] == '"':
		for i := off + 1; i < len(d); i++ {
			switch d[i] {
			case '\\':
				i++
			case '"':
				return i + 1
			}
		}
		return len(d)
	case n.Style&yaml.SingleQuotedStyle != 0 && d[off] == '\'':
		for i := off + 1; i < len(d); i++ {
			if d[i] == '\'' {
				if i+1 < len(d) && d[i+1] == '\'' {
					i++
					continue
				}
				return i + 1
			}
		}
		return len(d)
	case n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 && (d[off] == '|' || d[off] == '>'):
		// Header: indicator, then chomping/indentation indicators.
		end := off + 1
		for end < len(d) && (d[end] == '+' || d[end] == '-' || (d[end] >= '1' && d[end] <= '9')) {
			end++
		}
		// Content starts on the next line; a comment may follow the header.
		next := end
		for next < len(d) && d[next] != '\n' {
			next++
		}
		if e := countEnd(d, next, n.Value); e >= 0 {
			return e
		}
		return end
	}
	if e := countEnd(d, off, n.Value); e >= 0 {
		return e
	}
	return off
}

// countEnd returns the offset just past the k-th non-blank character of d
// starting at off, where k is the number of non-blank characters in value;
// -1 if value has none.
func countEnd(d []byte, off int, value string) int {
	k := 0
	for _, r := range value {
		if r != ' ' && r != '\t' && r != '\r' && r != '\n' {
			k++
		}
	}
	if k == 0 {
		return -1
	}
	for off < len(d) {
		r, size := utf8.DecodeRune(d[off:])
		off += size
		if r != ' ' && r != '\t' && r != '\r' && r != '\n' {
			k--
			if k == 0 {
				return off
			}
		}
	}
	return len(d)
}

// flowEnd finds the closing bracket of a flow collection that opens at off.
// After the last child only blanks, commas and comments can precede it.
func (t *text) flowEnd(n *yaml.Node, off int) int {
	d := t.data
	if off >= len(d) || (d[off] != '[' && d[off] != '{') {
		// An implicit single-pair mapping inside a flow sequence
		// ("[a: b]") has no brackets of its own.
		if len(n.Content) > 0 {
			return t.offset(t.nodeEnd(n.Content[len(n.Content)-1]))
		}
		return off
	}
	i := off + 1
	if len(n.Content) > 0 {
		i = max(i, t.offset(t.nodeEnd(n.Content[len(n.Content)-1])))
	}
	for i < len(d) {
		switch c := d[i]; {
		case c == ']' || c == '}':
			return i + 1
		case c == '#':
			for i < len(d) && d[i] != '\n' {
				i++
			}
		default:
			i++
		}
	}
	return len(d)
}
