package template

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Python's re flags (re.I, re.M, ...), with Python's values.
const (
	reI = 2   // IGNORECASE
	reL = 4   // LOCALE (bytes patterns only; an error here)
	reM = 8   // MULTILINE
	reS = 16  // DOTALL
	reU = 32  // UNICODE (the default for str patterns)
	reX = 64  // VERBOSE
	reA = 256 // ASCII
)

// dollarMark stands for a $ outside MULTILINE in a translated pattern: a
// raw NUL never reaches the output (it is written \x00).
const dollarMark = "\x00$"

// pyPatternInfo is what translating a Python pattern found.
type pyPatternInfo struct {
	expr       string // Go syntax, with dollarMark for Python's non-MULTILINE $
	groups     int
	names      map[string]int
	wordBounds bool // uses \b or \B in Unicode mode (RE2's are ASCII)
	flags      int  // the flags argument and the global inline flags
}

// Python's \d, \s and \w on str patterns are Unicode's: decimal digits
// (str.isdecimal), str.isspace's characters, and str.isalnum's plus _.
const (
	pyDigits = `\p{Nd}`
	pySpaces = `\t-\r\x1c-\x20\x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}`
	pyWord   = `\p{L}\p{N}_`
)

// reUnsupported is the end of the errors for Python regex syntax that
// Go's RE2 engine cannot run.
const reUnsupported = "kiln's regular expressions run on Go's RE2 engine, which has no lookaround, backreferences or atomic groups; rewrite the pattern without it (for example, match more and use a group)"

