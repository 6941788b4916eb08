package postgres

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/kiln-build/kiln/adapter"
)

// userRelations selects the tables (ordinary, partitioned, foreign) and
// views (plain and materialized) of the database from pg_catalog, but
// those of the system schemas and temporary ones.
const userRelations = `select n.nspname, c.relname, c.relkind::text, c.reltuples::float8
from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
where c.relkind in ('r', 'p', 'f', 'v', 'm')
  and n.nspname not in ('pg_catalog', 'information_schema')
  and n.nspname not like 'pg\_toast%' and n.nspname not like 'pg\_temp\_%'`

// userColumns selects the columns of those relations in order, their types
// as format_type spells them ("integer", "numeric(12,2)", "character
// varying").
const userColumns = `select n.nspname, c.relname, a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod)
from pg_catalog.pg_attribute a
join pg_catalog.pg_class c on c.oid = a.attrelid
join pg_catalog.pg_namespace n on n.oid = c.relnamespace
where a.attnum > 0 and not a.attisdropped and c.relkind in ('r', 'p', 'f', 'v', 'm')
  and n.nspname not in ('pg_catalog', 'information_schema')
  and n.nspname not like 'pg\_toast%' and n.nspname not like 'pg\_temp\_%'
order by n.nspname, c.relname, a.attnum`

func kindOf(relkind string) adapter.Kind {
	switch relkind {
	case "v", "m":
		return adapter.View
	}
	return adapter.Table
}

// Relations returns the user tables and views, sorted by schema and name
// (bytewise), with the database's name. Rows is the planner's estimate
// (pg_class.reltuples, exact after VACUUM or ANALYZE), -1 for views and
// tables never analysed.
func (c *Conn) Relations(ctx context.Context, columns bool) ([]adapter.RelationInfo, error) {
	if err := c.flush(ctx); err != nil {
		return nil, err
	}
	var db string
	if err := c.c.QueryRow(ctx, "select current_database()").Scan(&db); err != nil {
		return nil, wrapError(ctx, err, "")
	}
	_, rows, err := c.QueryRows(ctx, userRelations)
	if err != nil {
		return nil, err
	}
	out := make([]adapter.RelationInfo, 0, len(rows))
	index := map[[2]string]int{}
	for _, r := range rows {
		info := adapter.RelationInfo{Relation: adapter.Relation{Database: db, Schema: r[0].(string), Name: r[1].(string)},
			Kind: kindOf(r[2].(string)), Rows: -1}
		if est, _ := r[3].(float64); info.Kind == adapter.Table && est >= 0 {
			info.Rows = int64(est)
		}
		out = append(out, info)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Schema != out[j].Schema {
			return out[i].Schema < out[j].Schema
		}
		return out[i].Name < out[j].Name
	})
	for i, r := range out {
		index[[2]string{r.Schema, r.Name}] = i
	}
	if !columns {
		return out, nil
	}
	_, cols, err := c.QueryRows(ctx, userColumns)
	if err != nil {
		return nil, err
	}
	for i := range out {
		out[i].Columns = []adapter.Column{}
	}
	for _, r := range cols {
		if i, ok := index[[2]string{r[0].(string), r[1].(string)}]; ok {
			out[i].Columns = append(out[i].Columns, adapter.Column{Name: r[2].(string), Type: r[3].(string)})
		}
	}
	return out, nil
}

// RelationKind returns the kind of rel, "" when absent. The name matches
// exactly, else as PostgreSQL resolves it unquoted (folded to lower
// case); a relation without a schema is looked up on the search path.
func (c *Conn) RelationKind(ctx context.Context, rel adapter.Relation) (adapter.Kind, error) {
	_, rows, err := c.QueryRows(ctx, `select c.relkind::text, c.relname = $2
from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
where c.relkind in ('r', 'p', 'f', 'v', 'm')
  and (c.relname = $2 or c.relname = lower($2))
  and case when $1 = '' then n.oid = any(pg_catalog.current_schemas(false)::regnamespace[]) else (n.nspname = $1 or n.nspname = lower($1)) end
order by (c.relname = $2) desc, (n.nspname = $1) desc, array_position(pg_catalog.current_schemas(false), n.nspname::text)
limit 1`, rel.Schema, rel.Name)
	if err != nil || len(rows) == 0 {
		return "", err
	}
	return kindOf(rows[0][0].(string)), nil
}

