package cli

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// incPredicatesProject writes a dbt project of delete+insert models with
// incremental_predicates over a seed of orders (id, status, amount,
// updated), for the profile's output target: di_str (unique_key 'id', a
// string, the predicate's column unqualified), di_list (unique_key
// ['id'], the predicate on the target by its name in the statement, qual)
// and di_amb (unique_key ['id'], the column unqualified). profiles is
// the text of its profiles.yml.
func incPredicatesProject(t *testing.T, profiles, qual string) string {
	t.Helper()
	model := func(key, pred string) string {
		return "{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key=" + key +
			", incremental_predicates=[\"" + pred + "\"]) }}\nselect id, status, amount, updated from {{ ref('orders') }}\n" +
			"{% if is_incremental() %}where updated > (select max(updated) from {{ this }}){% endif %}\n"
	}
	return writeProject(t, map[string]string{
		"dbt_project.yml":    "name: shop\nprofile: shop\n",
		"profiles.yml":       profiles,
		"seeds/orders.csv":   "id,status,amount,updated\n1,new,10,1\n2,new,20,1\n",
		"models/di_str.sql":  model("'id'", "amount < 15"),
		"models/di_list.sql": model("['id']", qual+".amount < 15"),
		"models/di_amb.sql":  model("['id']", "amount < 15"),
	})
}

// checkIncPredicates builds the project twice, the second time with new
// orders (id 1 and 2 changed, 3 new) and without di_amb: the target rows
// whose key is among the new rows' and whose amount is under 15 (id 1)
// are replaced, id 2's old row stays beside its new one; then di_amb
// fails with the database's ambiguous column, as in dbt, and changes
// nothing. rows reads a model's rows, "id|status|amount|updated" sorted.
func checkIncPredicates(t *testing.T, dir string, args []string, ambiguous string, rows func(model string) string) {
	t.Helper()
	mustKiln(t, 0, dir, append([]string{"build"}, args...)...)
	writeTree(t, dir, map[string]string{"seeds/orders.csv": "id,status,amount,updated\n1,paid,11,2\n2,paid,21,2\n3,new,30,2\n"})
	mustKiln(t, 0, dir, append([]string{"build", "--exclude", "di_amb"}, args...)...)
	want := "1|paid|11|2,2|new|20|1,2|paid|21|2,3|new|30|2"
	for _, m := range []string{"di_str", "di_list"} {
		if got := rows(m); got != want {
			t.Errorf("%s = %s, want %s", m, got, want)
		}
	}
	out := mustKiln(t, 1, dir, append([]string{"build", "-s", "di_amb"}, args...)...)
	if !strings.Contains(out, ambiguous) {
		t.Errorf("di_amb: want the database's error %q:\n%s", ambiguous, out)
	}
	if got := rows("di_amb"); got != "1|new|10|1,2|new|20|1" {
		t.Errorf("di_amb = %s after its failed build, want its first build's rows", got)
	}
}

// TestDeleteInsertPredicatesOnDuckDB: delete+insert writes dbt-duckdb's
// delete (duckdb__get_delete_insert_merge_sql): for a unique_key string,
// delete from the target where (key) in (select key from the new rows)
// and the predicates, where an unqualified column is the target's; for a
// list, delete from the target as DBT_INCREMENTAL_TARGET using the new
// rows, where a column of both is ambiguous (kiln used the first form
// for both, so di_amb's predicate silently read the target's amount where
// dbt-duckdb fails).
func TestDeleteInsertPredicatesOnDuckDB(t *testing.T) {
	profiles := "shop:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: shop.duckdb\n"
	dir := incPredicatesProject(t, profiles, "DBT_INCREMENTAL_TARGET")
	db := filepath.Join(dir, "shop.duckdb")
	checkIncPredicates(t, dir, nil, `Ambiguous reference to column name "amount"`, func(m string) string {
		return queryDB(t, db, "select string_agg(concat_ws('|', id, status, amount, updated), ',' order by id, updated) from main."+m)
	})
}

// TestDeleteInsertPredicatesOnPostgres: the same on PostgreSQL, where
// kiln writes dbt-adapters' default__get_delete_insert_merge_sql (which
// dbt-postgres uses): for a list, delete from the target using the new
// rows, the target named by its relation; a column of both, unqualified,
// is ambiguous (dbt-adapters issue 230).
func TestDeleteInsertPredicatesOnPostgres(t *testing.T) {
	d := newPGDB(t)
	profiles := fmt.Sprintf("shop:\n  target: pg\n  outputs:\n    pg:\n      type: postgres\n      host: %s\n      port: %s\n      user: %s\n      dbname: %s\n      schema: analytics\n", d.host, d.port, d.user, d.db)
	dir := incPredicatesProject(t, profiles, "analytics.di_list")
	checkIncPredicates(t, dir, nil, `column reference "amount" is ambiguous`, func(m string) string {
		return strings.Join(d.query(t, "select string_agg(concat_ws('|', id, status, amount, updated), ',' order by id, updated) from analytics."+m), "")
	})
}
