package compiler

import (
	"errors"
	"fmt"
	"strings"

	"github.com/kiln-build/kiln/adapter"
	"github.com/kiln-build/kiln/compiler/diag"
	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/compiler/project"
)

// HookError is the error of a hook's statement (a pre- or post-hook,
// on-run-start or on-run-end). Pos is where the hook is written: at the
// token the database stopped at when the hook's text is found in its file
// as written and the token is in its literal text (before its first Jinja
// tag or after its last), else at the hook's first character (when its
// text cannot be found: a run hook's entry, or a node hook's node). SQL is the statement the hook rendered, Off the byte
// offset in SQL of the token the database stopped at (-1 when it gave
// none), At the position in the project's files of byte offset i of SQL
// (false where it cannot be told). Err is the cause: the database's
// *adapter.Error, or a rendering error.
type HookError struct {
	Pos  diag.Pos
	What string // "post-hook 1", "on-run-end 2 of shop"
	SQL  string
	Off  int
	At   func(i int) (diag.Pos, bool)
	Err  error
}

// Error returns "pos: what: cause", on one line.
func (e *HookError) Error() string {
	return fmt.Sprintf("%s: %s: %s", e.Pos, e.What, oneLineMsg(e.Err.Error()))
}

// Unwrap returns the cause.
func (e *HookError) Unwrap() error { return e.Err }

// hookText is where a hook's raw text is in a file: a mapping from the
// byte offsets of the text to positions in the file.
type hookText struct {
	file  string
	start diag.Pos // the text's first byte
	// lines[i] is the file's line and the column where line i of the
	// text starts (block scalars are indented).
	lines [][2]int
}

// pos returns the position in the file of byte offset i of the text.
func (h *hookText) pos(text string, i int) (diag.Pos, bool) {
	if i < 0 || i > len(text) {
		return diag.Pos{}, false
	}
	l, c := diag.Offset(text, i)
	if l > len(h.lines) {
		return diag.Pos{}, false
	}
	at := h.lines[l-1]
	return diag.Pos{File: h.file, Line: at[0], Col: at[1] + c - 1}, true
}

// findText finds text in src at or after byte from, as written: its
// first line as it is, each following line at the start of the next line
// of src after indentation (a YAML block scalar), or as a whole in a
// quoted string (a config() call's). ok is false when it is not there.
func findText(file, src, text string, from int) (h *hookText, ok bool) {
	text = strings.TrimRight(text, " \t\r\n")
	if strings.TrimSpace(text) == "" || from < 0 || from > len(src) {
		return nil, false
	}
	tl := strings.Split(text, "\n")
	for off := from; off <= len(src); {
		i := strings.Index(src[off:], tl[0])
		if i < 0 {
			return nil, false
		}
		at := off + i
		off = at + 1
		line, col := diag.Offset(src, at)
		h := &hookText{file: file, start: diag.Pos{File: file, Line: line, Col: col}, lines: [][2]int{{line, col}}}
		if len(tl) == 1 {
			return h, true
		}
		rest := src[at+len(tl[0]):]
		if strings.HasPrefix(rest, "\n") {
			// A block scalar: each line indented alike.
			fl := strings.Split(rest[1:], "\n")
			good := len(fl) >= len(tl)-1
			for k := 1; good && k < len(tl); k++ {
				f := strings.TrimRight(fl[k-1], "\r")
				t := strings.TrimRight(tl[k], "\r")
				switch {
				case strings.TrimSpace(t) == "" && strings.TrimSpace(f) == "":
					h.lines = append(h.lines, [2]int{line + k, 1})
				case strings.HasSuffix(f, t) && strings.TrimSpace(f[:len(f)-len(t)]) == "":
					h.lines = append(h.lines, [2]int{line + k, len(f) - len(t) + 1})
				default:
					good = false
				}
			}
			if good {
				return h, true
			}
		}
		if strings.HasPrefix(src[at:], text) {
			// The text as a whole (in a quoted string across lines).
			for k := 1; k < len(tl); k++ {
				h.lines = append(h.lines, [2]int{line + k, 1})
			}
			return h, true
		}
	}
	return nil, false
}

// hookKeys are the configs that hold pre- and post-hooks.
var hookKeys = []string{"pre-hook", "pre_hook", "post-hook", "post_hook"}