// translatePyRe translates a Python re pattern into Go's regexp syntax:
// Python's escapes (\Z, \uXXXX, octal), Unicode \d \s \w (unless
// re.ASCII), {,n}, (?#...) comments, re.VERBOSE, inline and scoped
// flags. What RE2 cannot do (lookaround, backreferences, atomic groups,
// conditionals) is an error saying so, never a different match.
func translatePyRe(p string, flags int) (*pyPatternInfo, error) {
	if flags&reL != 0 {
		return nil, fmt.Errorf("re.LOCALE is only for bytes patterns; Python refuses it with a str pattern")
	}
	info := &pyPatternInfo{names: map[string]int{}, flags: flags}
	type frame struct{ m, x bool }
	cur := frame{m: flags&reM != 0, x: flags&reX != 0}
	ascii := flags&reA != 0
	var stack []frame
	var b strings.Builder
	if flags&reI != 0 {
		b.WriteString("(?i)")
	}
	if flags&reS != 0 {
		b.WriteString("(?s)")
	}
	if flags&reM != 0 {
		b.WriteString("(?m)")
	}
	r := []rune(p)
	n := len(r)
	atStart := true // only global flags so far
	for i := 0; i < n; i++ {
		c := r[i]
		wasStart := atStart
		atStart = false
		if cur.x {
			if c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v' {
				atStart = wasStart
				continue
			}
			if c == '#' {
				for i < n && r[i] != '\n' {
					i++
				}
				atStart = wasStart
				continue
			}
		}
		switch c {
		case '\\':
			if i+1 >= n {
				return nil, fmt.Errorf("bad escape (end of pattern)")
			}
			i++
			s, err := pyEscape(r, &i, ascii, false)
			if err != nil {
				return nil, err
			}
			if s == `\b` || s == `\B` {
				info.wordBounds = info.wordBounds || !ascii
			}
			b.WriteString(s)
		case '[':
			s, err := pyClass(r, &i, ascii)
			if err != nil {
				return nil, err
			}
			b.WriteString(s)
		case '(':
			if i+1 < n && r[i+1] == '?' {
				rest := string(r[i+2:])
				switch {
				case strings.HasPrefix(rest, "P<"):
					end := strings.IndexByte(rest, '>')
					if end < 0 {
						return nil, fmt.Errorf("missing >, unterminated name")
					}
					name := rest[2:end]
					info.groups++
					info.names[name] = info.groups
					b.WriteString("(?P<" + name + ">")
					i += 2 + utf8.RuneCountInString(rest[:end+1]) - 1
					stack = append(stack, cur)
					continue
				case strings.HasPrefix(rest, "P="):
					return nil, fmt.Errorf("the backreference (?P=...) is not supported: %s", reUnsupported)
				case strings.HasPrefix(rest, "="), strings.HasPrefix(rest, "!"):
					return nil, fmt.Errorf("the lookahead (?%c...) is not supported: %s", rest[0], reUnsupported)
				case strings.HasPrefix(rest, "<=") || strings.HasPrefix(rest, "<!"):
					return nil, fmt.Errorf("the lookbehind (?%s...) is not supported: %s", rest[:2], reUnsupported)
				case strings.HasPrefix(rest, ">"):
					return nil, fmt.Errorf("the atomic group (?>...) is not supported: %s", reUnsupported)
				case strings.HasPrefix(rest, "("):
					return nil, fmt.Errorf("the conditional group (?(...)...) is not supported: %s", reUnsupported)
				case strings.HasPrefix(rest, "#"):
					j := i + 2
					for j < n && r[j] != ')' {
						j++
					}
					if j >= n {
						return nil, fmt.Errorf("missing ), unterminated comment")
					}
					i = j
					atStart = wasStart
					continue
				case strings.HasPrefix(rest, ":"):
					b.WriteString("(?:")
					i += 2
					stack = append(stack, cur)
					continue
				}
				// Flags: (?aiLmsux) global, (?imsx-imsx:...) scoped.
				j := i + 2
				on, off, neg := "", "", false
				for j < n && strings.ContainsRune("aiLmsux-", r[j]) {
					if r[j] == '-' {
						neg = true
					} else if neg {
						off += string(r[j])
					} else {
						on += string(r[j])
					}
					j++
				}
				if j >= n || (r[j] != ')' && r[j] != ':') {
					return nil, fmt.Errorf("unknown extension ?%s at position %d", string(r[i+2:min(i+3, n)]), i+1)
				}
				if strings.Contains(on+off, "L") {
					return nil, fmt.Errorf("the flag L (LOCALE) is only for bytes patterns")
				}
				goOn, goOff := keep(on, "ims"), keep(off, "ims")
				if r[j] == ')' {
					if !wasStart {
						return nil, fmt.Errorf("global flags not at the start of the expression at position %d", i)
					}
					if neg {
						return nil, fmt.Errorf("missing :, global flags cannot be turned off")
					}
					if strings.Contains(on, "m") {
						cur.m = true
						info.flags |= reM
					}
					if strings.Contains(on, "x") {
						cur.x = true
						info.flags |= reX
					}
					if strings.Contains(on, "a") {
						ascii = true
						info.flags |= reA
					}
					if strings.Contains(on, "i") {
						info.flags |= reI
					}
					if strings.Contains(on, "s") {
						info.flags |= reS
					}
					if goOn != "" {
						b.WriteString("(?" + goOn + ")")
					}
					i = j
					atStart = true
					continue
				}
				stack = append(stack, cur)
				if strings.Contains(on, "m") {
					cur.m = true
				}
				if strings.Contains(off, "m") {
					cur.m = false
				}
				if strings.Contains(on, "x") {
					cur.x = true
				}
				if strings.Contains(off, "x") {
					cur.x = false
				}
				g := goOn
				if goOff != "" {
					g += "-" + goOff
				}
				b.WriteString("(?" + g + ":")
				i = j
				continue
			}
			info.groups++
			stack = append(stack, cur)
			b.WriteByte('(')
		case ')':
			if len(stack) == 0 {
				return nil, fmt.Errorf("unbalanced parenthesis at position %d", i)
			}
			cur = stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			b.WriteByte(')')
		case '$':
			if cur.m {
				b.WriteString("(?m:$)")
			} else {
				b.WriteString(dollarMark)
			}
		case '{':
			// Python's {,n} is {0,n}; Go reads it as text.
			j := i + 1
			for j < n && r[j] >= '0' && r[j] <= '9' {
				j++
			}
			if j == i+1 && j < n && r[j] == ',' {
				k := j + 1
				for k < n && r[k] >= '0' && r[k] <= '9' {
					k++
				}
				if k > j+1 && k < n && r[k] == '}' {
					b.WriteString("{0," + string(r[j+1:k]) + "}")
					i = k
					continue
				}
			}
			b.WriteByte('{')
		case 0:
			b.WriteString(`\x00`)
		default:
			b.WriteRune(c)
		}
	}
	if len(stack) > 0 {
		return nil, fmt.Errorf("missing ), unterminated subpattern")
	}
	info.expr = b.String()
	return info, nil
}

// keep returns the letters of s that are in set.
func keep(s, set string) string {
	var b strings.Builder
	for _, c := range s {
		if strings.ContainsRune(set, c) {
			b.WriteRune(c)
		}
	}
	return b.String()
}

