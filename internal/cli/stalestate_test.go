package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestStaleParentsNotRecorded: a node's state (what lets the next build
// skip it as up to date) is recorded only when its parents hold what their
// current definitions give. The new-user trial's sequence: a build that
// fails its unique test is rolled back; kiln test then passes on the
// tables as they were before the change; the next build must run the test
// again and fail, not skip it as up to date and commit the duplicates. And
// kiln run of a child over a parent changed since it was built must not
// let the next build skip the child once the parent is rebuilt.
func TestStaleParentsNotRecorded(t *testing.T) {
	dir := writeProject(t, map[string]string{
		"project.yml":     "name: st\nmodel-paths: [models]\ndatabase-path: target/st.duckdb\nmodels:\n  st:\n    +materialized: table\n",
		"models/base.sql": "select 1 as id union all select 2\n",
		"models/mid.sql":  "select id from {{ ref('base') }}\n",
		"models/top.sql":  "select count(*) as n from {{ ref('mid') }}\n",
		"models/_m.yml":   "version: 2\nmodels:\n  - name: mid\n    columns:\n      - name: id\n        data_tests: [unique]\n",
	})
	db := filepath.Join(dir, "target", "st.duckdb")
	write := func(name, sql string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, "models", name), []byte(sql), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	mustKiln(t, 0, dir, "build")
	write("base.sql", "select 1 as id union all select 1\n")
	mustKiln(t, 1, dir, "build") // the unique test fails: rolled back
	mustKiln(t, 0, dir, "test")  // on the tables as they were: passes
	out := mustKiln(t, 1, dir, "build")
	if !strings.Contains(out, "FAIL") || !strings.Contains(out, "unique_mid_id") {
		t.Errorf("the build after kiln test did not run the unique test again:\n%s", out)
	}
	if got := queryDB(t, db, "select count(distinct id) || '/' || count(*) from mid"); got != "2/2" {
		t.Errorf("mid holds %s distinct ids/rows after the failed build, want the previous 2/2", got)
	}

	// kiln run of top alone over mid, whose parent changed since mid was
	// built: the next build rebuilds base and mid, and top too.
	write("base.sql", "select 1 as id union all select 2 union all select 3\n")
	mustKiln(t, 0, dir, "run", "--select", "top")
	if got := queryDB(t, db, "select n from top"); got != "2" {
		t.Fatalf("top after kiln run --select top: %s, want 2 (mid is not rebuilt by that run)", got)
	}
	mustKiln(t, 0, dir, "build")
	if got := queryDB(t, db, "select n from top"); got != "3" {
		t.Errorf("top after the build: %s, want 3: it was skipped as up to date over a rebuilt mid", got)
	}
}