// nodeHookText finds the raw text of a pre- or post-hook of node n where
// a hook config of n is written: in its file from its config() call on,
// in its YAML properties from their hook key on, then in its project's
// file.
func (c *compiler) nodeHookText(n *graph.Node, hook string) (*hookText, bool) {
	if r := c.render[n]; r != nil && r.config != nil && n.RawCode != "" && r.configPos.File == n.Path {
		for _, k := range hookKeys {
			if _, ok := r.config[k]; !ok {
				continue
			}
			from, _ := diag.ByteOffset(n.RawCode, r.configPos.Line, max(r.configPos.Col, 1))
			if h, ok := findText(n.Path, n.RawCode, hook, from); ok {
				return h, true
			}
			break
		}
	}
	if mp, file := c.nodeProps(n); mp != nil && file != "" {
		if src, ok := c.fileText(n.Package, file); ok {
			for _, k := range hookKeys {
				if at, ok := mp.ConfigAt[k]; ok {
					from, _ := diag.ByteOffset(src, at.Line, max(at.Col, 1))
					if h, ok := findText(file, src, hook, from); ok {
						return h, true
					}
				}
			}
		}
	}
	file := c.p.File
	if q := c.packageProject(n.Package); q != nil {
		file = q.File
	}
	if src, ok := c.fileText(n.Package, file); ok {
		if h, ok := findText(file, src, hook, 0); ok {
			return h, true
		}
	}
	return nil, false
}

// hookError places err, hook's error, in the project's files: h is where
// the hook's raw text is (nil when it was not found: def is used), sql
// what it rendered.
func hookError(what, raw, sql string, h *hookText, def diag.Pos, err error) *HookError {
	he := &HookError{Pos: def, What: what, SQL: sql, Off: -1, Err: err}
	if h != nil {
		he.Pos = h.start
	}
	var de *adapter.Error
	if errors.As(err, &de) {
		if off, ok := diag.ByteOffset(sql, de.Line, de.Col); ok {
			he.Off = off
		}
	}
	// The rendered statement maps to the raw text where they are the same:
	// before the first byte they differ at (no Jinja before it), and in
	// the literal text after the raw text's last Jinja tag, which renders
	// as itself (trailing whitespace aside: Jinja drops a last newline).
	same := 0
	for same < len(sql) && same < len(raw) && sql[same] == raw[same] {
		same++
	}
	rawT, sqlT := strings.TrimRight(raw, " \t\r\n"), strings.TrimRight(sql, " \t\r\n")
	tail := len(rawT) - lastTagEnd(rawT)
	k := 0 // the length of the common literal tail
	for k < len(sqlT) && k < tail && sqlT[len(sqlT)-1-k] == rawT[len(rawT)-1-k] {
		k++
	}
	he.At = func(i int) (diag.Pos, bool) {
		switch {
		case h == nil:
			return diag.Pos{}, false
		case i < same || (i == same && same == len(sql)):
			return h.pos(raw, i)
		case i >= len(sqlT)-k && i < len(sqlT):
			return h.pos(raw, len(rawT)-(len(sqlT)-i))
		}
		return diag.Pos{}, false
	}
	if he.Off >= 0 {
		if p, ok := he.At(he.Off); ok {
			he.Pos = p
		}
	}
	return he
}

// hookJinjaError places d, the error of rendering hook raw (at d.Pos's
// line and column in raw), in the project's files as hookError places a
// statement's: h is where raw is written (nil when it was not found: def
// is used). The cause is d without its position (its message and hint).
func hookJinjaError(what, raw string, h *hookText, def diag.Pos, d diag.Diagnostic) *HookError {
	cause := d
	cause.Pos = diag.Pos{}
	he := &HookError{Pos: def, What: what, Off: -1, At: func(int) (diag.Pos, bool) { return diag.Pos{}, false }, Err: cause}
	if h == nil {
		return he
	}
	he.Pos = h.start
	if off, ok := diag.ByteOffset(raw, d.Pos.Line, max(d.Pos.Col, 1)); ok {
		if p, ok := h.pos(raw, off); ok {
			he.Pos = p
		}
	}
	return he
}

// packageProject is installed package pkg's project; nil for the root
// project's name, "" or an unknown name.
func (c *compiler) packageProject(pkg string) *project.Project {
	if pkg == "" || pkg == c.p.Config.Name {
		return nil
	}
	for _, q := range c.p.Packages {
		if q.Config.Name == pkg {
			return q
		}
	}
	return nil
}

// fileText is the text of file path of package pkg's project (the root
// project's for "" or its name), as its load read it.
func (c *compiler) fileText(pkg, path string) (string, bool) {
	files := c.p.Files
	if q := c.packageProject(pkg); q != nil {
		files = q.Files
	}
	b, ok := files[path]
	return string(b), ok
}

// lastTagEnd is the byte offset just after the last Jinja tag ({{ }},
// {% %}, {# #}) of s, 0 when it has none.
func lastTagEnd(s string) int {
	end := 0
	for _, close := range []string{"}}", "%}", "#}"} {
		if i := strings.LastIndex(s, close); i >= 0 && i+len(close) > end {
			end = i + len(close)
		}
	}
	return end
}
