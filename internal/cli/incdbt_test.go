package cli

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// noKeyProject writes a project of daily totals of a seed of events
// (id, day, amount), for the profile profiles: daily, delete+insert
// without unique_key, whose incremental_predicates delete the days the
// new rows start from (DBT_INTERNAL_DEST, DBT_INTERNAL_SOURCE), each run
// reading the days from the table's last one; and daily_default, the same
// without incremental_strategy.
func noKeyProject(t *testing.T, profiles string) string {
	t.Helper()
	model := func(strategy string) string {
		return "{{ config(materialized='incremental'" + strategy +
			", incremental_predicates=[\"DBT_INTERNAL_DEST.day >= (select min(day) from DBT_INTERNAL_SOURCE)\"]) }}\n" +
			"select day, sum(amount) as total, count(*) as n from {{ ref('events') }}\n" +
			"{% if is_incremental() %}where day >= (select max(day) from {{ this }}){% endif %}\ngroup by day\n"
	}
	return writeProject(t, map[string]string{
		"dbt_project.yml":          "name: shop\nprofile: shop\n",
		"profiles.yml":             profiles,
		"seeds/events.csv":         "id,day,amount\n1,1,10\n2,2,20\n",
		"models/daily.sql":         model(", incremental_strategy='delete+insert'"),
		"models/daily_default.sql": model(""),
	})
}

// runNoKey builds the project three times: the first build; a late event
// of day 2 and a day 3; then day 3's event updated, a late event of day 1
// (before the window: not read again, as in dbt) and a day 4. It returns
// the output of the last build.
func runNoKey(t *testing.T, dir string) string {
	t.Helper()
	mustKiln(t, 0, dir, "build")
	writeTree(t, dir, map[string]string{"seeds/events.csv": "id,day,amount\n1,1,10\n2,2,20\n3,2,5\n4,3,30\n"})
	mustKiln(t, 0, dir, "build")
	writeTree(t, dir, map[string]string{"seeds/events.csv": "id,day,amount\n1,1,10\n2,2,20\n3,2,5\n4,3,33\n5,1,1\n6,4,40\n"})
	return mustKiln(t, 0, dir, "build")
}

// TestDeleteInsertWithoutKeyOnPostgres: delete+insert without unique_key
// but with incremental_predicates deletes the target's rows that meet
// them, then inserts the new rows, as dbt-adapters'
// default__get_delete_insert_merge_sql (which dbt-postgres uses) does,
// DBT_INTERNAL_DEST and DBT_INTERNAL_SOURCE naming the target and the new
// rows: each run replaces the days from the new rows' first, so the late
// event of day 2 and the updated day 3 replace their days' totals (kiln
// appended the new rows, leaving two totals for those days). Without
// incremental_strategy, dbt-postgres appends (its default is append
// without unique_key), the predicates unused, which kiln says.
func TestDeleteInsertWithoutKeyOnPostgres(t *testing.T) {
	d := newPGDB(t)
	profiles := fmt.Sprintf("shop:\n  target: pg\n  outputs:\n    pg:\n      type: postgres\n      host: %s\n      port: %s\n      user: %s\n      dbname: %s\n      schema: analytics\n", d.host, d.port, d.user, d.db)
	dir := noKeyProject(t, profiles)
	out := runNoKey(t, dir)
	rows := func(m string) string {
		return strings.Join(d.query(t, "select string_agg(concat_ws('|', day, total, n), ',' order by day, total) from analytics."+m), "")
	}
	if got, want := rows("daily"), "1|10|1,2|25|2,3|33|1,4|40|1"; got != want {
		t.Errorf("daily = %s, want %s", got, want)
	}
	if got, want := rows("daily_default"), "1|10|1,2|20|1,2|25|2,3|30|1,3|33|1,4|40|1"; got != want {
		t.Errorf("daily_default = %s, want %s (appended, as dbt-postgres's default strategy)", got, want)
	}
	if !strings.Contains(out, `model "daily_default": the append strategy does not use incremental_predicates`) {
		t.Errorf("want a warning that daily_default's predicates are not used:\n%s", out)
	}
	if strings.Contains(out, `model "daily":`) {
		t.Errorf("daily, whose predicates delete, got a warning:\n%s", out)
	}
}

// TestDeleteInsertWithoutKeyOnDuckDB: on DuckDB, dbt-duckdb's
// delete+insert (duckdb__get_delete_insert_merge_sql) deletes by
// unique_key only: without one, every new row is appended and the
// predicates are not used, which kiln now says (it said the model
// appends, not that its predicates are ignored).
func TestDeleteInsertWithoutKeyOnDuckDB(t *testing.T) {
	profiles := "shop:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: shop.duckdb\n"
	dir := noKeyProject(t, profiles)
	out := runNoKey(t, dir)
	db := filepath.Join(dir, "shop.duckdb")
	want := "1|10|1,2|20|1,2|25|2,3|30|1,3|33|1,4|40|1"
	for _, m := range []string{"daily", "daily_default"} {
		got := queryDB(t, db, "select string_agg(concat_ws('|', day, total, n), ',' order by day, total) from main."+m)
		if got != want {
			t.Errorf("%s = %s, want %s", m, got, want)
		}
		if w := fmt.Sprintf(`model %q: delete+insert without unique_key does not use incremental_predicates on DuckDB`, m); !strings.Contains(out, w) {
			t.Errorf("want the warning %q:\n%s", w, out)
		}
	}
}

