package staticsite

import (
	"io"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"
)

// AccessLog writes one JSON object per line. Lines are buffered and
// written within flushAfter (or when the buffer fills), so a busy server
// makes one write for many requests and an idle one none. It is written
// by hand rather than with log/slog, which would add a fifth to the
// server's size.
type AccessLog struct {
	mu      sync.Mutex
	w       io.Writer
	buf     []byte
	pending bool // a flush is scheduled
}

const (
	flushAfter = 100 * time.Millisecond
	flushSize  = 32 << 10
)

// NewAccessLog writes to w.
func NewAccessLog(w io.Writer) *AccessLog { return &AccessLog{w: w} }

// Field is one key and its value, a string or an int64.
type Field struct {
	Key string
	Str string
	Int int64
	// IsInt says Int is the value.
	IsInt bool
}

// S and I make fields.
func S(k, v string) Field       { return Field{Key: k, Str: v} }
func I(k string, v int64) Field { return Field{Key: k, Int: v, IsInt: true} }

// Log adds {"time": ..., "msg": msg, fields...}.
func (l *AccessLog) Log(msg string, fields ...Field) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := append(l.buf, `{"time":`...)
	b = appendString(b, time.Now().UTC().Format(time.RFC3339Nano))
	b = append(b, `,"msg":`...)
	b = appendString(b, msg)
	for _, f := range fields {
		b = append(b, ',')
		b = appendString(b, f.Key)
		b = append(b, ':')
		if f.IsInt {
			b = strconv.AppendInt(b, f.Int, 10)
		} else {
			b = appendString(b, f.Str)
		}
	}
	l.buf = append(b, '}', '\n')
	switch {
	case len(l.buf) >= flushSize:
		l.flushLocked()
	case !l.pending:
		l.pending = true
		time.AfterFunc(flushAfter, l.Flush)
	}
}

// Flush writes what is buffered.
func (l *AccessLog) Flush() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.pending = false
	l.flushLocked()
}

func (l *AccessLog) flushLocked() {
	if len(l.buf) > 0 {
		l.w.Write(l.buf)
		l.buf = l.buf[:0]
	}
}

// appendString appends s as a JSON string; invalid UTF-8 becomes U+FFFD.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b = append(b, '\\', byte(r))
		case r < 0x20 || r == 0x7f || r == 0x2028 || r == 0x2029:
			b = append(b, '\\', 'u', hex[r>>12&0xf], hex[r>>8&0xf], hex[r>>4&0xf], hex[r&0xf])
		default:
			b = utf8.AppendRune(b, r)
		}
	}
	return append(b, '"')
}