// Columns returns the columns of rel in order; none when it does not
// exist.
func (c *Conn) Columns(ctx context.Context, rel adapter.Relation) ([]adapter.Column, error) {
	schema := rel.Schema
	if schema == "" {
		schema = c.a.schema
	}
	q := `select a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod)
from pg_catalog.pg_attribute a
join pg_catalog.pg_class c on c.oid = a.attrelid
join pg_catalog.pg_namespace n on n.oid = c.relnamespace
where a.attnum > 0 and not a.attisdropped and c.relname = $2 and ($1 = '' and pg_catalog.pg_table_is_visible(c.oid) or n.nspname = $1)
order by a.attnum`
	_, rows, err := c.QueryRows(ctx, q, schema, rel.Name)
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 && (rel.Name != strings.ToLower(rel.Name) || schema != strings.ToLower(schema)) {
		_, rows, err = c.QueryRows(ctx, q, strings.ToLower(schema), strings.ToLower(rel.Name))
		if err != nil {
			return nil, err
		}
	}
	out := make([]adapter.Column, len(rows))
	for i, r := range rows {
		out[i] = adapter.Column{Name: r[0].(string), Type: r[1].(string)}
	}
	return out, nil
}

// DescribeQuery returns the columns query yields, without running it: the
// server parses and plans it (an unnamed prepared statement) and
// describes its result.
func (c *Conn) DescribeQuery(ctx context.Context, query string) ([]adapter.Column, error) {
	q := body(query)
	if err := c.flush(ctx); err != nil {
		return nil, err
	}
	sd, err := c.c.PgConn().Prepare(ctx, "", q, nil)
	if err != nil {
		return nil, wrapError(ctx, err, q)
	}
	return c.describe(ctx, sd.Fields)
}

// describe names the types of fields as format_type spells them.
func (c *Conn) describe(ctx context.Context, fields []pgconn.FieldDescription) ([]adapter.Column, error) {
	out := make([]adapter.Column, len(fields))
	var missing [][2]int64
	c.a.mu.Lock()
	for i, f := range fields {
		out[i].Name = f.Name
		key := [2]int64{int64(f.DataTypeOID), int64(f.TypeModifier)}
		if t, ok := c.a.types[key]; ok {
			out[i].Type = t
		} else {
			missing = append(missing, key)
		}
	}
	c.a.mu.Unlock()
	if len(missing) == 0 {
		return out, nil
	}
	oids := make([]int64, len(missing))
	mods := make([]int32, len(missing))
	for i, k := range missing {
		oids[i], mods[i] = k[0], int32(k[1])
	}
	_, rows, err := c.QueryRows(ctx, `select t.o, t.m, pg_catalog.format_type(t.o::oid, t.m)
from unnest($1::int8[], $2::int4[]) as t(o, m)`, oids, mods)
	if err != nil {
		return nil, err
	}
	c.a.mu.Lock()
	defer c.a.mu.Unlock()
	for _, r := range rows {
		c.a.types[[2]int64{r[0].(int64), r[1].(int64)}] = r[2].(string)
	}
	for i, f := range fields {
		out[i].Type = c.a.types[[2]int64{int64(f.DataTypeOID), int64(f.TypeModifier)}]
		if out[i].Type == "" {
			return nil, fmt.Errorf("cannot name the type %d of column %q", f.DataTypeOID, f.Name)
		}
	}
	return out, nil
}

