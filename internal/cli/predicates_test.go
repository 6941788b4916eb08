package cli

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestLegacyPredicatesConfig: `predicates`, dbt's older name of
// incremental_predicates, narrows a merge as dbt-duckdb's incremental
// materialization reads it (config.get('predicates') or
// config.get('incremental_predicates')), here from the project file as in
// dbt's BaseIncrementalPredicates: the row of id 2 does not meet
// DBT_INTERNAL_DEST.id != 2, so its new version is inserted beside the
// old one (kiln kept the key as one of the project's own and merged every
// key). A model setting both names gets predicates, with a warning at
// incremental_predicates.
func TestLegacyPredicatesConfig(t *testing.T) {
	dir := t.TempDir()
	model := func(rows string) string {
		return "{{ config(materialized='incremental', incremental_strategy='merge', unique_key='id') }}\n" + rows + "\n"
	}
	first := "select 1 as id, 'hello' as msg union all select 2, 'goodbye'"
	files := map[string]string{
		"project.yml":  "name: preds\nmodel-paths: [models]\nmodels:\n  preds:\n    +predicates: [\"DBT_INTERNAL_DEST.id != 2\"]\n",
		"models/m.sql": model(first),
		"models/both.sql": "{{ config(materialized='incremental', incremental_strategy='merge', unique_key='id',\n" +
			"    incremental_predicates=['DBT_INTERNAL_DEST.id != 1']) }}\n" + first + "\n",
	}
	for name, body := range files {
		writeFile(t, filepath.Join(dir, name), body)
	}
	out := mustKiln(t, 0, dir, "build")
	want := `models/both.sql:2:28: warning: model "both" sets both predicates and incremental_predicates: predicates are used, as dbt reads predicates first; incremental_predicates are ignored`
	if !strings.Contains(out, want) {
		t.Errorf("want %q in:\n%s", want, out)
	}
	second := "select 1 as id, 'hey' as msg union all select 2, 'yo' union all select 3, 'anyway'"
	writeFile(t, filepath.Join(dir, "models/m.sql"), model(second))
	writeFile(t, filepath.Join(dir, "models/both.sql"), strings.Replace(files["models/both.sql"], first, second, 1))
	mustKiln(t, 0, dir, "build")
	db := filepath.Join(dir, "target", "kiln.duckdb")
	for _, m := range []string{"m", "both"} {
		got := strings.Join(duckQuery(t, db, "select string_agg(id || ':' || msg, ',' order by id, msg) from main."+m), "")
		if want := "1:hey,2:goodbye,2:yo,3:anyway"; got != want {
			t.Errorf("%s holds %s, want %s", m, got, want)
		}
	}
}
