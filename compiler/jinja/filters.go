package jinja

import (
	"fmt"
	"math"
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
		return abs(x), nil
	case float64:
		return math.Abs(x), nil
	case bool:
		n, _ := toInt(x)
		return n, nil
	}
	return nil, errf("bad operand type for abs(): %s", typeName(v))
}

func filterBatch(c *Call, v any) (any, error) {
	a, err := c.bind("batch", "linecount", "fill_with?")
	if err != nil {
		return nil, err
	}
	n, ok := toInt(a[0])
	if !ok || n <= 0 {
		return nil, errf("batch() needs a positive count")
	}
	items, err := iterate(v)
	if err != nil {
		return nil, err
	}
	var out []any
	for i := 0; i < len(items); i += n {
		row := append([]any(nil), items[i:min(i+n, len(items))]...)
		if len(row) < n && a[1] != absent {
			for len(row) < n {
				row = append(row, a[1])
			}
		}
		out = append(out, &List{Items: row})
	}
	return &List{Items: out}, nil
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

func filterDictsort(c *Call, v any) (any, error) {
	a, err := c.bind("dictsort", "case_sensitive?", "by?", "reverse?")
	if err != nil {
		return nil, err
	}
	d, ok := v.(*Dict)
	if !ok {
		return nil, errf("dictsort needs a dict, not %s", aType(v))
	}
	pos := 0
	switch or(a[1], "key") {
	case "key":
	case "value":
		pos = 1
	default:
		return nil, errf("you can only sort by either \"key\" or \"value\"")
	}
	cs := Truth(or(a[0], false))
	items := make([]any, d.Len())
	for i, k := range d.keys {
		items[i] = Tuple{k, d.vals[i]}
	}
	sorted, err := sortValues(items, Truth(or(a[2], false)), func(x any) (any, error) {
		return foldCase(x.(Tuple)[pos], cs), nil
	})
	if err != nil {
		return nil, err
	}
	return &List{Items: sorted}, nil
}

// foldCase lowercases strings when sorting is not case-sensitive.
func foldCase(v any, caseSensitive bool) any {
	if s, ok := v.(string); ok && !caseSensitive {
		return strings.ToLower(s)
	}
	return v
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
	case int:
		return x, nil
	case bool:
		n, _ := toInt(x)
		return n, nil
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return def, nil
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

// attrGetter returns a function reading an attribute path ("a.b", or an
// integer index) of an item, with a default for undefined results.
func attrGetter(attr any, def any) func(any) (any, error) {
	var parts []any
	switch x := attr.(type) {
	case string:
		for _, p := range strings.Split(x, ".") {
			if n, err := strconv.Atoi(p); err == nil {
				parts = append(parts, n)
			} else {
				parts = append(parts, p)
			}
		}
	default:
		parts = []any{attr}
	}
	return func(it any) (any, error) {
		for _, p := range parts {
			var err error
			if it, err = getitem(it, p); err != nil {
				return nil, err
			}
			if _, undef := it.(Undefined); undef && def != nil {
				return def, nil
			}
		}
		return it, nil
	}
}

func filterMap(c *Call, v any) (any, error) {
	items, err := iterate(v)
	if err != nil {
		return nil, err
	}
	var fn func(any) (any, error)
	if attr, ok := c.Kwarg("attribute"); ok {
		def, _ := c.Kwarg("default")
		fn = attrGetter(attr, def)
	} else {
		if len(c.Args) == 0 {
			return nil, errf("map needs a filter name or attribute=")
		}
		name, err := needStr("map", c.Args[0])
		if err != nil {
			return nil, err
		}
		filter, ok := c.st.env.filters[name]
		if !ok {
			return nil, errf("map: unknown filter %q", name)
		}
		sub := &Call{Pos: c.Pos, Args: c.Args[1:], Kwargs: c.Kwargs, st: c.st, off: c.off}
		fn = func(x any) (any, error) { return filter(sub, x) }
	}
	out := make([]any, len(items))
	for i, it := range items {
		if out[i], err = fn(it); err != nil {
			return nil, err
		}
	}
	return &List{Items: out}, nil
}

func minMax(c *Call, v any, which string) (any, error) {
	a, err := c.bind(which, "case_sensitive?", "attribute?")
	if err != nil {
		return nil, err
	}
	items, err := iterate(v)
	if err != nil {
		return nil, err
	}
	if len(items) == 0 {
		return Undefined{Name: fmt.Sprintf("no %s item: the sequence is empty", which), attr: true}, nil
	}
	cs := Truth(or(a[0], false))
	key := func(x any) (any, error) { return foldCase(x, cs), nil }
	if a[1] != absent && a[1] != nil {
		get := attrGetter(a[1], nil)
		key = func(x any) (any, error) {
			y, err := get(x)
			return foldCase(y, cs), err
		}
	}
	sorted, err := sortValues(items, false, key)
	if err != nil {
		return nil, err
	}
	if which == "min" {
		return sorted[0], nil
	}
	// max returns the first of the largest, as Python's max does.
	best := sorted[len(sorted)-1]
	bk, _ := key(best)
	for _, it := range items {
		k, _ := key(it)
		if equalValues(k, bk) {
			return it, nil
		}
	}
	return best, nil
}

// selectReject implements select, reject, selectattr and rejectattr.
func selectReject(c *Call, v any, keep, byAttr bool) (any, error) {
	items, err := iterate(v)
	if err != nil {
		return nil, err
	}
	args := c.Args
	get := func(x any) (any, error) { return x, nil }
	if byAttr {
		if len(args) == 0 {
			return nil, errf("missing the attribute to test")
		}
		get = attrGetter(args[0], nil)
		args = args[1:]
	}
	test := func(x any) (bool, error) { return Truth(x), nil }
	if len(args) > 0 {
		name, err := needStr("select", args[0])
		if err != nil {
			return nil, err
		}
		t, ok := c.st.env.tests[name]
		if !ok {
			return nil, errf("unknown test %q", name)
		}
		sub := &Call{Pos: c.Pos, Args: args[1:], Kwargs: c.Kwargs, st: c.st, off: c.off}
		test = func(x any) (bool, error) { return t(sub, x) }
	}
	var out []any
	for _, it := range items {
		x, err := get(it)
		if err != nil {
			return nil, err
		}
		ok, err := test(x)
		if err != nil {
			return nil, err
		}
		if ok == keep {
			out = append(out, it)
		}
	}
	return &List{Items: out}, nil
}

func filterRound(c *Call, v any) (any, error) {
	a, err := c.bind("round", "precision?", "method?")
	if err != nil {
		return nil, err
	}
	prec, _ := toInt(or(a[0], 0))
	f, ok := toFloat(v)
	if !ok {
		return nil, errf("round needs a number, not %s", aType(v))
	}
	p := math.Pow(10, float64(prec))
	switch or(a[1], "common") {
	case "common":
		// Python's round(): the exact binary value rounded to prec
		// decimals, ties to even (round(2.5) is 2.0, round(2.675, 2) is
		// 2.67), which strconv's correctly rounded formatting gives.
		if prec < 0 {
			q := math.Pow(10, float64(-prec))
			return math.RoundToEven(f/q) * q, nil
		}
		r, _ := strconv.ParseFloat(strconv.FormatFloat(f, 'f', prec, 64), 64)
		return r, nil
	case "ceil":
		return math.Ceil(f*p) / p, nil
	case "floor":
		return math.Floor(f*p) / p, nil
	}
	return nil, errf("method must be common, ceil or floor")
}

func filterSlice(c *Call, v any) (any, error) {
	a, err := c.bind("slice", "slices", "fill_with?")
	if err != nil {
		return nil, err
	}
	n, ok := toInt(a[0])
	if !ok || n <= 0 {
		return nil, errf("slice() needs a positive number of slices")
	}
	items, err := iterate(v)
	if err != nil {
		return nil, err
	}
	per := len(items) / n
	extra := len(items) % n
	offset := 0
	var out []any
	for i := 0; i < n; i++ {
		start := offset + i*per
		if i < extra {
			offset++
		}
		end := offset + (i+1)*per
		col := append([]any(nil), items[start:end]...)
		if a[1] != absent && i >= extra {
			col = append(col, a[1])
		}
		out = append(out, &List{Items: col})
	}
	return &List{Items: out}, nil
}

func filterSort(c *Call, v any) (any, error) {
	a, err := c.bind("sort", "reverse?", "case_sensitive?", "attribute?")
	if err != nil {
		return nil, err
	}
	items, err := iterate(v)
	if err != nil {
		return nil, err
	}
	cs := Truth(or(a[1], false))
	var get func(any) (any, error)
	if attr, ok := a[2].(string); ok && strings.Contains(attr, ",") {
		// Several attributes, comma-separated: sort by all of them.
		var gets []func(any) (any, error)
		for _, part := range strings.Split(attr, ",") {
			gets = append(gets, attrGetter(strings.TrimSpace(part), nil))
		}
		get = func(x any) (any, error) {
			key := make(Tuple, len(gets))
			for i, g := range gets {
				v, err := g(x)
				if err != nil {
					return nil, err
				}
				key[i] = foldCase(v, cs)
			}
			return key, nil
		}
	} else if a[2] != absent && a[2] != nil {
		get = attrGetter(a[2], nil)
	}
	sorted, err := sortValues(items, Truth(or(a[0], false)), func(x any) (any, error) {
		if get != nil {
			var err error
			if x, err = get(x); err != nil {
				return nil, err
			}
		}
		return foldCase(x, cs), nil
	})
	if err != nil {
		return nil, err
	}
	return &List{Items: sorted}, nil
}

func filterSum(c *Call, v any) (any, error) {
	a, err := c.bind("sum", "attribute?", "start?")
	if err != nil {
		return nil, err
	}
	items, err := iterate(v)
	if err != nil {
		return nil, err
	}
	var total any = or(a[1], 0)
	get := func(x any) (any, error) { return x, nil }
	if a[0] != absent && a[0] != nil {
		get = attrGetter(a[0], nil)
	}
	for _, it := range items {
		x, err := get(it)
		if err != nil {
			return nil, err
		}
		if total, err = binop("+", total, x); err != nil {
			return nil, err
		}
	}
	return total, nil
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

func filterTojson(c *Call, v any) (any, error) {
	a, err := c.bind("tojson", "indent?")
	if err != nil {
		return nil, err
	}
	ind, _ := toInt(or(a[0], 0))
	s, err := toJSON(v, ind)
	if err != nil {
		return nil, err
	}
	r := strings.NewReplacer("<", `\u003c`, ">", `\u003e`, "&", `\u0026`, "'", `\u0027`)
	return r.Replace(s), nil
}

// toJSON dumps v as Python's json.dumps(v, sort_keys=True) does.
func toJSON(v any, indent int) (string, error) {
	var b strings.Builder
	if err := writeJSON(&b, v, indent, 0); err != nil {
		return "", err
	}
	return b.String(), nil
}

func writeJSON(b *strings.Builder, v any, indent, depth int) error {
	nl := func(d int) {
		if indent > 0 {
			b.WriteByte('\n')
			b.WriteString(strings.Repeat(" ", indent*d))
		}
	}
	sep := ", "
	if indent > 0 {
		sep = ","
	}
	seq := func(items []any) error {
		b.WriteByte('[')
		for i, it := range items {
			if i > 0 {
				b.WriteString(sep)
			}
			nl(depth + 1)
			if err := writeJSON(b, it, indent, depth+1); err != nil {
				return err
			}
		}
		if len(items) > 0 {
			nl(depth)
		}
		b.WriteByte(']')
		return nil
	}
	switch x := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		b.WriteString(map[bool]string{true: "true", false: "false"}[x])
	case int:
		b.WriteString(strconv.Itoa(x))
	case float64:
		switch {
		case math.IsNaN(x):
			b.WriteString("NaN")
		case math.IsInf(x, 1):
			b.WriteString("Infinity")
		case math.IsInf(x, -1):
			b.WriteString("-Infinity")
		default:
			b.WriteString(floatRepr(x))
		}
	case string:
		b.WriteString(jsonQuote(x))
	case *List:
		return seq(x.Items)
	case Tuple:
		return seq(x)
	case *Dict:
		keys := make([]string, len(x.keys))
		byKey := map[string]any{}
		for i, k := range x.keys {
			ks, ok := k.(string)
			if !ok {
				switch k.(type) {
				case int, float64, bool, nil:
					var kb strings.Builder
					_ = writeJSON(&kb, k, 0, 0)
					ks = kb.String()
				default:
					return errf("keys must be str, int, float, bool or None, not %s", typeName(k))
				}
			}
			keys[i] = ks
			byKey[ks] = x.vals[i]
		}
		sortStrings(keys)
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteString(sep)
			}
			nl(depth + 1)
			b.WriteString(jsonQuote(k))
			b.WriteString(": ")
			if err := writeJSON(b, byKey[k], indent, depth+1); err != nil {
				return err
			}
		}
		if len(keys) > 0 {
			nl(depth)
		}
		b.WriteByte('}')
	case Undefined:
		return errf("an undefined value is not JSON serializable")
	default:
		return errf("%s is not JSON serializable", aType(v))
	}
	return nil
}

