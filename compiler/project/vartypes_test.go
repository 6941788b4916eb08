package project

import (
	"math"
	"strings"
	"testing"
)

func TestVarTypeCheck(t *testing.T) {
	f := func(x float64) *float64 { return &x }
	types := map[string]*VarType{
		"number":     {Type: VarNumber},
		"ratio":      {Type: VarNumber, Min: f(0), Max: f(1)},
		"integer":    {Type: VarInteger, Min: f(1)},
		"boolean":    {Type: VarBoolean},
		"date":       {Type: VarDate},
		"month":      {Type: VarMonth},
		"timestamp":  {Type: VarTimestamp},
		"string":     {Type: VarString},
		"path":       {Type: VarPath},
		"identifier": {Type: VarIdentifier},
		"enum":       {Type: VarEnum, Values: []any{"north", "south", 3}},
	}
	ok := map[string][]any{
		"number":     {2, 2.5, int64(-3), uint64(7), "2.5", "-1e3", ".5", "+4"},
		"ratio":      {0, 1, 0.25, "0.5"},
		"integer":    {1, int64(42), "12", "+3"},
		"boolean":    {true, false},
		"date":       {"2026-01-31", "2024-02-29"},
		"month":      {"2026-01", "2020-12"},
		"timestamp":  {"2026-01-31 06:00:00", "2026-01-31T06:00:00Z", "2026-01-31T06:00:00.123+01:00", "2026-01-31T06:00", "2026-01-31"},
		"string":     {"anything'; drop table x; --", 12, true},
		"path":       {"data/sample", "../shared/bottleneck", "/srv/data/2026 01", `C:\data`},
		"identifier": {"stg_erp", "_x9"},
		"enum":       {"north", "south", 3, "3"},
	}
	bad := map[string][]any{
		"number":     {"(select 1)", "2.5; select 1", "1,5", "", "0x10", "Infinity", math.NaN(), math.Inf(1), true, nil, []any{1}, map[string]any{"a": 1}},
		"ratio":      {-0.1, 1.5, "2"},
		"integer":    {0, 2.5, 2.0, "2.0", "1e3", "12 ", "(select 1)"},
		"boolean":    {"true", "false", 1, 0},
		"date":       {"2026-02-30", "2026-1-31", "31/01/2026", "2026-01-31 06:00", "2026-01-31'; select 1; --", 20260131},
		"month":      {"", "2026-13", "2026-1", "2026-01-31", "01/2026", "2026-01'; select 1; --", 202601, nil},
		"timestamp":  {"2026-01-31 25:00:00", "yesterday", "2026-01-31 06:00:00; select 1", 1700000000},
		"string":     {nil, []any{"a"}},
		"path":       {"", "data/x'; select 1", `a"b`, "a`b", "a\nb", "a\x00b", 12},
		"identifier": {"1abc", "a b", "a;b", "a.b", "é", ""},
		"enum":       {"east", "North", nil},
	}
	for name, typ := range types {
		for _, v := range ok[name] {
			if err := typ.Check(v); err != nil {
				t.Errorf("%s: %#v refused: %v", name, v, err)
			}
		}
		for _, v := range bad[name] {
			if err := typ.Check(v); err == nil {
				t.Errorf("%s: %#v accepted", name, v)
			}
		}
	}
}

