package postgres

import (
	"context"
	"fmt"
	"strings"

	"github.com/kiln-build/kiln/adapter"
	"github.com/kiln-build/kiln/internal/sqlq"
)

var _ adapter.ViewKeeper = (*Conn)(nil)

// BoundViews returns the views and materialized views that read rel,
// directly or through one another, each with the statements that create
// it again as it is now, parents before the views that read them (by
// their longest path from rel, then schema and name): the create view
// (its options, its query as pg_get_viewdef prints it for this session's
// search_path, WITH DATA or WITH NO DATA as the materialized view was),
// its column defaults, indexes, triggers (enabled as they were), rules,
// privileges (those granted by default to a new relation revoked, those of
// the view and its columns granted), owner and comments. They must be read
// before rel is renamed: the query text names the relations as they are
// named now. None when rel does not exist or no view reads it.
func (c *Conn) BoundViews(ctx context.Context, rel adapter.Relation) ([]adapter.BoundView, error) {
	_, rows, err := c.QueryRows(ctx, boundViewsQuery, dialect.QuoteRelation(rel))
	if err != nil {
		return nil, err
	}
	out := make([]adapter.BoundView, 0, len(rows))
	names := map[int64]adapter.Relation{0: {Schema: rel.Schema, Name: rel.Name}}
	for _, r := range rows {
		v := adapter.BoundView{Relation: adapter.Relation{Schema: relText(r[0]), Name: relText(r[1])}, Kind: adapter.View}
		if relText(r[2]) == "m" {
			v.Kind = adapter.MaterializedView
		}
		oid, _ := r[3].(int64)
		names[oid] = v.Relation
		for _, p := range ints(r[4]) {
			v.Parents = append(v.Parents, names[p]) // parents come first; 0 is rel
		}
		v.Statements = texts(r[5])
		if len(v.Statements) == 0 {
			return nil, fmt.Errorf("cannot read the definition of the view %s", dialect.QuoteRelation(v.Relation))
		}
		out = append(out, v)
	}
	return out, nil
}

// RenameIndexes renames the indexes of rel: aside, each name gets
// suffix; back, the names ending with suffix lose it.
func (c *Conn) RenameIndexes(ctx context.Context, rel adapter.Relation, suffix string, aside bool) error {
	_, rows, err := c.QueryRows(ctx, `select n.nspname::text, ic.relname::text
from pg_catalog.pg_index i join pg_catalog.pg_class ic on ic.oid = i.indexrelid
join pg_catalog.pg_namespace n on n.oid = ic.relnamespace
where i.indrelid = pg_catalog.to_regclass($1) order by 2`, dialect.QuoteRelation(rel))
	if err != nil {
		return err
	}
	for _, r := range rows {
		name := relText(r[1])
		to := name + suffix
		if !aside {
			if !strings.HasSuffix(name, suffix) {
				continue
			}
			to = strings.TrimSuffix(name, suffix)
		}
		ix := adapter.Relation{Schema: relText(r[0]), Name: name}
		if _, err := c.Exec(ctx, "alter index "+dialect.QuoteRelation(ix)+" rename to "+sqlq.Ident(to)); err != nil {
			return err
		}
	}
	return nil
}

func relText(v any) string {
	s, _ := v.(string)
	return s
}

// ints returns a bigint[] value as int64s.
func ints(v any) []int64 {
	var out []int64
	if t, ok := v.([]any); ok {
		for _, x := range t {
			if i, ok := x.(int64); ok {
				out = append(out, i)
			}
		}
	}
	return out
}

