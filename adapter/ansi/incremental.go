package ansi

import (
	"fmt"
	"strings"
	"time"

	"github.com/kiln-build/kiln/adapter"
	"github.com/kiln-build/kiln/internal/sqlq"
)

// The aliases of dbt's merge statement (get_merge_sql), which users'
// incremental_predicates name.
const (
	MergeTarget = "DBT_INTERNAL_DEST"
	MergeSource = "DBT_INTERNAL_SOURCE"
)

// DropColumns is alter table ... drop column, once per column.
func (Dialect) DropColumns(rel adapter.Relation, names []string) adapter.Stmt {
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = fmt.Sprintf("alter table %s drop column %s", rel, sqlq.Ident(n))
	}
	return adapter.Plain(strings.Join(parts, ";\n"))
}

// AlterColumnTypes is alter table ... alter column ... type, once per
// column.
func (Dialect) AlterColumnTypes(rel adapter.Relation, cols []adapter.Column) adapter.Stmt {
	parts := make([]string, len(cols))
	for i, c := range cols {
		parts[i] = fmt.Sprintf("alter table %s alter column %s type %s", rel, sqlq.Ident(c.Name), c.Type)
	}
	return adapter.Plain(strings.Join(parts, ";\n"))
}

// CreateTempTableAs drops the temporary table name if it exists, then
// creates it: create temporary table name as (query).
func (Dialect) CreateTempTableAs(name, query string) adapter.Stmt {
	q := sqlq.Ident(name)
	s := Nest("drop table if exists "+q+";\ncreate temporary table "+q+" as ", query, "")
	s.CountRows = true
	return s
}

// TempRelation names a temporary table by its name alone: the database
// looks temporary tables up first.
func (Dialect) TempRelation(name string) adapter.Relation { return adapter.Relation{Name: name} }

// Insert is insert into ... (query).
func (Dialect) Insert(into adapter.Relation, query string) adapter.Stmt {
	s := Nest("insert into "+into.String()+" ", query, "")
	s.CountRows = true
	return s
}

// InsertColumns is insert into into (cols) select cols from from [where
// where].
func (Dialect) InsertColumns(into, from adapter.Relation, cols []string, where string) adapter.Stmt {
	list := identList(cols)
	sql := fmt.Sprintf("insert into %s (%s)\nselect %s from %s", into, list, list, from)
	if where != "" {
		sql += "\nwhere " + where
	}
	return adapter.Stmt{SQL: sql, Body: -1, CountRows: true}
}

// DeleteMatching is dbt's delete of delete+insert for a unique_key
// string (dbt-adapters' default__get_delete_insert_merge_sql): delete
// from from where (keys) in (select keys from using) and predicate ...,
// the keys and the predicates as written, without quotes or parentheses.
func (Dialect) DeleteMatching(from, using adapter.Relation, keys, predicates []string) adapter.Stmt {
	list := strings.Join(keys, ", ")
	sql := fmt.Sprintf("delete from %s\nwhere (%s) in (select %s from %s)", from, list, list, using)
	for _, p := range predicates {
		sql += "\n  and " + p
	}
	return adapter.Stmt{SQL: sql, Body: -1, CountRows: true}
}

// DeleteJoined is dbt's delete of delete+insert for a unique_key list
// (dbt-adapters' default__get_delete_insert_merge_sql, which
// dbt-postgres uses): delete from from using using where (using.key =
// from.key and ... and predicate ...).
func (Dialect) DeleteJoined(from, using adapter.Relation, keys, predicates []string) adapter.Stmt {
	return DeleteUsing(from, using, from.String(), "", keys, predicates)
}

// DeleteUsing writes delete from from [as alias] using using where
// (using.key = target.key and ... and predicate ...), target naming from
// in the condition (its alias, or its relation): the shape of dbt's
// delete+insert for a unique_key list, for dialects to share. Each key
// is written as given (dbt's {{ source }}.{{ key }}), not quoted.
func DeleteUsing(from, using adapter.Relation, target, alias string, keys, predicates []string) adapter.Stmt {
	conds := make([]string, 0, len(keys)+len(predicates))
	for _, k := range keys {
		conds = append(conds, fmt.Sprintf("%s.%s = %s.%s", using, k, target, k))
	}
	conds = append(conds, predicates...)
	head := "delete from " + from.String()
	if alias != "" {
		head += " as " + alias
	}
	sql := fmt.Sprintf("%s\nusing %s\nwhere (%s)", head, using, strings.Join(conds, "\n  and "))
	return adapter.Stmt{SQL: sql, Body: -1, CountRows: true}
}

