package execute

import (
	"context"
	"sort"
	"sync"

	"github.com/kiln-build/kiln/adapter"
	"github.com/kiln-build/kiln/internal/sqlq"
)

// Catalog knows the kind ("table" or "view") of every relation of the
// database during a run: it is read once, at the start, and kept current
// as nodes build relations. Asking DuckDB's catalog for each node costs
// more as the database grows (a scan of duckdb_tables() per question).
// It is safe for concurrent use.
type Catalog struct {
	mu    sync.Mutex
	kinds map[sqlq.Relation]string
}

// LoadCatalog reads the tables and views of the database.
func LoadCatalog(ctx context.Context, conn adapter.Conn) (*Catalog, error) {
	rels, err := conn.Relations(ctx, false)
	if err != nil {
		return nil, err
	}
	return newCatalog(rels), nil
}

// newCatalog returns the catalog of the relations rels (Conn.Relations).
func newCatalog(rels []adapter.RelationInfo) *Catalog {
	c := &Catalog{kinds: make(map[sqlq.Relation]string, len(rels))}
	for _, r := range rels {
		c.kinds[sqlq.Relation{Schema: r.Schema, Name: r.Name}] = string(r.Kind)
	}
	return c
}

// Reload reads the tables and views of the database again, in place: for
// a run whose on-run-start hooks may have created or dropped relations
// the nodes then build over (dbt's materializations look a relation up
// when the node runs, after those hooks).
func (c *Catalog) Reload(ctx context.Context, conn adapter.Conn) error {
	rels, err := conn.Relations(ctx, false)
	if err != nil {
		return err
	}
	fresh := newCatalog(rels)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.kinds = fresh.kinds
	return nil
}

// Kind returns "table", "view", or "" when rel does not exist.
func (c *Catalog) Kind(rel sqlq.Relation) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.kinds[sqlq.Relation{Schema: rel.Schema, Name: rel.Name}]
}

// Set records that rel is now of kind ("" removes it).
func (c *Catalog) Set(rel sqlq.Relation, kind string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	key := sqlq.Relation{Schema: rel.Schema, Name: rel.Name}
	if kind == "" {
		delete(c.kinds, key)
		return
	}
	c.kinds[key] = kind
}

// Relations returns every relation, sorted.
func (c *Catalog) Relations() []sqlq.Relation {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]sqlq.Relation, 0, len(c.kinds))
	for r := range c.kinds {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Schema != out[j].Schema {
			return out[i].Schema < out[j].Schema
		}
		return out[i].Name < out[j].Name
	})
	return out
}
