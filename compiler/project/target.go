package project

import (
	"path"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/kiln-build/kiln/compiler/diag"
	"github.com/kiln-build/kiln/compiler/yamljinja"
)

// Target is the database a project builds into, as its files and
// templates see it: dbt's target (https://docs.getdbt.com/reference/dbt-jinja-functions/target).
type Target struct {
	Name     string // the target's name: dev, prod, ...
	Type     string // the adapter type: duckdb
	Schema   string // the schema models go to when they name none
	Database string // the database (DuckDB: the file's name without its extension)
	// Context is target.* in templates: the fields above as name,
	// type, schema, database, threads and profile_name, and the adapter's
	// other fields.
	Context map[string]any
}

// TargetRequest is what a project says of its target before its other
// values are rendered with it.
type TargetRequest struct {
	// Profile is the profile the project file names ("" when none).
	Profile string
	// Pos is where profile: is written (or the project file).
	Pos diag.Pos
	// DBT is true for a dbt project.
	DBT bool
	// DatabasePath is database-path (kiln projects) as written, "" when
	// not set.
	DatabasePath string
	// Output is project.yml's target: mapping (kiln projects), a profile's
	// output written in the project file itself, unrendered; nil when
	// absent.
	Output *yaml.Node
	// Misspelt is a key of the project file near "profile" (profil:,
	// profiles:) when profile: itself is absent; Pos is then where it is
	// written.
	Misspelt string
}

// DefaultTarget is the target of a kiln project without a profile: the
// DuckDB file of database-path (dbPath), target "dev", schema "main".
func DefaultTarget(dbPath string) *Target {
	base := path.Base(dbPath)
	db := strings.TrimSuffix(base, path.Ext(base))
	t := &Target{Name: "dev", Type: "duckdb", Schema: "main", Database: db}
	t.Context = map[string]any{
		"name": t.Name, "target_name": t.Name, "type": t.Type, "schema": t.Schema, "database": t.Database,
		"profile_name": "", "threads": 1, "path": dbPath,
	}
	return t
}

// renderValues renders the Jinja of the project file's values as dbt
// does (https://docs.getdbt.com/reference/dbt-jinja-functions/dbt-project-yml-context):
// profile: first (env_var and var only), then every other value with
// target, except vars, hooks and query-comment, which dbt renders later
// in their own context. It sets p.Target and reports whether the values
// could be rendered.
func (p *Project) renderValues(root *yaml.Node, o Options, l *diag.List) bool {
	file := p.File
	names := yamljinja.Names{Vars: o.Vars, LookupEnv: o.LookupEnv, Read: p.varsRead.add}
	req := TargetRequest{DBT: p.DBT, Pos: diag.Pos{File: file, Line: 1, Col: 1}}
	if n := findKey(root, "profile"); n != nil && n.Kind == yaml.ScalarNode {
		if yamljinja.HasJinja(n.Value) {
			if rl := yamljinja.New(names.Globals()).Tree(file, n, nil); len(rl) > 0 {
				l.Append(rl)
				return false
			}
		}
		req.Profile = n.Value
		req.Pos = at(n).Pos(file)
	} else if root.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(root.Content); i += 2 {
			if k := root.Content[i]; diag.DidYouMean(k.Value, []string{"profile"}) != "" {
				req.Misspelt, req.Pos = k.Value, at(k).Pos(file)
				break
			}
		}
	}
	if n := findKey(root, "target"); n != nil {
		req.Output = n
	}
	if n := findKey(root, "database-path"); n != nil && n.Kind == yaml.ScalarNode && !yamljinja.HasJinja(n.Value) {
		req.DatabasePath = n.Value
	}
	if o.pkg {
		p.Target = o.rootTarget
	} else {
		switch {
		case o.Target != nil:
			t, tl := o.Target(req)
			l.Append(tl)
			if tl.HasErrors() || t == nil {
				return false
			}
			p.Target = t
		default:
			db := req.DatabasePath
			if db == "" {
				db = "target/kiln.duckdb"
			}
			p.Target = DefaultTarget(db)
		}
	}
	if p.Target != nil {
		names.Target = p.Target.Context
	}
	rl := yamljinja.New(names.Globals()).WithBools(projectBoolPath).WithNumbers(projectNumPath).Tree(file, root, skipProjectValue)
	l.Append(rl)
	return !rl.HasErrors()
}

// skipProjectValue says which values of the project file dbt leaves
// unrendered at load: vars (rendered where var() reads them), run hooks
// and query-comment, and the pre- and post-hooks of the resource configs
// (rendered in each node's context).
func skipProjectValue(keys []string) bool {
	if len(keys) == 0 {
		return false
	}
	switch keys[0] {
	case "vars", "on-run-start", "on-run-end", "query-comment", "profile", "target":
		return true
	case "models", "seeds", "snapshots", "tests", "data_tests":
		for _, k := range keys[1:] {
			switch strings.TrimLeft(k, "+ ") {
			case "pre-hook", "post-hook", "pre_hook", "post_hook":
				return true
			}
		}
	}
	return false
}
