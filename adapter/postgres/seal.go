package postgres

import (
	"context"
	"fmt"
	"strings"

	"github.com/kiln-build/kiln/adapter"
	"github.com/kiln-build/kiln/internal/sqlq"
)

var _ adapter.RelationSealer = (*Conn)(nil)

// FlushStats implements adapter.RelationSealer: the session's pending
// statistics are flushed when the statement ends, before the server
// answers (PostgreSQL 15's pg_stat_force_next_flush()).
func (c *Conn) FlushStats(ctx context.Context) error {
	_, _, err := c.QueryRows(ctx, "select pg_stat_force_next_flush()")
	return err
}

// RelationPrints implements adapter.RelationSealer. A relation's print is
//
//	oid/relfilenode/xmin of its pg_class row/n_tup_ins/n_tup_upd/n_tup_del/xmin of its view rule
//
// A relation dropped and created again has another oid; truncated (or
// rewritten), another relfilenode; altered (a column, a grant), another
// pg_class row version; a view replaced, another rule version; an
// insert, update or delete, committed or not, adds to its counters
// (pg_stat_all_tables, read afresh: pg_stat_clear_snapshot()). counts is
// track_counts.
func (c *Conn) RelationPrints(ctx context.Context, schemas []string) (map[string]string, bool, error) {
	prints := map[string]string{}
	if len(schemas) == 0 {
		return prints, true, nil
	}
	if _, _, err := c.QueryRows(ctx, "select pg_stat_clear_snapshot()"); err != nil {
		return nil, false, err
	}
	lits := make([]string, len(schemas))
	for i, s := range schemas {
		lits[i] = sqlq.Literal(s)
	}
	_, rows, err := c.QueryRows(ctx, `select n.nspname, c.relname, concat_ws('/', c.oid, c.relfilenode, c.xmin, s.n_tup_ins, s.n_tup_upd, s.n_tup_del,
  (select string_agg(r.xmin::text, ',') from pg_rewrite r where r.ev_class = c.oid)), current_setting('track_counts')
from pg_class c join pg_namespace n on n.oid = c.relnamespace left join pg_stat_all_tables s on s.relid = c.oid
where c.relkind in ('r', 'p', 'v', 'm', 'f') and n.nspname in (`+strings.Join(lits, ", ")+`)`)
	if err != nil {
		return nil, false, err
	}
	counts := true
	if len(rows) == 0 {
		var on string
		if _, r, err := c.QueryRows(ctx, "select current_setting('track_counts')"); err == nil && len(r) == 1 {
			on = fmt.Sprint(r[0][0])
		}
		counts = on == "on"
	}
	for _, row := range rows {
		prints[fmt.Sprint(row[0])+"."+fmt.Sprint(row[1])] = fmt.Sprint(row[2])
		counts = fmt.Sprint(row[3]) == "on"
	}
	return prints, counts, nil
}

// Renamed implements adapter.RelationSealer: before and after (prints
// of RelationPrints) differ at most in the xmin of the pg_class row, the
// one field a rename changes (a view's rule row is not rewritten).
// An ALTER or GRANT of the relation also changes only that field; when
// one came before a rename, the rename hides it.
func (c *Conn) Renamed(before, after string) bool {
	b, a := strings.Split(before, "/"), strings.Split(after, "/")
	if before == "" || after == "" || len(b) != len(a) || len(b) < 3 {
		return false
	}
	for i := range b {
		if i != 2 && b[i] != a[i] {
			return false
		}
	}
	return true
}

// sealTable holds the seal: one row, id 'seal'.
const sealTable = adapter.HistorySchema + ".seal"

// LoadSeal implements adapter.RelationSealer.
func (c *Conn) LoadSeal(ctx context.Context) (string, error) {
	k, err := c.RelationKind(ctx, adapter.Relation{Schema: adapter.HistorySchema, Name: "seal"})
	if err != nil || k == "" {
		return "", err
	}
	_, rows, err := c.QueryRows(ctx, "select print from "+sealTable+" where id = 'seal'")
	if err != nil || len(rows) != 1 {
		return "", err
	}
	return fmt.Sprint(rows[0][0]), nil
}

// SaveSeal implements adapter.RelationSealer.
func (c *Conn) SaveSeal(ctx context.Context, seal string) error {
	return c.Tx(ctx, func() error {
		for _, q := range []string{
			"create schema if not exists " + adapter.HistorySchema,
			"create table if not exists " + sealTable + " (id varchar primary key, print text)",
			"delete from " + sealTable,
			"insert into " + sealTable + " values ('seal', " + sqlq.Literal(seal) + ")",
		} {
			if _, err := c.Exec(ctx, q); err != nil {
				return err
			}
		}
		return nil
	})
}