// texts returns a text[] value as strings.
func texts(v any) []string {
	switch t := v.(type) {
	case []string:
		return t
	case []any:
		out := make([]string, 0, len(t))
		for _, x := range t {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// boundViewsQuery is BoundViews' query; $1 is the relation's quoted name.
// Its rows are (schema, name, relkind, oid, parents, statements): parents
// the oids of the relations the view reads among the other views
// returned, 0 for $1.
const boundViewsQuery = `with recursive
t as (select c.oid from pg_catalog.pg_class c where c.oid = pg_catalog.to_regclass($1)),
dep(oid, parent, lvl) as (
  select r.ev_class, t.oid, 1
  from t join pg_catalog.pg_depend d on d.refobjid = t.oid
  join pg_catalog.pg_rewrite r on r.oid = d.objid
  where d.classid = 'pg_catalog.pg_rewrite'::regclass and d.refclassid = 'pg_catalog.pg_class'::regclass
    and r.ev_class <> t.oid
  union
  select r.ev_class, dep.oid, dep.lvl + 1
  from dep join pg_catalog.pg_depend d on d.refobjid = dep.oid
  join pg_catalog.pg_rewrite r on r.oid = d.objid
  where d.classid = 'pg_catalog.pg_rewrite'::regclass and d.refclassid = 'pg_catalog.pg_class'::regclass
    and r.ev_class <> dep.oid and dep.lvl < 100
),
obj as (
  select v.oid, max(dep.lvl) as lvl, n.nspname::text as nsp, v.relname::text as rel, v.relkind::text as relkind,
    case v.relkind when 'm' then 'MATERIALIZED VIEW' else 'VIEW' end as kw,
    pg_catalog.format('%I.%I', n.nspname, v.relname) as qn, v.relowner, v.relacl, v.relnamespace, v.reloptions, v.relispopulated,
    array_agg(distinct case when dep.parent = (select oid from t) then 0 else dep.parent::bigint end) as parents
  from dep join pg_catalog.pg_class v on v.oid = dep.oid
  join pg_catalog.pg_namespace n on n.oid = v.relnamespace
  group by v.oid, n.nspname, v.relname
),
me as (select oid from pg_catalog.pg_roles where rolname = current_user),
stmts(obj, o, seq, text) as (
  select obj.oid, 0, 0::bigint,
    pg_catalog.format('CREATE %s %s%s AS %s%s', obj.kw, obj.qn,
      case when obj.reloptions is not null then ' WITH (' || pg_catalog.array_to_string(obj.reloptions, ', ') || ')' else '' end,
      pg_catalog.regexp_replace(pg_catalog.pg_get_viewdef(obj.oid), ';\s*$', ''),
      case when obj.relkind <> 'm' then '' when obj.relispopulated then ' WITH DATA' else ' WITH NO DATA' end)
  from obj
  union all
  select obj.oid, 1, ad.adnum,
    pg_catalog.format('ALTER VIEW %s ALTER COLUMN %I SET DEFAULT %s', obj.qn, a.attname, pg_catalog.pg_get_expr(ad.adbin, ad.adrelid))
  from obj join pg_catalog.pg_attrdef ad on ad.adrelid = obj.oid
  join pg_catalog.pg_attribute a on a.attrelid = ad.adrelid and a.attnum = ad.adnum
  union all
  select obj.oid, 2, i.indexrelid::bigint, pg_catalog.pg_get_indexdef(i.indexrelid)
  from obj join pg_catalog.pg_index i on i.indrelid = obj.oid
  union all
  select obj.oid, 3, tg.oid::bigint * 2, pg_catalog.pg_get_triggerdef(tg.oid)
  from obj join pg_catalog.pg_trigger tg on tg.tgrelid = obj.oid and not tg.tgisinternal
  union all
  select obj.oid, 3, tg.oid::bigint * 2 + 1,
    pg_catalog.format('ALTER TABLE %s %s TRIGGER %I', obj.qn,
      case tg.tgenabled when 'D' then 'DISABLE' when 'R' then 'ENABLE REPLICA' else 'ENABLE ALWAYS' end, tg.tgname)
  from obj join pg_catalog.pg_trigger tg on tg.tgrelid = obj.oid and not tg.tgisinternal and tg.tgenabled <> 'O'
  union all
  select obj.oid, 4, ru.oid::bigint, pg_catalog.pg_get_ruledef(ru.oid)
  from obj join pg_catalog.pg_rewrite ru on ru.ev_class = obj.oid and ru.rulename <> '_RETURN'
  union all
  select obj.oid, 5, 0,
    pg_catalog.format('REVOKE ALL ON %s FROM %s', obj.qn, pg_catalog.string_agg(distinct
      case when e.grantee = 0 then 'PUBLIC' else pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(e.grantee)) end, ', '))
  from obj join pg_catalog.pg_default_acl da on da.defaclobjtype = 'r' and da.defaclnamespace in (0, obj.relnamespace)
    and da.defaclrole = (select oid from me)
  cross join lateral pg_catalog.aclexplode(da.defaclacl) e
  where e.grantee <> (select oid from me)
  group by obj.oid, obj.qn
  union all
  select obj.oid, 6, row_number() over (),
    pg_catalog.format('GRANT %s ON %s TO %s%s', e.privilege_type, obj.qn,
      case when e.grantee = 0 then 'PUBLIC' else pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(e.grantee)) end,
      case when e.is_grantable then ' WITH GRANT OPTION' else '' end)
  from obj cross join lateral pg_catalog.aclexplode(obj.relacl) e
  where e.grantee <> obj.relowner
  union all
  select obj.oid, 7, a.attnum * 1000 + row_number() over (),
    pg_catalog.format('GRANT %s (%I) ON %s TO %s%s', e.privilege_type, a.attname, obj.qn,
      case when e.grantee = 0 then 'PUBLIC' else pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(e.grantee)) end,
      case when e.is_grantable then ' WITH GRANT OPTION' else '' end)
  from obj join pg_catalog.pg_attribute a on a.attrelid = obj.oid and a.attnum > 0 and not a.attisdropped
  cross join lateral pg_catalog.aclexplode(a.attacl) e
  union all
  select obj.oid, 8, 0, pg_catalog.format('ALTER %s %s OWNER TO %I', obj.kw, obj.qn, pg_catalog.pg_get_userbyid(obj.relowner))
  from obj where obj.relowner <> (select oid from me)
  union all
  select obj.oid, 9, 0, pg_catalog.format('COMMENT ON %s %s IS %L', obj.kw, obj.qn, pg_catalog.obj_description(obj.oid, 'pg_class'))
  from obj where pg_catalog.obj_description(obj.oid, 'pg_class') is not null
  union all
  select obj.oid, 10, a.attnum,
    pg_catalog.format('COMMENT ON COLUMN %s.%I IS %L', obj.qn, a.attname, pg_catalog.col_description(obj.oid, a.attnum))
  from obj join pg_catalog.pg_attribute a on a.attrelid = obj.oid and a.attnum > 0 and not a.attisdropped
  where pg_catalog.col_description(obj.oid, a.attnum) is not null
  union all
  select obj.oid, 11, i.indexrelid::bigint,
    pg_catalog.format('COMMENT ON INDEX %I.%I IS %L', n.nspname, ic.relname, pg_catalog.obj_description(i.indexrelid, 'pg_class'))
  from obj join pg_catalog.pg_index i on i.indrelid = obj.oid
  join pg_catalog.pg_class ic on ic.oid = i.indexrelid join pg_catalog.pg_namespace n on n.oid = ic.relnamespace
  where pg_catalog.obj_description(i.indexrelid, 'pg_class') is not null
)
select obj.nsp, obj.rel, obj.relkind, obj.oid::bigint, obj.parents,
  (select array_agg(s.text order by s.o, s.seq) from stmts s where s.obj = obj.oid)
from obj order by obj.lvl, obj.nsp, obj.rel`