// pyEscape translates the escape whose letter is r[*i] (after the
// backslash); inClass inside [...]. It leaves *i on the escape's last rune.
func pyEscape(r []rune, i *int, ascii, inClass bool) (string, error) {
	c := r[*i]
	n := len(r)
	hex := func(width int) (string, error) {
		if *i+width >= n {
			return "", fmt.Errorf(`incomplete escape \%c`, c)
		}
		h := string(r[*i+1 : *i+1+width])
		v, err := strconv.ParseUint(h, 16, 32)
		if err != nil || v > utf8.MaxRune {
			return "", fmt.Errorf(`bad escape \%c%s`, c, h)
		}
		*i += width
		return fmt.Sprintf(`\x{%x}`, v), nil
	}
	switch {
	case c >= '0' && c <= '9':
		// Octal \0, \0oo, \ooo; else a backreference (an octal in [...]).
		j := *i
		for j < n && j < *i+3 && r[j] >= '0' && r[j] <= '7' {
			j++
		}
		if c == '0' || j-*i == 3 || inClass {
			if j == *i {
				return "", fmt.Errorf(`bad escape \%c`, c)
			}
			v, _ := strconv.ParseUint(string(r[*i:j]), 8, 32)
			if v > 0o377 {
				return "", fmt.Errorf(`octal escape value \%s outside of range 0-0o377`, string(r[*i:j]))
			}
			*i = j - 1
			return fmt.Sprintf(`\x{%x}`, v), nil
		}
		return "", fmt.Errorf(`the backreference \%c is not supported: %s`, c, reUnsupported)
	case c == 'x':
		return hex(2)
	case c == 'u':
		return hex(4)
	case c == 'U':
		return hex(8)
	case c == 'd' || c == 's' || c == 'w':
		if ascii {
			if c == 's' && inClass {
				return `\t-\r `, nil
			}
			if c == 's' {
				return `[\t-\r ]`, nil
			}
			return `\` + string(c), nil
		}
		set := map[rune]string{'d': pyDigits, 's': pySpaces, 'w': pyWord}[c]
		if inClass {
			return set, nil
		}
		return "[" + set + "]", nil
	case c == 'D' || c == 'S' || c == 'W':
		lower := c + ('a' - 'A')
		if ascii {
			if c == 'S' && !inClass {
				return `[^\t-\r ]`, nil
			}
			if c != 'S' {
				return `\` + string(c), nil
			}
		}
		if inClass {
			return "", fmt.Errorf(`\%c inside [...] is not supported yet; write a negated class [^...] with \%c instead`, c, lower)
		}
		set := map[rune]string{'D': pyDigits, 'S': pySpaces, 'W': pyWord}[c]
		return "[^" + set + "]", nil
	case c == 'b':
		if inClass {
			return `\x08`, nil
		}
		return `\b`, nil
	case c == 'B' && !inClass:
		return `\B`, nil
	case c == 'A' && !inClass:
		return `\A`, nil
	case c == 'Z' && !inClass:
		return `\z`, nil
	case c == 'a' || c == 'f' || c == 'n' || c == 'r' || c == 't' || c == 'v':
		return `\` + string(c), nil
	case c == 'N':
		return "", fmt.Errorf(`\N{...} named characters are not supported yet; write the character or \uXXXX`)
	case c < utf8.RuneSelf && (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'):
		return "", fmt.Errorf(`bad escape \%c`, c)
	case c < utf8.RuneSelf:
		return `\` + string(c), nil
	}
	return string(c), nil
}

// pyClass translates the character class starting at r[*i] ('[') and
// leaves *i on its closing ']'.
func pyClass(r []rune, i *int, ascii bool) (string, error) {
	n := len(r)
	var b strings.Builder
	b.WriteByte('[')
	j := *i + 1
	if j < n && r[j] == '^' {
		b.WriteByte('^')
		j++
	}
	first := true
	for ; j < n; j++ {
		c := r[j]
		switch {
		case c == ']' && !first:
			b.WriteByte(']')
			*i = j
			return b.String(), nil
		case c == ']':
			b.WriteString(`\]`)
		case c == '\\':
			if j+1 >= n {
				return "", fmt.Errorf("unterminated character set")
			}
			j++
			s, err := pyEscape(r, &j, ascii, true)
			if err != nil {
				return "", err
			}
			b.WriteString(s)
		case c == '[':
			b.WriteString(`\[`)
		case c == 0:
			b.WriteString(`\x00`)
		default:
			b.WriteRune(c)
		}
		first = false
	}
	return "", fmt.Errorf("unterminated character set at position %d", *i)
}
