package postgres

import (
	"regexp"
	"strings"

	"github.com/kiln-build/kiln/adapter"
)

var _ adapter.Granter = Dialect{}

// ShowGrants reads information_schema.role_table_grants, as dbt-postgres's
// get_show_grant_sql: the privileges the current role granted on rel to
// other roles.
//
//	select grantee, privilege_type from information_schema.role_table_grants
//	where grantor = current_role and grantee != current_role
//	and table_schema = 'marts' and table_name = 'orders'
func (d Dialect) ShowGrants(rel adapter.Relation) adapter.Stmt {
	return adapter.Stmt{SQL: "select grantee, privilege_type from information_schema.role_table_grants\n" +
		"where grantor = current_role and grantee != current_role\n" +
		"and table_schema = " + d.Literal(rel.Schema) + " and table_name = " + d.Literal(rel.Name)}
}

// Grant is grant privilege on rel to grantee, ...: grant select on
// "marts"."orders" to reporter, "ops-team".
func (d Dialect) Grant(rel adapter.Relation, privilege string, grantees []string) adapter.Stmt {
	return adapter.Stmt{SQL: "grant " + strings.ToLower(privilege) + " on " + d.QuoteRelation(rel) + " to " + d.grantees(grantees)}
}

// Revoke is revoke privilege on rel from grantee, ...
func (d Dialect) Revoke(rel adapter.Relation, privilege string, grantees []string) adapter.Stmt {
	return adapter.Stmt{SQL: "revoke " + strings.ToLower(privilege) + " on " + d.QuoteRelation(rel) + " from " + d.grantees(grantees)}
}

// plainRole is a role name written without quotes, which PostgreSQL folds
// to lower case.
var plainRole = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_$]*$`)

// grantees writes role names as dbt does: a plain name as written (folded
// to lower case by PostgreSQL: Reporter is reporter), any other name
// quoted (dbt quotes those with "@", "-" or "."; kiln quotes every name
// that is not plain, so that no name is read as SQL).
func (d Dialect) grantees(names []string) string {
	out := make([]string, len(names))
	for i, n := range names {
		if plainRole.MatchString(n) {
			out[i] = n
		} else {
			out[i] = d.Quote(n)
		}
	}
	return strings.Join(out, ", ")
}

var _ adapter.Indexer = Dialect{}

// CreateIndex is dbt-postgres's get_create_index_sql, without its "if not
// exists" (the name is new to every build):
//
//	create unique index "3f1c..." on "marts"."orders" using hash (id)
func (d Dialect) CreateIndex(rel adapter.Relation, name string, ix adapter.Index) adapter.Stmt {
	var b strings.Builder
	b.WriteString("create ")
	if ix.Unique {
		b.WriteString("unique ")
	}
	b.WriteString("index " + d.Quote(name) + " on " + d.QuoteRelation(rel))
	if ix.Type != "" {
		b.WriteString(" using " + strings.ToLower(ix.Type))
	}
	b.WriteString(" (" + strings.Join(ix.Columns, ", ") + ")")
	return adapter.Stmt{SQL: b.String()}
}

// CopyIndexes reads the indexes of from that back no constraint
// (pg_index, pg_constraint) and writes, from each one's definition
// (pg_get_indexdef: "CREATE [UNIQUE] INDEX name ON schema.table USING
// ..."), the statement that creates it on to, named by the MD5 of its name
// and to's. An index whose definition is not of that shape is skipped.
func (d Dialect) CopyIndexes(from, to adapter.Relation) adapter.Stmt {
	target := d.Literal(d.QuoteRelation(to))
	return adapter.Stmt{SQL: `select 'create ' || case when x.indisunique then 'unique ' else '' end || 'index ' ||
  quote_ident(md5(x.name || ' ' || ` + target + `)) || ' on ' || ` + target + ` || ' ' || substr(x.def, length(x.head) + 1)
from (
  select i.indisunique, ic.relname::text as name, pg_get_indexdef(i.indexrelid) as def,
    'CREATE ' || case when i.indisunique then 'UNIQUE ' else '' end || 'INDEX ' || quote_ident(ic.relname) ||
    ' ON ' || quote_ident(n.nspname) || '.' || quote_ident(t.relname) || ' ' as head
  from pg_index i
  join pg_class ic on ic.oid = i.indexrelid
  join pg_class t on t.oid = i.indrelid
  join pg_namespace n on n.oid = t.relnamespace
  where n.nspname = ` + d.Literal(from.Schema) + ` and t.relname = ` + d.Literal(from.Name) + `
    and not exists (select 1 from pg_constraint c where c.conindid = i.indexrelid)
) x
where starts_with(x.def, x.head)
order by x.name`}
}