// DeletePredicates is dbt-adapters' delete of delete+insert without a
// unique_key (default__get_delete_insert_merge_sql, which dbt-postgres
// uses): delete from from where (p1 and p2 ...), each predicate as
// written but for DBT_INTERNAL_DEST and DBT_INTERNAL_SOURCE, replaced by
// the relations from and using (as dbt's replace filter does: the exact
// words, case and all). No predicates give a zero Stmt.
func (Dialect) DeletePredicates(from, using adapter.Relation, predicates []string) adapter.Stmt {
	if len(predicates) == 0 {
		return adapter.Stmt{}
	}
	conds := make([]string, len(predicates))
	for i, p := range predicates {
		p = strings.ReplaceAll(p, MergeTarget, from.String())
		conds[i] = strings.ReplaceAll(p, MergeSource, using.String())
	}
	sql := fmt.Sprintf("delete from %s\nwhere (%s)", from, strings.Join(conds, "\n  and "))
	return adapter.Stmt{SQL: sql, Body: -1, CountRows: true}
}

// DeleteWhere is delete from from where where.
func (Dialect) DeleteWhere(from adapter.Relation, where string) adapter.Stmt {
	return adapter.Stmt{SQL: fmt.Sprintf("delete from %s\nwhere %s", from, where), Body: -1, CountRows: true}
}

// Merge is SQL's merge as dbt's get_merge_sql writes it: merge into into
// as DBT_INTERNAL_DEST using from as DBT_INTERNAL_SOURCE on (predicate)
// and ... and (keys equal), when matched then update set ..., when not
// matched then insert .... Keys and update columns are written as given
// (dbt's DBT_INTERNAL_SOURCE.{{ key }}, {{ column_name }} = ...), the
// inserted columns quoted.
func (Dialect) Merge(into, from adapter.Relation, keys, update, insert, predicates []string) adapter.Stmt {
	conds := make([]string, 0, len(predicates)+1)
	for _, p := range predicates {
		conds = append(conds, "("+p+")")
	}
	if len(keys) == 0 {
		conds = append(conds, "(FALSE)")
	} else {
		eq := make([]string, len(keys))
		for i, k := range keys {
			eq[i] = fmt.Sprintf("%s.%s = %s.%s", MergeSource, k, MergeTarget, k)
		}
		conds = append(conds, "("+strings.Join(eq, " and ")+")")
	}
	sql := fmt.Sprintf("merge into %s as %s\nusing %s as %s\non %s", into, MergeTarget, from, MergeSource, strings.Join(conds, " and "))
	if len(update) > 0 {
		set := make([]string, len(update))
		for i, c := range update {
			set[i] = c + " = " + MergeSource + "." + c
		}
		sql += "\nwhen matched then update set " + strings.Join(set, ", ")
	}
	vals := make([]string, len(insert))
	for i, c := range insert {
		vals[i] = MergeSource + "." + sqlq.Ident(c)
	}
	sql += fmt.Sprintf("\nwhen not matched then insert (%s) values (%s)", identList(insert), strings.Join(vals, ", "))
	return adapter.Stmt{SQL: sql, Body: -1, CountRows: true}
}

// NullKey is select keys from rel where (k1) is null or ... limit 1, the
// keys as written.
func (Dialect) NullKey(rel adapter.Relation, keys []string) string {
	conds := make([]string, len(keys))
	for i, k := range keys {
		conds[i] = "(" + k + ") is null"
	}
	return fmt.Sprintf("select %s from %s where %s limit 1", strings.Join(keys, ", "), rel, strings.Join(conds, " or "))
}

// DuplicateKey is select keys, count(*) from rel group by keys having
// count(*) > 1, the smallest key first, limit 1, the keys as written.
func (Dialect) DuplicateKey(rel adapter.Relation, keys []string) string {
	list := strings.Join(keys, ", ")
	return fmt.Sprintf("select %s, count(*) as n from %s group by %s having count(*) > 1 order by %s limit 1", list, rel, list, list)
}

// IsZoned reports whether typ, a column type as a database spells it, is
// a timestamp with a time zone (an instant).
func IsZoned(typ string) bool {
	t := strings.ToUpper(strings.Join(strings.Fields(typ), " "))
	return t == "TIMESTAMPTZ" || strings.Contains(t, "WITH TIME ZONE")
}

// TimeLiteral is timestamp with time zone '... +00:00' for a zoned
// column, else timestamp '...' (t's wall clock in UTC), with microseconds
// when t has any.
func (Dialect) TimeLiteral(t time.Time, typ string) string {
	u := t.UTC()
	text := u.Format("2006-01-02 15:04:05.999999")
	if IsZoned(typ) {
		return "timestamp with time zone " + sqlq.Literal(text+"+00:00")
	}
	return "timestamp " + sqlq.Literal(text)
}

// TimeRange is col >= start and col < end, with TimeLiteral's literals.
func (d Dialect) TimeRange(col, typ string, start, end time.Time) string {
	q := sqlq.Ident(col)
	return fmt.Sprintf("%s >= %s and %s < %s", q, d.TimeLiteral(start, typ), q, d.TimeLiteral(end, typ))
}
