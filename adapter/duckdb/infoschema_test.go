package duckdb

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// TestCatalogInfoSchema: a query of <database>.information_schema.<view>,
// which DuckDB rejects (its information_schema is the system catalog's),
// reads that database's rows of system.information_schema, as
// PostgreSQL's per-database information_schema does: dbt_utils'
// get_tables_by_pattern_sql writes {{ target.database }}.information_schema.tables,
// and on a DuckDB file the database is the file's stem. Another attached
// database's tables are left out; string literals, comments, an alias of
// the query's own and system.information_schema are left as written.
func TestCatalogInfoSchema(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	a, err := Open(ctx, filepath.Join(dir, "shop.duckdb"))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	ac, err := a.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer ac.Close()
	c := ac.(*Conn)
	for _, q := range []string{
		"create schema sales",
		"create table sales.events_1 as select 1 as id",
		"create view sales.events_2 as select 2 as id",
		"create table main.other as select 3 as id",
		fmt.Sprintf("attach '%s' as elsewhere", filepath.Join(dir, "elsewhere.duckdb")),
		"create schema elsewhere.sales",
		"create table elsewhere.sales.events_3 as select 4 as id",
	} {
		if _, err := c.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	for _, tc := range []struct{ query, want string }{
		// dbt_utils 1.4.1's default__get_tables_by_pattern_sql, as rendered.
		{`select distinct table_schema as "table_schema", table_name as "table_name",
            case table_type when 'BASE TABLE' then 'table' when 'EXTERNAL TABLE' then 'external'
              when 'MATERIALIZED VIEW' then 'materializedview' else lower(table_type) end as "table_type"
        from shop.information_schema.tables
        where table_schema ilike 'sales%' and table_name ilike 'events_%' and table_name not ilike ''
        order by 2`, "sales|events_1|table;sales|events_2|view"},
		{`select t.table_name from "shop"."information_schema"."tables" t where t.table_schema = 'sales' order by 1`, "events_1;events_2"},
		{`select tables.table_name from SHOP.INFORMATION_SCHEMA.TABLES where tables.table_schema = 'main' -- shop.information_schema.tables
order by 1`, "other"},
		{`select schema_name from shop.information_schema.schemata where schema_name = 'sales'`, "sales"},
		{`select count(*) from shop.information_schema.columns as c where c.table_schema = 'sales'`, "2"},
		{`select table_name from elsewhere.information_schema.tables`, "events_3"},
		{`select 'shop.information_schema.tables', count(distinct table_catalog) > 1 from system.information_schema.tables`, "shop.information_schema.tables|true"},
	} {
		_, rows, err := c.QueryRows(ctx, tc.query)
		if err != nil {
			t.Errorf("%s: %v", tc.query, err)
			continue
		}
		var got []string
		for _, r := range rows {
			var f []string
			for _, v := range r {
				f = append(f, fmt.Sprint(v))
			}
			got = append(got, strings.Join(f, "|"))
		}
		if strings.Join(got, ";") != tc.want {
			t.Errorf("%s\ngot  %s\nwant %s", tc.query, strings.Join(got, ";"), tc.want)
		}
	}
}
