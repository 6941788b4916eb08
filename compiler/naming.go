package compiler

import (
	"errors"
	"strings"

	"github.com/kiln-build/kiln/compiler/diag"
	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/compiler/jinja"
	"github.com/kiln-build/kiln/compiler/project"
	"github.com/kiln-build/kiln/compiler/template"
	"github.com/kiln-build/kiln/internal/sqlq"
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
// A project that overrides them (generate_schema_name in its macros, or
// a default__ or <adapter>__generate_schema_name that dbt's dispatches
// to; the same for alias and database) has its macro rendered for each
// node instead (namingMacros), as dbt's parser does. The macros are the
// root project's, but for the nodes of a package that defines its own
// (dbt-core >= 1.6).

// namingComponents are the parts of a relation a naming macro gives, in
// the order of namingSet.
var namingComponents = [3]string{"schema", "alias", "database"}

// namingSet is the macros that name a package's nodes (schema, alias,
// database); a nil entry follows kiln's rule in Go.
type namingSet [3]*jinja.Macro

// findNamingMacros records, for the root project ("") and each package,
// the naming macros a project overrides; packages whose nodes follow
// kiln's rules in Go are left out, so that naming them costs nothing.
func (c *compiler) findNamingMacros() {
	c.naming = map[string]namingSet{}
	pkgs := []string{""}
	for _, q := range c.root.Packages {
		pkgs = append(pkgs, q.Config.Name)
	}
	for _, p := range pkgs {
		var set namingSet
		found := false
		for i, comp := range namingComponents {
			set[i] = c.engine.NamingMacro(comp, p)
			found = found || set[i] != nil
		}
		if found {
			c.naming[p] = set
		}
	}
}

// relationOf returns where a model, seed or snapshot lives, named by
// dbt's generate_database_name, generate_schema_name and
// generate_alias_name: the project's when it overrides them, else
// kiln's rules (schemaName, aliasName, databaseName).
func (c *compiler) relationOf(n *graph.Node) sqlq.Relation {
	return c.nameNode(n, n.Config.Schema)
}

// auditRelationOf is where a test of a dbt project keeps its failing
// rows: the schema generate_schema_name gives its schema config, else
// dbt's custom schema dbt_test__audit (<target schema>_dbt_test__audit
// by default), and the alias generate_alias_name gives it.
func (c *compiler) auditRelationOf(n *graph.Node) sqlq.Relation {
	custom := n.Config.Schema
	if strings.TrimSpace(custom) == "" {
		custom = dbtAuditSchema
	}
	return c.nameNode(n, custom)
}

// dbtAuditSchema is the custom schema of a dbt project's tests (dbt's
// TestConfig schema).
const dbtAuditSchema = "dbt_test__audit"

// nameNode names node n whose custom schema is custom.
func (c *compiler) nameNode(n *graph.Node, custom string) sqlq.Relation {
	m := n
	if custom != n.Config.Schema {
		cp := *n
		cp.Config.Schema = custom
		m = &cp
	}
	rel := sqlq.Relation{Database: c.databaseName(m), Schema: c.schemaName(m), Name: c.aliasName(m)}
	pkg := n.Package
	if pkg == c.rootName() {
		pkg = ""
	}
	set, ok := c.naming[pkg]
	if !ok {
		return rel
	}
	var node map[string]any
	for i, mac := range set {
		if mac == nil {
			continue
		}
		var arg any
		switch i {
		case 0:
			if snapshotTarget(n, "target_schema") != "" {
				continue // set after naming, as in dbt
			}
			arg = nilIfEmpty(custom)
		case 1:
			arg = nilIfEmpty(n.Config.Alias)
		case 2:
			if snapshotTarget(n, "target_database") != "" {
				continue
			}
			db, _ := n.Config.Extra["database"].(string)
			arg = nilIfEmpty(db)
		}
		if node == nil {
			node = c.namingNode(n, custom)
		}
		v, ok := c.callNaming(n, mac, namingComponents[i], arg, node)
		if !ok {
			continue
		}
		switch i {
		case 0:
			rel.Schema = v
		case 1:
			rel.Name = v
		case 2:
			rel.Database = v
		}
	}
	return rel
}

// callNaming renders naming macro mac for node n with the custom value
// arg (nil: none) and dbt's node (node); it records a failure, or an
// empty name, at the macro (reported once for all the nodes it failed
// for, flushNamingFails) and returns false. A database other than the
// target's is refused: kiln builds in one database.
func (c *compiler) callNaming(n *graph.Node, mac *jinja.Macro, comp string, arg any, node map[string]any) (string, bool) {
	path := ""
	var at diag.Pos
	if mac.Def.Tmpl != nil {
		path = mac.Def.Tmpl.Path
		at = mac.Def.Tmpl.Position(mac.Def.Pos)
	}
	gen := "generate_" + comp + "_name"
	ctx := &template.Context{Var: c.lookupVar, EnvVar: c.lookupEnv}
	out, some, err := c.engine.CallArgsIn("", path, mac, []any{arg, node}, ctx)
	if err != nil {
		pos := at
		var te *template.Error
		if errors.As(err, &te) {
			pos, err = te.Pos, errors.New(te.Msg)
		}
		c.namingFails.add(namingFailure{gen: gen, comp: comp, pos: pos, kind: namingRaised,
			hint: "fix the macro; dbt renders it for every node it names"}, n, err.Error())
		return "", false
	}
	out = strings.TrimSpace(out)
	if comp == "database" {
		target := ""
		if c.root.Target != nil {
			target = c.root.Target.Database
		}
		if out == "" || out == target {
			return "", false // the target's, as kiln names it
		}
		c.namingFails.add(namingFailure{gen: gen, comp: comp, pos: at, kind: namingDatabase, target: target,
			hint: project.OneDatabaseNote}, n, out)
		return "", false
	}
	if !some || out == "" {
		c.namingFails.add(namingFailure{gen: gen, comp: comp, pos: at, kind: namingEmpty,
			hint: "return a name for every node, such as target.schema or node.name when the custom value is none"}, n, "")
		return "", false
	}
	return out, true
}

// flushNamingFails reports the naming macros' failures gathered so far,
// one error per macro, position and kind of failure.
func (c *compiler) flushNamingFails() {
	c.diags.Append(c.namingFails.flush())
}

// namingNode is the node a naming macro receives, as dbt's parser gives
// it: the fields of the node as parsed (its schema, database and alias
// still the target's and its name), its config, fqn and files.
func (c *compiler) namingNode(n *graph.Node, custom string) map[string]any {
	cfg := configMap(n.Config)
	if custom != "" {
		cfg["schema"] = custom
	}
	fqn := make([]any, len(n.FQN))
	for i, s := range n.FQN {
		fqn[i] = s
	}
	tags := make([]any, len(n.Config.Tags))
	for i, s := range n.Config.Tags {
		tags[i] = s
	}
	var database any
	if c.root.Target != nil && c.root.Target.Database != "" {
		database = c.root.Target.Database
	}
	node := map[string]any{
		"name": n.Name, "resource_type": string(n.Kind), "package_name": n.Package,
		"unique_id": string(n.ID), "fqn": fqn, "original_file_path": n.OriginalFilePath(),
		"path": resourcePath(n), "config": cfg, "tags": tags, "description": n.Description,
		"schema": c.targetSchema(), "database": database, "alias": n.Name,
		"version": nilIfEmpty(n.Version), "latest_version": nilIfEmpty(n.LatestVersion),
		"is_latest_version": n.Version != "" && n.Version == n.LatestVersion,
		"raw_code":          n.RawCode,
	}
	if n.Config.Meta != nil {
		node["meta"] = n.Config.Meta
	} else {
		node["meta"] = map[string]any{}
	}
	return node
}

// resourcePath is dbt's path of node n: its file below its resource
// folder (models/staging/a.sql: staging/a.sql); a generic test's is its
// name with .sql.
func resourcePath(n *graph.Node) string {
	if n.Kind == graph.Test && n.Test != nil && n.Test.Generic != "" {
		return n.Name + ".sql"
	}
	p := n.OriginalFilePath()
	if i := strings.IndexByte(p, '/'); i >= 0 {
		return p[i+1:]
	}
	return p
}

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
