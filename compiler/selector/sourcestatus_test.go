package selector

import (
	"slices"
	"testing"
	"time"

	"github.com/kiln-build/kiln/compiler/graph"
)

// TestSourceStatusFresher: a newer max_loaded_at, or a source new to the
// previous sources.json, is fresher; an older or equal one, a runtime
// error on either side, or a source absent from the current results is
// not.
func TestSourceStatusFresher(t *testing.T) {
	g := shopGraph(t)
	id := func(name string) graph.ID { return byName(t, g, name) }
	t0 := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	opt := Options{
		Indirect: Empty,
		PreviousSources: map[graph.ID]SourceFreshness{
			id("raw.orders"):         {MaxLoadedAt: t0},
			id("raw.customers"):      {MaxLoadedAt: t0},
			id("raw.products"):       {Failed: true},
			id("legacy.orders_2019"): {MaxLoadedAt: t0},
		},
		Sources: map[graph.ID]SourceFreshness{
			id("raw.orders"):         {MaxLoadedAt: t0.Add(time.Microsecond)},
			id("raw.customers"):      {MaxLoadedAt: t0},
			id("raw.products"):       {MaxLoadedAt: t0.Add(time.Hour)},
			id("raw.payments"):       {MaxLoadedAt: t0},
			id("legacy.orders_2019"): {Failed: true},
		},
	}
	ids, err := Select(g, []string{"source_status:fresher"}, nil, opt)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := names(g, ids), []string{"raw.orders", "raw.payments"}; !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	opt.Sources = nil
	if _, err := Select(g, []string{"source_status:fresher"}, nil, opt); err == nil || err.Error() != `selector "source_status:fresher" at column 1: no current sources.json to compare; run kiln source freshness first: it writes the target's sources.json` {
		t.Errorf("without current results: %v", err)
	}
}
