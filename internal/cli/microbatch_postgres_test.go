package cli

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// TestMicrobatchInputsOnPostgres: a microbatch model's filtered inputs are
// subqueries named as their relations, so the model's SQL runs on
// PostgreSQL 15 (which refuses a subquery in FROM without a name) as
// written: a ref without alias, a column qualified by the input's name,
// and a ref with its own alias.
func TestMicrobatchInputsOnPostgres(t *testing.T) {
	d := newPGDB(t)
	dir := t.TempDir()
	mb := func(key, sql string) string {
		return "{{ config(materialized='incremental', incremental_strategy='microbatch', event_time='d', batch_size='year', begin='2023-01-01', unique_key='" + key + "') }}\n" + sql
	}
	for name, body := range map[string]string{
		"project.yml": fmt.Sprintf("name: mb\nmodel-paths: [models]\nseed-paths: [seeds]\n"+
			"target:\n  type: postgres\n  host: %s\n  port: %s\n  user: %s\n  dbname: %s\n  schema: analytics\n  threads: 1\n", d.host, d.port, d.user, d.db),
		"seeds/events.csv":     "d,id,amount\n2023-03-01 00:00:00,1,10\n2024-06-01 00:00:00,2,20\n2024-07-01 00:00:00,3,5\n",
		"seeds/_seeds.yml":     "version: 2\nseeds:\n  - name: events\n    config:\n      event_time: d\n      column_types: {d: timestamp, amount: integer}\n",
		"models/bare.sql":      mb("d", "select date_trunc('year', d) as d, sum(amount) as amount from {{ ref('events') }}\ngroup by 1\n"),
		"models/qualified.sql": mb("id", "select events.d, events.id from {{ ref('events') }} where events.amount > 5\n"),
		"models/aliased.sql":   mb("id", "select e.d, e.id from {{ ref('events') }} e -- its own name\nwhere e.id > 1\n"),
	} {
		writeFile(t, filepath.Join(dir, name), body)
	}
	mustKiln(t, 0, dir, "build")
	for q, want := range map[string]string{
		"select to_char(d, 'YYYY-MM-DD'), amount from analytics.bare order by 1": "2023-01-01|10\n2024-01-01|25",
		"select id from analytics.qualified order by 1":                          "1\n2",
		"select id from analytics.aliased order by 1":                            "2\n3",
	} {
		if got := strings.Join(d.query(t, q), "\n"); got != want {
			t.Errorf("%s:\n%s\nwant\n%s", q, got, want)
		}
	}
}
