package jinja

import (
	"fmt"
	"math"
	"math/big"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// builtinFilters are Jinja2's builtin filters (their 3.1 behaviour), and
// dbt's as_text, as_bool, as_native and as_number, which are the identity
// when rendering text.
var builtinFilters = map[string]Filter{}

func init() {
	f := builtinFilters
	f["abs"] = filterAbs
	f["attr"] = func(c *Call, v any) (any, error) {
		a, err := c.bind("attr", "name")
		if err != nil {
			return nil, err
		}
		name, err := needStr("attr", a[0])
		if err != nil {
			return nil, err
		}
		if x, ok := attribute(v, name); ok {
			return x, nil
		}
		return missingAttr(v, name), nil
	}
	f["batch"] = filterBatch
	f["capitalize"] = func(c *Call, v any) (any, error) { return capitalize(str(v)), nil }
	f["center"] = func(c *Call, v any) (any, error) {
		a, err := c.bind("center", "width?")
		if err != nil {
			return nil, err
		}
		w, _ := toInt(or(a[0], 80))
		return pad(str(v), w, " ", "center"), nil
	}
	f["default"] = filterDefault
	f["d"] = filterDefault
	f["dictsort"] = filterDictsort
	f["escape"] = func(c *Call, v any) (any, error) { return htmlEscape(str(v)), nil }
	f["e"] = f["escape"]
	f["forceescape"] = f["escape"]
	f["filesizeformat"] = filterFilesize
	f["first"] = func(c *Call, v any) (any, error) {
		items, err := iterate(v)
		if err != nil {
			return nil, err
		}
		if len(items) == 0 {
			return Undefined{Name: "the sequence has no first item: it is empty", attr: true}, nil
		}
		return items[0], nil
	}
	f["last"] = func(c *Call, v any) (any, error) {
		items, err := iterate(v)
		if err != nil {
			return nil, err
		}
		if len(items) == 0 {
			return Undefined{Name: "the sequence has no last item: it is empty", attr: true}, nil
		}
		return items[len(items)-1], nil
	}
	f["float"] = filterFloat
	f["format"] = func(c *Call, v any) (any, error) {
		if len(c.Args) > 0 && len(c.Kwargs) > 0 {
			return nil, errf("format() takes positional or keyword arguments, not both")
		}
		if len(c.Kwargs) > 0 {
			d := NewDict()
			for _, kv := range c.Kwargs {
				_ = d.Set(kv.Key, kv.Value)
			}
			return percentFormat(str(v), d)
		}
		return percentFormat(str(v), Tuple(c.Args))
	}
	f["groupby"] = filterGroupby
	f["indent"] = filterIndent
	f["int"] = filterInt
	f["items"] = func(c *Call, v any) (any, error) {
		switch d := v.(type) {
		case *Dict:
			m, _ := dictMethod(d, "items")
			return m.(Func)(c)
		case Undefined:
			return &List{}, nil
		}
		return nil, errf("items needs a dict, not %s", aType(v))
	}
	f["join"] = filterJoin
	f["length"] = func(c *Call, v any) (any, error) { return length(v) }
	f["count"] = f["length"]
	f["list"] = func(c *Call, v any) (any, error) {
		items, err := iterate(v)
		if err != nil {
			return nil, err
		}
		return &List{Items: items}, nil
	}
	f["lower"] = func(c *Call, v any) (any, error) { return strings.ToLower(str(v)), nil }
	f["upper"] = func(c *Call, v any) (any, error) { return strings.ToUpper(str(v)), nil }
	f["map"] = filterMap
	f["max"] = func(c *Call, v any) (any, error) { return minMax(c, v, "max") }
	f["min"] = func(c *Call, v any) (any, error) { return minMax(c, v, "min") }
	f["pprint"] = func(c *Call, v any) (any, error) { return repr(v), nil }
	f["reject"] = func(c *Call, v any) (any, error) { return selectReject(c, v, false, false) }
	f["rejectattr"] = func(c *Call, v any) (any, error) { return selectReject(c, v, false, true) }
	f["select"] = func(c *Call, v any) (any, error) { return selectReject(c, v, true, false) }
	f["selectattr"] = func(c *Call, v any) (any, error) { return selectReject(c, v, true, true) }
	f["replace"] = func(c *Call, v any) (any, error) {
		a, err := c.bind("replace", "old", "new", "count?")
		if err != nil {
			return nil, err
		}
		n, _ := toInt(or(a[2], -1))
		if a[2] == nil {
			n = -1
		}
		return strings.Replace(str(v), str(a[0]), str(a[1]), n), nil
	}
	f["reverse"] = func(c *Call, v any) (any, error) {
		if s, ok := v.(string); ok {
			r := []rune(s)
			for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
				r[i], r[j] = r[j], r[i]
			}
			return string(r), nil
		}
		items, err := iterate(v)
		if err != nil {
			return nil, err
		}
		out := make([]any, len(items))
		for i, it := range items {
			out[len(items)-1-i] = it
		}
		return &List{Items: out}, nil
	}
	f["round"] = filterRound
	f["safe"] = func(c *Call, v any) (any, error) { return str(v), nil }
	f["slice"] = filterSlice
	f["sort"] = filterSort
	f["string"] = func(c *Call, v any) (any, error) { return str(v), nil }
	f["striptags"] = func(c *Call, v any) (any, error) {
		s := tagRE.ReplaceAllString(commentRE.ReplaceAllString(str(v), ""), "")
		return strings.Join(strings.Fields(htmlUnescape(s)), " "), nil
	}
	f["sum"] = filterSum
	f["title"] = func(c *Call, v any) (any, error) { return jinjaTitle(str(v)), nil }
	f["tojson"] = filterTojson
	f["trim"] = func(c *Call, v any) (any, error) {
		a, err := c.bind("trim", "chars?")
		if err != nil {
			return nil, err
		}
		return pyStrip(str(v), "strip", a[0])
	}
	f["truncate"] = filterTruncate
	f["unique"] = filterUnique
	f["urlencode"] = filterUrlencode
	f["wordcount"] = func(c *Call, v any) (any, error) { return len(wordRE.FindAllString(str(v), -1)), nil }
	f["wordwrap"] = filterWordwrap
	f["xmlattr"] = filterXmlattr
	for _, name := range []string{"as_text", "as_bool", "as_native", "as_number"} {
		f[name] = func(c *Call, v any) (any, error) { return v, nil }
	}
}

