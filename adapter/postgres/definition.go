package postgres

import (
	"strings"

	"github.com/kiln-build/kiln/adapter"
	"github.com/kiln-build/kiln/internal/sqlq"
)

var _ adapter.TableDefiner = Dialect{}

// TableDefinition is one catalog query of table rel's definition, as
// statements that create it again (https://www.postgresql.org/docs/15/functions-info.html:
// format_type, pg_get_expr, pg_get_constraintdef, pg_get_indexdef,
// pg_get_viewdef, pg_get_triggerdef, pg_get_ruledef,
// pg_get_statisticsobjdef, obj_description, col_description). Rows
// (what, name, text), in the order to run them:
//
//   - "pre": what must go before rel is dropped: the session's
//     search_path set for the transaction (the definitions name objects
//     as that search_path sees them), the views and materialized views
//     that read rel, directly or through one another, dropped (the last
//     first), the foreign keys of other tables that reference rel
//     dropped, and the sequences owned by rel's columns (serial) made
//     owned by none, which drop table would drop with it;
//   - "table": the create table: columns with their types, collations,
//     identity (BY DEFAULT, so that the saved rows keep their values),
//     defaults and not null, unlogged, storage options, tablespace and
//     access method;
//   - "post": after the rows are inserted: identity made ALWAYS again
//     and its sequence set where it was, owned sequences given back,
//     column storage, compression and statistics, the constraints
//     (primary key, unique and exclusion first, then checks and foreign
//     keys, each by name), the indexes not backing a constraint (by
//     name) and the clustering, replica identity, row level security
//     and its policies, triggers (disabled as they were), rules,
//     statistics objects, publications, the privileges (those granted by
//     default to a new table revoked, those of the table and its columns
//     granted), the owner, the comments (table, columns, constraints,
//     indexes), then the other tables' foreign keys, and the views, each
//     with its options, column defaults, indexes, triggers, rules,
//     privileges, owner and comments, from the first read to the last;
//     then the search_path of the session again;
//   - "refuse" (text the reason) when rel cannot be created again from
//     such statements: a partition, a partitioned, inherited or typed
//     table, a generated column (a copy's rows cannot be inserted in
//     it), a publication with a row filter or column list.
//
// No row when rel is not a table.
func (Dialect) TableDefinition(rel adapter.Relation) adapter.Stmt {
	tn := sqlq.Literal(sqlq.Relation{Schema: rel.Schema, Name: rel.Name}.String())
	q := strings.ReplaceAll(definitionQuery, "$TN", tn)
	return adapter.Stmt{SQL: q, Body: -1}
}

