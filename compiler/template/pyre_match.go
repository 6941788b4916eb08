package template

import (
	"fmt"
	"regexp/syntax"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/kiln-build/kiln/compiler/jinja"
)

// reMatchObj is Python's re.Match: loc are Go's byte offsets of the match
// and its groups (-1 for a group that did not take part); positions it
// gives templates count characters, as Python's do.
type reMatchObj struct {
	p   *pyPattern
	s   string
	loc []int
}

// PyType is "Match", re.match's.
func (*reMatchObj) PyType() string { return "Match" }

func (m *reMatchObj) group(i int) any {
	if 2*i+1 >= len(m.loc) || m.loc[2*i] < 0 {
		return nil
	}
	return m.s[m.loc[2*i]:m.loc[2*i+1]]
}

// groupIndex resolves a group by number or name.
func (m *reMatchObj) groupIndex(g any) (int, error) {
	switch x := g.(type) {
	case int:
		if x >= 0 && x <= m.p.info.groups {
			return x, nil
		}
	case string:
		if i, ok := m.p.info.names[x]; ok {
			return i, nil
		}
	}
	return 0, fmt.Errorf("no such group %s", jinja.Repr(g))
}

// chars converts a byte offset into a character offset (-1 stays -1).
func (m *reMatchObj) chars(off int) int {
	if off < 0 {
		return -1
	}
	return utf8.RuneCountInString(m.s[:off])
}

// String is Python's repr of a match.
func (m *reMatchObj) String() string {
	return fmt.Sprintf("<re.Match object; span=(%d, %d), match=%s>", m.chars(m.loc[0]), m.chars(m.loc[1]), jinja.Repr(m.group(0)))
}

// Item is m[g]: m.group(g).
func (m *reMatchObj) Item(key any) (any, bool) {
	i, err := m.groupIndex(key)
	if err != nil {
		return nil, false
	}
	return m.group(i), true
}

func (m *reMatchObj) Attr(name string) (any, bool) {
	groupArg := func(c *jinja.Call) (int, error) {
		if len(c.Args) == 0 {
			return 0, nil
		}
		return m.groupIndex(c.Args[0])
	}
	switch name {
	case "string":
		return m.s, true
	case "re":
		return m.p, true
	case "pos":
		return 0, true
	case "endpos":
		return utf8.RuneCountInString(m.s), true
	case "lastindex", "lastgroup":
		// The group that closed last: the one ending last, the outermost
		// of those ending together.
		best, bestEnd := -1, -1
		for g := 1; g <= m.p.info.groups; g++ {
			if e := m.loc[2*g+1]; m.loc[2*g] >= 0 && e > bestEnd {
				best, bestEnd = g, e
			}
		}
		if best < 0 {
			return nil, true
		}
		if name == "lastindex" {
			return best, true
		}
		for k, v := range m.p.info.names {
			if v == best {
				return k, true
			}
		}
		return nil, true
	case "group":
		return jinja.Func(func(c *jinja.Call) (any, error) {
			if len(c.Args) <= 1 {
				i, err := groupArg(c)
				if err != nil {
					return nil, err
				}
				return m.group(i), nil
			}
			t := make(jinja.Tuple, len(c.Args))
			for k, g := range c.Args {
				i, err := m.groupIndex(g)
				if err != nil {
					return nil, err
				}
				t[k] = m.group(i)
			}
			return t, nil
		}), true
	case "groups", "groupdict":
		return jinja.Func(func(c *jinja.Call) (any, error) {
			def, _ := arg(c, 0, "default")
			val := func(i int) any {
				if v := m.group(i); v != nil {
					return v
				}
				return def
			}
			if name == "groups" {
				t := make(jinja.Tuple, m.p.info.groups)
				for i := range t {
					t[i] = val(i + 1)
				}
				return t, nil
			}
			d := jinja.NewDict()
			for g := 1; g <= m.p.info.groups; g++ {
				for k, v := range m.p.info.names {
					if v == g {
						_ = d.Set(k, val(g))
					}
				}
			}
			return d, nil
		}), true
	case "start", "end", "span":
		return jinja.Func(func(c *jinja.Call) (any, error) {
			i, err := groupArg(c)
			if err != nil {
				return nil, err
			}
			a, b := m.chars(m.loc[2*i]), m.chars(m.loc[2*i+1])
			switch name {
			case "start":
				return a, nil
			case "end":
				return b, nil
			}
			return jinja.Tuple{a, b}, nil
		}), true
	case "expand":
		return jinja.Func(func(c *jinja.Call) (any, error) {
			v, _ := arg(c, 0, "template")
			t, err := parseReplTemplate(jinja.Str(v), m.p)
			if err != nil {
				return nil, err
			}
			var b strings.Builder
			for _, part := range t {
				if part.group < 0 {
					b.WriteString(part.text)
				} else if g := m.group(part.group); g != nil {
					b.WriteString(g.(string))
				}
			}
			return b.String(), nil
		}), true
	}
	return nil, false
}

