package engine

import (
	"context"
	"fmt"
	"strings"

	"github.com/kiln-build/kiln/adapter"
	"github.com/kiln-build/kiln/internal/sqlq"
)

// What a read-only transaction does not stop. PostgreSQL (15) refuses in
// kiln show's read-only transaction every write to a relation, a
// sequence (nextval, setval) and the catalog (CREATE TEMP TABLE
// included), and SELECT ... FOR UPDATE; it runs, and the rollback
// undoes or discards, SET and set_config (the session's parameters come
// back), NOTIFY and pg_notify (sent only at a commit), a transaction's
// advisory locks (pg_advisory_xact_lock, released as the read's own
// locks are) and large objects created. What it runs and the rollback
// does not undo is refused by name before anything runs (showEffect):
// a session advisory lock, which other sessions see and wait on until
// kiln show's connection closes, and what acts on the server or on other
// sessions: replication slots, statistics resets (which kiln's seal
// reads), the write-ahead log, signals to other sessions, a file written
// on the server, statements run on another connection (dblink). A
// session advisory lock taken where no name shows it (in a function the
// query calls) is found after the rollback (adapter.SessionLocks):
// kiln show releases it and refuses the preview. The other effects of a
// function the query calls are the function's: kiln cannot see them.
// LISTEN, NOTIFY, LOCK, PREPARE, DECLARE and the transaction's own
// statements (COMMIT, ROLLBACK, PREPARE TRANSACTION) are not queries:
// showWrite refuses them by their first word.

// showEffects are the functions a read-only transaction runs whose effect
// outlives it or reaches other sessions, by name (lower case), with that
// effect.
var showEffects = func() map[string]string {
	m := map[string]string{}
	add := func(effect string, names ...string) {
		for _, n := range names {
			m[n] = effect
		}
	}
	add("takes a session advisory lock, which the read-only transaction's rollback does not release: other sessions see it and wait on it until kiln show's connection closes",
		"pg_advisory_lock", "pg_advisory_lock_shared", "pg_try_advisory_lock", "pg_try_advisory_lock_shared")
	add("signals another session (cancels its query or ends it)", "pg_cancel_backend", "pg_terminate_backend")
	add("resets the server's cumulative statistics, which other sessions read (and kiln's seal on PostgreSQL)",
		"pg_stat_reset", "pg_stat_reset_shared", "pg_stat_reset_single_table_counters", "pg_stat_reset_single_function_counters",
		"pg_stat_reset_slru", "pg_stat_reset_replication_slot", "pg_stat_reset_subscription_stats")
	add("creates, drops or moves a replication slot, which outlives the transaction",
		"pg_create_physical_replication_slot", "pg_create_logical_replication_slot", "pg_drop_replication_slot",
		"pg_copy_physical_replication_slot", "pg_copy_logical_replication_slot", "pg_replication_slot_advance", "pg_replication_origin_advance")
	add("writes the server's write-ahead log or starts or stops a backup, which a rollback does not undo",
		"pg_switch_wal", "pg_create_restore_point", "pg_logical_emit_message", "pg_backup_start", "pg_backup_stop")
	add("acts on the server (its configuration, log or recovery)", "pg_reload_conf", "pg_rotate_logfile", "pg_promote", "pg_log_backend_memory_contexts")
	add("writes a file on the server", "lo_export", "pg_file_write", "pg_file_rename", "pg_file_unlink")
	add("runs statements on another connection, outside kiln show's read-only transaction", "dblink", "dblink_exec", "dblink_connect", "dblink_send_query")
	return m
}()

// showEffect returns the first call in sql of a function of showEffects:
// its statement's byte offset (past leading white space), the function's
// name and its effect. ok is false when sql calls none.
func showEffect(sql string) (offset int, name, effect string, ok bool) {
	for _, sp := range sqlq.StatementSpans(sql) {
		s := sql[sp[0]:sp[1]]
		words := sqlWords(s, -1)
		for i, w := range words {
			fn := w[strings.LastIndexByte(w, '.')+1:]
			if e, found := showEffects[fn]; found && i+1 < len(words) && words[i+1] == "(" {
				lead := len(s) - len(strings.TrimLeft(s, " \t\r\n"))
				return sp[0] + lead, fn, e, true
			}
		}
	}
	return 0, "", "", false
}

// showEffectMsg is the message of kiln show's refusal of function fn,
// whose effect is effect.
func showEffectMsg(fn, effect string) string {
	return fmt.Sprintf("kiln show only reads the database, and %s() %s: it was not run", fn, effect)
}

// releaseSessionLocks releases, after kiln show's read-only transaction
// ended, the session advisory locks its statements took where no
// function name showed them (in a function the query calls), and
// returns the error that refuses the preview; nil when they took none
// or the database keeps no lock past a transaction.
func releaseSessionLocks(ctx context.Context, conn adapter.Conn) error {
	sl, ok := conn.(adapter.SessionLocks)
	if !ok {
		return nil
	}
	n, err := sl.ReleaseSessionLocks(ctx)
	if err != nil {
		return fmt.Errorf("kiln show: cannot tell whether the query left session locks: %w", err)
	}
	if n == 0 {
		return nil
	}
	return fmt.Errorf("kiln show only reads the database, and the query took %s (pg_advisory_lock, in a function it calls), which its read-only transaction's rollback does not release and other sessions see: kiln show released %s and shows nothing",
		plural(n, "session advisory lock"), map[bool]string{true: "it", false: "them"}[n == 1])
}