// jsonQuote quotes s as Python's json.dumps does with ensure_ascii.
func jsonQuote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\b':
			b.WriteString(`\b`)
		case r == '\f':
			b.WriteString(`\f`)
		case r < 0x20 || r > 0x7e && r < 0x10000:
			fmt.Fprintf(&b, `\u%04x`, r)
		case r >= 0x10000:
			r1, r2 := utf16Pair(r)
			fmt.Fprintf(&b, `\u%04x\u%04x`, r1, r2)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

func utf16Pair(r rune) (rune, rune) {
	r -= 0x10000
	return 0xd800 + (r>>10)&0x3ff, 0xdc00 + r&0x3ff
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
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

func filterUnique(c *Call, v any) (any, error) {
	a, err := c.bind("unique", "case_sensitive?", "attribute?")
	if err != nil {
		return nil, err
	}
	items, err := iterate(v)
	if err != nil {
		return nil, err
	}
	cs := Truth(or(a[0], false))
	get := func(x any) (any, error) { return x, nil }
	if a[1] != absent && a[1] != nil {
		get = attrGetter(a[1], nil)
	}
	var out, seen []any
	for _, it := range items {
		k, err := get(it)
		if err != nil {
			return nil, err
		}
		k = foldCase(k, cs)
		dup := false
		for _, s := range seen {
			if equalValues(s, k) {
				dup = true
				break
			}
		}
		if !dup {
			seen = append(seen, k)
			out = append(out, it)
		}
	}
	return &List{Items: out}, nil
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

// namedTuple is a tuple whose items also have names, like the results of
// groupby (grouper, list).
type namedTuple struct {
	names []string
	vals  Tuple
}

func (n *namedTuple) Attr(name string) (any, bool) {
	for i, k := range n.names {
		if k == name {
			return n.vals[i], true
		}
	}
	return nil, false
}

func (n *namedTuple) Items() []any   { return n.vals }
func (n *namedTuple) String() string { return repr(n.vals) }

func filterGroupby(c *Call, v any) (any, error) {
	a, err := c.bind("groupby", "attribute", "default?", "case_sensitive?")
	if err != nil {
		return nil, err
	}
	items, err := iterate(v)
	if err != nil {
		return nil, err
	}
	cs := Truth(or(a[2], false))
	var def any
	if a[1] != absent {
		def = a[1]
	}
	get := attrGetter(a[0], def)
	key := func(x any) (any, error) {
		k, err := get(x)
		return foldCase(k, cs), err
	}
	sorted, err := sortValues(items, false, key)
	if err != nil {
		return nil, err
	}
	var out []any
	var cur *namedTuple
	var curKey any
	for _, it := range sorted {
		k, _ := key(it)
		if cur == nil || !equalValues(k, curKey) {
			g, _ := get(it)
			cur = &namedTuple{names: []string{"grouper", "list"}, vals: Tuple{g, &List{}}}
			curKey = k
			out = append(out, cur)
		}
		l := cur.vals[1].(*List)
		l.Items = append(l.Items, it)
	}
	return &List{Items: out}, nil
}
