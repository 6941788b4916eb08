package compiler

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/kiln-build/kiln/compiler/diag"
	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/compiler/project"
	"github.com/kiln-build/kiln/compiler/template"
)

// Constraints, as dbt's model contracts have them
// (https://docs.getdbt.com/reference/resource-properties/constraints): a
// column's constraints: list and a model's (with columns:), of type
// not_null, unique, primary_key, check (with expression), custom (the
// expression is the clause) or foreign_key. As in dbt they take effect
// only on a table model whose contract is enforced: kiln creates the table
// with them and inserts the model's rows, so a row that breaks one fails
// the model and the previous table stays.
//
// A foreign_key (to: ref('customers') or source(), to_columns: [id], as
// dbt 1.9 writes it; or dbt's older expression: "customers (id)") is
// checked, not declared: after the rows are inserted, in the model's
// transaction, a row whose columns (none NULL) match no row of the
// referenced relation fails the model (graph.Constraint.To). to: ref()
// makes the referenced model a parent, as in dbt 1.9.

// constraintTypes are the types kiln applies.
var constraintTypes = []string{"not_null", "unique", "primary_key", "check", "custom", "foreign_key"}

// parseConstraints reads a constraints: list written at pos in file,
// with the position of each entry's values (at, by entry; nil or shorter
// when unknown); model says whether it is a model's (whose entries name
// their columns).
func (c *compiler) parseConstraints(raw []any, at []map[string]project.At, file string, pos diag.Pos, model bool) []graph.Constraint {
	var out []graph.Constraint
	for i, r := range raw {
		m, ok := r.(map[string]any)
		if !ok {
			c.diags.Errorf(pos, "a constraint is %v, not a mapping", r).Hint = "write - type: not_null (or unique, primary_key, check with expression:)"
			continue
		}
		var k graph.Constraint
		good := true
		for _, key := range sortedKeys(m) {
			v := m[key]
			switch key {
			case "type":
				k.Type, _ = v.(string)
			case "name":
				k.Name, _ = v.(string)
			case "expression":
				k.Expression = fmt.Sprint(v)
			case "columns":
				if !model {
					c.diags.Errorf(pos, "a column's constraint has columns:").Hint = "name columns in a model's constraints:, not a column's"
					good = false
					continue
				}
				k.Columns = toStrings(v)
			case "warn_unenforced", "warn_unsupported":
			case "to":
				k.To = strings.TrimSpace(fmt.Sprint(v))
			case "to_columns":
				k.ToColumns = toStrings(v)
			default:
				c.diags.Errorf(pos, "unknown key %q in a constraint", key).Hint = "a constraint has type, name, expression, columns (a model's), to and to_columns (a foreign_key's), warn_unenforced and warn_unsupported"
				good = false
			}
		}
		k.Pos = pos
		k.ToColumnsPos = pos
		if i < len(at) && at[i] != nil {
			if a, ok := at[i]["to_columns"]; ok {
				k.ToColumnsPos = a.Pos(file)
				if len(a.Items) == len(k.ToColumns) {
					for _, item := range a.Items {
						k.ToColumnPos = append(k.ToColumnPos, item.Pos(file))
					}
				}
			}
		}
		if k.Type != "foreign_key" && (k.To != "" || len(k.ToColumns) > 0) {
			c.diags.Errorf(pos, "a %s constraint has to: or to_columns:", k.Type).Hint = "to and to_columns name what a foreign_key references; remove them, or write type: foreign_key"
			good = false
		}
		switch k.Type {
		case "not_null", "unique", "primary_key", "custom":
		case "check":
			if strings.TrimSpace(k.Expression) == "" {
				c.diags.Errorf(pos, "a check constraint has no expression").Hint = "write expression: \"price >= 0\""
				good = false
			}
		case "foreign_key":
			switch {
			case k.To != "" && strings.TrimSpace(k.Expression) != "":
				c.diags.Errorf(pos, "a foreign_key constraint has both to: and expression:").Hint = "keep to: ref('model') with to_columns: [...] (dbt 1.9), or the older expression: \"model (column)\""
				good = false
			case k.To != "" && len(k.ToColumns) == 0:
				c.diags.Errorf(pos, "a foreign_key constraint has to: but no to_columns:").Hint = "add to_columns: [id], the referenced columns"
				good = false
			case k.To == "" && len(k.ToColumns) > 0:
				c.diags.Errorf(pos, "a foreign_key constraint has to_columns: but no to:").Hint = "add to: ref('model') (or source('source', 'table')), the referenced relation"
				good = false
			case k.To == "" && strings.TrimSpace(k.Expression) == "":
				c.diags.Errorf(pos, "a foreign_key constraint says nothing of what it references").Hint = "add to: ref('model') and to_columns: [id] (dbt 1.9), or expression: \"model (id)\""
				good = false
			}
		default:
			d := c.diags.Errorf(pos, "unknown constraint type %q", k.Type)
			if h := diag.DidYouMean(k.Type, constraintTypes); h != "" {
				d.Hint = h
			} else {
				d.Hint = "use one of " + quoteList(constraintTypes)
			}
			good = false
		}
		if model && len(k.Columns) == 0 && k.Type != "check" && k.Type != "custom" {
			c.diags.Errorf(pos, "a model's %s constraint names no columns", k.Type).Hint = "add columns: [id], or put the constraint under its column"
			good = false
		}
		if good {
			out = append(out, k)
		}
	}
	return out
}