// keysProject writes a project of incremental models over a seed of
// people (id, name, email), for the profile profiles: each reads every
// row and is keyed as models says (name -> config arguments and select
// list).
func keysProject(t *testing.T, profiles string, models map[string][2]string) string {
	t.Helper()
	files := map[string]string{
		"dbt_project.yml":  "name: shop\nprofile: shop\n",
		"profiles.yml":     profiles,
		"seeds/people.csv": "id,name,email\n1,Ann,ann@x\n2,Bob,BOB@x\n",
	}
	for name, m := range models {
		files["models/"+name+".sql"] = "{{ config(materialized='incremental', " + m[0] + ") }}\nselect " + m[1] + " from {{ ref('people') }}\n"
	}
	return writeProject(t, files)
}

// newPeople is the seed of the second build: Bob renamed, his email in
// another case, and a third person.
const newPeople = "id,name,email\n1,Ann,ann@x\n2,Bobby,bob@X\n3,Cy,cy@x\n"

// TestUniqueKeyAsWrittenOnPostgres: kiln writes unique_key (and
// merge_update_columns) as given, as dbt-adapters does (get_merge_sql,
// get_delete_insert_merge_sql: {{ unique_key }}, not quoted), so
// PostgreSQL resolves them by its rules: unique_key 'ID' is the column id
// (kiln quoted "ID" and failed), '"OrderId"' the mixed-case column
// "OrderId" (kiln quoted the quotes), an expression such as lower(email)
// the key of delete+insert (kiln took it for a column); and 'OrderId',
// unquoted, is folded
// to orderid, which is no column: refused as dbt-postgres fails, at
// unique_key, with a hint to quote it (kiln quoted it and went on).
func TestUniqueKeyAsWrittenOnPostgres(t *testing.T) {
	d := newPGDB(t)
	profiles := fmt.Sprintf("shop:\n  target: pg\n  outputs:\n    pg:\n      type: postgres\n      host: %s\n      port: %s\n      user: %s\n      dbname: %s\n      schema: analytics\n", d.host, d.port, d.user, d.db)
	dir := keysProject(t, profiles, map[string][2]string{
		"m_upper":   {"incremental_strategy='merge', unique_key='ID', merge_update_columns=['NAME']", "id, name"},
		"di_list":   {"incremental_strategy='delete+insert', unique_key=['ID']", "id, name"},
		"di_quoted": {"incremental_strategy='delete+insert', unique_key='\"OrderId\"'", "id as \"OrderId\", name"},
		"di_expr":   {"incremental_strategy='delete+insert', unique_key='lower(email)'", "email, id, name"},
		"di_mixed":  {"incremental_strategy='delete+insert', unique_key='OrderId'", "id as \"OrderId\", name"},
	})
	mustKiln(t, 0, dir, "build", "--exclude", "di_mixed")
	writeTree(t, dir, map[string]string{"seeds/people.csv": newPeople})
	mustKiln(t, 0, dir, "build", "--exclude", "di_mixed")
	rows := func(q string) string { return strings.Join(d.query(t, q), ",") }
	want := "1|Ann,2|Bobby,3|Cy"
	for _, m := range []string{"m_upper", "di_list"} {
		if got := rows("select id, name from analytics." + m + " order by 1"); got != want {
			t.Errorf("%s = %s, want %s", m, got, want)
		}
	}
	if got := rows(`select "OrderId", name from analytics.di_quoted order by 1`); got != want {
		t.Errorf("di_quoted = %s, want %s", got, want)
	}
	if got, want := rows("select email, id, name from analytics.di_expr order by 2"), "ann@x|1|Ann,bob@X|2|Bobby,cy@x|3|Cy"; got != want {
		t.Errorf("di_expr = %s, want %s (bob@X replaces BOB@x by lower(email))", got, want)
	}
	out := mustKiln(t, 1, dir, "build", "-s", "di_mixed")
	for _, w := range []string{
		`models/di_mixed.sql:1:`,
		`model "di_mixed": unique_key OrderId does not read its rows`,
		`column "orderid" does not exist`,
		`write unique_key: '"OrderId"' to keep its case`,
	} {
		if !strings.Contains(out, w) {
			t.Errorf("di_mixed: want %q in:\n%s", w, out)
		}
	}
}

