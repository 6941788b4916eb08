package template

import (
	"math/rand/v2"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

// The regular expressions scanCall replaced: the test's oracle.
var (
	oracleCall = regexp.MustCompile(`^\{\{\s*(ref|source|var|config)\s*\(((?:\s*(?:[A-Za-z_][A-Za-z0-9_]*\s*=\s*)?(?:'[^'\\]*'|"[^"\\]*"|-?[0-9]+|True|False|true|false)\s*,?)*)\)\s*\}\}$`)
	oracleArg  = regexp.MustCompile(`\s*(?:([A-Za-z_][A-Za-z0-9_]*)\s*=\s*)?('[^'\\]*'|"[^"\\]*"|-?[0-9]+|True|False|true|false)\s*,?`)
)

func oracleScan(block string) (string, []fastArg, bool) {
	m := oracleCall.FindStringSubmatchIndex(block)
	if m == nil {
		return "", nil, false
	}
	var args []fastArg
	list := block[m[4]:m[5]]
	for _, a := range oracleArg.FindAllStringSubmatchIndex(list, -1) {
		// The offsets in the block of the name (the literal's without
		// one) and of the literal.
		arg := fastArg{lit: list[a[4]:a[5]], key: m[4] + a[4], val: m[4] + a[4]}
		if a[2] >= 0 {
			arg.name, arg.key = list[a[2]:a[3]], m[4]+a[2]
		}
		args = append(args, arg)
	}
	return block[m[2]:m[3]], args, true
}

// TestScanCallAsRegexp holds scanCall to the regular expressions it
// replaced, on hand-picked blocks and on random ones built from the
// grammar's pieces (and pieces just outside it).
func TestScanCallAsRegexp(t *testing.T) {
	blocks := []string{
		"{{ ref('a') }}", "{{ref('a')}}", "{{ ref ( 'a' ) }}", "{{ ref('a', ) }}", "{{ ref( ) }}", "{{ ref() }}",
		"{{ ref('a' 'b') }}", "{{ ref('a''b') }}", "{{ ref('a',) }}", "{{ source('s', 't') }}",
		"{{ config(materialized='table', enabled=true) }}", "{{ config(x = 1, y=-2,z='q') }}",
		"{{ var('x', True) }}", "{{ var('x', Truex) }}", "{{ var('x', Truefalse) }}", "{{ var(Truex=1) }}",
		"{{ var(True = 'a') }}", "{{ var(True = foo) }}", "{{ var(x=) }}", "{{ var('a\\'b') }}",
		`{{ var("a'b") }}`, `{{ var("a\"b") }}`, "{{ var(12x) }}", "{{ var(1true) }}", "{{ var(-) }}",
		"{{ var(--1) }}", "{{ var(-12) }}", "{{ refx('a') }}", "{{ re('a') }}", "{{ ref('a') }} }}",
		"{{ ref('a')\n}}", "{{\tref(\f'a'\r)\n}}", "{{ ref('a')\v}}", "{ ref('a') }}", "{{ ref('a') }",
		"{{ ref('a') }}x", "{{ ref('a' , 'b' ,) }}", "{{ config() }}", "{{ ref('\n') }}", "{{ ref(\"\") }}",
		"{{ ref('a', version=2) }}", "{{ ref('a', v=2, 'b') }}", "{{ ref(_x=1) }}", "{{ ref(9a=1) }}",
	}
	pieces := []string{
		"{{", "}}", " ", "  ", "\t", "\n", "\v", "ref", "source", "var", "config", "refs", "(", ")", ",", "=",
		"'a'", "'it''s'", `"b"`, "'", `"`, `\`, "'x\\y'", "12", "-3", "-", "0", "True", "False", "true", "false",
		"Truex", "name", "_k", "k9", "9k", "x", "}", "{",
	}
	r := rand.New(rand.NewPCG(17, 2))
	for range 200000 {
		var b strings.Builder
		b.WriteString("{{")
		if r.IntN(4) > 0 {
			b.WriteString(" ")
		}
		b.WriteString([]string{"ref", "source", "var", "config", "ref", "x"}[r.IntN(6)])
		if r.IntN(3) == 0 {
			b.WriteString(" ")
		}
		b.WriteString("(")
		for range r.IntN(6) {
			b.WriteString(pieces[r.IntN(len(pieces))])
		}
		if r.IntN(8) > 0 {
			b.WriteString(")")
		}
		if r.IntN(2) == 0 {
			b.WriteString(" ")
		}
		b.WriteString("}}")
		blocks = append(blocks, b.String())
	}
	matched := 0
	for _, block := range blocks {
		fn, args, ok := scanCall(block)
		wfn, wargs, wok := oracleScan(block)
		if ok != wok || fn != wfn || !reflect.DeepEqual(args, wargs) {
			t.Fatalf("scanCall(%q) = %q %v %v; the regular expressions give %q %v %v", block, fn, args, ok, wfn, wargs, wok)
		}
		if ok {
			matched++
		}
	}
	t.Logf("%d of %d blocks are calls", matched, len(blocks))
	if matched < 1000 {
		t.Errorf("only %d of %d blocks are calls: the test compares little", matched, len(blocks))
	}
}
