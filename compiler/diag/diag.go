// Package diag holds positions in project files and the diagnostics the
// compiler reports against them.
//
// A Diagnostic prints as "file:line:col: message; hint", the format of the
// Go toolchain and of most compilers, so editors and CI annotate it. Files
// are project-relative with forward slashes. Messages start lowercase, quote
// names with double quotes and carry no trailing period.
package diag

import (
	"fmt"
	"sort"
	"strings"
)

// Pos is a position in a project file. Line and Col are 1-based; Col counts
// bytes. A zero Line means "the whole file".
type Pos struct {
	File string
	Line int
	Col  int
}

// String returns "file:line:col", "file:line" when Col is 0, or "file" when
// Line is 0.
func (p Pos) String() string {
	switch {
	case p.Line == 0:
		return p.File
	case p.Col == 0:
		return fmt.Sprintf("%s:%d", p.File, p.Line)
	default:
		return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
	}
}

// Less orders positions by file, line, then column.
func (p Pos) Less(q Pos) bool {
	if p.File != q.File {
		return p.File < q.File
	}
	if p.Line != q.Line {
		return p.Line < q.Line
	}
	return p.Col < q.Col
}

// Severity says whether a diagnostic stops the run.
type Severity uint8

const (
	// Error stops the command before anything runs.
	Error Severity = iota
	// Warning is printed and the command goes on.
	Warning
)

// Diagnostic is one problem found in the project, at a position, with an
// optional hint saying how to fix it.
type Diagnostic struct {
	Pos      Pos
	Severity Severity
	Msg      string
	Hint     string
	// KilnOnly marks a warning that is kiln's own notice, one dbt does
	// not emit (a documentation-only key's note such as "query-comment
	// is not read"): --warn-error leaves it a warning, as dbt has no
	// warning there to promote.
	KilnOnly bool
	// Event is the name of dbt's event for this warning
	// (NoNodesForSelectionCriteria, DeprecatedModel, ...; see Events),
	// which --warn-error-options names; "" when dbt has none.
	Event string
}

// Error returns "pos: msg; hint" (or "pos: warning: msg; hint").
func (d Diagnostic) Error() string {
	var b strings.Builder
	if d.Pos.File != "" {
		b.WriteString(d.Pos.String())
		b.WriteString(": ")
	}
	if d.Severity == Warning {
		b.WriteString("warning: ")
	}
	b.WriteString(d.Msg)
	if d.Hint != "" {
		b.WriteString("; ")
		b.WriteString(d.Hint)
	}
	return b.String()
}

// Errorf returns an error-severity diagnostic at pos.
func Errorf(pos Pos, format string, args ...any) Diagnostic {
	return Diagnostic{Pos: pos, Msg: fmt.Sprintf(format, args...)}
}

// WithHint returns d with its hint set.
func (d Diagnostic) WithHint(format string, args ...any) Diagnostic {
	d.Hint = fmt.Sprintf(format, args...)
	return d
}

// List collects diagnostics; the compiler returns every problem at once.
type List []Diagnostic

// Add appends d to l.
func (l *List) Add(d Diagnostic) { *l = append(*l, d) }

// Errorf appends an error at pos and returns a pointer to it so a hint can be
// set.
func (l *List) Errorf(pos Pos, format string, args ...any) *Diagnostic {
	*l = append(*l, Errorf(pos, format, args...))
	return &(*l)[len(*l)-1]
}

// Warnf appends a warning at pos.
func (l *List) Warnf(pos Pos, format string, args ...any) *Diagnostic {
	d := Errorf(pos, format, args...)
	d.Severity = Warning
	*l = append(*l, d)
	return &(*l)[len(*l)-1]
}

// Append adds all of other to l.
func (l *List) Append(other List) { *l = append(*l, other...) }

// HasErrors reports whether l holds an error-severity diagnostic.
func (l List) HasErrors() bool {
	for _, d := range l {
		if d.Severity == Error {
			return true
		}
	}
	return false
}

// Errors returns the error-severity diagnostics of l.
func (l List) Errors() List {
	var out List
	for _, d := range l {
		if d.Severity == Error {
			out = append(out, d)
		}
	}
	return out
}

// Warnings returns the warning-severity diagnostics of l.
func (l List) Warnings() List {
	var out List
	for _, d := range l {
		if d.Severity == Warning {
			out = append(out, d)
		}
	}
	return out
}

// Sort orders l by position, then message, and drops exact duplicates.
func (l *List) Sort() {
	s := *l
	sort.SliceStable(s, func(i, j int) bool {
		if s[i].Pos != s[j].Pos {
			return s[i].Pos.Less(s[j].Pos)
		}
		return s[i].Msg < s[j].Msg
	})
	out := s[:0]
	for i, d := range s {
		if i > 0 && d == s[i-1] {
			continue
		}
		out = append(out, d)
	}
	*l = out
}

// Err returns l as an error when it holds an error-severity diagnostic, and
// nil otherwise.
func (l List) Err() error {
	if !l.HasErrors() {
		return nil
	}
	return l
}

// Error returns one diagnostic per line.
func (l List) Error() string {
	lines := make([]string, len(l))
	for i, d := range l {
		lines[i] = d.Error()
	}
	return strings.Join(lines, "\n")
}

// Offset converts a byte offset in src to a 1-based line and column.
func Offset(src string, off int) (line, col int) {
	if off > len(src) {
		off = len(src)
	}
	line = 1 + strings.Count(src[:off], "\n")
	col = off - strings.LastIndexByte(src[:off], '\n')
	return line, col
}

// ByteOffset is the inverse of Offset: the byte offset in src of 1-based
// line and byte column col. ok is false when src has no such line, or
// the column lies past its end (col may be one past the last byte).
func ByteOffset(src string, line, col int) (off int, ok bool) {
	if line < 1 || col < 1 {
		return 0, false
	}
	p := 0
	for i := 1; i < line; i++ {
		j := strings.IndexByte(src[p:], '\n')
		if j < 0 {
			return 0, false
		}
		p += j + 1
	}
	if p+col-1 > len(src) {
		return 0, false
	}
	return p + col - 1, true
}
