package duck

import (
	"context"
	"fmt"
	"strings"
)

// Column is one column of a table or view: its name and its DuckDB type as
// DuckDB spells it ("BIGINT", "VARCHAR", "DECIMAL(10,2)", "VARCHAR[]", ...).
type Column struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

// RelationInfo describes a user table or view of the current database.
type RelationInfo struct {
	Database string   `json:"database"`
	Schema   string   `json:"schema"`
	Name     string   `json:"name"`
	Kind     string   `json:"kind"` // "table" or "view"
	Rows     int64    `json:"rows"` // DuckDB's row count estimate for tables (exact after a load or CREATE TABLE AS); -1 for views
	Columns  []Column `json:"columns"`
}

// The catalog queries look in the current database only (not temp, not
// attached ones); schema "" means the current schema. Names match
// case-insensitively, as DuckDB resolves identifiers.
const schemaPred = `database_name = current_database() AND lower(schema_name) = lower(coalesce(nullif(?, ''), current_schema()))`

// RelationKind returns "table" or "view" for schema.name in the current
// database, or "" when there is no such relation.
func (c *Conn) RelationKind(ctx context.Context, schema, name string) (string, error) {
	q := `SELECT 'table' FROM duckdb_tables() WHERE NOT internal AND ` + schemaPred + ` AND lower(table_name) = lower(?)
UNION ALL
SELECT 'view' FROM duckdb_views() WHERE NOT internal AND ` + schemaPred + ` AND lower(view_name) = lower(?)`
	_, rows, err := c.QueryRows(ctx, q, schema, name, schema, name)
	if err != nil {
		return "", fmt.Errorf("cannot read the catalog: %w", err)
	}
	if len(rows) == 0 {
		return "", nil
	}
	kind, _ := rows[0][0].(string)
	return kind, nil
}

// Columns returns the columns of table or view schema.name in ordinal order,
// or none when it does not exist.
func (c *Conn) Columns(ctx context.Context, schema, name string) ([]Column, error) {
	q := `SELECT column_name, data_type FROM duckdb_columns()
WHERE NOT internal AND ` + schemaPred + ` AND lower(table_name) = lower(?)
ORDER BY column_index`
	_, rows, err := c.QueryRows(ctx, q, schema, name)
	if err != nil {
		return nil, fmt.Errorf("cannot read the catalog: %w", err)
	}
	cols := make([]Column, 0, len(rows))
	for _, r := range rows {
		cols = append(cols, Column{Name: str(r[0]), Type: str(r[1])})
	}
	return cols, nil
}

// Relations returns every user table and view of the current database
// (system and temporary ones left out), sorted by schema then name; with
// columns, each with its columns.
func (c *Conn) Relations(ctx context.Context, columns bool) ([]RelationInfo, error) {
	if !columns {
		return c.relationKinds(ctx)
	}
	const q = `WITH rels AS (
  SELECT schema_name, table_name AS name, 'table' AS kind, estimated_size AS nrows
  FROM duckdb_tables() WHERE NOT internal AND database_name = current_database()
  UNION ALL
  SELECT schema_name, view_name, 'view', -1
  FROM duckdb_views() WHERE NOT internal AND database_name = current_database()
)
SELECT r.schema_name, r.name, r.kind, r.nrows, c.column_name, c.data_type, current_database()
FROM rels r LEFT JOIN duckdb_columns() c
  ON c.database_name = current_database() AND c.schema_name = r.schema_name AND c.table_name = r.name
ORDER BY r.schema_name, r.name, c.column_index`
	_, rows, err := c.QueryRows(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("cannot read the catalog: %w", err)
	}
	var out []RelationInfo
	for _, r := range rows {
		schema, name := str(r[0]), str(r[1])
		if n := len(out); n == 0 || out[n-1].Schema != schema || out[n-1].Name != name {
			nrows, _ := toInt64(r[3])
			out = append(out, RelationInfo{Database: str(r[6]), Schema: schema, Name: name, Kind: str(r[2]), Rows: nrows})
		}
		if r[4] != nil {
			last := &out[len(out)-1]
			last.Columns = append(last.Columns, Column{Name: str(r[4]), Type: str(r[5])})
		}
	}
	return out, nil
}

// relationKinds returns the user tables and views without their columns
// (a lighter query: no join with duckdb_columns()).
func (c *Conn) relationKinds(ctx context.Context) ([]RelationInfo, error) {
	_, rows, err := c.QueryRows(ctx, `SELECT schema_name, table_name AS name, 'table', estimated_size, current_database()
  FROM duckdb_tables() WHERE NOT internal AND database_name = current_database()
UNION ALL
SELECT schema_name, view_name, 'view', -1, current_database()
  FROM duckdb_views() WHERE NOT internal AND database_name = current_database()
ORDER BY 1, 2`)
	if err != nil {
		return nil, fmt.Errorf("cannot read the catalog: %w", err)
	}
	out := make([]RelationInfo, len(rows))
	for i, r := range rows {
		n, _ := toInt64(r[3])
		out[i] = RelationInfo{Database: str(r[4]), Schema: str(r[0]), Name: str(r[1]), Kind: str(r[2]), Rows: n}
	}
	return out, nil
}

func str(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	if v == nil {
		return ""
	}
	return strings.TrimSpace(fmt.Sprint(v))
}
