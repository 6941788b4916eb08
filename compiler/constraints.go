package compiler

import (
	"fmt"
	"strings"

	"github.com/kiln-build/kiln/compiler/diag"
	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/compiler/project"
)

// Constraints, as dbt's model contracts have them
// (https://docs.getdbt.com/reference/resource-properties/constraints): a
// column's constraints: list and a model's (with columns:), of type
// not_null, unique, primary_key, check (with expression) or custom (the
// expression is the clause). As in dbt they take effect only on a table
// model whose contract is enforced: kiln creates the table with them and
// inserts the model's rows, so a row that breaks one fails the model and
// the previous table stays. foreign_key is not supported yet (a table
// that another references could no longer be replaced).

// constraintTypes are the types kiln applies.
var constraintTypes = []string{"not_null", "unique", "primary_key", "check", "custom"}

// parseConstraints reads a constraints: list written at pos in file;
// model says whether it is a model's (whose entries name their columns).
func (c *compiler) parseConstraints(raw []any, file string, pos diag.Pos, model bool) []graph.Constraint {
	var out []graph.Constraint
	for _, r := range raw {
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
			case "to", "to_columns":
				// foreign_key's; reported with its type below.
			default:
				c.diags.Errorf(pos, "unknown key %q in a constraint", key).Hint = "a constraint has type, name, expression, columns (a model's), warn_unenforced and warn_unsupported"
				good = false
			}
		}
		switch k.Type {
		case "not_null", "unique", "primary_key", "custom":
		case "check":
			if strings.TrimSpace(k.Expression) == "" {
				c.diags.Errorf(pos, "a check constraint has no expression").Hint = "write expression: \"price >= 0\""
				good = false
			}
		case "foreign_key":
			c.diags.Errorf(pos, "constraint type foreign_key is not supported yet").Hint = "a table that another table references cannot be replaced by the next build; test the reference with a relationships data test"
			good = false
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
	n.Constraints = c.parseConstraints(mp.Constraints, file, mp.Pos(file), true)
	for i := range mp.Columns {
		col := &mp.Columns[i]
		if len(col.Constraints) == 0 {
			continue
		}
		for j := range n.Columns {
			if n.Columns[j].Name == col.Name {
				n.Columns[j].Constraints = c.parseConstraints(col.Constraints, file, col.Pos(file), false)
			}
		}
	}
}

// checkConstraints says, once config() calls are known, when a model's
// constraints have no effect: as in dbt, without an enforced contract,
// or on a view or ephemeral model; and refuses them on an incremental
// model, which kiln does not create with them yet.
func (c *compiler) checkConstraints() {
	for _, id := range c.ids() {
		n := c.nodes[id]
		if n.Kind != graph.Model || !n.HasConstraints() {
			continue
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
		case n.Config.Materialized != graph.Table:
			c.diags.Errorf(n.Pos, "constraints on a %s model are not supported yet", n.Config.Materialized).Hint = "materialize it as a table, or check the rows with data tests (not_null, unique)"
		}
	}
}