var (
	tagRE     = regexp.MustCompile(`(?s)<[^>]*>`)
	commentRE = regexp.MustCompile(`(?s)<!--.*?-->`)
	wordRE    = regexp.MustCompile(`\w+`)
	titleRE   = regexp.MustCompile(`([-\s({\[<]+)`)
)

func filterAbs(c *Call, v any) (any, error) {
	switch x := v.(type) {
	case int:
		if x == math.MinInt64 {
			return new(big.Int).Neg(big.NewInt(int64(x))), nil
		}
		return abs(x), nil
	case *big.Int:
		return new(big.Int).Abs(x), nil
	case Decimal:
		return Decimal{Unscaled: new(big.Int).Abs(x.rescale(x.Scale)), Scale: x.Scale}, nil
	case float64:
		return math.Abs(x), nil
	case bool:
		n, _ := toInt(x)
		return n, nil
	}
	return nil, errf("bad operand type for abs(): %s", typeName(v))
}

func filterDefault(c *Call, v any) (any, error) {
	a, err := c.bind("default", "default_value?", "boolean?")
	if err != nil {
		return nil, err
	}
	_, undef := v.(Undefined)
	if undef || Truth(or(a[1], false)) && !Truth(v) {
		return or(a[0], ""), nil
	}
	return v, nil
}

func htmlEscape(s string) string {
	if !strings.ContainsAny(s, `&<>"'`) {
		return s
	}
	r := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#34;", "'", "&#39;")
	return r.Replace(s)
}

