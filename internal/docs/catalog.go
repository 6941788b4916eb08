package docs

import (
	"context"
	"strings"
	"time"

	"github.com/kiln-build/kiln/adapter"
	"github.com/kiln-build/kiln/compiler/graph"
)

// CatalogFile and CatalogSchema name dbt's catalog artifact.
const (
	CatalogFile   = "catalog.json"
	CatalogSchema = "https://schemas.getdbt.com/dbt/catalog/v1.json"
)

// Catalog is catalog.json, dbt's catalog v1
// (https://schemas.getdbt.com/dbt/catalog/v1.json,
// https://docs.getdbt.com/reference/artifacts/catalog-json): what the
// database holds for each node that lives in it.
//
//	{
//	  "metadata": {"dbt_schema_version", "dbt_version", "generated_at", "invocation_id", "env": {}},
//	  "nodes":   {unique_id: CatalogTable},   // models and seeds
//	  "sources": {unique_id: CatalogTable},
//	  "errors": null
//	}
type Catalog struct {
	Metadata CatalogMetadata            `json:"metadata"`
	Nodes    map[graph.ID]*CatalogTable `json:"nodes"`
	Sources  map[graph.ID]*CatalogTable `json:"sources"`
	Errors   []string                   `json:"errors"`
}

// CatalogMetadata is catalog.json's metadata; dbt_version holds kiln's
// version.
type CatalogMetadata struct {
	SchemaVersion string            `json:"dbt_schema_version"`
	DbtVersion    string            `json:"dbt_version"`
	GeneratedAt   string            `json:"generated_at"`
	InvocationID  string            `json:"invocation_id"`
	Env           map[string]string `json:"env"`
}

// CatalogTable is one relation:
//
//	{"metadata": {"type": "BASE TABLE" | "VIEW", "schema", "name", "database", "comment", "owner"},
//	 "columns": {name: {"type", "index" (1-based), "name", "comment"}},
//	 "stats": {"has_stats": Stat, "row_count": Stat},
//	 "unique_id"}
type CatalogTable struct {
	Metadata TableMetadata             `json:"metadata"`
	Columns  map[string]*CatalogColumn `json:"columns"`
	Stats    map[string]*Stat          `json:"stats"`
	UniqueID graph.ID                  `json:"unique_id"`
}

// TableMetadata describes a relation of the catalog.
type TableMetadata struct {
	Type     string  `json:"type"`
	Schema   string  `json:"schema"`
	Name     string  `json:"name"`
	Database string  `json:"database"`
	Comment  *string `json:"comment"`
	Owner    *string `json:"owner"`
}

// CatalogColumn is a column of a relation; Index is 1-based.
type CatalogColumn struct {
	Type    string  `json:"type"`
	Index   int     `json:"index"`
	Name    string  `json:"name"`
	Comment *string `json:"comment"`
}

// Stat is one statistic of a relation, with dbt's keys.
type Stat struct {
	ID          string `json:"id"`
	Label       string `json:"label"`
	Value       any    `json:"value"`
	Include     bool   `json:"include"`
	Description string `json:"description"`
}

// OrderedColumns returns t's columns in index order.
func (t *CatalogTable) OrderedColumns() []*CatalogColumn {
	out := make([]*CatalogColumn, len(t.Columns))
	extra := []*CatalogColumn{}
	for _, c := range t.Columns {
		if c.Index >= 1 && c.Index <= len(out) && out[c.Index-1] == nil {
			out[c.Index-1] = c
		} else {
			extra = append(extra, c)
		}
	}
	res := out[:0]
	for _, c := range out {
		if c != nil {
			res = append(res, c)
		}
	}
	return append(res, extra...)
}

// RowCount returns the row_count statistic, or -1.
func (t *CatalogTable) RowCount() int64 {
	if s := t.Stats["row_count"]; s != nil {
		switch v := s.Value.(type) {
		case int64:
			return v
		case float64:
			return int64(v)
		}
	}
	return -1
}

// Table returns the catalog entry of id (node or source), or nil.
func (c *Catalog) Table(id graph.ID) *CatalogTable {
	if c == nil {
		return nil
	}
	if t := c.Nodes[id]; t != nil {
		return t
	}
	return c.Sources[id]
}

