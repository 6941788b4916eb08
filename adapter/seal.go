package adapter

import "context"

// RelationSealer is implemented by a connection to a database server,
// whose relations have no file whose identity kiln could record: it
// prints each relation's state, so that a build can tell that one was
// written outside kiln since the last run sealed the database.
type RelationSealer interface {
	// FlushStats makes the write counters of the session visible to the
	// other sessions (PostgreSQL 15: pg_stat_force_next_flush()).
	FlushStats(ctx context.Context) error
	// RelationPrints returns the print of each relation (table, view,
	// materialized view, foreign table) in schemas, by "schema.name": a
	// text that changes when the relation is written, replaced,
	// truncated or altered (the implementation says how). counts is
	// false when the database does not count writes, and the prints then
	// miss them.
	RelationPrints(ctx context.Context, schemas []string) (prints map[string]string, counts bool, err error)
	// Renamed reports whether after is the print of the relation printed
	// before, changed since by renames alone (ALTER ... RENAME, as a
	// rollback's putting a relation kiln had moved aside back): the same
	// relation, storage, write counters and view definition. Two equal
	// prints are Renamed.
	Renamed(before, after string) bool
	// LoadSeal returns the seal SaveSeal saved last, "" when none.
	LoadSeal(ctx context.Context) (string, error)
	// SaveSeal replaces the seal, in HistorySchema, in one transaction.
	SaveSeal(ctx context.Context, seal string) error
}
