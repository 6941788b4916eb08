package template

import (
	"strings"
	"testing"
	"time"

	"github.com/kiln-build/kiln/compiler/diag"
)

// TestMessagesNamePythonTypes: the errors about a value name its type as
// dbt's Python does (date, datetime, str, int, float, bool, list, dict,
// NoneType, set, Relation, Pattern), never a Go type's name.
func TestMessagesNamePythonTypes(t *testing.T) {
	e, _ := NewEngine(nil)
	day := time.Date(2020, 1, 5, 0, 0, 0, 0, time.UTC)
	vars := map[string]any{
		"d":  YAMLTime(day, true, false),
		"dt": YAMLTime(day.Add(90*time.Minute), false, false),
		"s":  "x", "n": 3, "f": 1.5, "b": true, "none": nil,
	}
	ctx := &Context{Var: func(name string, def any, has bool, pos diag.Pos) (any, error) { return vars[name], nil }}
	for src, want := range map[string]string{
		`{{ var('d') + 1 }}`:                                        "unsupported operand types for +: a date and an int",
		`{{ var('dt') - 1.5 }}`:                                     "unsupported operand types for -: a datetime and a float",
		`{{ var('s') - var('b') }}`:                                 "unsupported operand types for -: a str and a bool",
		`{{ var('none') + [1] }}`:                                   "unsupported operand types for +: None and a list",
		`{{ {} - set([1]) }}`:                                       "unsupported operand types for -: a dict and a set",
		`{{ var('d').nosuch.x }}`:                                   `the date has no attribute "nosuch"`,
		`{{ var('d').__class__.__name__ }}`:                         `access to attribute "__class__" of a date is unsafe: dbt's Jinja is sandboxed`,
		`{{ var('n').__class__.__name__ }}`:                         `access to attribute "__class__" of an int is unsafe`,
		`{{ modules.re.compile('a') + 1 }}`:                         "unsupported operand types for +: a Pattern and an int",
		`{{ api.Relation.create(schema='s', identifier='t') + 1 }}`: "unsupported operand types for +: a Relation and an int",
		`{{ modules.datetime.datetime.now() | abs }}`:               "bad operand type for abs(): datetime",
		`{{ var('d') | sql_literal }}`:                              "sql_literal writes a string, a number, a boolean or none, not a date",
	} {
		_, l := e.Render("m.sql", src, ctx)
		if len(l) != 1 || !strings.Contains(l[0].Msg, want) {
			t.Errorf("%s: got %v, want an error saying %q", src, l, want)
			continue
		}
		for _, goName := range []string{"dateTime", "pySet", "pattern", "template.", "jinja."} {
			if strings.Contains(l[0].Msg, goName) {
				t.Errorf("%s: %q names the Go type %s", src, l[0].Msg, goName)
			}
		}
	}
}
