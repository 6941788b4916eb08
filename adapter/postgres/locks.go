package postgres

import (
	"context"

	"github.com/kiln-build/kiln/adapter"
)

var _ adapter.SessionLocks = (*Conn)(nil)

// ReleaseSessionLocks implements adapter.SessionLocks: the session
// advisory locks the connection holds (outside a transaction, the only
// advisory locks it can hold), released by pg_advisory_unlock_all().
// kiln's own lock on the database is held by another connection.
func (c *Conn) ReleaseSessionLocks(ctx context.Context) (int, error) {
	n, err := c.QueryInt(ctx, "select count(*) from pg_locks where locktype = 'advisory' and pid = pg_backend_pid() and granted")
	if err != nil || n == 0 {
		return 0, err
	}
	if _, _, err := c.QueryRows(ctx, "select pg_advisory_unlock_all()"); err != nil {
		return 0, err
	}
	return int(n), nil
}
