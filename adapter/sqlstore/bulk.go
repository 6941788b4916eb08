package sqlstore

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/kiln-build/kiln/adapter"
)

// bulkMin is the number of rows from which the store writes them as lists
// bound to one statement's parameters instead of literal VALUES rows: DuckDB
// binds a thousand 11-column VALUES rows in about 50 ms, the same rows as
// lists in about 8 ms (1,000 journal entries, 2026-12-05).
const bulkMin = 16

// unnestRows returns a query yielding one row per element of the lists
// bound to parameters $1..$n, one list per column, each cast to the SQL
// type of types[i] (varchar[], bigint[], boolean[]) and named cols[i]:
//
//	(select unnest($1::varchar[]) as a, unnest($2::bigint[]) as b) as rows
//
// DuckDB and PostgreSQL (10 and later) both zip the unnests of one select
// list element by element; the lists must have the same length.
func unnestRows(cols, types []string) string {
	var b strings.Builder
	b.WriteString("(select ")
	for i, c := range cols {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("unnest($")
		b.WriteString(strconv.Itoa(i + 1))
		b.WriteString("::")
		b.WriteString(types[i])
		b.WriteString("[]) as ")
		b.WriteString(c)
	}
	b.WriteString(") as rows")
	return b.String()
}

// addJournalBulk inserts entries as lists bound to parameters (see
// bulkMin); an empty Backup, BackupKind, Txn or Where is NULL, as in
// AddJournal.
func (s *Store) addJournalBulk(ctx context.Context, entries []adapter.JournalEntry) error {
	n := len(entries)
	runs, seqs, schemas, names := make([]string, n), make([]int64, n), make([]string, n), make([]string, n)
	backups, kinds, txns, ops, wheres, done := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]bool, n)
	defs := make([]string, n)
	for i, e := range entries {
		runs[i], seqs[i], schemas[i], names[i] = e.RunID, e.Seq, e.Relation.Schema, e.Relation.Name
		backups[i], kinds[i], txns[i], ops[i], wheres[i], done[i] = e.Backup, string(e.BackupKind), e.Txn, string(e.Op), e.Where, e.Done
		defs[i] = definitionJSON(e)
	}
	rows := unnestRows(
		[]string{"run_id", "seq", "schema_name", "name", "backup", "backup_kind", "txn", "op", "done", "rows_where", "definition"},
		[]string{"varchar", "bigint", "varchar", "varchar", "varchar", "varchar", "varchar", "varchar", "boolean", "varchar", "varchar"})
	q := "insert into kiln_history.journal (run_id, seq, schema_name, name, backup, backup_kind, txn, op, done, recorded_at, rows_where, definition) " +
		"select run_id, seq, schema_name, name, nullif(backup, ''), nullif(backup_kind, ''), nullif(txn, ''), op, done, " +
		s.ts(time.Now()) + ", nullif(rows_where, ''), nullif(definition, '') from " + rows
	_, err := s.c.Exec(ctx, q, runs, seqs, schemas, names, backups, kinds, txns, ops, done, wheres, defs)
	return err
}

// removeJournalBulk deletes the entries of run runID numbered seqs, the
// numbers bound as a list (see bulkMin).
func (s *Store) removeJournalBulk(ctx context.Context, runID string, seqs []int64) error {
	_, err := s.c.Exec(ctx, "delete from kiln_history.journal where run_id = $1 and seq in (select unnest($2::bigint[]))", runID, seqs)
	return err
}

// saveStateBulk upserts the fingerprints of ids (built[id]) as lists bound
// to parameters, whatever their number (one statement, or two in a flow
// transaction): into state, or into txn's pending_state
// after deleting the ids' earlier rows there.
func (s *Store) saveStateBulk(ctx context.Context, runID, txn string, ids []string, built map[string]string) error {
	fps := make([]string, len(ids))
	for i, id := range ids {
		fps[i] = built[id]
	}
	rows := unnestRows([]string{"unique_id", "fingerprint"}, []string{"varchar", "varchar"})
	if txn == "" {
		_, err := s.c.Exec(ctx, "insert into kiln_history.state (unique_id, fingerprint, run_id, built_at) "+
			"select unique_id, fingerprint, $3, "+s.ts(time.Now())+" from "+rows+
			" on conflict (unique_id) do update set fingerprint = excluded.fingerprint, run_id = excluded.run_id, built_at = excluded.built_at",
			ids, fps, runID)
		return err
	}
	if _, err := s.c.Exec(ctx, "delete from kiln_history.pending_state where txn = $1 and unique_id in (select unnest($2::varchar[]))", txn, ids); err != nil {
		return err
	}
	_, err := s.c.Exec(ctx, "insert into kiln_history.pending_state (txn, unique_id, fingerprint, run_id) "+
		"select $3, unique_id, fingerprint, $4 from "+rows, ids, fps, txn, runID)
	return err
}