// TestVarTypesDeclaration reads the three forms, checks the defaults of
// vars: and reports every bad declaration at its position.
func TestVarTypesDeclaration(t *testing.T) {
	p, errs := load(t, map[string]string{"project.yml": `name: shop
vars:
  z: 2
  region: north
  dir: data/sample
  month:
var-types:
  z: {type: number, min: 0, max: 10, description: A threshold.}
  region: [north, south]
  dir: path
  month: {type: date, kestra: trigger_date}
  count: {type: integer, min: 1}
  kind: {values: [a, b]}
`})
	if errs != "" {
		t.Fatal(errs)
	}
	vt := p.VarTypes
	if len(vt) != 6 || vt["z"].Type != VarNumber || *vt["z"].Min != 0 || *vt["z"].Max != 10 || vt["z"].Description != "A threshold." ||
		vt["region"].Type != VarEnum || len(vt["region"].Values) != 2 || vt["dir"].Type != VarPath ||
		vt["month"].Kestra != KestraTriggerDate || vt["kind"].Type != VarEnum || vt["z"].At.Line != 8 {
		t.Errorf("var types: %+v", vt)
	}
	if got := vt["z"].String(); got != "number from 0 to 10" {
		t.Errorf("String() = %q", got)
	}
	if got := vt["region"].String(); got != `one of "north", "south"` {
		t.Errorf("String() = %q", got)
	}
	for _, c := range []struct{ yml, want string }{
		{"vars: {z: abc}\nvar-types: {z: number}", `project.yml:1:11: the default of var z is "abc", which is not a number (such as 2 or 2.5); var-types declares z as a number at project.yml:2:16`},
		{"vars: {z: 11}\nvar-types: {z: {type: integer, max: 10}}", `project.yml:1:11: the default of var z is 11, which is out of range: it must be an integer of at most 10`},
		{"var-types: {z: numbr}", `project.yml:1:16: unknown var type "numbr" for var z; did you mean "number"?`},
		{"var-types: {z: {type: string, min: 1}}", `project.yml:1:16: min and max apply to number and integer vars, not to string var z`},
		{"var-types: {z: {type: integer, min: 0.5}}", `the bounds of integer var z must be whole numbers, not 0.5`},
		{"var-types: {z: {type: number, min: 2, max: 1}}", `var z has min 2 above max 1`},
		{"var-types: {z: {type: number, min: two}}", `project.yml:1:36: min of var z must be a number, not "two"`},
		{"var-types: {z: {type: number, kestra: trigger_date}}", `kestra: trigger_date needs a date, month or timestamp var, and z is number`},
		{"var-types: {z: {type: date, kestra: schedule}}", `unknown kestra role "schedule" of var z`},
		{"var-types: {z: {typ: date}}", `project.yml:1:17: unknown key "typ" in the type of var z; did you mean "type"?`},
		{"var-types: {z: {description: x}}", `the declaration of var z has no type`},
		{"var-types: {z: {type: string, values: [a]}}", `var z has both a type and values`},
		{"var-types: {z: []}", `the allowed values of var z must be a non-empty list`},
		{"var-types: {z: [[a]]}", `an allowed value of var z must be a string, number or boolean`},
		{"var-types: [number]", `project.yml:1:12: var-types must be a mapping of var names to types`},
	} {
		_, errs := load(t, map[string]string{"project.yml": "name: shop\n" + c.yml + "\n"})
		// The project file's first line is name: shop.
		want := strings.Replace(c.want, "project.yml:1:", "project.yml:2:", 1)
		want = strings.Replace(want, "at project.yml:2:16", "at project.yml:3:16", 1)
		if !strings.Contains(errs, want) {
			t.Errorf("%s:\n got %s\nwant %s", c.yml, errs, want)
		}
	}
}

// TestCheckVars: only declared vars are checked (an untyped var keeps
// dbt's behaviour), every bad value is reported, sorted by name.
func TestCheckVars(t *testing.T) {
	p, errs := load(t, map[string]string{"project.yml": "name: shop\nvar-types:\n  z: number\n  d: date\n"})
	if errs != "" {
		t.Fatal(errs)
	}
	if l := p.CheckVars(map[string]any{"z": 2.5, "d": "2026-01-31", "free": "(select 1)"}); l != nil {
		t.Errorf("good values refused: %v", l)
	}
	l := p.CheckVars(map[string]any{"z": "(select 1)", "d": "2026-13-01"})
	want := `--vars: var d is "2026-13-01", which is not a date: write YYYY-MM-DD, such as 2026-01-31; project.yml:4:6 declares d as a date; nothing was run
--vars: var z is "(select 1)", which is not a number (such as 2 or 2.5); project.yml:3:6 declares z as a number; nothing was run`
	if l.Error() != want {
		t.Errorf("got\n%s\nwant\n%s", l.Error(), want)
	}
}
