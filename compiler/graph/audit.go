package graph

import "github.com/kiln-build/kiln/internal/sqlq"

// AuditSchema is where store_failures keeps the failing rows of tests
// whose config names no schema.
const AuditSchema = "audit"

// StoresFailures reports whether test n keeps its failing rows in a table
// (config store_failures: true).
func (n *Node) StoresFailures() bool {
	b, _ := n.Config.Extra["store_failures"].(bool)
	return b
}

// FailuresAsView reports whether test n keeps its failing rows as a view
// of its query (store_failures_as: view) rather than a table.
func (n *Node) FailuresAsView() bool {
	s, _ := n.Config.Extra["store_failures_as"].(string)
	return s == "view"
}

// AuditRelation is the table that holds test n's failing rows: n.Named
// when the compiler named it (a dbt project's test: dbt's naming macros,
// <target schema>_dbt_test__audit by default), else in its config's
// schema (else AuditSchema, a kiln project's), named by its config's
// alias (dbt's short name for a long test name) or else its name.
func (n *Node) AuditRelation() sqlq.Relation {
	if !n.Named.IsZero() {
		return n.Named
	}
	schema := AuditSchema
	if n.Config.Schema != "" {
		schema = n.Config.Schema
	}
	name := n.Name
	if n.Config.Alias != "" {
		name = n.Config.Alias
	}
	return sqlq.Relation{Schema: schema, Name: name}
}
