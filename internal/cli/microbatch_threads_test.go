package cli

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// TestMicrobatchModelsInParallelOnAFreshDatabase: the first build of three
// microbatch models with four threads on a new DuckDB file succeeds and
// records every batch. kiln_history.intervals was created by the first
// model to reach it, and two workers creating it at once failed one model
// with DuckDB's "Catalog write-write conflict on create".
func TestMicrobatchModelsInParallelOnAFreshDatabase(t *testing.T) {
	dir := t.TempDir()
	mb := func(sql string) string {
		return "{{ config(materialized='incremental', incremental_strategy='microbatch', event_time='d', batch_size='year', begin='2023-01-01') }}\n" + sql
	}
	files := map[string]string{
		"project.yml":      "name: mbt\nmodel-paths: [models]\nseed-paths: [seeds]\n",
		"seeds/events.csv": "d,id,amount\n2023-03-01 00:00:00,1,10\n2024-06-01 00:00:00,2,20\n2024-07-01 00:00:00,3,5\n2025-01-02 00:00:00,4,7\n",
		"seeds/_seeds.yml": "version: 2\nseeds:\n  - name: events\n    config:\n      event_time: d\n      column_types: {d: timestamp, amount: integer}\n",
	}
	for i := 1; i <= 3; i++ {
		files[fmt.Sprintf("models/mb%d.sql", i)] = mb(fmt.Sprintf("select d, id, amount * %d as amount from {{ ref('events') }} where id > %d\n", i, i-1))
	}
	for name, body := range files {
		writeFile(t, filepath.Join(dir, name), body)
	}
	mustKiln(t, 0, dir, "build", "--threads", "4")
	db := filepath.Join(dir, "target", "kiln.duckdb")
	for q, want := range map[string]string{
		"select count(*), sum(amount) from main.mb1": "4|42",
		"select count(*), sum(amount) from main.mb2": "3|64",
		"select count(*), sum(amount) from main.mb3": "2|36",
		// the batches of 2023, 2024 and 2025 (later years' depend on the date)
		"select unique_id, count(*) from kiln_history.intervals where batch_start < timestamp '2026-01-01' group by 1 order by 1": "model.mbt.mb1|3\nmodel.mbt.mb2|3\nmodel.mbt.mb3|3",
	} {
		if got := strings.Join(duckQuery(t, db, q), "\n"); got != want {
			t.Errorf("%s:\n%s\nwant\n%s", q, got, want)
		}
	}
}

// TestObservationsCreatedAtStart: a run's start creates
// kiln_history.observations with the other history tables, before any
// node runs, even when no gate observes anything (it was created by the
// first run to write an observation, so writers on two connections could
// both create it).
func TestObservationsCreatedAtStart(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "project.yml"), "name: obs\nmodel-paths: [models]\n")
	writeFile(t, filepath.Join(dir, "models", "m.sql"), "select 1 as id\n")
	mustKiln(t, 0, dir, "build")
	db := filepath.Join(dir, "target", "kiln.duckdb")
	q := "select table_name from information_schema.tables where table_schema = 'kiln_history' and table_name in ('intervals', 'observations') order by 1"
	if got := strings.Join(duckQuery(t, db, q), ","); got != "intervals,observations" {
		t.Errorf("kiln_history's tables after a run without gates: %s, want intervals,observations", got)
	}
	if got := strings.Join(duckQuery(t, db, "select count(*) from kiln_history.observations"), ""); got != "0" {
		t.Errorf("observations: %s rows, want 0", got)
	}
}