// replPart is a piece of a replacement template: text, or a group
// (group >= 0).
type replPart struct {
	text  string
	group int
}

// parseReplTemplate parses a Python replacement template: \1 .. \99 and
// \g<n> / \g<name> are groups, \0 and \ooo octal characters, \n \t \r \f
// \v \a \b \\ escapes; another backslash before an ASCII letter is an
// error ("bad escape"), before anything else it stays. $ is plain text.
func parseReplTemplate(t string, p *pyPattern) ([]replPart, error) {
	var parts []replPart
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			parts = append(parts, replPart{text: lit.String(), group: -1})
			lit.Reset()
		}
	}
	addGroup := func(g int) error {
		if g > p.info.groups {
			return fmt.Errorf("re: invalid group reference %d in the replacement %s", g, jinja.Repr(t))
		}
		flush()
		parts = append(parts, replPart{group: g})
		return nil
	}
	isOct := func(b byte) bool { return b >= '0' && b <= '7' }
	isDig := func(b byte) bool { return b >= '0' && b <= '9' }
	for i := 0; i < len(t); i++ {
		if t[i] != '\\' {
			lit.WriteByte(t[i])
			continue
		}
		if i+1 >= len(t) {
			return nil, fmt.Errorf("re: bad escape (end of pattern) in the replacement %s", jinja.Repr(t))
		}
		i++
		c := t[i]
		switch {
		case c == 'g':
			if i+1 >= len(t) || t[i+1] != '<' {
				return nil, fmt.Errorf("re: missing < after \\g in the replacement %s", jinja.Repr(t))
			}
			end := strings.IndexByte(t[i+2:], '>')
			if end < 0 {
				return nil, fmt.Errorf("re: missing >, unterminated name in the replacement %s", jinja.Repr(t))
			}
			name := t[i+2 : i+2+end]
			i += 2 + end
			if name == "" {
				return nil, fmt.Errorf("re: missing group name in the replacement %s", jinja.Repr(t))
			}
			if n, err := strconv.Atoi(name); err == nil && isDig(name[0]) {
				if err := addGroup(n); err != nil {
					return nil, err
				}
				continue
			}
			g, ok := p.info.names[name]
			if !ok {
				return nil, fmt.Errorf("re: unknown group name %s in the replacement %s", jinja.Repr(name), jinja.Repr(t))
			}
			_ = addGroup(g)
		case c == '0':
			j := i + 1
			for j < len(t) && j < i+3 && isOct(t[j]) {
				j++
			}
			v, _ := strconv.ParseUint(t[i:j], 8, 32)
			lit.WriteRune(rune(v))
			i = j - 1
		case isDig(c):
			if i+1 < len(t) && isDig(t[i+1]) {
				if isOct(c) && isOct(t[i+1]) && i+2 < len(t) && isOct(t[i+2]) {
					v, _ := strconv.ParseUint(t[i:i+3], 8, 32)
					if v > 0o377 {
						return nil, fmt.Errorf(`re: octal escape value \%s outside of range 0-0o377 in the replacement %s`, t[i:i+3], jinja.Repr(t))
					}
					lit.WriteRune(rune(v))
					i += 2
					continue
				}
				n, _ := strconv.Atoi(t[i : i+2])
				if err := addGroup(n); err != nil {
					return nil, err
				}
				i++
				continue
			}
			if err := addGroup(int(c - '0')); err != nil {
				return nil, err
			}
		default:
			if e, ok := map[byte]string{'a': "\a", 'b': "\b", 'f': "\f", 'n': "\n", 'r': "\r", 't': "\t", 'v': "\v", '\\': "\\"}[c]; ok {
				lit.WriteString(e)
			} else if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' {
				return nil, fmt.Errorf(`re: bad escape \%c in the replacement %s`, c, jinja.Repr(t))
			} else {
				lit.WriteByte('\\')
				lit.WriteByte(c)
			}
		}
	}
	flush()
	return parts, nil
}

// nullable reports whether the Go expression can match an empty string.
func nullable(expr string) bool {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return true
	}
	return nullableRe(re.Simplify())
}

func nullableRe(r *syntax.Regexp) bool {
	switch r.Op {
	case syntax.OpEmptyMatch, syntax.OpBeginLine, syntax.OpEndLine, syntax.OpBeginText, syntax.OpEndText,
		syntax.OpWordBoundary, syntax.OpNoWordBoundary, syntax.OpStar, syntax.OpQuest:
		return true
	case syntax.OpRepeat:
		return r.Min == 0 || nullableRe(r.Sub[0])
	case syntax.OpPlus, syntax.OpCapture:
		return nullableRe(r.Sub[0])
	case syntax.OpConcat:
		for _, s := range r.Sub {
			if !nullableRe(s) {
				return false
			}
		}
		return true
	case syntax.OpAlternate:
		for _, s := range r.Sub {
			if nullableRe(s) {
				return true
			}
		}
	}
	return false
}
