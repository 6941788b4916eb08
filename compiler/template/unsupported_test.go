package template

import (
	"strings"
	"testing"

	"github.com/kiln-build/kiln/compiler/builtin"
)

// builtinSources are kiln's built-in macros, as the compiler installs
// them.
func builtinSources(t *testing.T) []Source {
	t.Helper()
	return []Source{{Path: builtin.TestsPath, Text: builtin.Tests}, {Path: builtin.AnomalyTestsPath, Text: builtin.AnomalyTests},
		{Path: builtin.DBTPath, Text: builtin.DBT}, {Path: builtin.GlobalPath, Text: builtin.Global},
		{Path: builtin.NamingPath, Text: builtin.Naming + builtin.NamingDBT}}
}

// A call of a dbt built-in kiln lacks says so, by name, as dbt.name and
// as adapter.name (not "define it in a macro file"); a project's macro
// of that name is used; an unknown name keeps the macro hint.
func TestUnsupportedDBTBuiltin(t *testing.T) {
	e, _ := NewEngine([]Source{{Path: "macros/m.sql", Text: "{% macro get_quoted_csv(cols) %}mine{% endmacro %}"}})
	ctx, _ := ctxWith(nil)
	cases := map[string]string{
		"{{ get_intervals_between('a', 'b', 'day') }}":     "`get_intervals_between` is a dbt built-in that kiln does not support yet",
		"{{ dbt.get_intervals_between('a', 'b', 'day') }}": "`dbt.get_intervals_between` is a dbt built-in that kiln does not support yet",
		"{{ adapter.get_missing_columns(this, this) }}":    "`adapter.get_missing_columns` is a dbt built-in that kiln does not support yet",
		"{{ invocation_args_dict.which }}":                 "`invocation_args_dict` is a dbt built-in that kiln does not support yet",
		"{{ my_own_thing() }}":                             "define it in a macro file under the macro paths",
	}
	for src, want := range cases {
		_, l := e.Render("models/m.sql", src, ctx)
		if len(l) != 1 || !strings.Contains(l[0].Error()+" "+l[0].Hint, want) {
			t.Errorf("%s: got %v, want %q", src, l, want)
		}
	}
	if out, l := e.Render("models/m.sql", "{{ get_quoted_csv(['a']) }}", ctx); l != nil || out != "mine" {
		t.Errorf("the project's macro: %q %v", out, l)
	}
}

// The names said to be missing are missing: none is a macro of kiln's
// built-ins or a name of its context.
func TestUnsupportedNamesAreMissing(t *testing.T) {
	e, _ := NewEngine(builtinSources(t))
	ctx, _ := ctxWith(nil)
	g := &globals{e: e, c: ctx}
	for name := range dbtMissing {
		if _, ok := g.Lookup(name, ""); ok {
			t.Errorf("%s is defined", name)
		}
	}
	a := &adapterObj{e: e, c: ctx}
	for name := range adapterMissing {
		if _, ok := a.Attr(name); ok {
			t.Errorf("adapter.%s is defined", name)
		}
	}
}
