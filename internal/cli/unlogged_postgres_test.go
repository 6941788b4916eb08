package cli

import (
	"fmt"
	"strings"
	"testing"
)

// TestUnloggedOnPostgres: dbt-postgres's unlogged: true creates the
// tables of a table model (plain and with an enforced contract), an
// incremental model, a microbatch model and a snapshot with create
// unlogged table
// (pg_class.relpersistence 'u'), at a first build, a second one (the
// table model built anew, the incremental model applied in place) and a
// --full-refresh; the others stay logged ('p'), and a view with it builds.
func TestUnloggedOnPostgres(t *testing.T) {
	d := newPGDB(t)
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		"project.yml": fmt.Sprintf("name: u\nmodel-paths: [models]\nseed-paths: [seeds]\nsnapshot-paths: [snapshots]\n"+
			"target:\n  type: postgres\n  host: %s\n  port: %s\n  user: %s\n  dbname: %s\n  schema: analytics\n", d.host, d.port, d.user, d.db),
		"seeds/prices.csv":   "id,price\n1,10.5\n2,20.25\n3,7\n",
		"models/t.sql":       "{{ config(materialized='table', unlogged=true) }}\nselect id, price from {{ ref('prices') }}\n",
		"models/logged.sql":  "{{ config(materialized='table', unlogged=false) }}\nselect id from {{ ref('prices') }}\n",
		"models/plain.sql":   "{{ config(materialized='table') }}\nselect id from {{ ref('prices') }}\n",
		"models/v.sql":       "{{ config(materialized='view', unlogged=true) }}\nselect id from {{ ref('t') }}\n",
		"models/inc.sql":     "{{ config(materialized='incremental', unique_key='id', unlogged=true) }}\nselect id, price from {{ ref('prices') }}\n{% if is_incremental() %}where id > (select max(id) from {{ this }}){% endif %}\n",
		"models/strict.sql":  "{{ config(materialized='table', unlogged=true) }}\nselect id from {{ ref('prices') }}\n",
		"models/strict.yml":  "models:\n  - name: strict\n    config: {contract: {enforced: true}}\n    columns:\n      - {name: id, data_type: bigint, constraints: [{type: not_null}]}\n",
		"seeds/events.csv":   "d,id,amount\n2023-03-01 00:00:00,1,10\n2024-06-01 00:00:00,2,20\n",
		"seeds/_seeds.yml":   "version: 2\nseeds:\n  - name: events\n    config:\n      event_time: d\n      column_types: {d: timestamp, amount: integer}\n",
		"models/mb.sql":      "{{ config(materialized='incremental', incremental_strategy='microbatch', event_time='d', batch_size='year', begin='2023-01-01', unique_key='id', unlogged=true) }}\nselect d, id, amount from {{ ref('events') }}\n",
		"snapshots/snap.sql": "{% snapshot snap %}\n{{ config(target_schema='snapshots', unique_key='id', strategy='check', check_cols='all', unlogged=true) }}\nselect id, price from {{ ref('prices') }}\n{% endsnapshot %}\n",
	})
	want := "events:p,inc:u,logged:p,mb:u,plain:p,prices:p,snap:u,strict:u,t:u,v:v"
	persistence := func() string {
		return strings.Join(d.query(t, `select c.relname || ':' || case c.relkind when 'v' then 'v' else c.relpersistence::text end
from pg_class c join pg_namespace n on n.oid = c.relnamespace
where n.nspname in ('analytics', 'snapshots') and c.relkind in ('r', 'v') order by 1`), ",")
	}
	for i, args := range [][]string{{"build"}, {"build"}, {"build", "--full-refresh"}} {
		out := mustKiln(t, 0, dir, args...)
		// The view's unlogged: true has no effect, and the run says so.
		if want := `warning: unlogged has no effect on a view or an ephemeral model, which have no table (as in dbt, it is ignored): model "v" (view)`; i == 0 && !strings.Contains(out, want) {
			t.Errorf("kiln build does not say %q:\n%s", want, out)
		}
		if got := persistence(); got != want {
			t.Errorf("after kiln %s: relations %s, want %s", strings.Join(args, " "), got, want)
		}
	}
	if got := d.query(t, "select count(*) from analytics.inc"); strings.Join(got, ",") != "3" {
		t.Errorf("inc holds %v rows, want 3", got)
	}
}

// TestUnloggedRefusedOnDuckDB: DuckDB has no unlogged tables; a model
// with unlogged: true is refused before the run at its config() (dbt-duckdb
// would ignore it), and nothing is built; unlogged: false builds.
func TestUnloggedRefusedOnDuckDB(t *testing.T) {
	dir := smallProject(t, "")
	writeTree(t, dir, map[string]string{
		"models/summary.sql": "{{ config(materialized='table', schema='marts', unlogged=true) }}\nselect count(*) as n from {{ ref('expensive') }}\n",
	})
	out := mustKiln(t, 2, dir, "build")
	for _, want := range []string{
		`models/summary.sql:1:`,
		`model "summary": unlogged is not supported on duckdb, which has no unlogged tables (dbt-duckdb ignores it)`,
		`hint: remove unlogged`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("kiln build does not say %q:\n%s", want, out)
		}
	}
	writeTree(t, dir, map[string]string{
		"models/summary.sql": "{{ config(materialized='table', schema='marts', unlogged=false) }}\nselect count(*) as n from {{ ref('expensive') }}\n",
	})
	mustKiln(t, 0, dir, "build")
}