// TestUniqueKeyExpressionOnDuckDB: an expression as unique_key, written
// as a string, is the key of delete+insert on DuckDB, as in dbt's
// where (key) in (select (key) ...) (kiln took lower(email) for a column,
// and the commas inside concat() for three keys). merge, which qualifies
// each key (DBT_INTERNAL_SOURCE.key), needs a column name: an expression
// is refused before the run, at unique_key, where dbt's run fails.
func TestUniqueKeyExpressionOnDuckDB(t *testing.T) {
	profiles := "shop:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: shop.duckdb\n"
	dir := keysProject(t, profiles, map[string][2]string{
		"di_lower": {"incremental_strategy='delete+insert', unique_key='lower(email)'", "email, id, name"},
		"di_expr":  {"incremental_strategy='delete+insert', unique_key=\"concat(id, '-', lower(email))\"", "email, id, name"},
		"di_word":  {"incremental_strategy='delete+insert', unique_key='order'", "id as \"order\", name"},
	})
	mustKiln(t, 0, dir, "build", "--exclude", "di_word")
	writeTree(t, dir, map[string]string{"seeds/people.csv": newPeople})
	mustKiln(t, 0, dir, "build", "--exclude", "di_word")
	db := filepath.Join(dir, "shop.duckdb")
	for _, m := range []string{"di_lower", "di_expr"} {
		got := queryDB(t, db, "select string_agg(concat_ws('|', email, id, name), ',' order by id) from main."+m)
		if want := "ann@x|1|Ann,bob@X|2|Bobby,cy@x|3|Cy"; got != want {
			t.Errorf("%s = %s, want %s", m, got, want)
		}
	}
	// A reserved word, unquoted, is an error of the database's, as in
	// dbt, with a hint to quote it (kiln quoted it).
	out := mustKiln(t, 1, dir, "build", "-s", "di_word")
	if w := `write unique_key: '"order"'`; !strings.Contains(out, w) {
		t.Errorf("di_word: want %q in:\n%s", w, out)
	}
	writeTree(t, dir, map[string]string{"models/m_expr.sql": "{{ config(materialized='incremental', incremental_strategy='merge', unique_key='lower(email)') }}\nselect email, id, name from {{ ref('people') }}\n"})
	out = mustKiln(t, 2, dir, "build")
	for _, w := range []string{`models/m_expr.sql:1:81: model "m_expr": unique_key "lower(email)" is not a column name: merge writes DBT_INTERNAL_SOURCE.<key> = DBT_INTERNAL_DEST.<key>`} {
		if !strings.Contains(out, w) {
			t.Errorf("m_expr: want %q in:\n%s", w, out)
		}
	}
}

// TestMicrobatchPredicatesOnDuckDB: incremental_predicates narrow a
// microbatch model's batches as dbt-duckdb's
// duckdb__get_incremental_microbatch_sql does: a batch written into the
// table deletes only the table's rows of the batch that meet them, and
// inserts only the new rows that meet them (kiln ignored them: id 3,
// whose amount is negative, was inserted with 2024's batch).
func TestMicrobatchPredicatesOnDuckDB(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"project.yml":      "name: mbp\nmodel-paths: [models]\nseed-paths: [seeds]\n",
		"seeds/events.csv": "d,id,amount\n2023-03-01 00:00:00,1,10\n2024-06-01 00:00:00,2,20\n2024-07-01 00:00:00,3,-5\n2025-01-02 00:00:00,4,7\n",
		"seeds/_seeds.yml": "version: 2\nseeds:\n  - name: events\n    config:\n      event_time: d\n      column_types: {d: timestamp, amount: integer}\n",
		"models/mb.sql": "{{ config(materialized='incremental', incremental_strategy='microbatch', event_time='d', batch_size='year', begin='2023-01-01', lookback=0," +
			" incremental_predicates=['amount >= 0']) }}\nselect d, id, amount from {{ ref('events') }}\n",
	}
	for name, body := range files {
		writeFile(t, filepath.Join(dir, name), body)
	}
	mustKiln(t, 0, dir, "build")
	db := filepath.Join(dir, "target", "kiln.duckdb")
	q := "select string_agg(id || ':' || amount, ',' order by id) from main.mb"
	if got, want := strings.Join(duckQuery(t, db, q), ""), "1:10,2:20,4:7"; got != want {
		t.Errorf("after the first build: %s, want %s", got, want)
	}
	writeFile(t, filepath.Join(dir, "seeds/events.csv"), "d,id,amount\n2023-03-01 00:00:00,1,10\n2024-06-01 00:00:00,2,20\n2024-07-01 00:00:00,3,-5\n2025-01-02 00:00:00,4,-1\n2025-02-01 00:00:00,5,3\n")
	mustKiln(t, 0, dir, "build", "--event-time-start", "2025-01-01", "--event-time-end", "2026-01-01")
	if got, want := strings.Join(duckQuery(t, db, q), ""), "1:10,2:20,5:3"; got != want {
		t.Errorf("after 2025's batch again: %s, want %s", got, want)
	}
}
