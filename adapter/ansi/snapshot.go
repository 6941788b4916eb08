package ansi

import (
	"fmt"
	"strings"

	"github.com/kiln-build/kiln/adapter"
	"github.com/kiln-build/kiln/internal/sqlq"
)

// The temporary tables of a snapshot run's staged rows.
const (
	snapChanges = "__kiln_snapshot_changes"
	snapGone    = "__kiln_snapshot_gone"
	snapFrom    = "__kiln_from"
	snapUpd     = "__kiln_updated"
)

// now is the run's clock as a value of the validity columns' type.
func (d Dialect) snapNow(s adapter.SnapshotSpec) string {
	return fmt.Sprintf("cast(%s as %s)", d.TimeLiteral(s.Now, s.TimeType), s.TimeType)
}

// validToCurrent is what a current version holds in ValidTo.
func validToCurrent(s adapter.SnapshotSpec) string {
	if s.ValidToCurrent == "" {
		return "cast(null as " + s.TimeType + ")"
	}
	return "cast((" + s.ValidToCurrent + ") as " + s.TimeType + ")"
}

// isCurrent is the condition on alias a that its row is the current
// version (ValidTo NULL, or dbt_valid_to_current).
func isCurrent(s adapter.SnapshotSpec, a string) string {
	col := a + "." + sqlq.Ident(s.Meta.ValidTo)
	if s.ValidToCurrent == "" {
		return col + " is null"
	}
	return fmt.Sprintf("(%s is null or %s = cast((%s) as %s))", col, col, s.ValidToCurrent, s.TimeType)
}

// scdID is dbt's dbt_scd_id: md5 of the key columns and the version's
// time, each as text (” for NULL), joined by '|'.
func scdID(a string, keys []string, when string) string {
	cols := make([]string, 0, len(keys)+1)
	for _, k := range keys {
		cols = append(cols, a+"."+sqlq.Ident(k))
	}
	return hashArgs(append(cols, when))
}

// hashArgs is dbt's snapshot_hash_arguments: md5 of each expression as
// text (” for NULL), joined by '|'.
func hashArgs(exprs []string) string {
	parts := make([]string, len(exprs))
	for i, e := range exprs {
		parts[i] = fmt.Sprintf("coalesce(cast(%s as varchar), '')", e)
	}
	return "md5(" + strings.Join(parts, " || '|' || ") + ")"
}

func keysEqual(keys []string, a, b string) string {
	eq := make([]string, len(keys))
	for i, k := range keys {
		q := sqlq.Ident(k)
		eq[i] = fmt.Sprintf("%s.%s = %s.%s", a, q, b, q)
	}
	return strings.Join(eq, " and ")
}

func prefixed(a string, cols []string) string {
	q := make([]string, len(cols))
	for i, c := range cols {
		q[i] = a + "." + sqlq.Ident(c)
	}
	return strings.Join(q, ", ")
}

// metaList is the names of the columns a snapshot adds, in order.
func metaList(s adapter.SnapshotSpec) []string {
	m := []string{s.Meta.SCDID, s.Meta.UpdatedAt, s.Meta.ValidFrom, s.Meta.ValidTo}
	if s.HardDeletes == "new_record" {
		m = append(m, s.Meta.IsDeleted)
	}
	return m
}

// versionTime is the time of the source row of alias a as a version: its
// updated_at, or the run's clock for the check strategy without one.
func (d Dialect) versionTime(s adapter.SnapshotSpec, a string) string {
	if s.UpdatedAt != "" {
		return fmt.Sprintf("cast(%s.%s as %s)", a, sqlq.Ident(s.UpdatedAt), s.TimeType)
	}
	return d.snapNow(s)
}

// SnapshotCreate is the first build of a snapshot: create table as the
// source's rows, each the current version from its time.
func (d Dialect) SnapshotCreate(s adapter.SnapshotSpec) adapter.Stmt {
	t := d.versionTime(s, "src")
	sel := fmt.Sprintf("select %s,\n  %s as %s,\n  %s as %s,\n  %s as %s,\n  %s as %s", prefixed("src", s.Columns),
		scdID("src", s.Keys, t), sqlq.Ident(s.Meta.SCDID), t, sqlq.Ident(s.Meta.UpdatedAt),
		t, sqlq.Ident(s.Meta.ValidFrom), validToCurrent(s), sqlq.Ident(s.Meta.ValidTo))
	if s.HardDeletes == "new_record" {
		sel += ",\n  'False' as " + sqlq.Ident(s.Meta.IsDeleted)
	}
	sel += "\nfrom " + s.Source.String() + " as src"
	return adapter.Stmt{SQL: "create table " + s.Target.String() + " as\n" + sel, Body: -1, CountRows: true}
}