// NormalizeTypes returns PostgreSQL's names of types, as Columns spells
// them ("decimal(12,2)" is "numeric(12,2)", "varchar" is "character
// varying"); an unknown type is an error.
func (c *Conn) NormalizeTypes(ctx context.Context, types []string) ([]string, error) {
	if len(types) == 0 {
		return nil, nil
	}
	parts := make([]string, len(types))
	for i, t := range types {
		parts[i] = "cast(null as " + t + ")"
	}
	q := "select " + strings.Join(parts, ", ")
	if err := c.flush(ctx); err != nil {
		return nil, err
	}
	sd, err := c.c.PgConn().Prepare(ctx, "", q, nil)
	if err != nil {
		return nil, wrapError(ctx, err, q)
	}
	cols, err := c.describe(ctx, sd.Fields)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(cols))
	for i, col := range cols {
		out[i] = col.Type
	}
	return out, nil
}

var _ adapter.ViewBinder = (*Conn)(nil)

// DependentViews returns the views and materialized views whose query
// reads table rel (pg_depend's entries of their rewrite rules), sorted by
// schema and name; none when rel does not exist.
func (c *Conn) DependentViews(ctx context.Context, rel adapter.Relation) ([]adapter.Relation, error) {
	_, rows, err := c.QueryRows(ctx, `select distinct n.nspname::text, v.relname::text
from pg_catalog.pg_depend d
join pg_catalog.pg_rewrite r on r.oid = d.objid
join pg_catalog.pg_class v on v.oid = r.ev_class
join pg_catalog.pg_namespace n on n.oid = v.relnamespace
where d.classid = 'pg_catalog.pg_rewrite'::regclass
  and d.refclassid = 'pg_catalog.pg_class'::regclass
  and d.refobjid = to_regclass($1)
  and v.oid <> d.refobjid
order by 1, 2`, dialect.QuoteRelation(rel))
	if err != nil {
		return nil, err
	}
	out := make([]adapter.Relation, len(rows))
	for i, r := range rows {
		out[i] = adapter.Relation{Schema: r[0].(string), Name: r[1].(string)}
	}
	return out, nil
}

// DependentViewsOf is DependentViews for every relation of rels, in one
// query: the result has an entry for each of rels (keyed by its schema and
// name, Database left empty), none for a relation that does not exist.
func (c *Conn) DependentViewsOf(ctx context.Context, rels []adapter.Relation) (map[adapter.Relation][]adapter.Relation, error) {
	out := make(map[adapter.Relation][]adapter.Relation, len(rels))
	if len(rels) == 0 {
		return out, nil
	}
	names := make([]string, len(rels))
	for i, r := range rels {
		names[i] = dialect.QuoteRelation(r)
		out[adapter.Relation{Schema: r.Schema, Name: r.Name}] = nil
	}
	_, rows, err := c.QueryRows(ctx, `select distinct t.i, n.nspname::text, v.relname::text
from unnest($1::text[]) with ordinality as t(rel, i)
join pg_catalog.pg_depend d on d.refobjid = to_regclass(t.rel)
join pg_catalog.pg_rewrite r on r.oid = d.objid
join pg_catalog.pg_class v on v.oid = r.ev_class
join pg_catalog.pg_namespace n on n.oid = v.relnamespace
where d.classid = 'pg_catalog.pg_rewrite'::regclass
  and d.refclassid = 'pg_catalog.pg_class'::regclass
  and v.oid <> d.refobjid
order by 1, 2, 3`, names)
	if err != nil {
		return nil, err
	}
	for _, r := range rows {
		i, ok := r[0].(int64)
		if !ok || i < 1 || int(i) > len(rels) {
			return nil, fmt.Errorf("dependent views: unexpected row number %v", r[0])
		}
		key := adapter.Relation{Schema: rels[i-1].Schema, Name: rels[i-1].Name}
		out[key] = append(out[key], adapter.Relation{Schema: r[1].(string), Name: r[2].(string)})
	}
	return out, nil
}