func htmlUnescape(s string) string {
	r := strings.NewReplacer("&lt;", "<", "&gt;", ">", "&#34;", `"`, "&quot;", `"`, "&#39;", "'", "&amp;", "&")
	return r.Replace(s)
}

func filterFilesize(c *Call, v any) (any, error) {
	a, err := c.bind("filesizeformat", "binary?")
	if err != nil {
		return nil, err
	}
	bytes, ok := toFloat(v)
	if !ok {
		if s, isStr := v.(string); isStr {
			bytes, err = strconv.ParseFloat(s, 64)
			if err != nil {
				return nil, err
			}
		}
	}
	binary := Truth(or(a[0], false))
	base := 1000.0
	prefixes := []string{"kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"}
	if binary {
		base = 1024
		prefixes = []string{"KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"}
	}
	if bytes == 1 {
		return "1 Byte", nil
	}
	if bytes < base {
		return fmt.Sprintf("%d Bytes", int(bytes)), nil
	}
	unit := base
	for i, p := range prefixes {
		unit = math.Pow(base, float64(i+2))
		if bytes < unit || i == len(prefixes)-1 {
			return fmt.Sprintf("%.1f %s", base*bytes/unit, p), nil
		}
	}
	return "", nil
}

func filterFloat(c *Call, v any) (any, error) {
	a, err := c.bind("float", "default?")
	if err != nil {
		return nil, err
	}
	def := or(a[0], 0.0)
	switch x := v.(type) {
	case float64:
		return x, nil
	case int:
		return float64(x), nil
	case *big.Int:
		return bigFloat(x), nil
	case Decimal:
		return x.float(), nil
	case bool:
		f, _ := toFloat(x)
		return f, nil
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(strings.ReplaceAll(x, "_", "")), 64)
		if err != nil {
			return def, nil
		}
		return f, nil
	}
	return def, nil
}

func filterInt(c *Call, v any) (any, error) {
	a, err := c.bind("int", "default?", "base?")
	if err != nil {
		return nil, err
	}
	def := or(a[0], 0)
	base, _ := toInt(or(a[1], 10))
	switch x := v.(type) {
	case int, *big.Int:
		return x, nil
	case Decimal:
		r := x.rat()
		return normInt(new(big.Int).Quo(r.Num(), r.Denom())), nil
	case bool:
		n, _ := toInt(x)
		return n, nil
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return def, nil
		}
		if math.Abs(x) >= 1<<63 {
			b, _ := big.NewFloat(math.Trunc(x)).Int(nil)
			return normInt(b), nil
		}
		return int(x), nil
	case string:
		s := strings.TrimSpace(strings.ReplaceAll(x, "_", ""))
		if base != 10 {
			l := strings.ToLower(s)
			for _, p := range []string{"0x", "0o", "0b"} {
				l = strings.TrimPrefix(l, p)
			}
			s = l
		}
		if n, err := strconv.ParseInt(s, base, 64); err == nil {
			return int(n), nil
		}
		if b, ok := new(big.Int).SetString(s, base); ok {
			return normInt(b), nil
		}
		if f, err := strconv.ParseFloat(s, 64); err == nil && !math.IsNaN(f) && !math.IsInf(f, 0) {
			return int(f), nil
		}
	}
	return def, nil
}

func filterIndent(c *Call, v any) (any, error) {
	a, err := c.bind("indent", "width?", "first?", "blank?")
	if err != nil {
		return nil, err
	}
	ind := strings.Repeat(" ", 4)
	switch w := or(a[0], 4).(type) {
	case string:
		ind = w
	default:
		n, ok := toInt(w)
		if !ok {
			return nil, errf("indent() needs a width or a string")
		}
		ind = strings.Repeat(" ", max(n, 0))
	}
	// Jinja2 appends a newline before splitting, so that a trailing
	// newline is kept; lines holding anything are indented.
	lines := strings.Split(str(v)+"\n", "\n")
	lines = lines[:len(lines)-1]
	var rv string
	if Truth(or(a[2], false)) {
		rv = strings.Join(lines, "\n"+ind)
	} else {
		for i := 1; i < len(lines); i++ {
			if lines[i] != "" {
				lines[i] = ind + lines[i]
			}
		}
		rv = strings.Join(lines, "\n")
	}
	if Truth(or(a[1], false)) {
		rv = ind + rv
	}
	return rv, nil
}

