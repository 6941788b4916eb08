package execute

import (
	"context"
	"fmt"
	"strings"

	"github.com/kiln-build/kiln/adapter"
	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/internal/materialize"
	"github.com/kiln-build/kiln/internal/run"
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

// checkForeignKeys checks the foreign keys of table model n
// (materialize.ForeignKeys) on conn, inside the transaction that wrote its
// rows: kiln declares no FOREIGN KEY, which would stop the referenced
// model's next rebuild. A row whose key (none NULL) matches no row of the
// referenced relation fails the model at the constraint's position, with
// the number of such rows and one row's key; the caller's rollback keeps
// the previous table. A to_columns entry the referenced relation lacks
// fails the model at to_columns, naming the relation's columns, before
// the key is checked (the compiler does so before the run when the
// referenced model's contract declares its columns).
func (e *Executor) checkForeignKeys(ctx context.Context, conn adapter.Conn, n *graph.Node) error {
	for _, fk := range materialize.ForeignKeys(e.d, n) {
		k := fk.Constraint
		if err := e.checkToColumns(ctx, conn, n, fk); err != nil {
			return err
		}
		what := fmt.Sprintf("foreign_key (%s) references %s (%s)", strings.Join(fk.Columns, ", "), k.To, strings.Join(k.ToColumns, ", "))
		if k.Name != "" {
			what = fmt.Sprintf("foreign_key %q (%s) references %s (%s)", k.Name, strings.Join(fk.Columns, ", "), k.To, strings.Join(k.ToColumns, ", "))
		}
		_, rows, err := conn.QueryRows(ctx, fk.Check.SQL)
		if err != nil {
			return &run.NodeError{Pos: k.Pos, Msg: fmt.Sprintf("model %q: checking its %s: %v", n.Name, what, err), Err: err,
				Hint: "the referenced relation and columns must exist; nothing was replaced"}
		}
		if len(rows) == 0 || len(rows[0]) != len(fk.Columns)+1 {
			continue
		}
		count := violations(rows[0][0])
		has := "has a key"
		if count != 1 {
			has = "have keys"
		}
		has += " not found there"
		return &run.NodeError{Pos: k.Pos,
			Msg: fmt.Sprintf("model %q breaks its %s: %s %s (such as %s); nothing was replaced",
				n.Name, what, plural(count, "row"), has, keyValues(fk.Columns, rows[0][1:])),
			Hint: "build the referenced model with the missing keys, or filter the rows whose key it lacks"}
	}
	return nil
}

// checkToColumns returns a *run.NodeError at foreign key fk's to_columns
// when one of them is not a column of the relation the key references
// (read on conn). It checks nothing when the relation is not a node's, or
// its columns cannot be read (the key's check then reports the
// database's error), or when the referenced model's contract declares its
// columns (the compiler checked them).
func (e *Executor) checkToColumns(ctx context.Context, conn adapter.Conn, n *graph.Node, fk materialize.ForeignKey) error {
	k := fk.Constraint
	if k.ToRelation.Name == "" {
		return nil
	}
	name := k.ToRelation.Name
	t := e.g.Node(k.ToNode)
	if t == nil && k.ToRelation == n.Relation {
		t = n // the model references itself
	}
	if t != nil {
		if t.Kind == graph.Model && t.ContractEnforced() && len(t.Columns) > 0 {
			return nil
		}
		name = t.DisplayName()
	}
	cols, err := conn.Columns(ctx, k.ToRelation)
	if err != nil || len(cols) == 0 {
		return nil
	}
	have := make([]string, len(cols))
	for i, c := range cols {
		have[i] = c.Name
	}
	if want, pos, hint, ok := k.MissingToColumn(name, have); !ok {
		return &run.NodeError{Pos: pos,
			Msg:  fmt.Sprintf("%s: %s has no column %s (to_columns); its columns are: %s; nothing was replaced", graph.ForeignKeyName(n.Name, fk.Columns), name, want, strings.Join(have, ", ")),
			Hint: hint}
	}
	return nil
}

// checkReferrers checks, in the transaction that rebuilt node p, the
// foreign keys that reference p from the table models this run does not
// build (SetPlanned), whose tables stay: a row of theirs whose key p no
// longer holds fails p, as a declared foreign key refuses the change, and
// the rollback keeps p's previous relation. A model the run builds checks
// its own keys when it runs.
func (e *Executor) checkReferrers(ctx context.Context, conn adapter.Conn, p *graph.Node) error {
	for _, c := range e.referrers[p.ID] {
		if e.cat.Kind(c.Relation) != string(adapter.Table) {
			continue // not built yet: nothing references p
		}
		for _, fk := range materialize.ForeignKeys(e.d, c) {
			k := fk.Constraint
			if k.ToNode != p.ID {
				continue
			}
			_, rows, err := conn.QueryRows(ctx, fk.Check.SQL)
			if err != nil {
				return &run.NodeError{Pos: p.Pos, Msg: fmt.Sprintf("%s %q: checking the foreign_key of model %q that references it: %v", p.Kind, p.DisplayName(), c.Name, err), Err: err}
			}
			if len(rows) == 0 || len(rows[0]) != len(fk.Columns)+1 {
				continue
			}
			return &run.NodeError{Pos: p.Pos,
				Msg: fmt.Sprintf("%s %q would leave %s of model %q (not built in this run) without the key its foreign_key (%s) references in %s (%s) (such as %s); nothing was replaced",
					p.Kind, p.DisplayName(), plural(violations(rows[0][0]), "row"), c.Name, strings.Join(fk.Columns, ", "), k.To, strings.Join(k.ToColumns, ", "), keyValues(fk.Columns, rows[0][1:])),
				Hint: fmt.Sprintf("build %q in the same run (--select %s+), or keep the keys it references (its constraint: %s)", c.Name, p.Name, k.Pos)}
		}
	}
	return nil
}

// violations reads the count of a ForeignKeyOrphans row.
func violations(v any) int64 {
	if n, ok := v.(int64); ok {
		return n
	}
	var n int64
	fmt.Sscan(fmt.Sprint(v), &n)
	return n
}
