package template

import (
	"fmt"
	"regexp"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/kiln-build/kiln/compiler/jinja"
)

// reModule is Python's re (modules.re), on Go's RE2 engine: Python's
// pattern syntax (translatePyRe), its iteration over matches (empty
// matches as Python 3.7+ finds them), its replacement templates (\1,
// \g<name>, escapes; $ is literal), count, maxsplit and flags. What RE2
// cannot run is an error naming it.
type reModule struct{}

var reFlags = map[string]int{
	"I": reI, "IGNORECASE": reI, "L": reL, "LOCALE": reL, "M": reM, "MULTILINE": reM,
	"S": reS, "DOTALL": reS, "U": reU, "UNICODE": reU, "X": reX, "VERBOSE": reX, "A": reA, "ASCII": reA,
	"NOFLAG": 0,
}

// reFuncParams are the parameters of re's functions after the pattern.
var reFuncParams = map[string][]string{
	"search": {"string", "flags"}, "match": {"string", "flags"}, "fullmatch": {"string", "flags"},
	"findall": {"string", "flags"}, "finditer": {"string", "flags"},
	"sub": {"repl", "string", "count", "flags"}, "subn": {"repl", "string", "count", "flags"},
	"split": {"string", "maxsplit", "flags"},
}

// reFlag is one of re's flags (re.I): it prints as Python's RegexFlag
// (re.IGNORECASE) and adds to others and to ints as an int.
type reFlag int

var reFlagNames = map[int]string{reI: "IGNORECASE", reL: "LOCALE", reM: "MULTILINE", reS: "DOTALL", reU: "UNICODE", reX: "VERBOSE", reA: "ASCII"}

func (f reFlag) String() string { return "re." + reFlagNames[int(f)] }

// PyType is "RegexFlag".
func (reFlag) PyType() string { return "RegexFlag" }

// BinOpJinja implements jinja.Operand: + and - with flags and ints.
func (f reFlag) BinOpJinja(op string, other any, right bool) (any, bool, error) {
	var o int
	switch x := other.(type) {
	case reFlag:
		o = int(x)
	case int:
		o = x
	default:
		return nil, false, nil
	}
	l, r := int(f), o
	if right {
		l, r = o, int(f)
	}
	switch op {
	case "+":
		return l + r, true, nil
	case "-":
		return l - r, true, nil
	}
	return nil, false, nil
}

func (reModule) Attr(name string) (any, bool) {
	if v, ok := reFlags[name]; ok {
		if v == 0 {
			return 0, true
		}
		return reFlag(v), true
	}
	switch name {
	case "escape":
		return jinja.Func(func(c *jinja.Call) (any, error) {
			a, err := bindArgs(c, "re.escape", "pattern")
			if err != nil {
				return nil, err
			}
			return pyEscapeText(jinja.Str(a[0])), nil
		}), true
	case "compile":
		return jinja.Func(func(c *jinja.Call) (any, error) {
			a, err := bindArgs(c, "re.compile", "pattern", "flags?")
			if err != nil {
				return nil, err
			}
			return compilePy(a[0], a[1])
		}), true
	}
	params, ok := reFuncParams[name]
	if !ok {
		return nil, false
	}
	return jinja.Func(func(c *jinja.Call) (any, error) {
		names := []string{"pattern"}
		for _, p := range params {
			if p != "string" && p != "repl" {
				p += "?"
			}
			names = append(names, p)
		}
		a, err := bindArgs(c, "re."+name, names...)
		if err != nil {
			return nil, err
		}
		p, err := compilePy(a[0], a[len(a)-1])
		if err != nil {
			return nil, err
		}
		return p.call(c, name, a[1:len(a)-1])
	}), true
}

// bindArgs binds a call's arguments to names (a trailing ? marks an
// optional one, nil when not given), as Python binds them: an unknown
// keyword, a missing or repeated argument, or too many are errors.
func bindArgs(c *jinja.Call, fn string, names ...string) ([]any, error) {
	out := make([]any, len(names))
	set := make([]bool, len(names))
	if len(c.Args) > len(names) {
		return nil, fmt.Errorf("%s() takes at most %d arguments (%d given)", fn, len(names), len(c.Args))
	}
	for i, v := range c.Args {
		out[i], set[i] = v, true
	}
	for _, kv := range c.Kwargs {
		found := false
		for i, n := range names {
			if strings.TrimSuffix(n, "?") == kv.Key {
				if set[i] {
					return nil, fmt.Errorf("%s() got multiple values for argument '%s'", fn, kv.Key)
				}
				out[i], set[i], found = kv.Value, true, true
			}
		}
		if !found {
			return nil, fmt.Errorf("%s() got an unexpected keyword argument '%s'", fn, kv.Key)
		}
	}
	for i, n := range names {
		if !set[i] && !strings.HasSuffix(n, "?") {
			return nil, fmt.Errorf("%s() missing required argument '%s'", fn, n)
		}
	}
	return out, nil
}