// nodeConstraints sets model n's constraints from its properties mp,
// written in file.
func (c *compiler) nodeConstraints(n *graph.Node, mp *project.ModelProps, file string) {
	if mp == nil {
		return
	}
	n.Constraints = c.parseConstraints(mp.Constraints, mp.ConstraintsAt, file, mp.Pos(file), true)
	for i := range mp.Columns {
		col := &mp.Columns[i]
		if len(col.Constraints) == 0 {
			continue
		}
		for j := range n.Columns {
			if n.Columns[j].Name == col.Name {
				n.Columns[j].Constraints = c.parseConstraints(col.Constraints, col.ConstraintsAt, file, col.Pos(file), false)
			}
		}
	}
}

// checkConstraints says, once config() calls are known, when a model's
// constraints have no effect: as in dbt, without an enforced contract,
// or on a view or ephemeral model; and refuses them on a microbatch
// model, which kiln does not create with them yet.
func (c *compiler) checkConstraints() {
	for _, id := range c.ids() {
		n := c.nodes[id]
		if n.Kind != graph.Model || !n.HasConstraints() {
			continue
		}
		for i := range n.Constraints {
			c.resolveForeignKey(n, &n.Constraints[i], n.Constraints[i].Columns)
		}
		for ci := range n.Columns {
			for i := range n.Columns[ci].Constraints {
				c.resolveForeignKey(n, &n.Columns[ci].Constraints[i], []string{n.Columns[ci].Name})
			}
		}
		switch {
		case !n.ContractEnforced():
			c.diags.Add(diag.Diagnostic{Pos: n.Pos, Severity: diag.Warning,
				Msg:  fmt.Sprintf("model %q has constraints but no enforced contract: they are not applied (as in dbt)", n.Name),
				Hint: "add config contract: {enforced: true} and a data_type to every column, or remove the constraints"})
		case n.Config.Materialized == graph.View || n.Config.Materialized == graph.Ephemeral:
			c.diags.Add(diag.Diagnostic{Pos: n.Pos, Severity: diag.Warning,
				Msg:  fmt.Sprintf("model %q is a %s: its constraints are not applied (as in dbt, only tables hold them)", n.Name, n.Config.Materialized),
				Hint: "materialize it as a table to apply them"})
		case n.Config.Materialized == graph.Incremental && n.Incremental != nil && n.Incremental.Strategy == "microbatch":
			c.diags.Errorf(n.Pos, "constraints on a microbatch model are not supported yet").Hint = "use another incremental strategy, or check the rows with data tests (not_null, unique)"
		case n.Config.Materialized == graph.Incremental:
			// Created with them on its first build and on a full refresh,
			// as dbt does; the database enforces them on each run.
		case n.Config.Materialized != graph.Table:
			c.diags.Errorf(n.Pos, "constraints on a %s model are not supported yet", n.Config.Materialized).Hint = "materialize it as a table, or check the rows with data tests (not_null, unique)"
		}
	}
}

// fkExpression is dbt's older foreign_key expression: a relation, then
// its columns in parentheses ("analytics.customers (id)").
var fkExpression = regexp.MustCompile(`(?s)^\s*(\S.*?)\s*\(([^()]*)\)\s*$`)

