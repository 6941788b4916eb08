package template

import (
	"fmt"
	"math"
	"math/big"
	"sort"
	"strconv"
	"strings"

	"github.com/kiln-build/kiln/compiler/jinja"
)

// pyDump is PyYAML's yaml.safe_dump(v, sort_keys=sortKeys), as dbt's
// toyaml calls it: block style, indent 2, sequences in a mapping not
// indented, empty collections as {} and [], lines wrapped at 80 columns,
// strings plain unless they would load as another type or hold
// indicators (then 'single quoted'), double quoted with escapes when
// they hold a control or non-ASCII character (allow_unicode is off), a
// lone scalar document ended by "...". v is made of dicts, lists, tuples,
// strings, ints, floats, bools, None, dates and datetimes (as
// SafeRepresenter writes them: isoformat, with a space before the time, a
// plain scalar); anything else (a Relation, a Decimal) is an error
// (PyYAML's RepresenterError).
func pyDump(v any, sortKeys bool) (string, error) {
	e := &pyEmitter{sortKeys: sortKeys, whitespace: true, indention: true}
	switch v.(type) {
	case *jinja.Dict, *jinja.List, jinja.Tuple:
		if err := e.node(v, -1, false); err != nil {
			return "", err
		}
	default:
		s, style, err := pyScalar(v)
		if err != nil {
			return "", err
		}
		e.indent = 2
		e.scalar(s, style, true)
		if style == "" { // an open-ended plain scalar: PyYAML ends the document
			e.lineBreak()
			e.b.WriteString("...")
		}
	}
	e.lineBreak()
	return e.b.String(), nil
}

// pyEmitter writes YAML as PyYAML's Emitter does, with its column,
// whitespace and indention state.
type pyEmitter struct {
	b                     strings.Builder
	sortKeys              bool
	indent, column        int
	whitespace, indention bool
}

func (e *pyEmitter) write(s string) {
	e.b.WriteString(s)
	e.column += len([]rune(s))
}

func (e *pyEmitter) lineBreak() {
	e.b.WriteByte('\n')
	e.whitespace, e.indention = true, true
	e.column = 0
}

func (e *pyEmitter) writeIndent() {
	if !e.indention || e.column > e.indent || e.column == e.indent && !e.whitespace {
		e.lineBreak()
	}
	if e.column < e.indent {
		e.whitespace = true
		e.b.WriteString(strings.Repeat(" ", e.indent-e.column))
		e.column = e.indent
	}
}

func (e *pyEmitter) indicator(s string, needSpace, whitespace, indention bool) {
	if !e.whitespace && needSpace {
		s = " " + s
	}
	e.write(s)
	e.whitespace = whitespace
	e.indention = e.indention && indention
}

// node writes v at block indentation parent (-1 at the top); inMapping
// says v is a mapping's value.
func (e *pyEmitter) node(v any, parent int, inMapping bool) error {
	switch x := v.(type) {
	case *jinja.Dict:
		if x.Len() == 0 {
			e.indicator("{}", true, false, false)
			return nil
		}
		saved := e.indent
		e.indent = parent + 2
		if parent < 0 {
			e.indent = 0
		}
		keys, vals := x.Keys(), x.Values()
		idx := make([]int, len(keys))
		for i := range idx {
			idx[i] = i
		}
		if e.sortKeys {
			var err error
			sort.SliceStable(idx, func(a, b int) bool {
				less, lerr := pyLess(keys[idx[a]], keys[idx[b]])
				if lerr != nil {
					err = lerr
				}
				return less
			})
			if err != nil {
				return &sortError{err}
			}
		}
		for _, i := range idx {
			e.writeIndent()
			k, style, err := pyScalar(keys[i])
			if err != nil {
				return fmt.Errorf("a mapping's key: %v", err)
			}
			if k == "" || len([]rune(k)) >= 128 || strings.ContainsAny(k, "\n\u0085\u2028\u2029") {
				return fmt.Errorf("an empty key, a key of 128 characters or more, or of several lines (PyYAML's '? ' form) is not supported yet")
			}
			e.scalar(k, style, false)
			e.indicator(":", false, false, false)
			if err := e.value(vals[i], e.indent, true); err != nil {
				return err
			}
		}
		e.indent = saved
	case *jinja.List, jinja.Tuple:
		items, _ := sequence(x)
		if len(items) == 0 {
			e.indicator("[]", true, false, false)
			return nil
		}
		saved := e.indent
		switch {
		case parent < 0:
			e.indent = 0
		case inMapping && !e.indention:
			e.indent = parent
		default:
			e.indent = parent + 2
		}
		for _, it := range items {
			e.writeIndent()
			e.indicator("-", true, false, true)
			if err := e.value(it, e.indent, false); err != nil {
				return err
			}
		}
		e.indent = saved
	default:
		return e.value(v, parent, inMapping)
	}
	return nil
}