// pyEscapeText is Python 3.7+'s re.escape: a backslash before each of
// ()[]{}?*+-|^$\.&~# and whitespace.
func pyEscapeText(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune("()[]{}?*+-|^$\\.&~# \t\n\r\v\f", r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// compilePy compiles a pattern (a str, or a Pattern as it is) with flags.
func compilePy(pat, flagsArg any) (*pyPattern, error) {
	flags := 0
	if flagsArg != nil {
		f, ok := flagsArg.(int)
		if rf, isFlag := flagsArg.(reFlag); isFlag {
			f, ok = int(rf), true
		}
		if !ok {
			return nil, fmt.Errorf("flags must be re flags such as modules.re.IGNORECASE, not %s", jinja.AType(flagsArg))
		}
		flags = f
	}
	if p, ok := pat.(*pyPattern); ok {
		if flags != 0 {
			return nil, fmt.Errorf("cannot process flags argument with a compiled pattern")
		}
		return p, nil
	}
	src, ok := pat.(string)
	if !ok {
		return nil, fmt.Errorf("first argument must be string or compiled pattern, not %s", jinja.TypeName(pat))
	}
	info, err := translatePyRe(src, flags)
	if err != nil {
		return nil, fmt.Errorf("re: pattern %s: %v", quoteRe(src), err)
	}
	p := &pyPattern{src: src, info: info}
	build := func(dollar string) (*regexp.Regexp, error) {
		re, err := regexp.Compile(strings.ReplaceAll(info.expr, dollarMark, dollar))
		if err != nil {
			return nil, fmt.Errorf("re: pattern %s: %v", quoteRe(src), strings.TrimPrefix(err.Error(), "error parsing regexp: "))
		}
		return re, nil
	}
	if p.end, err = build(`(?-m:$)`); err != nil {
		return nil, err
	}
	if strings.Contains(info.expr, dollarMark) {
		p.dollar = true
		if p.nl, err = build(`(?m:$)`); err != nil {
			return nil, err
		}
	}
	return p, nil
}

func quoteRe(s string) string { return jinja.Repr(s) }

// pyPattern is a compiled Python pattern (re.compile's Pattern). end is
// its Go form with Python's non-MULTILINE $ as the end of the text; nl
// (when the pattern has such a $) matches it before a final newline too.
type pyPattern struct {
	src     string
	info    *pyPatternInfo
	end, nl *regexp.Regexp
	dollar  bool
}

// forText returns the Go form that finds Python's matches in s, and the
// Go forms derived from it: anchored at the start and at both ends, and
// preceded by one character (a search from inside s, with its context).
func (p *pyPattern) forText(s string) (*regexp.Regexp, error) {
	if p.info.wordBounds && !isASCII(s) {
		return nil, fmt.Errorf(`re: pattern %s: \b and \B on a text that is not ASCII are not supported yet (Go's RE2 counts only ASCII letters and digits as word characters, Python all letters); pass re.ASCII if that is what you mean`, quoteRe(p.src))
	}
	if !p.dollar || !strings.HasSuffix(s, "\n") {
		return p.end, nil
	}
	if strings.Count(s, "\n") == 1 {
		return p.nl, nil
	}
	return nil, fmt.Errorf(`re: pattern %s: $ on a text of several lines that ends with a newline is not supported yet (Python's $ matches before that last newline, Go's RE2 cannot say so); use \Z for the very end, or re.MULTILINE`, quoteRe(p.src))
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// derivedCache holds the derived expressions compiled so far (Go's
// Regexp is safe for concurrent use): a macro calling re in a loop
// compiles each once.
var derivedCache sync.Map

// derived compiles re's expression wrapped as prefix(...)suffix.
func derived(re *regexp.Regexp, prefix, suffix string) *regexp.Regexp {
	expr := prefix + "(?:" + re.String() + ")" + suffix
	if v, ok := derivedCache.Load(expr); ok {
		return v.(*regexp.Regexp)
	}
	d := regexp.MustCompile(expr)
	derivedCache.Store(expr, d)
	return d
}

func (p *pyPattern) String() string {
	if p.info.flags&^reU == 0 {
		return "re.compile(" + quoteRe(p.src) + ")"
	}
	var names []string
	for _, f := range []struct {
		bit  int
		name string
	}{{reI, "IGNORECASE"}, {reM, "MULTILINE"}, {reS, "DOTALL"}, {reX, "VERBOSE"}, {reA, "ASCII"}} {
		if p.info.flags&f.bit != 0 {
			names = append(names, "re."+f.name)
		}
	}
	return "re.compile(" + quoteRe(p.src) + ", " + strings.Join(names, "|") + ")"
}

// PyType is "Pattern", re.compile's.
func (*pyPattern) PyType() string { return "Pattern" }

func (p *pyPattern) Attr(name string) (any, bool) {
	switch name {
	case "pattern":
		return p.src, true
	case "flags":
		f := p.info.flags
		if f&reA == 0 {
			f |= reU
		}
		return f, true
	case "groups":
		return p.info.groups, true
	case "groupindex":
		d := jinja.NewDict()
		for k, v := range p.info.names {
			_ = d.Set(k, v)
		}
		return d, true
	}
	params, ok := reFuncParams[name]
	if !ok {
		return nil, false
	}
	return jinja.Func(func(c *jinja.Call) (any, error) {
		names := append([]string{}, params[:len(params)-1]...)
		for i, n := range names {
			if n == "count" || n == "maxsplit" {
				names[i] += "?"
			}
		}
		if name != "sub" && name != "subn" && name != "split" {
			names = append(names, "pos?", "endpos?")
		}
		a, err := bindArgs(c, "Pattern."+name, names...)
		if err != nil {
			return nil, err
		}
		if len(a) == 3 && (a[1] != nil || a[2] != nil) {
			return nil, fmt.Errorf("Pattern.%s(): pos and endpos are not supported yet; slice the string instead", name)
		}
		if len(a) == 3 {
			a = a[:1]
		}
		return p.call(c, name, a)
	}), true
}

// call runs function name with its arguments after the pattern and
// before flags: (string), (repl, string, count) or (string, maxsplit).
func (p *pyPattern) call(c *jinja.Call, name string, a []any) (any, error) {
	strArg := func(v any, what string) (string, error) {
		s, ok := v.(string)
		if !ok {
			return "", fmt.Errorf("re.%s(): expected string or bytes-like object for %s, got %s", name, what, jinja.AType(v))
		}
		return s, nil
	}
	intArg := func(v any, what string) (int, error) {
		if v == nil {
			return 0, nil
		}
		n, ok := v.(int)
		if !ok {
			return 0, fmt.Errorf("re.%s(): %s must be an integer, not %s", name, what, jinja.AType(v))
		}
		return n, nil
	}
	switch name {
	case "sub", "subn":
		s, err := strArg(a[1], "the string")
		if err != nil {
			return nil, err
		}
		count, err := intArg(a[2], "count")
		if err != nil {
			return nil, err
		}
		out, n, err := p.sub(c, a[0], s, count)
		if err != nil {
			return nil, err
		}
		if name == "subn" {
			return jinja.Tuple{out, n}, nil
		}
		return out, nil
	case "split":
		s, err := strArg(a[0], "the string")
		if err != nil {
			return nil, err
		}
		maxsplit, err := intArg(a[1], "maxsplit")
		if err != nil {
			return nil, err
		}
		return p.split(s, maxsplit)
	}
	s, err := strArg(a[0], "the string")
	if err != nil {
		return nil, err
	}
	re, err := p.forText(s)
	if err != nil {
		return nil, err
	}
	switch name {
	case "search", "match", "fullmatch":
		switch name {
		case "match":
			re = derived(re, `\A`, "")
		case "fullmatch":
			re = derived(re, `\A`, `\z`)
		}
		loc := re.FindStringSubmatchIndex(s)
		if loc == nil {
			return nil, nil
		}
		return &reMatchObj{p: p, s: s, loc: loc}, nil
	}
	locs, err := p.all(re, s, -1)
	if err != nil {
		return nil, err
	}
	out := jinja.NewList()
	for _, loc := range locs {
		m := &reMatchObj{p: p, s: s, loc: loc}
		switch {
		case name == "finditer":
			out.Items = append(out.Items, m)
		case p.info.groups == 0:
			out.Items = append(out.Items, m.group(0))
		case p.info.groups == 1:
			out.Items = append(out.Items, orEmpty(m.group(1)))
		default:
			t := make(jinja.Tuple, p.info.groups)
			for i := range t {
				t[i] = orEmpty(m.group(i + 1))
			}
			out.Items = append(out.Items, t)
		}
	}
	return out, nil
}

func orEmpty(v any) any {
	if v == nil {
		return ""
	}
	return v
}

// all returns the matches Python finds in s, at most limit (all when
// negative), as Go submatch indexes. A pattern that cannot match the
// empty string finds what Go's FindAll finds; one that can is searched
// as Python 3.7+ does: after an empty match, the next match may not be
// empty at the same place, and an empty match may follow a non-empty one.
func (p *pyPattern) all(re *regexp.Regexp, s string, limit int) ([][]int, error) {
	if !canMatchEmpty(re) {
		return re.FindAllStringSubmatchIndex(s, limit), nil
	}
	inside := derived(re, `(?s:.)`, "") // a search from inside s, one character of context before
	var out [][]int
	pos, mustAdvance := 0, false
	for pos <= len(s) && (limit < 0 || len(out) < limit) {
		loc := searchFrom(re, inside, s, pos)
		if loc == nil {
			break
		}
		if mustAdvance && loc[0] == pos && loc[1] == pos {
			// Python would look for a non-empty match at pos first.
			longAt0 := longest(derived(re, `\A`, ""))      // a match at the start
			longAt := longest(derived(re, `\A(?s:.)`, "")) // a match right after the character before
			if l := searchFrom(longAt0, longAt, s, pos); l != nil && l[0] == pos && l[1] > pos {
				return nil, fmt.Errorf("re: pattern %s prefers an empty match where a longer one is possible (an empty alternative first, or a lazy *? or ??) in a repeated search; this is not supported yet: write the pattern so it cannot match the empty string", quoteRe(p.src))
			}
			if pos == len(s) {
				break
			}
			_, w := utf8.DecodeRuneInString(s[pos:])
			loc = searchFrom(re, inside, s, pos+w)
			if loc == nil {
				break
			}
		}
		out = append(out, loc)
		mustAdvance = loc[0] == loc[1]
		pos = loc[1]
	}
	return out, nil
}

// longest returns a copy of re that prefers the longest match.
func longest(re *regexp.Regexp) *regexp.Regexp {
	l := regexp.MustCompile(re.String())
	l.Longest()
	return l
}

// searchFrom returns the first match of re in s at or after pos, with the
// character before pos as its context (inside is re after one character).
func searchFrom(re, inside *regexp.Regexp, s string, pos int) []int {
	if pos == 0 {
		return re.FindStringSubmatchIndex(s)
	}
	_, w := utf8.DecodeLastRuneInString(s[:pos])
	base := pos - w
	loc := inside.FindStringSubmatchIndex(s[base:])
	if loc == nil {
		return nil
	}
	_, w0 := utf8.DecodeRuneInString(s[base+loc[0]:])
	loc[0] += w0
	for i := range loc {
		if loc[i] >= 0 {
			loc[i] += base
		}
	}
	return loc
}

// canMatchEmpty reports whether re can match an empty string somewhere.
func canMatchEmpty(re *regexp.Regexp) bool {
	return nullable(re.String())
}

// sub is re.sub/subn: repl a Python template or a callable given the
// match; count 0 replaces every match, a negative count none.
func (p *pyPattern) sub(c *jinja.Call, repl any, s string, count int) (string, int, error) {
	var tmpl []replPart
	fn := repl
	if rs, ok := repl.(string); ok {
		t, err := parseReplTemplate(rs, p)
		if err != nil {
			return "", 0, err
		}
		tmpl, fn = t, nil
	}
	if count < 0 {
		return s, 0, nil
	}
	limit := -1
	if count > 0 {
		limit = count
	}
	re, err := p.forText(s)
	if err != nil {
		return "", 0, err
	}
	locs, err := p.all(re, s, limit)
	if err != nil {
		return "", 0, err
	}
	var b strings.Builder
	last := 0
	for _, loc := range locs {
		b.WriteString(s[last:loc[0]])
		m := &reMatchObj{p: p, s: s, loc: loc}
		if fn != nil {
			v, err := c.CallValue(fn, []any{m}, nil)
			if err != nil {
				return "", 0, err
			}
			b.WriteString(jinja.Str(v))
		} else {
			for _, part := range tmpl {
				if part.group < 0 {
					b.WriteString(part.text)
				} else if g := m.group(part.group); g != nil {
					b.WriteString(g.(string))
				}
			}
		}
		last = loc[1]
	}
	b.WriteString(s[last:])
	return b.String(), len(locs), nil
}

// split is re.split: the pieces between matches, with the groups of each
// match between them (None for a group that did not take part);
// maxsplit 0 splits at every match, a negative one nowhere.
func (p *pyPattern) split(s string, maxsplit int) (any, error) {
	out := jinja.NewList()
	if maxsplit < 0 {
		out.Items = append(out.Items, s)
		return out, nil
	}
	limit := -1
	if maxsplit > 0 {
		limit = maxsplit
	}
	re, err := p.forText(s)
	if err != nil {
		return nil, err
	}
	locs, err := p.all(re, s, limit)
	if err != nil {
		return nil, err
	}
	last := 0
	for _, loc := range locs {
		out.Items = append(out.Items, s[last:loc[0]])
		m := &reMatchObj{p: p, s: s, loc: loc}
		for g := 1; g <= p.info.groups; g++ {
			out.Items = append(out.Items, m.group(g))
		}
		last = loc[1]
	}
	out.Items = append(out.Items, s[last:])
	return out, nil
}