// Columns returns the column names of every relation of the catalog, by
// unique_id, in order: the catalog lineage.AnalyzeProject takes.
func (c *Catalog) Columns() map[graph.ID][]string {
	out := map[graph.ID][]string{}
	if c == nil {
		return out
	}
	for _, m := range []map[graph.ID]*CatalogTable{c.Nodes, c.Sources} {
		for id, t := range m {
			var names []string
			for _, col := range t.OrderedColumns() {
				names = append(names, col.Name)
			}
			out[id] = names
		}
	}
	return out
}

// ReadCatalog reads, from the database c is connected to, the relation of
// every model, seed, snapshot and source of g that exists there (dbt's
// catalog: "models, seeds, and snapshots", and sources): its type, its
// columns with their DuckDB types, and the row count of tables (DuckDB's
// estimate, exact after a CREATE TABLE AS or a load). Nodes whose relation
// does not exist are left out. Errors are the catalog queries'.
func ReadCatalog(ctx context.Context, c adapter.Conn, g *graph.Graph, meta CatalogMetadata) (*Catalog, error) {
	rels, err := c.Relations(ctx, true)
	if err != nil {
		return nil, err
	}
	byKey := make(map[string]adapter.RelationInfo, len(rels))
	for _, r := range rels {
		byKey[strings.ToLower(r.Schema+"."+r.Name)] = r
	}
	cat := newCatalog(meta)
	for _, n := range g.Nodes() {
		if n.Relation.IsZero() || !(n.Kind == graph.Model || n.Kind == graph.Seed || n.Kind == graph.Snapshot || n.Kind == graph.Source) {
			continue
		}
		schema := n.Relation.Schema
		if schema == "" {
			schema = "main"
		}
		r, ok := byKey[strings.ToLower(schema+"."+n.Relation.Name)]
		if !ok {
			continue
		}
		t := &CatalogTable{
			Metadata: TableMetadata{Type: "BASE TABLE", Schema: r.Schema, Name: r.Name, Database: r.Database},
			Columns:  make(map[string]*CatalogColumn, len(r.Columns)),
			Stats:    map[string]*Stat{},
			UniqueID: n.ID,
		}
		if r.Kind == "view" {
			t.Metadata.Type = "VIEW"
		}
		for i, col := range r.Columns {
			t.Columns[col.Name] = &CatalogColumn{Type: col.Type, Index: i + 1, Name: col.Name}
		}
		hasStats := r.Rows >= 0
		t.Stats["has_stats"] = &Stat{ID: "has_stats", Label: "Has Stats?", Value: hasStats, Include: false,
			Description: "Indicates whether there are statistics for this table"}
		if hasStats {
			t.Stats["row_count"] = &Stat{ID: "row_count", Label: "Row Count", Value: r.Rows, Include: true,
				Description: "Rows in the table (DuckDB's estimate, exact after CREATE TABLE AS or a load)"}
		}
		if n.Kind == graph.Source {
			cat.Sources[n.ID] = t
		} else {
			cat.Nodes[n.ID] = t
		}
	}
	return cat, nil
}

func newCatalog(meta CatalogMetadata) *Catalog {
	meta.SchemaVersion = CatalogSchema
	if meta.GeneratedAt == "" {
		meta.GeneratedAt = time.Now().UTC().Format("2006-01-02T15:04:05.000000Z")
	}
	if meta.Env == nil {
		meta.Env = map[string]string{}
	}
	return &Catalog{Metadata: meta, Nodes: map[graph.ID]*CatalogTable{}, Sources: map[graph.ID]*CatalogTable{}}
}

// EmptyCatalog is the catalog of a project without a database.
func EmptyCatalog(meta CatalogMetadata) *Catalog { return newCatalog(meta) }

// only returns a copy of c with the nodes and sources of keep.
func (c *Catalog) only(keep map[graph.ID]bool) *Catalog {
	out := *c
	out.Nodes = map[graph.ID]*CatalogTable{}
	out.Sources = map[graph.ID]*CatalogTable{}
	for id, t := range c.Nodes {
		if keep[id] {
			out.Nodes[id] = t
		}
	}
	for id, t := range c.Sources {
		if keep[id] {
			out.Sources[id] = t
		}
	}
	return &out
}