// resolveForeignKey resolves foreign_key k of model n, on its columns
// cols: its to: (ref() or source(), written with or without
// braces) rendered to the relation it names, which becomes a parent of n
// (not when n references itself), or its expression rendered and split
// into the relation as written and its columns. When the referenced
// model's columns are known (its contract is enforced), a to_columns
// entry that is not one of them is an error at to_columns; otherwise the
// executor checks them before the key (ToRelation). Other constraint
// types are left alone.
func (c *compiler) resolveForeignKey(n *graph.Node, k *graph.Constraint, cols []string) {
	ncols := len(cols)
	if k.Type != "foreign_key" {
		return
	}
	var deps []graph.ID
	ctx := &template.Context{Var: c.lookupVar, EnvVar: c.lookupEnv,
		Ref: func(args []string, version string, _ diag.Pos) (any, error) {
			t, err := c.refVersioned(n.Package, args, version)
			if err != nil {
				return nil, err
			}
			deps = append(deps, t.ID)
			return tmplRelation(c.readRel(t), c.relationText(t)), nil
		},
		Source: func(src, table string, _ diag.Pos) (any, error) {
			t, ok := c.sourceTarget(n.Package, src, table)
			if !ok {
				return nil, c.unknownSource(src, table)
			}
			deps = append(deps, t.ID)
			return tmplRelation(c.readRel(t), c.relationText(t)), nil
		}}
	render := func(text string) (string, bool) {
		out, l := c.engine.Render(k.Pos.File, text, ctx)
		for i := range l {
			l[i].Pos = k.Pos // the value is rendered on its own: report at its constraint
		}
		c.diags.Append(l)
		return strings.TrimSpace(out), len(l) == 0
	}
	if k.To != "" {
		text := k.To
		if !strings.Contains(text, "{{") {
			text = "{{ " + text + " }}"
		}
		rel, ok := render(text)
		if !ok {
			return
		}
		if len(deps) != 1 {
			c.diags.Errorf(k.Pos, "a foreign_key's to: is %q, not one ref() or source()", k.To).Hint = "write to: ref('customers') or to: source('erp', 'customers')"
			k.Type = ""
			return
		}
		t := c.nodes[deps[0]]
		if t != nil && t.Kind == graph.Model && t.Config.Materialized == graph.Ephemeral {
			c.diags.Errorf(k.Pos, "model %q's foreign_key references ephemeral model %q, which has no table", n.Name, t.Name).Hint = "materialize it as a table"
			k.Type = ""
			return
		}
		k.To, k.ToNode = rel, deps[0]
		k.ToRelation = c.readRel(c.nodes[deps[0]])
		if deps[0] != n.ID {
			n.DependsOn = append(n.DependsOn, deps[0])
		}
	} else {
		text, ok := render(k.Expression)
		if !ok {
			return
		}
		m := fkExpression.FindStringSubmatch(text)
		var cols []string
		if m != nil {
			for _, col := range strings.Split(m[2], ",") {
				if col = strings.TrimSpace(col); col != "" {
					cols = append(cols, col)
				}
			}
		}
		if m == nil || len(cols) == 0 {
			c.diags.Errorf(k.Pos, "a foreign_key's expression %q is not a relation and its columns", text).Hint = "write expression: \"customers (id)\", or to: ref('customers') with to_columns: [id] (dbt 1.9)"
			k.Type = ""
			return
		}
		k.To, k.ToColumns = m[1], cols
		if len(deps) == 1 {
			k.ToRelation = c.readRel(c.nodes[deps[0]])
		}
		if len(deps) == 1 && deps[0] != n.ID {
			k.ToNode = deps[0]
			n.DependsOn = append(n.DependsOn, deps[0])
		}
	}
	if len(k.ToColumns) != ncols {
		c.diags.Errorf(k.Pos, "model %q's foreign_key has %d columns and references %d", n.Name, ncols, len(k.ToColumns)).Hint = "name as many columns in to_columns as the key has"
		k.Type = ""
		return
	}
	var t *graph.Node
	if len(deps) == 1 {
		t = c.nodes[deps[0]]
	}
	applied := n.ContractEnforced() && (n.Config.Materialized == graph.Table || n.Config.Materialized == graph.Incremental)
	if t == nil || t.Kind != graph.Model || !t.ContractEnforced() || len(t.Columns) == 0 || !applied {
		return // checked at run time (execute), or not applied at all
	}
	have := make([]string, len(t.Columns))
	for i, col := range t.Columns {
		have[i] = col.Name
	}
	if want, pos, hint, ok := k.MissingToColumn(t.Name, have); !ok {
		c.diags.Errorf(pos, "%s: %s has no column %s (to_columns); its columns are: %s", graph.ForeignKeyName(n.Name, cols), t.Name, want, strings.Join(have, ", ")).Hint = hint
		k.Type = ""
	}
}
