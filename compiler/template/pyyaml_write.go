package template

// PyYAML's scalar writers (yaml/emitter.py: write_plain,
// write_single_quoted, write_double_quoted), with its 80-column wrapping.

import "fmt"

// scalar writes s in style; split wraps it at spaces past column 80.
func (e *pyEmitter) scalar(s, style string, split bool) {
	switch style {
	case "":
		e.writePlain([]rune(s), split)
	case "'":
		e.writeSingle([]rune(s), split)
	default:
		e.writeDouble([]rune(s), split)
	}
}

const pyWidth = 80

func isBreakRune(c rune) bool { return c == '\n' || c == '\u0085' || c == '\u2028' || c == '\u2029' }

func (e *pyEmitter) writePlain(t []rune, split bool) {
	if len(t) == 0 {
		return
	}
	if !e.whitespace {
		e.write(" ")
	}
	e.whitespace, e.indention = false, false
	spaces := false
	start := 0
	for end := 0; end <= len(t); end++ {
		var c rune = -1
		if end < len(t) {
			c = t[end]
		}
		if spaces {
			if c != ' ' {
				if start+1 == end && e.column > pyWidth && split {
					e.writeIndent()
					e.whitespace, e.indention = false, false
				} else {
					e.write(string(t[start:end]))
				}
				start = end
			}
		} else if c == -1 || c == ' ' {
			e.write(string(t[start:end]))
			start = end
		}
		spaces = c == ' '
	}
}

func (e *pyEmitter) writeSingle(t []rune, split bool) {
	e.indicator("'", true, false, false)
	spaces, breaks := false, false
	start := 0
	for end := 0; end <= len(t); end++ {
		var c rune = -1
		if end < len(t) {
			c = t[end]
		}
		switch {
		case spaces:
			if c != ' ' {
				if start+1 == end && e.column > pyWidth && split && start != 0 && end != len(t) {
					e.writeIndent()
				} else {
					e.write(string(t[start:end]))
				}
				start = end
			}
		case breaks:
			if c == -1 || !isBreakRune(c) {
				if t[start] == '\n' {
					e.lineBreak()
				}
				for _, br := range t[start:end] {
					if br == '\n' {
						e.lineBreak()
					} else {
						e.b.WriteRune(br)
						e.whitespace, e.indention, e.column = true, true, 0
					}
				}
				e.writeIndent()
				start = end
			}
		default:
			if (c == -1 || c == ' ' || isBreakRune(c) || c == '\'') && start < end {
				e.write(string(t[start:end]))
				start = end
			}
		}
		if c == '\'' {
			e.write("''")
			start = end + 1
		}
		if c != -1 {
			spaces, breaks = c == ' ', isBreakRune(c)
		}
	}
	e.indicator("'", false, false, false)
}

var pyEscapes = map[rune]string{0: "0", 7: "a", 8: "b", 9: "t", 10: "n", 11: "v", 12: "f", 13: "r", 27: "e",
	'"': `"`, '\\': `\`, 0x85: "N", 0xa0: "_", 0x2028: "L", 0x2029: "P"}

func (e *pyEmitter) writeDouble(t []rune, split bool) {
	e.indicator(`"`, true, false, false)
	start := 0
	for end := 0; end <= len(t); end++ {
		var c rune = -1
		if end < len(t) {
			c = t[end]
		}
		if c == -1 || c == '"' || c == '\\' || c == 0xfeff || !(c >= 0x20 && c <= 0x7e) {
			if start < end {
				e.write(string(t[start:end]))
				start = end
			}
			if c != -1 {
				var d string
				switch esc, ok := pyEscapes[c]; {
				case ok:
					d = `\` + esc
				case c <= 0xff:
					d = fmt.Sprintf(`\x%02X`, c)
				case c <= 0xffff:
					d = fmt.Sprintf(`\u%04X`, c)
				default:
					d = fmt.Sprintf(`\U%08X`, c)
				}
				e.write(d)
				start = end + 1
			}
		}
		if end > 0 && end < len(t)-1 && (c == ' ' || start >= end) && e.column+(end-start) > pyWidth && split {
			d := `\`
			if start < end {
				d = string(t[start:end]) + d
				start = end
			}
			e.write(d)
			e.writeIndent()
			e.whitespace, e.indention = false, false
			if t[start] == ' ' {
				e.write(`\`)
			}
		}
	}
	e.indicator(`"`, false, false, false)
}
