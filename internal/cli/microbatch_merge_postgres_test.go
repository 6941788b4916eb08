package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestMicrobatchMergesOnPostgres: on PostgreSQL a microbatch model's
// batches are merged into its table on unique_key, as dbt-postgres's
// postgres__get_incremental_microbatch_sql does (kiln refused unique_key
// on any microbatch model): a late row is added, an updated row replaces
// the row of its key, also when its event_time moved to another batch
// (one row, not two), and a row gone from the input is kept (a merge
// deletes nothing). A build that fails after the model leaves its table
// as it was, even the rows the merge updated outside the batches the run
// built; a batch with a key twice is refused before anything is written.
func TestMicrobatchMergesOnPostgres(t *testing.T) {
	d := newPGDB(t)
	dir := t.TempDir()
	seeds := func(rows ...string) {
		writeFile(t, filepath.Join(dir, "seeds/events.csv"), "d,id,amount\n"+strings.Join(rows, "\n")+"\n")
	}
	for name, body := range map[string]string{
		"project.yml": fmt.Sprintf("name: mbm\nmodel-paths: [models]\nseed-paths: [seeds]\n"+
			"target:\n  type: postgres\n  host: %s\n  port: %s\n  user: %s\n  dbname: %s\n  schema: analytics\n  threads: 1\n", d.host, d.port, d.user, d.db),
		"seeds/_seeds.yml": "version: 2\nseeds:\n  - name: events\n    config:\n      event_time: d\n      column_types: {d: timestamp, amount: integer}\n",
		"models/mb.sql": "{{ config(materialized='incremental', incremental_strategy='microbatch', event_time='d', batch_size='year', begin='2023-01-01', lookback=0, unique_key='id') }}\n" +
			"select d, id, amount from {{ ref('events') }}\n",
	} {
		writeFile(t, filepath.Join(dir, name), body)
	}
	table := func() string {
		t.Helper()
		return strings.Join(d.query(t, "select id || ' ' || to_char(d, 'YYYY-MM-DD') || ' ' || amount from analytics.mb order by id, d"), ", ")
	}
	check := func(when, want string) {
		t.Helper()
		if got := table(); got != want {
			t.Errorf("%s: mb holds\n  %s\nwant\n  %s", when, got, want)
		}
	}

	seeds("2023-03-01 00:00:00,1,10", "2024-06-01 00:00:00,2,20", "2024-07-01 00:00:00,3,5")
	mustKiln(t, 0, dir, "build")
	check("first build", "1 2023-03-01 10, 2 2024-06-01 20, 3 2024-07-01 5")

	// id 2 updated in its batch, id 4 late in 2024, id 1 moved to 2025,
	// id 3 gone from the input.
	seeds("2024-06-01 00:00:00,2,25", "2024-12-01 00:00:00,4,8", "2025-02-01 00:00:00,1,11")
	mustKiln(t, 0, dir, "build")
	after2 := "1 2025-02-01 11, 2 2024-06-01 25, 3 2024-07-01 5, 4 2024-12-01 8"
	check("second build", after2)

	// id 2 moves to 2025: building 2025's batch alone updates its row,
	// dated 2024; the model boom then fails the build.
	seeds("2024-12-01 00:00:00,4,8", "2025-02-01 00:00:00,1,11", "2025-03-01 00:00:00,2,30")
	writeFile(t, filepath.Join(dir, "models/boom.sql"), "{{ config(materialized='table') }}\nselect 1 / (count(*) - count(*)) as x from {{ ref('mb') }}\n")
	if code, out, errOut := kiln(t, dir, "build", "--event-time-start", "2025-01-01", "--event-time-end", "2026-01-01"); code == 0 {
		t.Fatalf("the build with boom succeeded:\n%s%s", out, errOut)
	}
	check("after the failed build", after2)

	if err := os.Remove(filepath.Join(dir, "models/boom.sql")); err != nil {
		t.Fatal(err)
	}
	mustKiln(t, 0, dir, "build", "--event-time-start", "2025-01-01", "--event-time-end", "2026-01-01")
	after4 := "1 2025-02-01 11, 2 2025-03-01 30, 3 2024-07-01 5, 4 2024-12-01 8"
	check("2025's batch again", after4)

	// Two rows of id 5 in 2024's batch: refused, nothing written.
	seeds("2024-12-01 00:00:00,4,9", "2024-12-02 00:00:00,5,1", "2024-12-03 00:00:00,5,2", "2025-02-01 00:00:00,1,11", "2025-03-01 00:00:00,2,30")
	code, out, errOut := kiln(t, dir, "build")
	if code == 0 || !strings.Contains(out+errOut, `model "mb": batch 2024: model "mb": unique_key id is not unique: id = 5 is in 2 rows; nothing was written`) {
		t.Errorf("a key twice in a batch: exit %d\n%s%s", code, out, errOut)
	}
	check("after the refused batch", after4)
}

// TestMicrobatchUniqueKeyByAdapter: unique_key on a microbatch model is
// what each adapter's dbt makes of it: dbt-postgres requires it (an error
// at the model's config without it), dbt-duckdb refuses it (it replaces a
// batch's rows by event_time).
func TestMicrobatchUniqueKeyByAdapter(t *testing.T) {
	d := newPGDB(t)
	model := func(key string) string {
		return "{{ config(materialized='incremental', incremental_strategy='microbatch', event_time='d', batch_size='year', begin='2023-01-01'" + key + ") }}\n" +
			"select d, id from {{ ref('events') }}\n"
	}
	for _, c := range []struct {
		name, target, key, want string
	}{
		{"postgres", fmt.Sprintf("target:\n  type: postgres\n  host: %s\n  port: %s\n  user: %s\n  dbname: %s\n  schema: analytics\n", d.host, d.port, d.user, d.db), "",
			`error: models/mb.sql:1:4: model "mb": the microbatch strategy on PostgreSQL requires unique_key, as dbt-postgres does: each batch's rows are merged into the table on it`},
		{"duckdb", "", ", unique_key='id'",
			`error: models/mb.sql:1:4: model "mb": the microbatch strategy on DuckDB does not take unique_key, as in dbt-duckdb: it replaces each batch's rows by their event_time`},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, body := range map[string]string{
				"project.yml":      "name: mbk\nmodel-paths: [models]\nseed-paths: [seeds]\n" + c.target,
				"seeds/events.csv": "d,id\n2023-03-01 00:00:00,1\n",
				"seeds/_seeds.yml": "version: 2\nseeds:\n  - name: events\n    config:\n      event_time: d\n      column_types: {d: timestamp}\n",
				"models/mb.sql":    model(c.key),
			} {
				writeFile(t, filepath.Join(dir, name), body)
			}
			out := mustKiln(t, 2, dir, "build")
			if !strings.Contains(out, c.want) {
				t.Errorf("want %q in:\n%s", c.want, out)
			}
		})
	}
}