func filterJoin(c *Call, v any) (any, error) {
	a, err := c.bind("join", "d?", "attribute?")
	if err != nil {
		return nil, err
	}
	items, err := iterate(v)
	if err != nil {
		return nil, err
	}
	if a[1] != absent && a[1] != nil {
		get := attrGetter(a[1], nil)
		for i, it := range items {
			if items[i], err = get(it); err != nil {
				return nil, err
			}
		}
	}
	parts := make([]string, len(items))
	for i, it := range items {
		parts[i] = str(it)
	}
	return strings.Join(parts, str(or(a[0], ""))), nil
}

func filterRound(c *Call, v any) (any, error) {
	a, err := c.bind("round", "precision?", "method?")
	if err != nil {
		return nil, err
	}
	prec, isInt := toInt(or(a[0], 0))
	if !isInt {
		return nil, errf("round: precision must be an integer, not %s", aType(a[0]))
	}
	method := or(a[1], "common")
	if method != "common" && method != "ceil" && method != "floor" {
		return nil, errf("method must be common, ceil or floor")
	}
	if method == "common" {
		// Jinja2's do_round is Python's round(value, precision): an int
		// stays an int (rounded half to even when precision < 0), a
		// Decimal a Decimal, a float a float.
		switch x := v.(type) {
		case int, bool, *big.Int:
			b, _ := toBig(x)
			if prec >= 0 {
				return normInt(b), nil
			}
			q := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(-prec)), nil)
			return normInt(new(big.Int).Mul(RoundHalfEven(new(big.Rat).SetFrac(b, q)), q)), nil
		case Decimal:
			if prec < 0 {
				return nil, errf("round of a Decimal to a negative precision is not supported yet")
			}
			r := x.rat()
			p := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(prec)), nil)
			return Decimal{Unscaled: RoundHalfEven(r.Mul(r, new(big.Rat).SetInt(p))), Scale: prec}, nil
		}
	}
	f, ok := toFloat(v)
	if !ok {
		return nil, errf("round needs a number, not %s", aType(v))
	}
	switch method {
	case "common":
		if math.IsInf(f, 0) || math.IsNaN(f) || f == 0 {
			return f, nil
		}
		if prec < 0 {
			// The exact binary value rounded half to even to a multiple
			// of 10^-prec, as Python's.
			r := new(big.Rat).SetFloat64(f)
			q := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(-prec)), nil)
			n := new(big.Int).Mul(RoundHalfEven(r.Quo(r, new(big.Rat).SetInt(q))), q)
			out, _ := new(big.Rat).SetInt(n).Float64()
			return math.Copysign(out, f), nil
		}
		// Python's round(): the exact binary value rounded to prec
		// decimals, ties to even (round(2.5) is 2.0, round(2.675, 2) is
		// 2.67), which strconv's correctly rounded formatting gives.
		r, _ := strconv.ParseFloat(strconv.FormatFloat(f, 'f', prec, 64), 64)
		return r, nil
	}
	// ceil and floor: math.ceil(value * 10**precision) / 10**precision,
	// a float.
	p := math.Pow(10, float64(prec))
	if method == "ceil" {
		return math.Ceil(f*p) / p, nil
	}
	return math.Floor(f*p) / p, nil
}