// value writes v after a mapping's ":" or a sequence's "-", the
// enclosing collection's indentation being parent.
func (e *pyEmitter) value(v any, parent int, inMapping bool) error {
	switch v.(type) {
	case *jinja.Dict, *jinja.List, jinja.Tuple:
		return e.node(v, parent, inMapping)
	}
	s, style, err := pyScalar(v)
	if err != nil {
		return err
	}
	saved := e.indent
	e.indent = parent + 2
	e.scalar(s, style, true)
	e.indent = saved
	return nil
}

// pyScalar returns v's text and its style as PyYAML's representer and
// choose_scalar_style give it in block context: "" plain, "'" single
// quoted, `"` double quoted.
func pyScalar(v any) (string, string, error) {
	switch x := v.(type) {
	case nil, jinja.Undefined:
		return "null", "", nil
	case bool:
		if x {
			return "true", "", nil
		}
		return "false", "", nil
	case int:
		return strconv.Itoa(x), "", nil
	case *big.Int:
		return x.String(), "", nil
	case float64:
		switch {
		case math.IsNaN(x):
			return ".nan", "", nil
		case math.IsInf(x, 1):
			return ".inf", "", nil
		case math.IsInf(x, -1):
			return "-.inf", "", nil
		}
		s := strings.ToLower(jinja.Str(x))
		if !strings.Contains(s, ".") && strings.Contains(s, "e") {
			s = strings.Replace(s, "e", ".0e", 1)
		}
		return s, "", nil
	case string:
		return x, pyStyle(x), nil
	case dateTime:
		// represent_date: isoformat(); represent_datetime:
		// isoformat(' '), which is Python's str() of it.
		return x.String(), "", nil
	}
	return "", "", fmt.Errorf("a %s has no YAML form", jinja.TypeName(v))
}

// pyStyle is PyYAML's choice of style for the string s in block
// context (Emitter.analyze_scalar and choose_scalar_style).
func pyStyle(s string) string {
	if s == "" {
		return "'"
	}
	r := []rune(s)
	var blockInd, lineBreaks, special, leadSpace, leadBreak, trailSpace, trailBreak, breakSpace, spaceBreak bool
	if strings.HasPrefix(s, "---") || strings.HasPrefix(s, "...") {
		blockInd = true
	}
	isWS := func(c rune) bool { return strings.ContainsRune("\x00 \t\r\n\u0085\u2028\u2029", c) }
	isBreak := func(c rune) bool { return strings.ContainsRune("\n\u0085\u2028\u2029", c) }
	preceded, followed := true, len(r) == 1 || isWS(r[1])
	prevSpace, prevBreak := false, false
	for i, c := range r {
		if i == 0 {
			if strings.ContainsRune("#,[]{}&*!|>'\"%@`", c) {
				blockInd = true
			}
			if (c == '?' || c == ':') && followed {
				blockInd = true
			}
			if c == '-' && followed {
				blockInd = true
			}
		} else {
			if c == ':' && followed {
				blockInd = true
			}
			if c == '#' && preceded {
				blockInd = true
			}
		}
		if isBreak(c) {
			lineBreaks = true
		}
		if !(c == '\n' || c >= 0x20 && c <= 0x7e) {
			special = true // a control character, or non-ASCII without allow_unicode
		}
		switch {
		case c == ' ':
			leadSpace = leadSpace || i == 0
			trailSpace = trailSpace || i == len(r)-1
			breakSpace = breakSpace || prevBreak
			prevSpace, prevBreak = true, false
		case isBreak(c):
			leadBreak = leadBreak || i == 0
			trailBreak = trailBreak || i == len(r)-1
			spaceBreak = spaceBreak || prevSpace
			prevSpace, prevBreak = false, true
		default:
			prevSpace, prevBreak = false, false
		}
		preceded = isWS(c)
		followed = i+2 >= len(r) || isWS(r[i+2])
	}
	plain, single := true, true
	if leadSpace || leadBreak || trailSpace || trailBreak || lineBreaks || blockInd {
		plain = false
	}
	if breakSpace {
		plain, single = false, false
	}
	if spaceBreak || special {
		plain, single = false, false
	}
	if plain && pyImplicit(s) == "str" {
		return ""
	}
	if single {
		return "'"
	}
	return `"`
}

// pyLess orders two keys as Python's < does for sort_keys: numbers with
// numbers, strings with strings; other pairs are Python's TypeError.
func pyLess(a, b any) (bool, error) {
	fa, aNum := pyNumber(a)
	fb, bNum := pyNumber(b)
	if aNum && bNum {
		return fa < fb, nil
	}
	sa, aStr := a.(string)
	sb, bStr := b.(string)
	if aStr && bStr {
		return sa < sb, nil
	}
	return false, fmt.Errorf("sort_keys cannot order a %s and a %s", jinja.TypeName(a), jinja.TypeName(b))
}

func pyNumber(v any) (float64, bool) {
	switch x := v.(type) {
	case int:
		return float64(x), true
	case float64:
		return x, true
	case bool:
		if x {
			return 1, true
		}
		return 0, true
	}
	return 0, false
}

// sortError is sort_keys meeting keys Python cannot order: a TypeError,
// which dbt's toyaml does not catch.
type sortError struct{ error }
