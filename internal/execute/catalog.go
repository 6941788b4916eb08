package execute

import (
	"context"
	"fmt"
	"sort"
	"sync"

	"github.com/kiln-build/kiln/internal/duck"
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

// LoadCatalog reads the user tables and views of the database.
func LoadCatalog(ctx context.Context, conn *duck.Conn) (*Catalog, error) {
	_, rows, err := conn.QueryRows(ctx, `select schema_name, table_name, 'table' from duckdb_tables() where not internal and database_name = current_database()
        union all
        select schema_name, view_name, 'view' from duckdb_views() where not internal and database_name = current_database()`)
	if err != nil {
		return nil, fmt.Errorf("cannot read the catalog: %w", err)
	}
	c := &Catalog{kinds: make(map[sqlq.Relation]string, len(rows))}
	for _, r := range rows {
		c.kinds[sqlq.Relation{Schema: fmt.Sprint(r[0]), Name: fmt.Sprint(r[1])}] = fmt.Sprint(r[2])
	}
	return c, nil
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
