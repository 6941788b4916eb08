package postgres

import (
	"github.com/kiln-build/kiln/adapter"
	"github.com/kiln-build/kiln/internal/sqlq"
)

var _ adapter.Commenter = Dialect{}

// Comments reads table rel's comments from PostgreSQL's catalog
// (obj_description, col_description): the table's (name "") first, then
// its columns' in order.
func (Dialect) Comments(rel adapter.Relation) adapter.Stmt {
	tn := sqlq.Literal(sqlq.Relation{Schema: rel.Schema, Name: rel.Name}.String())
	q := "select name, comment from (" +
		"select 0 as k, 0 as o, ''::text as name, pg_catalog.obj_description(c.oid, 'pg_class') as comment" +
		" from pg_catalog.pg_class c where c.oid = pg_catalog.to_regclass(" + tn + ") and c.relkind in ('r', 'p')" +
		" union all select 1, a.attnum, a.attname::text, pg_catalog.col_description(a.attrelid, a.attnum)" +
		" from pg_catalog.pg_attribute a join pg_catalog.pg_class c on c.oid = a.attrelid" +
		" where c.oid = pg_catalog.to_regclass(" + tn + ") and c.relkind in ('r', 'p') and a.attnum > 0 and not a.attisdropped" +
		") x order by k, o"
	return adapter.Stmt{SQL: q, Body: -1}
}