// changed is the condition that source row src is a new version of the
// current version cur: an updated_at after cur's start (timestamp), a column of
// check_cols distinct (check, NULL-safe), or cur a deletion record.
func (d Dialect) changed(s adapter.SnapshotSpec) string {
	var conds []string
	if s.Strategy == "timestamp" {
		// dbt compares with the version's start (dbt-core#2350), which
		// is its updated_at but for a key back at the run's clock.
		u := sqlq.Ident(s.UpdatedAt)
		conds = append(conds, fmt.Sprintf("cast(src.%s as %s) > cur.%s", u, s.TimeType, sqlq.Ident(s.Meta.ValidFrom)))
	} else if s.CheckColumnAdded {
		conds = append(conds, "true")
	} else {
		for _, c := range s.CheckCols {
			q := sqlq.Ident(c)
			conds = append(conds, fmt.Sprintf("src.%s is distinct from cur.%s", q, q))
		}
	}
	if s.HardDeletes == "new_record" {
		conds = append(conds, "cur."+sqlq.Ident(s.Meta.IsDeleted)+" = 'True'")
	}
	return "(" + strings.Join(conds, " or ") + ")"
}

// SnapshotUpdate returns the statements of a later run, in order: stage
// the source rows that are new keys or new versions (with their time;
// a key back after a deletion record starts at its time when that is
// after the deletion, else at the run's clock), stage
// the current versions whose key left the source (hard_deletes), close
// the current versions that have a new one or whose key left, insert the
// new versions and, with new_record, the deletion records. A deletion
// record is written once: its key is then not current as a live version.
func (d Dialect) SnapshotUpdate(s adapter.SnapshotSpec) []adapter.Stmt {
	tgt := s.Target.String()
	cur := fmt.Sprintf("(select * from %s as t where %s) as cur", tgt, isCurrent(s, "t"))
	from := d.versionTime(s, "src")
	if s.HardDeletes == "new_record" {
		// A key back after its deletion record starts, as in dbt, at its
		// time when that is after the deletion; at the run's clock when
		// it is not (dbt's own value would start the version before the
		// deletion record it closes: validity windows would overlap).
		from = fmt.Sprintf("case when cur.%s = 'True' and not (%s > cur.%s) then %s else %s end",
			sqlq.Ident(s.Meta.IsDeleted), from, sqlq.Ident(s.Meta.ValidFrom), d.snapNow(s), from)
	}
	// A key without a live current version (back after hard_deletes
	// closed it) never starts before the latest instant of its history:
	// its new version does not overlap the closed ones. A live current
	// version is closed as dbt closes it, at the new version's time (its
	// updated_at, or the run's clock): with the check strategy, an
	// updated_at older than the current version's start gives, as in
	// dbt, a window that ends before it starts (see SnapshotViolation).
	vf, vt := sqlq.Ident(s.Meta.ValidFrom), sqlq.Ident(s.Meta.ValidTo)
	hist := fmt.Sprintf("(select %s, max(case when %s then t.%s else greatest(t.%s, t.%s) end) as last_at from %s as t group by %s) as h",
		identList(s.Keys), isCurrent(s, "t"), vf, vf, vt, tgt, identList(s.Keys))
	firstKey := "cur." + sqlq.Ident(s.Keys[0])
	noLive := firstKey + " is null"
	if s.HardDeletes == "new_record" {
		noLive = fmt.Sprintf("(%s or cur.%s = 'True')", noLive, sqlq.Ident(s.Meta.IsDeleted))
	}
	from = fmt.Sprintf("case when %s and h.last_at > %s then h.last_at else %s end", noLive, from, from)
	stage := fmt.Sprintf("select src.*, %s as %s, %s as %s\nfrom %s as src\nleft join %s on %s\nleft join %s on %s\nwhere %s is null or %s",
		from, sqlq.Ident(snapFrom), d.versionTime(s, "src"), sqlq.Ident(snapUpd), s.Source, cur, keysEqual(s.Keys, "cur", "src"),
		hist, keysEqual(s.Keys, "h", "src"), firstKey, d.changed(s))
	stmts := []adapter.Stmt{d.CreateTempTableAs(snapChanges, stage)}
	stmts[0].Body = -1
	changes := d.TempRelation(snapChanges)
	live := isCurrent(s, "t")
	if s.HardDeletes == "new_record" {
		live += " and coalesce(t." + sqlq.Ident(s.Meta.IsDeleted) + ", 'False') <> 'True'"
	}
	gone := d.TempRelation(snapGone)
	if s.HardDeletes != "ignore" && s.HardDeletes != "" {
		q := fmt.Sprintf("select t.* from %s as t where %s and not exists (select 1 from %s as src where %s)",
			tgt, live, s.Source, keysEqual(s.Keys, "src", "t"))
		st := d.CreateTempTableAs(snapGone, q)
		st.Body = -1
		stmts = append(stmts, st)
	}
	// Close the current versions that have a new one.
	stmts = append(stmts, adapter.Stmt{SQL: fmt.Sprintf("update %s as t set %s = ch.%s\nfrom %s as ch\nwhere %s and %s",
		tgt, sqlq.Ident(s.Meta.ValidTo), sqlq.Ident(snapFrom), changes, isCurrent(s, "t"), keysEqual(s.Keys, "t", "ch")), Body: -1, CountRows: true})
	if s.HardDeletes != "ignore" && s.HardDeletes != "" {
		stmts = append(stmts, adapter.Stmt{SQL: fmt.Sprintf("update %s as t set %s = %s\nwhere %s and exists (select 1 from %s as g where %s)",
			tgt, sqlq.Ident(s.Meta.ValidTo), d.snapNow(s), live, gone, keysEqual(s.Keys, "g", "t")), Body: -1, CountRows: true})
	}
	cols := append(append([]string(nil), s.Columns...), metaList(s)...)
	sel := fmt.Sprintf("select %s, %s, ch.%s, ch.%s, %s", prefixed("ch", s.Columns), scdID("ch", s.Keys, "ch."+sqlq.Ident(snapFrom)),
		sqlq.Ident(snapUpd), sqlq.Ident(snapFrom), validToCurrent(s))
	if s.HardDeletes == "new_record" {
		sel += ", 'False'"
	}
	stmts = append(stmts, adapter.Stmt{SQL: fmt.Sprintf("insert into %s (%s)\n%s\nfrom %s as ch", tgt, identList(cols), sel, changes), Body: -1, CountRows: true})
	if s.HardDeletes == "new_record" {
		// dbt's deletion record: its dbt_scd_id hashes the closed
		// version's and the run's clock (as a timestamp, dbt's
		// snapshot_get_time).
		now := d.snapNow(s)
		id := hashArgs([]string{"g." + sqlq.Ident(s.Meta.SCDID), fmt.Sprintf("cast(%s as timestamp)", d.TimeLiteral(s.Now, "TIMESTAMP"))})
		del := fmt.Sprintf("select %s, %s, %s, %s, %s, 'True'", prefixed("g", s.Columns), id, now, now, validToCurrent(s))
		stmts = append(stmts, adapter.Stmt{SQL: fmt.Sprintf("insert into %s (%s)\n%s\nfrom %s as g", tgt, identList(cols), del, gone), Body: -1, CountRows: true})
	}
	return stmts
}

