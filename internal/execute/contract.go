package execute

import (
	"context"
	"fmt"
	"strings"

	"github.com/kiln-build/kiln/adapter"
	"github.com/kiln-build/kiln/compiler/graph"
)

// checkContract compares the columns and types the model's query yields
// (the adapter describes the query: nothing is built) with the columns its
// YAML declares, before anything is replaced. Declared types are
// normalised by DuckDB itself (text -> VARCHAR, numeric(12,2) ->
// DECIMAL(12,2)). It returns an error listing every difference.
func checkContract(ctx context.Context, conn adapter.Conn, d adapter.Dialect, n *graph.Node) error {
	desc, err := conn.DescribeQuery(ctx, n.CompiledCode)
	if err != nil {
		return err
	}
	actual := map[string]string{}
	var order []string
	for _, c := range desc {
		actual[strings.ToLower(c.Name)] = c.Type
		order = append(order, c.Name)
	}
	var types []string
	for _, c := range n.Columns {
		t := c.DataType
		if t == "" {
			t = "varchar"
		}
		types = append(types, t)
	}
	declared := map[string]string{}
	if len(types) > 0 {
		names, err := conn.NormalizeTypes(ctx, types)
		if err != nil {
			return fmt.Errorf("contract of model %q: a data_type is not a type of the database: %v", n.Name, err)
		}
		for i, c := range n.Columns {
			declared[strings.ToLower(c.Name)] = names[i]
		}
	}
	var problems []string
	at := n.Pos // the first declared column with a problem, else the model
	found := false
	problem := func(c graph.Column, text string) {
		problems = append(problems, text)
		if !found && c.Pos.Line > 0 {
			at, found = c.Pos, true
		}
	}
	for _, c := range n.Columns {
		if c.DataType == "" {
			problem(c, fmt.Sprintf("column %q has no data_type in the contract (%s)", c.Name, c.Pos))
			continue
		}
		got, ok := actual[strings.ToLower(c.Name)]
		switch {
		case !ok:
			problem(c, fmt.Sprintf("column %q of the contract is missing", c.Name))
		case !sameType(got, declared[strings.ToLower(c.Name)]):
			problem(c, fmt.Sprintf("column %q is %s, the contract says %s", c.Name, got, declared[strings.ToLower(c.Name)]))
		}
	}
	for _, name := range order {
		if _, ok := declared[strings.ToLower(name)]; !ok {
			problems = append(problems, fmt.Sprintf("column %q (%s) is not in the contract", name, actual[strings.ToLower(name)]))
		}
	}
	if len(problems) == 0 {
		return nil
	}
	return fmt.Errorf("%s: the contract of model %q is not met, nothing was replaced: %s", at, n.Name, strings.Join(problems, "; "))
}

// sameType reports whether an expression's type got meets the declared
// type want (both as the database names them): their names without size,
// precision or scale are equal, as dbt compares them (dbt formats each
// column as its name and the driver's type, which has none of them;
// https://docs.getdbt.com/reference/resource-configs/contract): DECIMAL(5,2)
// meets a declared decimal(8,2), the table is then created with the
// declared type (materialize.Model, for an enforced contract), and DOUBLE does not meet it.
func sameType(got, want string) bool {
	return strings.EqualFold(baseType(got), baseType(want))
}

// baseType is a type name without its size, precision or scale (a
// parenthesised list of numbers): "DECIMAL(8, 2)" is "DECIMAL",
// "VARCHAR(10)[]" is "VARCHAR[]"; a nested type's fields stay
// ("STRUCT(a INTEGER)").
func baseType(t string) string {
	for {
		open := strings.IndexByte(t, '(')
		if open < 0 {
			break
		}
		end := strings.IndexByte(t[open:], ')')
		if end < 0 || strings.Trim(t[open+1:open+end], "0123456789, ") != "" {
			break
		}
		t = t[:open] + t[open+end+1:]
	}
	return strings.Join(strings.Fields(t), " ")
}