// RoundHalfEven rounds r to an integer, ties to even (Python's round()
// of a number exactly between two integers, and Decimal's
// ROUND_HALF_EVEN).
func RoundHalfEven(r *big.Rat) *big.Int {
	num, den := r.Num(), r.Denom()
	q, m := new(big.Int).DivMod(num, den, new(big.Int)) // floor, 0 <= m < den
	twice := new(big.Int).Lsh(m, 1)
	switch twice.Cmp(den) {
	case 1:
		q.Add(q, big.NewInt(1))
	case 0:
		if q.Bit(0) == 1 {
			q.Add(q, big.NewInt(1))
		}
	}
	return q
}

func jinjaTitle(s string) string {
	parts := titleRE.Split(s, -1)
	seps := titleRE.FindAllString(s, -1)
	var b strings.Builder
	for i, p := range parts {
		if p != "" {
			r, n := utf8.DecodeRuneInString(p)
			b.WriteRune(unicode.ToUpper(r))
			b.WriteString(strings.ToLower(p[n:]))
		}
		if i < len(seps) {
			b.WriteString(seps[i])
		}
	}
	return b.String()
}

func filterTruncate(c *Call, v any) (any, error) {
	a, err := c.bind("truncate", "length?", "killwords?", "end?", "leeway?")
	if err != nil {
		return nil, err
	}
	n, _ := toInt(or(a[0], 255))
	end := str(or(a[2], "..."))
	leeway, _ := toInt(or(a[3], 5))
	if a[3] == nil {
		leeway = 5
	}
	s := str(v)
	r := []rune(s)
	if n < utf8.RuneCountInString(end) {
		return nil, errf("expected length >= %d, got %d", utf8.RuneCountInString(end), n)
	}
	if len(r) <= n+leeway {
		return s, nil
	}
	cut := string(r[:n-utf8.RuneCountInString(end)])
	if Truth(or(a[1], false)) {
		return cut + end, nil
	}
	if i := strings.LastIndexByte(cut, ' '); i >= 0 {
		cut = cut[:i]
	}
	return cut + end, nil
}

func filterUrlencode(c *Call, v any) (any, error) {
	quote := func(s string) string {
		return strings.ReplaceAll(url.PathEscape(s), "+", "%2B")
	}
	switch x := v.(type) {
	case string:
		return quote(x), nil
	case *Dict:
		var parts []string
		for i, k := range x.keys {
			parts = append(parts, url.QueryEscape(str(k))+"="+url.QueryEscape(str(x.vals[i])))
		}
		return strings.Join(parts, "&"), nil
	}
	return quote(str(v)), nil
}

func filterWordwrap(c *Call, v any) (any, error) {
	a, err := c.bind("wordwrap", "width?", "break_long_words?", "wrapstring?", "break_on_hyphens?")
	if err != nil {
		return nil, err
	}
	width, _ := toInt(or(a[0], 79))
	wrap := str(or(a[2], "\n"))
	var paras []string
	for _, para := range strings.Split(str(v), "\n") {
		var lines []string
		line := ""
		for _, w := range strings.Fields(para) {
			switch {
			case line == "":
				line = w
			case utf8.RuneCountInString(line)+1+utf8.RuneCountInString(w) <= width:
				line += " " + w
			default:
				lines = append(lines, line)
				line = w
			}
		}
		if line != "" {
			lines = append(lines, line)
		}
		paras = append(paras, strings.Join(lines, wrap))
	}
	return strings.Join(paras, wrap), nil
}

func filterXmlattr(c *Call, v any) (any, error) {
	d, ok := v.(*Dict)
	if !ok {
		return nil, errf("xmlattr needs a dict")
	}
	var parts []string
	for i, k := range d.keys {
		val := d.vals[i]
		if val == nil {
			continue
		}
		if _, undef := val.(Undefined); undef {
			continue
		}
		parts = append(parts, fmt.Sprintf(`%s="%s"`, htmlEscape(str(k)), htmlEscape(str(val))))
	}
	s := strings.Join(parts, " ")
	if s != "" && Truth(or(first(c.Args), true)) {
		s = " " + s
	}
	return s, nil
}

func first(args []any) any {
	if len(args) == 0 {
		return absent
	}
	return args[0]
}