// SnapshotViolation returns a query of at most one key of the snapshot's
// table that breaks a type 2 history: more than one current version; a
// version that ends before it starts where no version of its key starts
// at its end (dbt closes a version so when a check snapshot's updated_at
// goes back: the window is empty); two versions whose non-empty validity
// overlaps; or two versions of a key sharing dbt_scd_id but not their
// dbt_valid_from and dbt_updated_at (dbt's id hashes the key and the
// version's time: versions of one time share it, as in dbt, when a check
// column changes and updated_at does not). Its columns are the keys and
// a text saying which rule.
func (d Dialect) SnapshotViolation(s adapter.SnapshotSpec) string {
	keys := identList(s.Keys)
	from, to, id := sqlq.Ident(s.Meta.ValidFrom), sqlq.Ident(s.Meta.ValidTo), sqlq.Ident(s.Meta.SCDID)
	cur := isCurrent(s, "t")
	return fmt.Sprintf(`select * from (
  select %[1]s, 'more than one current version' as rule from %[2]s as t where %[3]s group by %[1]s having count(*) > 1
  union all
  select %[1]s, 'a version ends before it starts' from %[2]s as t where not (%[3]s) and t.%[5]s < t.%[4]s
    and not exists (select 1 from %[2]s as n where %[6]s and n.%[4]s = t.%[5]s)
  union all
  select %[1]s, 'two versions overlap' from (
    select t.*, (%[3]s) as is_cur, lead(%[4]s) over (partition by %[1]s order by %[4]s, %[5]s) as next_from
    from %[2]s as t where %[3]s or t.%[5]s > t.%[4]s
  ) as v where next_from is not null and (is_cur or %[5]s > next_from)
  union all
  select %[1]s, %[8]s from %[2]s as t group by %[1]s, %[7]s having count(distinct %[4]s) > 1 or count(distinct %[9]s) > 1
) as x limit 1`, keys, s.Target, cur, from, to, keysEqual(s.Keys, "n", "t"), id,
		sqlq.Literal(fmt.Sprintf("two versions share %s but not %s and %s", s.Meta.SCDID, s.Meta.ValidFrom, s.Meta.UpdatedAt)),
		sqlq.Ident(s.Meta.UpdatedAt))
}