// definitionQuery is TableDefinition's query; $TN is the table's quoted
// name as a literal. Its rows are ordered by (k, lvl, obj, o, seq): k the
// phase (0-9 before the drop, 10 the create table, 20 and up after the
// rows), lvl a view's depth (0 for the table), obj the object, o the
// kind of statement, seq the order among statements of one kind.
const definitionQuery = `with recursive
t as (
  select c.oid, c.relname, c.relnamespace, c.relpersistence, c.reloptions, c.relowner, c.relacl,
    c.relrowsecurity, c.relforcerowsecurity, c.relreplident, c.reltablespace, c.relam,
    c.relkind <> 'r' or c.relispartition or c.reloftype <> 0
      or exists (select 1 from pg_catalog.pg_inherits i where i.inhrelid = c.oid or i.inhparent = c.oid) as odd
  from pg_catalog.pg_class c
  where c.oid = pg_catalog.to_regclass($TN) and c.relkind in ('r', 'p')
),
dep(oid, lvl) as (
  select r.ev_class, 1
  from t join pg_catalog.pg_depend d on d.refobjid = t.oid
  join pg_catalog.pg_rewrite r on r.oid = d.objid
  where d.classid = 'pg_catalog.pg_rewrite'::regclass and d.refclassid = 'pg_catalog.pg_class'::regclass
    and r.ev_class <> t.oid
  union all
  select r.ev_class, dep.lvl + 1
  from dep join pg_catalog.pg_depend d on d.refobjid = dep.oid
  join pg_catalog.pg_rewrite r on r.oid = d.objid
  where d.classid = 'pg_catalog.pg_rewrite'::regclass and d.refclassid = 'pg_catalog.pg_class'::regclass
    and r.ev_class <> dep.oid
),
obj as (
  select t.oid, 0::oid as ord, 0 as lvl, 'TABLE' as kw, $TN as qn, t.relowner, t.relacl, t.relnamespace, 'r'::"char" as relkind
  from t
  union all
  select v.oid, v.oid, max(dep.lvl), case v.relkind when 'm' then 'MATERIALIZED VIEW' else 'VIEW' end,
    pg_catalog.format('%I.%I', n.nspname, v.relname), v.relowner, v.relacl, v.relnamespace, v.relkind
  from dep join pg_catalog.pg_class v on v.oid = dep.oid
  join pg_catalog.pg_namespace n on n.oid = v.relnamespace
  group by v.oid, v.relkind, n.nspname, v.relname, v.relowner, v.relacl, v.relnamespace
),
col as (
  select a.*, ty.typcollation, ty.typstorage
  from t join pg_catalog.pg_attribute a on a.attrelid = t.oid
  join pg_catalog.pg_type ty on ty.oid = a.atttypid
  where a.attnum > 0 and not a.attisdropped
),
idseq as (
  select col.attnum, col.attname, col.attidentity, s.seqrelid as oid, pg_catalog.format('%I.%I', sn.nspname, sc.relname) as qn,
    s.seqtypid, s.seqstart, s.seqincrement, s.seqmin, s.seqmax, s.seqcache, s.seqcycle
  from col join pg_catalog.pg_depend d on d.refobjid = col.attrelid and d.refobjsubid = col.attnum
    and d.classid = 'pg_catalog.pg_class'::regclass and d.refclassid = 'pg_catalog.pg_class'::regclass and d.deptype = 'i'
  join pg_catalog.pg_sequence s on s.seqrelid = d.objid
  join pg_catalog.pg_class sc on sc.oid = s.seqrelid
  join pg_catalog.pg_namespace sn on sn.oid = sc.relnamespace
  where col.attidentity <> ''
),
owned as (
  select col.attname, pg_catalog.format('%I.%I', sn.nspname, sc.relname) as qn
  from col join pg_catalog.pg_depend d on d.refobjid = col.attrelid and d.refobjsubid = col.attnum
    and d.classid = 'pg_catalog.pg_class'::regclass and d.refclassid = 'pg_catalog.pg_class'::regclass and d.deptype = 'a'
  join pg_catalog.pg_class sc on sc.oid = d.objid and sc.relkind = 'S'
  join pg_catalog.pg_namespace sn on sn.oid = sc.relnamespace
),
fkin as (
  select con.oid, con.conname, con.conrelid, pg_catalog.format('%I.%I', n.nspname, c.relname) as qn
  from t join pg_catalog.pg_constraint con on con.confrelid = t.oid and con.conrelid <> t.oid and con.contype = 'f'
  join pg_catalog.pg_class c on c.oid = con.conrelid
  join pg_catalog.pg_namespace n on n.oid = c.relnamespace
),
cons as (
  select con.* from t join pg_catalog.pg_constraint con on con.conrelid = t.oid
  where con.contype in ('p', 'u', 'x', 'c', 'f')
),
ix as (
  select obj.ord as obj, obj.lvl, i.indexrelid, i.indisclustered, i.indisreplident, ic.relname
  from obj join pg_catalog.pg_index i on i.indrelid = obj.oid
  join pg_catalog.pg_class ic on ic.oid = i.indexrelid
  where not exists (select 1 from pg_catalog.pg_constraint con where con.conindid = i.indexrelid and con.conrelid = obj.oid
    and con.contype in ('p', 'u', 'x'))
),
acl as (
  select obj.ord as obj, obj.lvl, obj.kw, obj.qn, obj.relowner, e.grantee, e.privilege_type, e.is_grantable,
    row_number() over () as seq
  from obj cross join lateral pg_catalog.aclexplode(obj.relacl) e
  where e.grantee <> obj.relowner
),
stmts(k, lvl, obj, o, seq, what, name, text) as (
  select 0, 0, 0::oid, 0, 0::bigint, 'pre', '',
    pg_catalog.format('SELECT pg_catalog.set_config(''search_path'', %L, true)', pg_catalog.current_setting('search_path'))
  from t
  union all
  select 0, 0, 0::oid, 1, 0, 'refuse', '', 'a partition, or a partitioned, inherited or typed table' from t where t.odd
  union all
  select 0, 0, 0::oid, 1, 0, 'refuse', col.attname, 'a generated column' from col where col.attgenerated <> ''
  union all
  select 0, 0, 0::oid, 1, 0, 'refuse', p.pubname, 'a publication with a row filter or a column list'
  from t join pg_catalog.pg_publication_rel pr on pr.prrelid = t.oid
  join pg_catalog.pg_publication p on p.oid = pr.prpubid
  where pg_catalog.to_jsonb(pr) ->> 'prqual' is not null or pg_catalog.to_jsonb(pr) ->> 'prattrs' is not null
  union all
  select 1, -obj.lvl, obj.ord, 0, 0, 'pre', obj.qn, pg_catalog.format('DROP %s IF EXISTS %s', obj.kw, obj.qn)
  from obj where obj.lvl > 0
  union all
  select 2, 0, fkin.conrelid, 0, fkin.oid::bigint, 'pre', fkin.conname,
    pg_catalog.format('ALTER TABLE IF EXISTS %s DROP CONSTRAINT IF EXISTS %I', fkin.qn, fkin.conname)
  from fkin
  union all
  select 3, 0, 0::oid, 1, idseq.attnum, 'pre', idseq.qn,
    pg_catalog.format('SELECT pg_catalog.set_config(%L, coalesce(pg_catalog.pg_sequence_last_value(pg_catalog.to_regclass(%L))::text, ''''), true)',
      'kiln.identity_' || idseq.attnum, idseq.qn)
  from idseq
  union all
  select 3, 0, 0::oid, 0, 0, 'pre', owned.qn, pg_catalog.format('ALTER SEQUENCE IF EXISTS %s OWNED BY NONE', owned.qn)
  from owned
  union all
  select 10, 0, t.oid, 0, 0, 'table', '',
    pg_catalog.format('CREATE %sTABLE %s (%s)%s%s%s',
      case t.relpersistence when 'u' then 'UNLOGGED ' else '' end,
      $TN,
      (select pg_catalog.string_agg(pg_catalog.format('%I %s', col.attname, pg_catalog.format_type(col.atttypid, col.atttypmod))
          || case when col.attcollation <> col.typcollation and col.attcollation <> 0 then
               (select pg_catalog.format(' COLLATE %I.%I', cn.nspname, co.collname) from pg_catalog.pg_collation co
                join pg_catalog.pg_namespace cn on cn.oid = co.collnamespace where co.oid = col.attcollation)
             else '' end
          || coalesce((select pg_catalog.format(' GENERATED BY DEFAULT AS IDENTITY (SEQUENCE NAME %s START WITH %s INCREMENT BY %s MINVALUE %s MAXVALUE %s CACHE %s %s)',
               idseq.qn, idseq.seqstart, idseq.seqincrement, idseq.seqmin, idseq.seqmax,
               idseq.seqcache, case when idseq.seqcycle then 'CYCLE' else 'NO CYCLE' end)
             from idseq where idseq.attnum = col.attnum), '')
          || coalesce((select ' DEFAULT ' || pg_catalog.pg_get_expr(ad.adbin, ad.adrelid) from pg_catalog.pg_attrdef ad
             where ad.adrelid = col.attrelid and ad.adnum = col.attnum and col.attgenerated = ''), '')
          || case when col.attnotnull then ' NOT NULL' else '' end,
        ', ' order by col.attnum) from col),
      case when t.relam <> 0 and (select amname from pg_catalog.pg_am where oid = t.relam) <> 'heap'
        then (select pg_catalog.format(' USING %I', amname) from pg_catalog.pg_am where oid = t.relam) else '' end,
      case when t.reloptions is not null then ' WITH (' || pg_catalog.array_to_string(t.reloptions, ', ') || ')' else '' end,
      case when t.reltablespace <> 0 then (select pg_catalog.format(' TABLESPACE %I', spcname) from pg_catalog.pg_tablespace
        where oid = t.reltablespace) else '' end)
  from t
  union all
  select 20, 0, 0::oid, 0, idseq.attnum, 'post', idseq.attname,
    pg_catalog.format('ALTER TABLE %s ALTER COLUMN %I SET GENERATED ALWAYS', $TN, idseq.attname)
  from idseq where idseq.attidentity = 'a'
  union all
  select 20, 0, 0::oid, 1, idseq.attnum, 'post', idseq.qn,
    pg_catalog.format('SELECT pg_catalog.setval(%L, v::bigint, true) FROM (SELECT pg_catalog.current_setting(%L) AS v) AS s WHERE v <> ''''',
      idseq.qn, 'kiln.identity_' || idseq.attnum)
  from idseq
  union all
  select 20, 0, 0::oid, 2, 0, 'post', owned.qn, pg_catalog.format('ALTER SEQUENCE %s OWNED BY %s.%I', owned.qn, $TN, owned.attname)
  from owned
  union all
  select 20, 0, 0::oid, 3, col.attnum, 'post', col.attname,
    pg_catalog.format('ALTER TABLE %s ALTER COLUMN %I SET STORAGE %s', $TN, col.attname,
      case col.attstorage when 'p' then 'PLAIN' when 'e' then 'EXTERNAL' when 'm' then 'MAIN' else 'EXTENDED' end)
  from col where col.attstorage <> col.typstorage
  union all
  select 20, 0, 0::oid, 4, col.attnum, 'post', col.attname,
    pg_catalog.format('ALTER TABLE %s ALTER COLUMN %I SET STATISTICS %s', $TN, col.attname, col.attstattarget)
  from col where coalesce(col.attstattarget, -1) >= 0
  union all
  select 20, 0, 0::oid, 5, col.attnum, 'post', col.attname,
    pg_catalog.format('ALTER TABLE %s ALTER COLUMN %I SET (%s)', $TN, col.attname,
      (select pg_catalog.string_agg(opt, ', ') from pg_catalog.unnest(col.attoptions) opt where opt not like 'pg\_%'))
  from col where exists (select 1 from pg_catalog.unnest(col.attoptions) opt where opt not like 'pg\_%')
  union all
  select 20, 0, 0::oid, 6, col.attnum, 'post', col.attname,
    pg_catalog.format('ALTER TABLE %s ALTER COLUMN %I SET COMPRESSION %s', $TN, col.attname,
      case pg_catalog.to_jsonb(col) ->> 'attcompression' when 'p' then 'pglz' when 'l' then 'lz4' end)
  from col where pg_catalog.to_jsonb(col) ->> 'attcompression' in ('p', 'l')
  union all
  select 20, 0, 0::oid, 10 + case cons.contype when 'c' then 1 when 'f' then 2 else 0 end, cons.oid::bigint, 'post', cons.conname,
    pg_catalog.format('ALTER TABLE %s ADD CONSTRAINT %I %s', $TN, cons.conname, pg_catalog.pg_get_constraintdef(cons.oid))
  from cons
  union all
  select case when ix.lvl = 0 then 20 else 60 end, ix.lvl, ix.obj, 13, ix.indexrelid::bigint, 'post', ix.relname,
    pg_catalog.pg_get_indexdef(ix.indexrelid)
  from ix
  union all
  select 20, 0, 0::oid, 14, 0, 'post', ix.relname, pg_catalog.format('ALTER TABLE %s CLUSTER ON %I', $TN, ix.relname)
  from ix where ix.lvl = 0 and ix.indisclustered
  union all
  select 20, 0, 0::oid, 14, 0, 'post', con.conname, pg_catalog.format('ALTER TABLE %s CLUSTER ON %I', $TN, ic.relname)
  from cons con join pg_catalog.pg_index i on i.indexrelid = con.conindid and i.indisclustered
  join pg_catalog.pg_class ic on ic.oid = i.indexrelid
  where con.contype in ('p', 'u', 'x')
  union all
  select 20, 0, 0::oid, 15, 0, 'post', '',
    pg_catalog.format('ALTER TABLE %s REPLICA IDENTITY %s', $TN, case t.relreplident when 'n' then 'NOTHING' when 'f' then 'FULL' else
      (select pg_catalog.format('USING INDEX %I', ic.relname) from pg_catalog.pg_index i join pg_catalog.pg_class ic on ic.oid = i.indexrelid
       where i.indrelid = t.oid and i.indisreplident) end)
  from t where t.relreplident <> 'd'
  union all
  select 20, 0, 0::oid, 16, 0, 'post', '', pg_catalog.format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', $TN)
  from t where t.relrowsecurity
  union all
  select 20, 0, 0::oid, 16, 1, 'post', '', pg_catalog.format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', $TN)
  from t where t.relforcerowsecurity
  union all
  select 20, 0, 0::oid, 17, p.oid::bigint, 'post', p.polname,
    pg_catalog.format('CREATE POLICY %I ON %s AS %s FOR %s TO %s%s%s', p.polname, $TN,
      case when p.polpermissive then 'PERMISSIVE' else 'RESTRICTIVE' end,
      case p.polcmd when 'r' then 'SELECT' when 'a' then 'INSERT' when 'w' then 'UPDATE' when 'd' then 'DELETE' else 'ALL' end,
      case when p.polroles = '{0}' then 'PUBLIC' else
        (select pg_catalog.string_agg(pg_catalog.quote_ident(r.rolname), ', ' order by r.rolname)
         from pg_catalog.pg_roles r where r.oid = any (p.polroles)) end,
      coalesce(' USING (' || pg_catalog.pg_get_expr(p.polqual, p.polrelid) || ')', ''),
      coalesce(' WITH CHECK (' || pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid) || ')', ''))
  from t join pg_catalog.pg_policy p on p.polrelid = t.oid
  union all
  select case when obj.lvl = 0 then 20 else 60 end, obj.lvl, obj.ord, 18, tg.oid::bigint, 'post', tg.tgname,
    pg_catalog.pg_get_triggerdef(tg.oid)
  from obj join pg_catalog.pg_trigger tg on tg.tgrelid = obj.oid and not tg.tgisinternal
  union all
  select case when obj.lvl = 0 then 20 else 60 end, obj.lvl, obj.ord, 18, tg.oid::bigint + 1, 'post', tg.tgname,
    pg_catalog.format('ALTER TABLE %s %s TRIGGER %I', obj.qn,
      case tg.tgenabled when 'D' then 'DISABLE' when 'R' then 'ENABLE REPLICA' else 'ENABLE ALWAYS' end, tg.tgname)
  from obj join pg_catalog.pg_trigger tg on tg.tgrelid = obj.oid and not tg.tgisinternal and tg.tgenabled <> 'O'
  union all
  select case when obj.lvl = 0 then 20 else 60 end, obj.lvl, obj.ord, 19, ru.oid::bigint, 'post', ru.rulename,
    pg_catalog.pg_get_ruledef(ru.oid)
  from obj join pg_catalog.pg_rewrite ru on ru.ev_class = obj.oid and ru.rulename <> '_RETURN'
  union all
  select 20, 0, 0::oid, 20, st.oid::bigint, 'post', st.stxname, pg_catalog.pg_get_statisticsobjdef(st.oid)
  from t join pg_catalog.pg_statistic_ext st on st.stxrelid = t.oid
  union all
  select 20, 0, 0::oid, 21, p.oid::bigint, 'post', p.pubname, pg_catalog.format('ALTER PUBLICATION %I ADD TABLE %s', p.pubname, $TN)
  from t join pg_catalog.pg_publication_rel pr on pr.prrelid = t.oid
  join pg_catalog.pg_publication p on p.oid = pr.prpubid
  union all
  select case when obj.lvl = 0 then 20 else 60 end, obj.lvl, obj.ord, 28, 0, 'post', '',
    pg_catalog.format('REVOKE ALL ON %s FROM %s', obj.qn, pg_catalog.string_agg(distinct
      case when e.grantee = 0 then 'PUBLIC' else pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(e.grantee)) end, ', '))
  from obj join pg_catalog.pg_default_acl da on da.defaclobjtype = 'r' and da.defaclnamespace in (0, obj.relnamespace)
    and da.defaclrole = (select oid from pg_catalog.pg_roles where rolname = current_user)
  cross join lateral pg_catalog.aclexplode(da.defaclacl) e
  where e.grantee <> (select oid from pg_catalog.pg_roles where rolname = current_user)
  group by obj.ord, obj.lvl, obj.qn
  union all
  select case when acl.lvl = 0 then 20 else 60 end, acl.lvl, acl.obj, 29, acl.seq, 'post', '',
    pg_catalog.format('GRANT %s ON %s TO %s%s', acl.privilege_type, acl.qn,
      case when acl.grantee = 0 then 'PUBLIC' else pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(acl.grantee)) end,
      case when acl.is_grantable then ' WITH GRANT OPTION' else '' end)
  from acl
  union all
  select 20, 0, 0::oid, 29, 1000000 + col.attnum * 100 + row_number() over (), 'post', col.attname,
    pg_catalog.format('GRANT %s (%I) ON %s TO %s%s', e.privilege_type, col.attname, $TN,
      case when e.grantee = 0 then 'PUBLIC' else pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(e.grantee)) end,
      case when e.is_grantable then ' WITH GRANT OPTION' else '' end)
  from col cross join lateral pg_catalog.aclexplode(col.attacl) e
  union all
  select case when obj.lvl = 0 then 20 else 60 end, obj.lvl, obj.ord, 30, 0, 'post', '',
    pg_catalog.format('ALTER %s %s OWNER TO %I', obj.kw, obj.qn, pg_catalog.pg_get_userbyid(obj.relowner))
  from obj where obj.relowner <> (select oid from pg_catalog.pg_roles where rolname = current_user)
  union all
  select case when obj.lvl = 0 then 20 else 60 end, obj.lvl, obj.ord, 40, 0, 'post', '',
    pg_catalog.format('COMMENT ON %s %s IS %L', obj.kw, obj.qn, pg_catalog.obj_description(obj.oid, 'pg_class'))
  from obj where pg_catalog.obj_description(obj.oid, 'pg_class') is not null
  union all
  select case when obj.lvl = 0 then 20 else 60 end, obj.lvl, obj.ord, 41, a.attnum, 'post', a.attname,
    pg_catalog.format('COMMENT ON COLUMN %s.%I IS %L', obj.qn, a.attname, pg_catalog.col_description(obj.oid, a.attnum))
  from obj join pg_catalog.pg_attribute a on a.attrelid = obj.oid and a.attnum > 0 and not a.attisdropped
  where pg_catalog.col_description(obj.oid, a.attnum) is not null
  union all
  select 20, 0, 0::oid, 42, cons.oid::bigint, 'post', cons.conname,
    pg_catalog.format('COMMENT ON CONSTRAINT %I ON %s IS %L', cons.conname, $TN, pg_catalog.obj_description(cons.oid, 'pg_constraint'))
  from cons where pg_catalog.obj_description(cons.oid, 'pg_constraint') is not null
  union all
  select case when ix.lvl = 0 then 20 else 60 end, ix.lvl, ix.obj, 43, ix.indexrelid::bigint, 'post', ix.relname,
    pg_catalog.format('COMMENT ON INDEX %I.%I IS %L', n.nspname, ix.relname, pg_catalog.obj_description(ix.indexrelid, 'pg_class'))
  from ix join pg_catalog.pg_class ic on ic.oid = ix.indexrelid join pg_catalog.pg_namespace n on n.oid = ic.relnamespace
  where pg_catalog.obj_description(ix.indexrelid, 'pg_class') is not null
  union all
  select 50, 0, fkin.conrelid, 0, fkin.oid::bigint, 'post', fkin.conname,
    pg_catalog.format('ALTER TABLE %s ADD CONSTRAINT %I %s', fkin.qn, fkin.conname, pg_catalog.pg_get_constraintdef(fkin.oid))
  from fkin
  union all
  select 50, 0, fkin.conrelid, 1, fkin.oid::bigint, 'post', fkin.conname,
    pg_catalog.format('COMMENT ON CONSTRAINT %I ON %s IS %L', fkin.conname, fkin.qn, pg_catalog.obj_description(fkin.oid, 'pg_constraint'))
  from fkin where pg_catalog.obj_description(fkin.oid, 'pg_constraint') is not null
  union all
  select 60, obj.lvl, obj.ord, 0, 0, 'post', obj.qn,
    pg_catalog.format('CREATE %s %s%s AS %s%s', obj.kw, obj.qn,
      case when v.reloptions is not null then ' WITH (' || pg_catalog.array_to_string(v.reloptions, ', ') || ')' else '' end,
      pg_catalog.regexp_replace(pg_catalog.pg_get_viewdef(obj.oid), ';\s*$', ''),
      case when obj.relkind <> 'm' then '' when v.relispopulated then ' WITH DATA' else ' WITH NO DATA' end)
  from obj join pg_catalog.pg_class v on v.oid = obj.oid where obj.lvl > 0
  union all
  select 60, obj.lvl, obj.ord, 1, ad.adnum, 'post', a.attname,
    pg_catalog.format('ALTER VIEW %s ALTER COLUMN %I SET DEFAULT %s', obj.qn, a.attname, pg_catalog.pg_get_expr(ad.adbin, ad.adrelid))
  from obj join pg_catalog.pg_attrdef ad on ad.adrelid = obj.oid
  join pg_catalog.pg_attribute a on a.attrelid = ad.adrelid and a.attnum = ad.adnum
  where obj.lvl > 0
  union all
  select 99, 0, 0::oid, 0, 0, 'post', '', 'RESET search_path'
  from t
)
select what, name, text from stmts order by k, lvl, obj, o, seq`

// DefinitionStatements turns TableDefinition's rows into statements: the
// "pre" ones, then the create table, then the "post" ones, as the
// journal's recreate runs them around the drop of the table and the
// insert of the saved rows. It returns nil when a row says the table
// cannot be created again ("refuse"), a text is missing (NULL), or there
// is not exactly one create table.
func (Dialect) DefinitionStatements(rel adapter.Relation, rows [][]any) []string {
	var out []string
	tables := 0
	for _, r := range rows {
		if len(r) < 3 {
			return nil
		}
		what, _ := r[0].(string)
		text, ok := r[2].(string)
		if !ok || text == "" {
			return nil
		}
		switch what {
		case "pre":
			if tables > 0 {
				return nil
			}
		case "table":
			tables++
		case "post":
			if tables == 0 {
				return nil
			}
		default:
			return nil
		}
		out = append(out, text)
	}
	if tables != 1 {
		return nil
	}
	return out
}
