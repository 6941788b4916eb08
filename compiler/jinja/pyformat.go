package jinja

import (
	"math"
	"math/big"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Python's two string formatting languages: "%s-%d" % (a, b) (also the
// format filter) and "{}-{:>5}".format(a, b), with the conversions
// templates use (s, r, d, i, f, e, g, x, o, b, c, %).

// spec is a parsed conversion: fill and alignment, sign, alternate form,
// zero padding, width, grouping, precision and type.
type spec struct {
	fill      rune
	align     byte // '<', '>', '^', '=' or 0
	sign      byte // '+', '-', ' ' or 0
	alt, zero bool
	width     int
	group     byte // ',' or '_' or 0
	prec      int  // -1 when absent
	typ       byte
}

// percentFormat is Python's str % args.
func percentFormat(f string, args any) (any, error) {
	var list []any
	var dict *Dict
	switch a := args.(type) {
	case Tuple:
		list = a
	case *Dict:
		dict = a
		list = []any{a}
	default:
		list = []any{a}
	}
	var b strings.Builder
	next := 0
	for i := 0; i < len(f); i++ {
		c := f[i]
		if c != '%' {
			b.WriteByte(c)
			continue
		}
		i++
		if i >= len(f) {
			return nil, errf("incomplete format")
		}
		var v any
		haveV := false
		if f[i] == '(' {
			j := strings.IndexByte(f[i:], ')')
			if j < 0 || dict == nil {
				return nil, errf("format requires a mapping")
			}
			key := f[i+1 : i+j]
			val, ok := dict.Get(key)
			if !ok {
				return nil, errf("format key %q is missing", key)
			}
			v, haveV = val, true
			i += j + 1
		}
		sp := spec{prec: -1, fill: ' '}
		for ; i < len(f) && strings.IndexByte("-+ #0", f[i]) >= 0; i++ {
			switch f[i] {
			case '-':
				sp.align = '<'
			case '+':
				sp.sign = '+'
			case ' ':
				if sp.sign == 0 {
					sp.sign = ' '
				}
			case '#':
				sp.alt = true
			case '0':
				sp.zero = true
			}
		}
		num := func() (int, error) {
			if i < len(f) && f[i] == '*' {
				i++
				if next >= len(list) {
					return 0, errf("not enough arguments for format string")
				}
				n, ok := toInt(list[next])
				next++
				if !ok {
					return 0, errf("* wants int")
				}
				return n, nil
			}
			j := i
			for i < len(f) && isDigit(f[i]) {
				i++
			}
			if j == i {
				return -1, nil
			}
			return strconv.Atoi(f[j:i])
		}
		w, err := num()
		if err != nil {
			return nil, err
		}
		sp.width = max(w, 0)
		if i < len(f) && f[i] == '.' {
			i++
			p, err := num()
			if err != nil {
				return nil, err
			}
			sp.prec = max(p, 0)
		}
		for i < len(f) && strings.IndexByte("hlL", f[i]) >= 0 {
			i++
		}
		if i >= len(f) {
			return nil, errf("incomplete format")
		}
		sp.typ = f[i]
		if sp.typ == '%' {
			b.WriteByte('%')
			continue
		}
		if !haveV {
			if next >= len(list) {
				return nil, errf("not enough arguments for format string")
			}
			v = list[next]
			next++
		}
		if sp.align == '<' {
			sp.zero = false
		} else if sp.zero && strings.IndexByte("diouxXeEfFgG", sp.typ) >= 0 {
			sp.align, sp.fill = '=', '0'
		} else {
			sp.align = '>'
		}
		s, err := formatOne(v, sp, true)
		if err != nil {
			return nil, err
		}
		b.WriteString(s)
	}
	if dict == nil && next < len(list) {
		return nil, errf("not all arguments converted during string formatting")
	}
	return b.String(), nil
}

// pyFormat is Python's str.format(*args, **kwargs).
func pyFormat(f string, args []any, kwargs []KV) (any, error) {
	var b strings.Builder
	auto := 0
	for i := 0; i < len(f); i++ {
		c := f[i]
		switch {
		case c == '{' && i+1 < len(f) && f[i+1] == '{':
			b.WriteByte('{')
			i++
			continue
		case c == '}' && i+1 < len(f) && f[i+1] == '}':
			b.WriteByte('}')
			i++
			continue
		case c == '}':
			return nil, errf("single '}' encountered in format string")
		case c != '{':
			b.WriteByte(c)
			continue
		}
		depth, j := 1, i+1
		for ; j < len(f) && depth > 0; j++ {
			switch f[j] {
			case '{':
				depth++
			case '}':
				depth--
			}
		}
		if depth > 0 {
			return nil, errf("single '{' encountered in format string")
		}
		field := f[i+1 : j-1]
		i = j - 1
		name, conv, fspec := field, "", ""
		if k := strings.IndexByte(name, ':'); k >= 0 {
			name, fspec = name[:k], name[k+1:]
		}
		if k := strings.IndexByte(name, '!'); k >= 0 {
			name, conv = name[:k], name[k+1:]
		}
		if strings.Contains(fspec, "{") {
			nested, err := pyFormat(fspec, args, kwargs)
			if err != nil {
				return nil, err
			}
			fspec = nested.(string)
		}
		v, err := formatField(name, args, kwargs, &auto)
		if err != nil {
			return nil, err
		}
		switch conv {
		case "":
		case "r", "a":
			v = repr(v)
		case "s":
			v = str(v)
		default:
			return nil, errf("unknown conversion specifier %s", conv)
		}
		sp, err := parseSpec(fspec)
		if err != nil {
			return nil, err
		}
		s, err := formatOne(v, sp, false)
		if err != nil {
			return nil, err
		}
		b.WriteString(s)
	}
	return b.String(), nil
}

// formatField resolves a replacement field's name: "", a number or a
// keyword, then .attr and [key] parts.
func formatField(name string, args []any, kwargs []KV, auto *int) (any, error) {
	end := strings.IndexAny(name, ".[")
	head, rest := name, ""
	if end >= 0 {
		head, rest = name[:end], name[end:]
	}
	var v any
	switch {
	case head == "":
		if *auto >= len(args) {
			return nil, errf("replacement index %d out of range for positional args tuple", *auto)
		}
		v = args[*auto]
		*auto++
	case isDigit(head[0]):
		n, err := strconv.Atoi(head)
		if err != nil || n >= len(args) {
			return nil, errf("replacement index %s out of range for positional args tuple", head)
		}
		v = args[n]
	default:
		found := false
		for _, kv := range kwargs {
			if kv.Key == head {
				v, found = kv.Value, true
			}
		}
		if !found {
			return nil, errf("format() has no argument named %q", head)
		}
	}
	for rest != "" {
		if rest[0] == '.' {
			k := strings.IndexAny(rest[1:], ".[")
			attr := rest[1:]
			if k >= 0 {
				attr, rest = rest[1:k+1], rest[k+1:]
			} else {
				rest = ""
			}
			v = getattr(v, attr)
			continue
		}
		k := strings.IndexByte(rest, ']')
		if k < 0 {
			return nil, errf("missing ']' in format string")
		}
		key := rest[1:k]
		rest = rest[k+1:]
		var kv any = key
		if n, err := strconv.Atoi(key); err == nil {
			kv = n
		}
		r, err := getitem(v, kv)
		if err != nil {
			return nil, err
		}
		v = r
	}
	return v, nil
}

// parseSpec parses a str.format format spec.
func parseSpec(s string) (spec, error) {
	sp := spec{prec: -1, fill: ' '}
	if s == "" {
		return sp, nil
	}
	isAlign := func(c byte) bool { return c == '<' || c == '>' || c == '^' || c == '=' }
	if r, n := utf8.DecodeRuneInString(s); n < len(s) && isAlign(s[n]) {
		sp.fill, sp.align = r, s[n]
		s = s[n+1:]
	} else if isAlign(s[0]) {
		sp.align = s[0]
		s = s[1:]
	}
	if s != "" && (s[0] == '+' || s[0] == '-' || s[0] == ' ') {
		sp.sign = s[0]
		s = s[1:]
	}
	if s != "" && s[0] == '#' {
		sp.alt = true
		s = s[1:]
	}
	if s != "" && s[0] == '0' {
		sp.zero = true
		s = s[1:]
	}
	i := 0
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	if i > 0 {
		sp.width, _ = strconv.Atoi(s[:i])
		s = s[i:]
	}
	if s != "" && (s[0] == ',' || s[0] == '_') {
		sp.group = s[0]
		s = s[1:]
	}
	if s != "" && s[0] == '.' {
		i = 1
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		if i == 1 {
			return sp, errf("format specifier missing precision")
		}
		sp.prec, _ = strconv.Atoi(s[1:i])
		s = s[i:]
	}
	if len(s) > 1 {
		return sp, errf("invalid format specifier")
	}
	if s != "" {
		sp.typ = s[0]
	}
	if sp.zero && sp.align == 0 {
		sp.fill, sp.align = '0', '='
	}
	return sp, nil
}

// formatOne formats one value; percent selects %-formatting's rules
// (%s is str(), %r repr()).
func formatOne(v any, sp spec, percent bool) (string, error) {
	typ := sp.typ
	var body, sign string
	numeric := false
	switch typ {
	case 's':
		body = str(v)
		if sp.prec >= 0 && utf8.RuneCountInString(body) > sp.prec {
			body = string([]rune(body)[:sp.prec])
		}
	case 'r', 'a':
		body = repr(v)
	case 'c':
		n, ok := toInt(v)
		if !ok {
			s, isStr := v.(string)
			if !isStr || utf8.RuneCountInString(s) != 1 {
				return "", errf("%%c requires an int or a character")
			}
			body = s
		} else {
			body = string(rune(n))
		}
	case 'd', 'i', 'u', 'x', 'X', 'o', 'b', 'n':
		numeric = true
		if b, isBig := v.(*big.Int); isBig {
			if b.Sign() < 0 {
				sign = "-"
			}
			base := map[byte]int{'x': 16, 'X': 16, 'o': 8, 'b': 2}[typ]
			if base == 0 {
				base = 10
			}
			body = new(big.Int).Abs(b).Text(base)
			if typ == 'X' {
				body = strings.ToUpper(body)
			}
			if base == 10 && sp.group != 0 {
				body = group(body, sp.group)
			}
			break
		}
		n, ok := toInt(v)
		if !ok {
			f, isFloat := v.(float64)
			if !isFloat || !percent {
				return "", errf("format %c needs a number, not %s", typ, aType(v))
			}
			n = int(f)
		}
		if n < 0 {
			sign, n = "-", -n
		}
		base := map[byte]int{'x': 16, 'X': 16, 'o': 8, 'b': 2}[typ]
		if base == 0 {
			base = 10
		}
		body = strconv.FormatInt(int64(n), base)
		if typ == 'X' {
			body = strings.ToUpper(body)
		}
		if sp.alt && base != 10 {
			body = map[int]string{16: "0x", 8: "0o", 2: "0b"}[base] + body
			if typ == 'X' {
				body = "0X" + body[2:]
			}
		}
		if base == 10 && sp.group != 0 {
			body = group(body, sp.group)
		}
		if percent && sp.prec > len(body) {
			body = strings.Repeat("0", sp.prec-len(body)) + body
		}
	case 'f', 'F', 'e', 'E', 'g', 'G', '%':
		numeric = true
		f, ok := toFloat(v)
		if !ok {
			return "", errf("format %c needs a number, not %s", typ, aType(v))
		}
		if f < 0 || f == 0 && math.Signbit(f) {
			sign, f = "-", -f
		}
		prec := sp.prec
		if prec < 0 {
			prec = 6
		}
		switch typ {
		case '%':
			body = strconv.FormatFloat(f*100, 'f', prec, 64) + "%"
		case 'g', 'G':
			if prec == 0 {
				prec = 1
			}
			body = formatG(f, prec, sp.alt)
			if typ == 'G' {
				body = strings.ToUpper(body)
			}
		default:
			body = strconv.FormatFloat(f, typ|0x20, prec, 64)
			if typ == 'F' || typ == 'E' {
				body = strings.ToUpper(body)
			}
		}
		if math.IsInf(f, 0) || math.IsNaN(f) {
			body = map[bool]string{true: "inf", false: "nan"}[math.IsInf(f, 0)]
			if typ < 'a' {
				body = strings.ToUpper(body)
			}
		}
		if sp.group != 0 {
			intPart, frac, _ := strings.Cut(body, ".")
			body = group(intPart, sp.group)
			if frac != "" {
				body += "." + frac
			}
		}
	case 0:
		switch x := v.(type) {
		case int, *big.Int:
			numeric = true
			return formatOne(x, withType(sp, 'd'), percent)
		case bool:
			body = str(v)
		case float64:
			if sp.prec >= 0 {
				return formatOne(x, withType(sp, 'g'), percent)
			}
			numeric = true
			if x < 0 {
				sign, x = "-", -x
			}
			body = floatRepr(x)
		default:
			body = str(v)
			if sp.prec >= 0 && utf8.RuneCountInString(body) > sp.prec {
				body = string([]rune(body)[:sp.prec])
			}
		}
	default:
		return "", errf("unsupported format character %q", typ)
	}
	if numeric && sign == "" {
		switch sp.sign {
		case '+':
			sign = "+"
		case ' ':
			sign = " "
		}
	}
	align := sp.align
	if align == 0 {
		align = '<'
		if numeric {
			align = '>'
		}
	}
	n := utf8.RuneCountInString(sign + body)
	if n >= sp.width {
		return sign + body, nil
	}
	padding := sp.width - n
	fill := string(sp.fill)
	switch align {
	case '<':
		return sign + body + strings.Repeat(fill, padding), nil
	case '>':
		return strings.Repeat(fill, padding) + sign + body, nil
	case '=':
		return sign + strings.Repeat(fill, padding) + body, nil
	}
	left := padding / 2
	return strings.Repeat(fill, left) + sign + body + strings.Repeat(fill, padding-left), nil
}

func withType(sp spec, t byte) spec { sp.typ = t; return sp }

// formatG is Python's "g" presentation with prec significant digits.
func formatG(f float64, prec int, alt bool) string {
	if f == 0 {
		return "0"
	}
	// The exponent after rounding to prec digits decides the notation.
	e := strconv.FormatFloat(f, 'e', prec-1, 64)
	exp, _ := strconv.Atoi(e[strings.IndexByte(e, 'e')+1:])
	if exp < -4 || exp >= prec {
		mant, ex, _ := strings.Cut(e, "e")
		if !alt && strings.Contains(mant, ".") {
			mant = strings.TrimRight(strings.TrimRight(mant, "0"), ".")
		}
		return mant + "e" + ex
	}
	s := strconv.FormatFloat(f, 'f', max(prec-1-exp, 0), 64)
	if !alt && strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

// group inserts a separator every three digits of an integer's digits.
func group(digits string, sep byte) string {
	if len(digits) <= 3 {
		return digits
	}
	var b strings.Builder
	first := len(digits) % 3
	if first > 0 {
		b.WriteString(digits[:first])
	}
	for i := first; i < len(digits); i += 3 {
		if b.Len() > 0 {
			b.WriteByte(sep)
		}
		b.WriteString(digits[i : i+3])
	}
	return b.String()
}
