package duckdb

import (
	"context"
	"fmt"

	"github.com/kiln-build/kiln/adapter"
	"github.com/kiln-build/kiln/internal/sqlq"
)

var _ adapter.CatalogReader = (*Conn)(nil)

// Catalogs returns the names of the databases the connection sees
// (duckdb_databases()): its own, the attached ones, "system" and "temp".
func (c *Conn) Catalogs(ctx context.Context) ([]string, error) {
	return c.names(ctx, "SELECT database_name FROM duckdb_databases() ORDER BY 1")
}

// Schemas returns the schemas of the current database (duckdb_schemas()).
func (c *Conn) Schemas(ctx context.Context) ([]string, error) {
	return c.names(ctx, "SELECT DISTINCT schema_name FROM duckdb_schemas() WHERE database_name = current_database() ORDER BY 1")
}

func (c *Conn) names(ctx context.Context, q string) ([]string, error) {
	_, rows, err := c.c.QueryRows(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("cannot read the catalog: %w", err)
	}
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = fmt.Sprint(r[0])
	}
	return out, nil
}

// CatalogViews returns the user views of the attached database catalog
// (duckdb_views()) with their SQL text.
func (c *Conn) CatalogViews(ctx context.Context, catalog string) ([]adapter.ViewText, error) {
	_, rows, err := c.c.QueryRows(ctx, "SELECT schema_name, view_name, sql FROM duckdb_views() WHERE database_name = "+sqlq.Literal(catalog)+" AND NOT internal ORDER BY 1, 2")
	if err != nil {
		return nil, fmt.Errorf("cannot read the views of %s: %w", catalog, err)
	}
	out := make([]adapter.ViewText, len(rows))
	for i, r := range rows {
		out[i] = adapter.ViewText{Relation: adapter.Relation{Database: catalog, Schema: fmt.Sprint(r[0]), Name: fmt.Sprint(r[1])}, SQL: fmt.Sprint(r[2])}
	}
	return out, nil
}
