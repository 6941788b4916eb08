package compiler

import (
	"strings"

	"github.com/kiln-build/kiln/compiler/graph"
)

// The names of relations follow dbt's default naming macros
// (https://docs.getdbt.com/docs/build/custom-schemas,
// https://docs.getdbt.com/docs/build/custom-aliases,
// https://docs.getdbt.com/docs/build/custom-databases):
//
//   - generate_schema_name: the target's schema, or for a node with a
//     custom schema (+schema: x) <target schema>_x in a dbt project. A
//     kiln project (project.yml) builds a custom schema under its own
//     name, x, as kiln always has;
//   - generate_alias_name: the custom alias, else the node's name, or for
//     a model version <name>_v<version> (dots as underscores);
//   - generate_database_name: the target's database. A kiln project
//     names no database, so its relations stay schema.name.
//
// They are the root project's (c.root): a package's nodes are named as
// the root project names its own, as in dbt.

// targetSchema is the schema of nodes without a custom one.
func (c *compiler) targetSchema() string {
	if t := c.root.Target; t != nil && t.Schema != "" {
		return t.Schema
	}
	return "main"
}

// schemaName is generate_schema_name(custom_schema_name, node); a
// snapshot's target_schema (dbt's legacy snapshot config) is its schema
// as written, over schema and the target's, as dbt sets it after naming.
func (c *compiler) schemaName(n *graph.Node) string {
	if ts := snapshotTarget(n, "target_schema"); ts != "" {
		return ts
	}
	custom := strings.TrimSpace(n.Config.Schema)
	switch {
	case custom == "":
		return c.targetSchema()
	case c.root.DBT:
		return c.targetSchema() + "_" + custom
	}
	return custom
}

// aliasName is generate_alias_name(custom_alias_name, node).
func (c *compiler) aliasName(n *graph.Node) string {
	if a := strings.TrimSpace(n.Config.Alias); a != "" {
		return a
	}
	if n.Version != "" {
		return n.Name + "_v" + strings.ReplaceAll(n.Version, ".", "_")
	}
	return n.Name
}

// databaseName is generate_database_name(custom_database_name, node): the
// target's database in a dbt project, none in a kiln project.
func (c *compiler) databaseName(n *graph.Node) string {
	if !c.root.DBT || c.root.Target == nil {
		return ""
	}
	return c.root.Target.Database
}

// snapshotTarget is snapshot n's legacy config key (target_schema,
// target_database) as written, or "" when n is not a snapshot or does not
// set it.
func snapshotTarget(n *graph.Node, key string) string {
	if n.Kind != graph.Snapshot {
		return ""
	}
	s, _ := n.Config.Extra[key].(string)
	return strings.TrimSpace(s)
}

// sourceDatabase is the database of a source that names db: db, else the
// target's database in a dbt project (dbt's default), else none.
func (c *compiler) sourceDatabase(db string) string {
	if db != "" || !c.root.DBT || c.root.Target == nil {
		return db
	}
	return c.root.Target.Database
}
