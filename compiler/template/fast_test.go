package template

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/kiln-build/kiln/compiler/diag"
)

// recordingCtx answers ref, source, var and config, and records the calls
// with their positions, so two renderings can be compared call by call.
func recordingCtx(log *[]string) *Context {
	return &Context{
		Ref: func(args []string, _ string, pos diag.Pos) (any, error) {
			*log = append(*log, fmt.Sprintf("ref%v@%s", args, pos))
			if args[len(args)-1] == "missing" {
				return nil, fmt.Errorf("unknown model %q in ref()", "missing")
			}
			return Relation{Quoted: `"main"."` + args[len(args)-1] + `"`, OnAccess: func() {}}, nil
		},
		Source: func(s, t string, pos diag.Pos) (any, error) {
			*log = append(*log, fmt.Sprintf("source %s.%s@%s", s, t, pos))
			return Relation{Schema: s, Identifier: t, Quoted: `"` + s + `"."` + t + `"`}, nil
		},
		Var: func(name string, def any, has bool, pos diag.Pos) (any, error) {
			*log = append(*log, fmt.Sprintf("var %s %v@%s", name, def, pos))
			switch name {
			case "n":
				return 3, nil
			case "s":
				return "eu", nil
			}
			if has {
				return def, nil
			}
			return nil, fmt.Errorf("required var %q is not set", name)
		},
		Config: func(kw map[string]any, pos diag.Pos, at map[string]ArgPos) error {
			*log = append(*log, fmt.Sprintf("config %v@%s keys %v", kw, pos, at))
			return nil
		},
	}
}

// Property: on random templates made of the fast path's shapes (and some
// that are not), the fast path renders exactly what the Jinja engine
// renders, calls the context with the same arguments at the same positions
// (the vars first, then ref, source and config in the engine's order), and
// reports the same errors; when it gives up, it has called nothing but var.
func TestFastPathMatchesTheEngine(t *testing.T) {
	pieces := []string{
		"select *\n", "from ", " where x = 1\n", "  ", "'a string' ", "-- comment\n", "\n",
		"{{ ref('orders') }}", "{{ref(\"customers\")}}", "{{ ref('shop', 'orders') }}", "{{ ref('missing') }}",
		"{{ source('raw', 'erp') }}", "{{ var('n') }}", "{{ var('s') }}", "{{ var('absent', 'dflt') }}", "{{ var('absent', 7) }}",
		"{{ var('absent') }}", "{{ config(materialized='table', tags='x') }}", "{{ config(enabled=False) }}",
		"{{ ref('a') | upper }}", "{% if true %}x{% endif %}", "{{ 1 + 2 }}", "{# c #}", "}}",
	}
	e, _ := NewEngine(nil)
	r := rand.New(rand.NewPCG(1, 9))
	fast := 0
	for trial := 0; trial < 2000; trial++ {
		var b strings.Builder
		for k := 0; k < 1+r.IntN(8); k++ {
			b.WriteString(pieces[r.IntN(len(pieces))])
		}
		src := b.String()
		var logFast, logFull []string
		outFast, lFast, ok := e.renderFast("m.sql", src, recordingCtx(&logFast))
		if !ok {
			// The engine renders it all again: ref, source and config,
			// which record dependencies and merge configs, must not have
			// run.
			for _, call := range logFast {
				if !strings.HasPrefix(call, "var ") {
					t.Fatalf("%q: the fast path gave up after calling %s", src, call)
				}
			}
			continue
		}
		fast++
		outFull, lFull := e.renderFull("m.sql", src, recordingCtx(&logFull))
		logFull = varsFirst(logFull) // the fast path reads the vars first
		if outFast != outFull || !reflect.DeepEqual(lFast, lFull) || !reflect.DeepEqual(logFast, logFull) {
			t.Fatalf("%q:\nfast   %q %v %v\nengine %q %v %v", src, outFast, lFast, logFast, outFull, lFull, logFull)
		}
	}
	if fast < 500 {
		t.Fatalf("only %d of 2000 templates took the fast path", fast)
	}
}

// varsFirst returns log with the var calls first, each group in its order.
func varsFirst(log []string) []string {
	var vars, others []string
	for _, call := range log {
		if strings.HasPrefix(call, "var ") {
			vars = append(vars, call)
		} else {
			others = append(others, call)
		}
	}
	return append(vars, others...)
}
