package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestIndexesChecked: a wrong indexes config is an error at the line and
// column of the key that sets it, naming what is wrong, before anything
// runs.
func TestIndexesChecked(t *testing.T) {
	dir := smallProject(t, "database-path: target/small.duckdb\n"+
		"models:\n  small:\n    +indexes: {columns: [id]}\n")
	write := func(name, text string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("models/a.sql", "{{ config(materialized='table', indexes=[{'columns': []}, 'id']) }}\nselect 1 as id\n")
	write("models/b.sql", "\n{{ config(materialized='table', indexes=[{'columns': ['id'], 'uniqe': True, 'type': 'bitmap'}, {'columns': ['id'], 'unique': 'yes'}]) }}\nselect 1 as id\n")
	code, out, errOut := kiln(t, dir, "build")
	if code == 0 {
		t.Fatalf("kiln build passed, want the indexes refused:\n%s%s", out, errOut)
	}
	for _, want := range []string{
		`project.yml:7:15: indexes must be a list of indexes, not map[columns:[id]]`,
		`models/a.sql:1:41: indexes[0].columns must be a list of one or more column names, not []`,
		`models/a.sql:1:41: indexes[1] must be a mapping with columns:, not id`,
		`models/b.sql:2:41: indexes[0]: unknown key "uniqe"`,
		`did you mean "unique"? (an index has columns:, unique: and type:)`,
		`models/b.sql:2:41: indexes[0].type bitmap is not an index method of PostgreSQL`,
		`use one of "btree", "hash", "gist", "spgist", "gin", "brin"`,
		`models/b.sql:2:41: indexes[1].unique must be true or false, not yes`,
	} {
		if !strings.Contains(out+errOut, want) {
			t.Errorf("want in the output: %s\noutput:\n%s%s", want, out, errOut)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "target", "small.duckdb")); err == nil {
		t.Errorf("the database was created: the build ran")
	}
}

// TestIndexesOnDuckDB: on DuckDB, kiln does not create the indexes
// (dbt-duckdb does): it builds and says so in one warning naming the
// nodes that set them, once per run; a view's and an ephemeral model's
// indexes, which dbt ignores everywhere, are not named there but in a
// warning of their own, once per run, that says they have no effect.
func TestIndexesOnDuckDB(t *testing.T) {
	dir := smallProject(t, "database-path: target/bottleneck.duckdb\n"+
		"models:\n  small:\n    +indexes: [{columns: [n], unique: true}]\n"+
		"seeds:\n  small:\n    +indexes:\n      - columns: [id]\n        type: hash\n")
	writeTree(t, dir, map[string]string{"models/cheap.sql": "{{ config(materialized='ephemeral') }}\nselect id from {{ ref('prices') }} where price <= 8\n",
		"models/cheap_count.sql": "{{ config(materialized='table', indexes=[]) }}\nselect count(*) as n from {{ ref('cheap') }}\n"})
	code, out, errOut := kiln(t, dir, "build")
	if code != 0 {
		t.Fatalf("kiln build exited %d\n%s%s", code, out, errOut)
	}
	want := `warning: indexes are not created on DuckDB yet (a unique index does not check its keys there; dbt-duckdb creates them): ` +
		`seed "prices", model "summary"; they are created on a PostgreSQL target`
	if n := strings.Count(errOut, "indexes are not created"); n != 1 || !strings.Contains(errOut, want) {
		t.Errorf("want the warning once:\n%s\ngot:\n%s", want, errOut)
	}
	want = `warning: indexes have no effect on a view or an ephemeral model, which have no table to index (as in dbt, they are ignored): ` +
		`model "cheap" (ephemeral), model "expensive" (view); materialize them as table or incremental to index them, or leave indexes out of their config`
	if n := strings.Count(errOut, "indexes have no effect"); n != 1 || !strings.Contains(errOut, want) {
		t.Errorf("want the warning once:\n%s\ngot:\n%s", want, errOut)
	}
	if got := queryRows(t, dir, "select count(*) from duckdb_indexes()"); len(got) != 1 || got[0][0] != int64(0) {
		t.Errorf("duckdb_indexes(): %v, want none", got)
	}
}
