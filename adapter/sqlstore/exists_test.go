package sqlstore_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/kiln-build/kiln/adapter"
	"github.com/kiln-build/kiln/adapter/duckdb"
	"github.com/kiln-build/kiln/adapter/sqlstore"
)

// countingConn counts the catalog lookups of one relation.
type countingConn struct {
	adapter.Conn
	kinds int
}

func (c *countingConn) RelationKind(ctx context.Context, rel adapter.Relation) (adapter.Kind, error) {
	c.kinds++
	return c.Conn.RelationKind(ctx, rel)
}

// Reading the history of a database kiln never built in asks whether its
// table exists (and creates nothing); once the store's tables are ensured
// (a run's start), on this connection or another of the database, it
// reads them without asking the catalog again.
func TestReadsSkipTheCatalogOnceEnsured(t *testing.T) {
	ctx := context.Background()
	a, err := duckdb.Open(ctx, filepath.Join(t.TempDir(), "h.duckdb"))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	conn := func() *countingConn {
		c, err := a.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return &countingConn{Conn: c}
	}
	reader := conn()
	s := sqlstore.New(reader, a.Dialect())
	runs, err := s.RecentRuns(ctx, 5)
	if err != nil || len(runs) != 0 || reader.kinds != 1 {
		t.Fatalf("before any run: %d runs, %v, %d catalog lookups; want 0 runs, 1 lookup", len(runs), err, reader.kinds)
	}
	if k, err := reader.Conn.RelationKind(ctx, adapter.Relation{Schema: sqlstore.Schema, Name: "runs"}); err != nil || k != "" {
		t.Fatalf("reading created the history (%q, %v)", k, err)
	}
	writer := conn()
	started := time.Date(2026, 12, 5, 17, 0, 0, 0, time.UTC)
	if err := sqlstore.New(writer, a.Dialect()).StartRun(ctx, adapter.RunRecord{ID: "r1", Command: "build", Started: started}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []*countingConn{reader, writer, conn()} {
		before := c.kinds
		runs, err := sqlstore.New(c, a.Dialect()).RecentRuns(ctx, 5)
		if err != nil || len(runs) != 1 || runs[0].ID != "r1" || runs[0].Status != "running" {
			t.Fatalf("after a run started: %+v, %v; want r1 running", runs, err)
		}
		if c.kinds != before {
			t.Errorf("RecentRuns asked the catalog %d times once the tables were ensured, want 0", c.kinds-before)
		}
	}
}
