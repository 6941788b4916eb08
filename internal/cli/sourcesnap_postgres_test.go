package cli

import (
	"fmt"
	"strings"
	"testing"
)

// TestSourceOverSnapshotOnPostgres: on PostgreSQL, as on DuckDB
// (testdata/script/source_over_snapshot.txtar), the models that read a
// snapshot's table through a source are built after the snapshot: with
// one thread, after the snapshot's input changed, they hold this run's
// snapshot (order 1 shipped, three versions), not the previous run's
// (order 1 new, two versions), which they read when nothing ordered them.
func TestSourceOverSnapshotOnPostgres(t *testing.T) {
	d := newPGDB(t)
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		"project.yml": fmt.Sprintf("name: shop\ntarget:\n  type: postgres\n  host: %s\n  port: %s\n  user: %s\n  dbname: %s\n  schema: analytics\n",
			d.host, d.port, d.user, d.db),
		"seeds/raw_orders.csv": "id,status\n1,new\n2,new\n",
		"snapshots/orders_snapshot.sql": "{% snapshot orders_snapshot %}\n" +
			"{{ config(target_schema='snapshots', unique_key='id', strategy='check', check_cols='all') }}\n" +
			"select * from {{ source('raw', 'raw_orders') }}\n{% endsnapshot %}\n",
		"models/sources.yml": "version: 2\nsources:\n  - name: raw\n    schema: analytics\n    tables:\n      - name: raw_orders\n" +
			"  - name: history\n    schema: snapshots\n    tables:\n      - name: orders_snapshot\n",
		"models/current_orders.sql": "{{ config(materialized='table') }}\n" +
			"select id, status from {{ source('history', 'orders_snapshot') }} where dbt_valid_to is null\n",
		"models/order_versions.sql": "{{ config(materialized='table') }}\nselect count(*) as n from {{ source('history', 'orders_snapshot') }}\n",
	})
	check := func(when, current, versions string) {
		t.Helper()
		if got := strings.Join(d.query(t, "select id || ':' || status from analytics.current_orders order by id"), ","); got != current {
			t.Errorf("%s: current_orders holds %s, want %s", when, got, current)
		}
		if got := strings.Join(d.query(t, "select n from analytics.order_versions"), ","); got != versions {
			t.Errorf("%s: order_versions counts %s versions, want %s", when, got, versions)
		}
	}
	mustKiln(t, 0, dir, "build", "-s", "raw_orders", "orders_snapshot")
	mustKiln(t, 0, dir, "build", "--threads", "1")
	check("after the first build", "1:new,2:new", "2")
	writeTree(t, dir, map[string]string{"seeds/raw_orders.csv": "id,status\n1,shipped\n2,new\n"})
	out := mustKiln(t, 0, dir, "build", "--threads", "1")
	check("after order 1 shipped", "1:shipped,2:new", "3")
	if i, j := strings.Index(out, "snapshots.orders_snapshot"), strings.Index(out, "current_orders"); i < 0 || j < i {
		t.Errorf("the build does not run the snapshot before current_orders:\n%s", out)
	}
}
