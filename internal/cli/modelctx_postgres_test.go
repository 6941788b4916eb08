package cli

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// TestSchemaInPostHookOnPostgres: a post-hook's "grant usage on schema
// {{ schema }}" names the model's own schema (sales, its +schema in a
// kiln project), and model and database read the node's, on PostgreSQL.
func TestSchemaInPostHookOnPostgres(t *testing.T) {
	d := newPGDB(t)
	role := d.db + "_reader"
	d.exec(t, "create role "+role)
	t.Cleanup(func() { d.exec(t, "drop owned by "+role, "drop role "+role) })
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "project.yml"), fmt.Sprintf("name: g\nmodel-paths: [models]\n"+
		"target:\n  type: postgres\n  host: %s\n  port: %s\n  user: %s\n  dbname: %s\n  schema: analytics\n  threads: 2\n"+
		"models:\n  g:\n    +materialized: table\n    marts:\n      +schema: sales\n      +post-hook: \"grant usage on schema {{ schema }} to %s\"\n",
		d.host, d.port, d.user, d.db, role))
	writeFile(t, filepath.Join(dir, "models/marts/m.sql"),
		"select '{{ model.unique_id }}' as uid, '{{ schema }}' as sch, '{{ database }}' as db, '{{ model.config.materialized }}' as mat\n")
	mustKiln(t, 0, dir, "build")
	if got := strings.Join(d.query(t, "select uid || '|' || sch || '|' || db || '|' || mat from sales.m"), "\n"); got != "model.g.m|sales|"+d.db+"|table" {
		t.Errorf("got %s, want model.g.m|sales|%s|table", got, d.db)
	}
	if got := strings.Join(d.query(t, fmt.Sprintf("select has_schema_privilege('%s', 'sales', 'usage')::text", role)), ""); got != "true" {
		t.Errorf("usage on schema sales for %s: %s, want true (the post-hook's {{ schema }})", role, got)
	}
}
