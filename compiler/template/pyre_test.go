package template

import (
	"strings"
	"testing"
)

// modules.re is Python's re: each expected value is what Python 3.11's re
// gives under Jinja2 3.1.6 (rendered with jinja2.Environment and
// modules={'re': re}): count and maxsplit, Python's replacement syntax
// ($ is literal; \g<name>, \g<1>, \1 and \n are not), empty matches as
// Python 3.7+ iterates them, split with groups, findall with groups,
// Unicode \w and \d, flags, match objects' methods and reprs, and the
// positions in characters.
func TestReModuleAsPython(t *testing.T) {
	e, _ := NewEngine(nil)
	cases := []struct{ src, want string }{
		{`{{ modules.re.sub('a', 'x', 'aaa', 2) }}`, `xxa`},
		// A macro as repl is called with the match, as a Python function.
		{`{% macro up(m) %}{{ m.group(0) | upper }}{% endmacro %}{{ modules.re.sub('[ab]', up, 'abc') }}|{{ modules.re.subn('b', up, 'abcb', 1) }}`, `ABc|('aBcb', 1)`},
		{`{{ modules.re.sub('a', 'x', 'aaa', count=2) }}`, `xxa`},
		{`{{ modules.re.split(',', 'a,b,c', 1) }}`, `['a', 'b,c']`},
		{`{{ modules.re.split(',', 'a,b,c', maxsplit=1) }}`, `['a', 'b,c']`},
		{`{{ modules.re.sub('x', '$price', 'x') }}`, `$price`},
		{`{{ modules.re.sub('a', '$0', 'bab') }}`, `b$0b`},
		{`{{ modules.re.sub('(?P<x>a)', '\\g<x>\\g<x>', 'bab') }}`, `baab`},
		{`{{ modules.re.sub('(a)', '\\g<1>!', 'a') }}`, `a!`},
		{`{{ modules.re.sub('(a)(b)?', '[\\2|\\1]', 'ab a') }}`, `[b|a] [|a]`},
		{`{{ modules.re.sub('a', '\\n\\t|\\&|\\\\', 'a') }}`, `
	|\&|\`},
		{`{{ modules.re.sub('x*', '-', 'abxd') }}`, `-a-b--d-`},
		{`{{ modules.re.split('x*', 'axb') }}`, `['', 'a', '', 'b', '']`},
		{`{{ modules.re.split('(,)|(;)', 'a,b;c') }}`, `['a', ',', None, 'b', None, ';', 'c']`},
		{`{{ modules.re.split('\\s*', 'a b') }}`, `['', 'a', '', 'b', '']`},
		{`{{ modules.re.findall('(a)(b)?', 'ab a') }}`, `[('a', 'b'), ('a', '')]`},
		{`{{ modules.re.findall('a(b)', 'ab ab') }}`, `['b', 'b']`},
		{`{{ modules.re.findall('\\w+', 'héllo wörld 42') }}`, `['héllo', 'wörld', '42']`},
		{`{{ modules.re.findall('\\d', 'a1b٣') }}`, `['1', '٣']`},
		{`{{ modules.re.subn('a', 'b', 'aaa', 2) }}`, `('bba', 2)`},
		{`{{ modules.re.escape('a-b.c d_e%') }}`, `a\-b\.c\ d_e%`},
		{`{% set m = modules.re.search('(?P<k>\\w+)=(?P<v>\\d+)?', 'é: key=') %}{{ m.group(0) }}|{{ m.group('k') }}|{{ m.group(1, 2) }}|{{ m.groups() }}|{{ m.groups('') }}|{{ m.groupdict() }}|{{ m.start() }}|{{ m.end() }}|{{ m.span(1) }}|{{ m[1] }}|{{ m.lastindex }}|{{ m.lastgroup }}`, `key=|key|('key', None)|('key', None)|('key', '')|{'k': 'key', 'v': None}|3|7|(3, 6)|key|1|k`},
		{`{{ modules.re.match('b', 'ab') }}|{{ modules.re.search('b', 'ab') }}|{{ modules.re.fullmatch('a|ab', 'ab') }}`, `None|<re.Match object; span=(1, 2), match='b'>|<re.Match object; span=(0, 2), match='ab'>`},
		{`{{ modules.re.compile('A', modules.re.I).findall('aAa') }}|{{ modules.re.compile('a') }}|{{ modules.re.compile('a', modules.re.I) }}`, `['a', 'A', 'a']|re.compile('a')|re.compile('a', re.IGNORECASE)`},
		{`{{ modules.re.findall('^\\w', 'ab\ncd', modules.re.M) }}|{{ modules.re.findall('^\\w', 'ab\ncd') }}`, `['a', 'c']|['a']`},
		{`{{ modules.re.sub('^', '> ', 'a\nb', flags=modules.re.M) }}`, `> a
> b`},
		{`{{ modules.re.findall('a.b', 'a\nb', flags=modules.re.S) }}|{{ modules.re.findall('a.b', 'a\nb') }}`, `['a\nb']|[]`},
		{`{{ modules.re.findall(' a # comment\n b', 'ab', modules.re.X) }}`, `['ab']`},
		{`{{ modules.re.sub('a$', 'X', 'a\n') }}|{{ modules.re.search('a$', 'ba\n').span() }}|{{ modules.re.sub('a\\Z', 'X', 'a') }}`, `X
|(1, 2)|X`},
		{`{{ modules.re.sub('\\b', '|', 'ab cd') }}`, `|ab| |cd|`},
		{`{{ modules.re.sub('(?i)AB', 'x', 'ab Ab') }}`, `x x`},
		{`{{ modules.re.sub('a{,2}', 'x', 'aaa') }}`, `xxx`},
		{`{{ modules.re.split('', 'abc') }}`, `['', 'a', 'b', 'c', '']`},
		{`{{ modules.re.sub('', '-', 'abc') }}`, `-a-b-c-`},
		{`{{ modules.re.findall('(?#c)a', 'aa') }}`, `['a', 'a']`},
		{`{{ modules.re.sub('[\\s,]+', '_', 'a, b\u000bc') }}`, `a_b_c`},
		{`{{ modules.re.finditer('a', 'aa') | list }}`, `[<re.Match object; span=(0, 1), match='a'>, <re.Match object; span=(1, 2), match='a'>]`},
		{`{{ modules.re.search('(a)|b', 'b').groups() }}|{{ modules.re.search('(a)|b', 'b').lastindex }}`, `(None,)|None`},
		{`{{ modules.re.sub('é', 'e', 'café') }}|{{ modules.re.search('f', 'café').start() }}`, `cafe|2`},
		{`{{ modules.re.split(',', 'a,b', -1) }}|{{ modules.re.split('(x)?,', 'a,b') }}`, `['a,b']|['a', None, 'b']`},
		{`{{ modules.re.compile('(?P<n>a)(b)').groupindex }}|{{ modules.re.compile('(a)(b)').groups }}|{{ modules.re.compile('a').pattern }}`, `{'n': 1}|2|a`},
		{`{{ modules.re.search('(?P<y>\\d{4})-(?P<m>\\d\\d)', 'on 2024-03').expand('\\g<m>/\\g<y>') }}`, `03/2024`},
		{`{{ modules.re.sub('a|', '-', 'bab') }}`, `-b--b-`},
		{`{{ modules.re.sub('\\s+$', '', 'select 1  ') }}`, `select 1`},
		// More of what dbt packages write: identifiers, emails, numbers, verbose
		// patterns, Unicode case folding, flags printed as RegexFlag.
		{"{{ modules.re.findall('{x}', '{x}') }}|{{ modules.re.sub('a{', 'b', 'a{') }}|{{ modules.re.findall('a{1,2}', 'aaa') }}", "['{x}']|b|['aa', 'a']"},
		{"{{ modules.re.findall('[\\\\w.-]+@[\\\\w.-]+', 'x jo.e-s@ex.com y') }}", "['jo.e-s@ex.com']"},
		{"{{ modules.re.findall('\\\\d+(?:\\\\.\\\\d+)?', 'v1.25 and 3') }}", "['1.25', '3']"},
		{"{{ modules.re.sub('\\\\s+', ' ', 'a \\t\\n b') }}|{{ modules.re.split('\\\\W+', 'a, b; c') }}", "a b|['a', 'b', 'c']"},
		{"{{ modules.re.sub('(?x) a  b # c', '-', 'ab a b') }}", "- a b"},
		{"{{ modules.re.findall('(?i)\u00c9T\u00c9', '\u00e9t\u00e9') }}", "['\u00e9t\u00e9']"},
		{"{{ modules.re.sub('[^a-z0-9_]', '_', 'My Col-1') | lower }}", "_y__ol_1"},
		{"{{ modules.re.match('(\\\\w+)\\\\.(\\\\w+)', 'schema.table').groups() }}", "('schema', 'table')"},
		{"{{ modules.re.sub('\\\\$\\\\{(\\\\w+)\\\\}', '<\\\\1>', 'a ${x} b') }}", "a <x> b"},
		{"{{ modules.re.findall('^$', '') }}|{{ modules.re.split('^', 'ab\\ncd', flags=modules.re.M) }}", "['']|['', 'ab\\n', 'cd']"},
		{"{{ modules.re.sub('(?m)$', ';', 'a\\nb') }}", "a;\nb;"},
		{"{{ modules.re.compile('a', modules.re.I + modules.re.M) }}", "re.compile('a', re.IGNORECASE|re.MULTILINE)"},
		{"{{ modules.re.search('x', 'y') is none }}|{{ modules.re.I }}", "True|re.IGNORECASE"},
	}
	for _, c := range cases {
		out, l := e.Render("m.sql", c.src, &Context{})
		if l != nil || out != c.want {
			t.Errorf("%s\n got  %q %v\n want %q", c.src, out, l, c.want)
		}
	}
}

// What Python's re accepts and Go's RE2 engine cannot run, or runs
// differently, is an error at the call's file:line:col naming what is
// not supported, never a different match; what Python refuses, kiln
// refuses too.
func TestReModuleRefusesWhatRE2CannotDo(t *testing.T) {
	e, _ := NewEngine(nil)
	for src, msg := range map[string]string{
		// Python: 'xa' (a lookahead).
		"x\n{{ modules.re.sub('(?=a)', 'x', 'a') }}": "m.sql:2:4: re: pattern '(?=a)': the lookahead (?=...) is not supported: kiln's regular expressions run on Go's RE2 engine",
		// Python: 'x' (a backreference).
		`{{ modules.re.sub('(a)\\1', 'x', 'aa') }}`:         `the backreference \1 is not supported`,
		`{{ modules.re.sub('(?P<q>a)(?P=q)', 'x', 'aa') }}`: `the backreference (?P=...) is not supported`,
		`{{ modules.re.search('(?<!a)b', 'b') }}`:           `the lookbehind (?<!...) is not supported`,
		// Python: ['é'] (\b is Unicode in Python, ASCII in RE2).
		`{{ modules.re.findall('\\bé', 'é') }}`: `\b and \B on a text that is not ASCII are not supported yet`,
		// Python: 'a\nX\n'; RE2 cannot say "before the last newline" with other newlines.
		`{{ modules.re.sub('a$', 'X', 'a\na\n') }}`: `$ on a text of several lines that ends with a newline is not supported yet`,
		// Python: 'xxx' (a*? prefers the empty match, then takes 'a').
		`{{ modules.re.sub('a*?', 'x', 'a') }}`: `prefers an empty match where a longer one is possible`,
		// Python: error: invalid group reference 2 at position 1.
		`{{ modules.re.sub('a', '\\2', 'a') }}`: `invalid group reference 2`,
		// Python: error: bad escape \q at position 0.
		`{{ modules.re.sub('a', '\\q', 'a') }}`: `bad escape \q`,
		// Python: error: unknown group name 'z'.
		`{{ modules.re.sub('(?P<x>a)', '\\g<z>', 'a') }}`: `unknown group name 'z'`,
		// Python: TypeError: sub() got an unexpected keyword argument 'max'.
		`{{ modules.re.sub('a', 'b', 'a', max=1) }}`: `unexpected keyword argument 'max'`,
	} {
		_, l := e.Render("m.sql", src, &Context{})
		if len(l) != 1 || !strings.Contains(l.Error(), msg) {
			t.Errorf("%s: got %v, want an error saying %q", src, l, msg)
		}
	}
}
