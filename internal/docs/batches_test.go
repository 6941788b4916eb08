package docs

import (
	"reflect"
	"testing"
	"testing/fstest"
	"time"

	"github.com/kiln-build/kiln/adapter"
	"github.com/kiln-build/kiln/adapter/duckdb/duckdbtest"
	"github.com/kiln-build/kiln/compiler"
	"github.com/kiln-build/kiln/compiler/project"
)

// A microbatch model's page shows its batching and the batches its
// interval state records, read from the database with the catalog;
// other models have none.
func TestBatches(t *testing.T) {
	p, l := project.Load(fstest.MapFS{
		"project.yml": {Data: []byte("name: shop\n")},
		"models/monthly.sql": {Data: []byte("{{ config(materialized='incremental', incremental_strategy='microbatch', event_time='month_start', batch_size='month', begin='2024-01-01') }}\n" +
			"select timestamp '2024-01-01' as month_start")},
		"models/plain.sql": {Data: []byte("select 1 as x")},
	})
	if l.HasErrors() {
		t.Fatal(l)
	}
	m, errs := compiler.Compile(p, compiler.Options{})
	if errs != nil {
		t.Fatal(errs)
	}
	c := duckdbtest.Conn(t)
	if ivs, err := readIntervals(ctx, c, m.Graph); err != nil || len(ivs) != 0 {
		t.Fatalf("without kiln's records: %v, %v", ivs, err)
	}
	jan := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	if err := c.Store().SaveIntervals(ctx, "model.shop.monthly", "run-1234567890", []adapter.Interval{{Start: jan.AddDate(0, 1, 0), End: jan.AddDate(0, 2, 0), Digest: "b"}, {Start: jan, End: jan.AddDate(0, 1, 0), Digest: "a"}}); err != nil {
		t.Fatal(err)
	}
	ivs, err := readIntervals(ctx, c, m.Graph)
	if err != nil {
		t.Fatal(err)
	}
	s := buildSite(&Input{Manifest: m, Catalog: EmptyCatalog(CatalogMetadata{}), Intervals: ivs, GeneratedAt: when})
	var got *siteBatches
	for _, n := range s.Nodes {
		switch n.Name {
		case "monthly":
			got = n.Batches
		case "plain":
			if n.Batches != nil {
				t.Errorf("plain has batches: %+v", n.Batches)
			}
		}
	}
	if got == nil {
		t.Fatal("monthly has no batches")
	}
	var starts []string
	for _, iv := range got.Built {
		starts = append(starts, iv.Start+"/"+iv.End+" "+iv.RunID)
	}
	if got.EventTime != "month_start" || got.Size != "month" || !reflect.DeepEqual(starts, []string{
		"2024-01-01T00:00:00Z/2024-02-01T00:00:00Z run-1234567890", "2024-02-01T00:00:00Z/2024-03-01T00:00:00Z run-1234567890"}) {
		t.Errorf("monthly's batches: %+v %v", got, starts)
	}
}
