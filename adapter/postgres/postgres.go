// Package postgres is kiln's PostgreSQL adapter (adapter.Adapter), on
// github.com/jackc/pgx/v5: a pool of connections to one database on a
// server that many machines share, one dedicated connection per worker
// (threads are parallel connections), PostgreSQL's dialect, its catalog
// (pg_catalog), bulk loading with COPY ... FROM STDIN, CSV export with
// COPY ... TO STDOUT, error classes from SQLSTATE, and kiln's records in
// the same database (adapter/sqlstore, schema kiln_history).
//
// PostgreSQL's DDL is transactional: a node's replacement of a relation
// (its previous version moved aside, the new one built, the journal
// entry) commits or rolls back as one, like DuckDB's.
//
// One kiln process at a time builds in a database: Open takes a
// session-level advisory lock (pg_try_advisory_lock) on a connection it
// keeps until Close, and returns *adapter.LockError naming the holder
// (its application_name says "kiln <pid>@<host>") when another process
// has it. The server releases the lock when that process's session ends,
// even when it is killed.
//
// It registers itself as adapter type "postgres". It is the only package
// that imports pgx.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kiln-build/kiln/adapter"
)

func init() {
	adapter.Register("postgres", func(ctx context.Context, t adapter.Target) (adapter.Adapter, error) {
		return Open(ctx, t)
	})
}

// The advisory lock a kiln process holds on its database: the two-key
// form of pg_advisory_lock, with a key that names kiln ("kiln" in ASCII)
// and 0.
const (
	lockClass = 0x6b696c6e
	lockObj   = 0
)

// Adapter is an open PostgreSQL database.
type Adapter struct {
	pool    *pgxpool.Pool
	lock    *pgx.Conn // holds the advisory lock
	name    string    // the database, for messages: dbname on host:port
	version string
	schema  string

	mu    sync.Mutex
	once  map[*pgconn.PgConn]map[string]bool
	ddl   sync.Mutex // serialises Once's set-up statements across connections
	types map[[2]int64]string
}

var _ adapter.Adapter = (*Adapter)(nil)

// ApplicationName is what kiln's sessions call themselves on the server
// (pg_stat_activity.application_name): "kiln <pid>@<host>", so that a
// refused run can name the process that holds the database.
func ApplicationName() string { return ApplicationNameOf(os.Getpid()) }

// ApplicationNameOf is the application_name of the sessions of the kiln
// process pid on this machine ("kiln <pid>@<host>", at most 63 bytes as
// the server keeps it): to find a process's sessions in
// pg_stat_activity.
func ApplicationNameOf(pid int) string {
	host, _ := os.Hostname()
	s := fmt.Sprintf("kiln %d@%s", pid, host)
	if len(s) > 63 {
		s = s[:63]
	}
	return s
}

// Open connects to the database t.DSN names (a libpq connection string,
// "host=... port=... user=... dbname=... sslmode=...", or a postgres://
// URL; PG* environment variables fill what it leaves out, as libpq does),
// with t.Schema first on the search path and the session time zone
// t.TimeZone (UTC when ""). It takes kiln's advisory lock on the database
// and returns *adapter.LockError when another process holds it.
func Open(ctx context.Context, t adapter.Target) (*Adapter, error) {
	cfg, err := pgxpool.ParseConfig(t.DSN)
	if err != nil {
		return nil, fmt.Errorf("the PostgreSQL connection settings: %v", err)
	}
	cc := cfg.ConnConfig
	tz := t.TimeZone
	if tz == "" {
		tz = "UTC"
	}
	cc.RuntimeParams["TimeZone"] = tz
	cc.RuntimeParams["application_name"] = ApplicationName()
	// Dates and numbers in the ISO forms kiln and its exports expect.
	cc.RuntimeParams["DateStyle"] = "ISO, MDY"
	cc.RuntimeParams["IntervalStyle"] = "postgres"
	cc.RuntimeParams["extra_float_digits"] = "1"
	if t.Schema != "" {
		cc.RuntimeParams["search_path"] = quoteIdent(t.Schema) + ", public"
	}
	// Most of kiln's statements run once: no server-side prepared
	// statements (one round trip each, and no cache to invalidate when a
	// run replaces the tables they read).
	cc.DefaultQueryExecMode = pgx.QueryExecModeExec
	// Cancelling a context cancels the running statement on the server
	// (a cancel request), and keeps the connection usable.
	cc.BuildContextWatcherHandler = func(c *pgconn.PgConn) ctxwatch.Handler {
		return &pgconn.CancelRequestContextWatcherHandler{Conn: c, DeadlineDelay: 10 * time.Second}
	}
	cfg.MaxConns = 64
	cfg.MinConns = 0
	a := &Adapter{once: map[*pgconn.PgConn]map[string]bool{}, types: map[[2]int64]string{}, schema: t.Schema}
	a.name = fmt.Sprintf("%s on %s:%d", cc.Database, cc.Host, cc.Port)
	if strings.HasPrefix(cc.Host, "/") {
		a.name = fmt.Sprintf("%s on %s (port %d)", cc.Database, cc.Host, cc.Port)
	}
	lock, err := pgx.ConnectConfig(ctx, cc.Copy())
	if err != nil {
		return nil, wrapConnect(ctx, err, cc)
	}
	var got bool
	if err := lock.QueryRow(ctx, "select pg_try_advisory_lock($1, $2)", int32(lockClass), int32(lockObj)).Scan(&got); err != nil {
		lock.Close(context.Background())
		return nil, wrapError(ctx, err, "")
	}
	if !got {
		if got, err = a.outwaitDeadHolder(ctx, lock); err != nil {
			lock.Close(context.Background())
			return nil, wrapError(ctx, err, "")
		}
	}
	if !got {
		le := a.holder(ctx, lock)
		lock.Close(context.Background())
		return nil, le
	}
	if err := lock.QueryRow(ctx, "show server_version").Scan(&a.version); err != nil {
		lock.Close(context.Background())
		return nil, wrapError(ctx, err, "")
	}
	a.lock = lock
	// A killed kiln cannot cancel its statements: from PostgreSQL 14 on,
	// the server checks every second that the client of a running
	// statement is still there, and else ends the session, rolling back
	// its transaction and releasing its locks, instead of running the
	// statement to its end with the relations it replaces locked.
	if major, _ := strconv.Atoi(strings.SplitN(a.version, ".", 2)[0]); major >= 14 {
		cc.RuntimeParams["client_connection_check_interval"] = "1000"
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		lock.Close(context.Background())
		return nil, wrapConnect(ctx, err, cc)
	}
	a.pool = pool
	return a, nil
}

// deadHolderWait is how long Open waits for the server to end the
// session of a kiln process that died holding the lock.
var deadHolderWait = 10 * time.Second

// outwaitDeadHolder takes the lock once the session holding it is gone,
// when that session is a kiln process of this machine that no longer
// exists (killed): the server ends such a session when it sees its
// connection closed, asynchronously, so a run started just after a kill
// would otherwise be refused for a lock nobody holds. It tries again
// every 50 ms for deadHolderWait, then ends the session itself
// (pg_terminate_backend, which needs the same role or pg_signal_backend)
// and tries once more. It reports whether it got the lock; a holder that
// is alive, or of another machine, is left alone (false, nil).
func (a *Adapter) outwaitDeadHolder(ctx context.Context, c *pgx.Conn) (bool, error) {
	le, holderHost, serverPID := a.lockHolder(ctx, c)
	host, _ := os.Hostname()
	if le.Program != "kiln" || le.PID <= 0 || holderHost != host || processAlive(le.PID) {
		return false, nil
	}
	try := func() (bool, error) {
		var got bool
		err := c.QueryRow(ctx, "select pg_try_advisory_lock($1, $2)", int32(lockClass), int32(lockObj)).Scan(&got)
		return got, err
	}
	deadline := time.Now().Add(deadHolderWait)
	for time.Now().Before(deadline) {
		select {
		case <-ctx.Done():
			return false, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if got, err := try(); got || err != nil {
			return got, err
		}
	}
	if serverPID > 0 {
		_, _ = c.Exec(ctx, "select pg_terminate_backend($1, 5000)", serverPID)
	}
	return try()
}

// holder returns the *adapter.LockError naming the session that holds
// kiln's lock on the database.
func (a *Adapter) holder(ctx context.Context, c *pgx.Conn) *adapter.LockError {
	le, _, _ := a.lockHolder(ctx, c)
	return le
}

// lockHolder is holder, with the holder's machine (from its
// application_name, "" when not a kiln session) and its server process
// (0 when unknown).
func (a *Adapter) lockHolder(ctx context.Context, c *pgx.Conn) (le *adapter.LockError, host string, serverPID int32) {
	le = &adapter.LockError{Path: a.name, Hint: "another kiln run is building in this database; wait for it to finish, or end its session (pg_terminate_backend), then retry"}
	var app, client string
	var pid int32
	err := c.QueryRow(ctx, `select a.pid, coalesce(a.application_name, ''), coalesce(host(a.client_addr), 'local')
from pg_locks l join pg_stat_activity a on a.pid = l.pid
where l.locktype = 'advisory' and l.granted and l.classid = $1 and l.objid = $2 and l.objsubid = 2
  and l.database = (select oid from pg_database where datname = current_database())
limit 1`, int64(lockClass), int64(lockObj)).Scan(&pid, &app, &client)
	if err != nil {
		return le, "", 0
	}
	// "kiln 1234@host": kiln's own sessions say which process they are.
	if rest, ok := strings.CutPrefix(app, "kiln "); ok {
		le.Program = "kiln"
		if p, h, ok := strings.Cut(rest, "@"); ok {
			le.PID, _ = strconv.Atoi(p)
			le.Path += ", from " + h
			host = h
		}
		return le, host, pid
	}
	le.Program = app
	le.Path += fmt.Sprintf(", from %s (server process %d)", client, pid)
	return le, "", pid
}

// Sessions returns the number of sessions on the server named app
// (pg_stat_activity.application_name, such as ApplicationNameOf(pid)):
// for a caller that waits until a killed kiln's sessions have ended.
func (a *Adapter) Sessions(ctx context.Context, app string) (int64, error) {
	var n int64
	if err := a.lock.QueryRow(ctx, "select count(*) from pg_stat_activity where application_name = $1", app).Scan(&n); err != nil {
		return 0, wrapError(ctx, err, "")
	}
	return n, nil
}

// Type is "postgres".
func (a *Adapter) Type() string { return "postgres" }

// Version returns the server's version, such as "15.14 (Debian
// 15.14-0+deb13u1)".
func (a *Adapter) Version() string { return a.version }

// Dialect returns PostgreSQL's dialect.
func (a *Adapter) Dialect() adapter.Dialect { return Dialect{} }

// Name returns the database and server, for messages: "dbname on
// host:port".
func (a *Adapter) Name() string { return a.name }

// Conn returns a dedicated connection from the pool.
func (a *Adapter) Conn(ctx context.Context) (adapter.Conn, error) {
	pc, err := a.pool.Acquire(ctx)
	if err != nil {
		return nil, wrapConnect(ctx, err, a.pool.Config().ConnConfig)
	}
	return &Conn{a: a, pc: pc, c: pc.Conn()}, nil
}

// Close closes the pool and releases the advisory lock.
func (a *Adapter) Close() error {
	a.pool.Close()
	if a.lock == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// Release the lock before closing: the server ends a closed session
	// asynchronously, so a kiln command started just after this one (a
	// script's next step, a flow's next task) could still find the lock
	// held by a session that is going away. An unlock that fails leaves
	// the release to the session's end, as before.
	_, _ = a.lock.Exec(ctx, "select pg_advisory_unlock($1, $2)", int32(lockClass), int32(lockObj))
	return a.lock.Close(ctx)
}

// onceDone reports whether key was set up on connection c.
func (a *Adapter) onceDone(c *pgconn.PgConn, key string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.once[c][key]
}

func (a *Adapter) setOnce(c *pgconn.PgConn, key string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.once[c] == nil {
		a.once[c] = map[string]bool{}
	}
	a.once[c][key] = true
}

// wrapConnect turns a failure to connect with cc into an *adapter.Error
// naming the database and the server's address once: the server's own
// error (a database that does not exist, SQLSTATE 3D000, with a hint
// that kiln does not create it), or, for a server that cannot be reached
// (refused, timed out, unknown host), a transient error with the
// network's reason and a hint to check the server and host/port.
func wrapConnect(ctx context.Context, err error, cc *pgx.ConnConfig) error {
	where := fmt.Sprintf("%s:%d", cc.Host, cc.Port)
	if strings.HasPrefix(cc.Host, "/") {
		where = fmt.Sprintf("%s (port %d)", cc.Host, cc.Port)
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		e := wrapError(ctx, err, "").(*adapter.Error)
		if pe.Code == "3D000" { // invalid_catalog_name
			hint := fmt.Sprintf("kiln does not create the database: create it (createdb %s, or CREATE DATABASE %s, as a role allowed to) on the server at %s, or check dbname in profiles.yml (or the target in project.yml)",
				cc.Database, quoteIdentIfNeeded(cc.Database), where)
			e.Detail = strings.TrimSpace(e.Detail + "\n" + hint)
		}
		return e
	}
	if ctx.Err() != nil {
		return &adapter.Error{Class: adapter.Interrupted, Msg: fmt.Sprintf("interrupted while connecting to %s on %s", cc.Database, where), Err: err, Ctx: ctx.Err()}
	}
	// pgx's message repeats the address and the dial error ("failed to
	// connect to ...: 127.0.0.1:5432 (localhost): dial error: dial tcp
	// 127.0.0.1:5432: connect: connection refused"): say it once.
	reason := oneLine(err.Error())
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Err != nil {
		reason = oneLine(oe.Err.Error())
		if oe.Op == "dial" && oe.Addr != nil && !strings.HasPrefix(cc.Host, "/") && oe.Addr.String() != where {
			reason += " (at " + oe.Addr.String() + ")"
		}
	}
	return &adapter.Error{Class: adapter.Transient, Type: "connection_exception", Code: "08000",
		Msg:    fmt.Sprintf("cannot connect to the PostgreSQL server at %s (database %s): %s", where, cc.Database, reason),
		Detail: "is the PostgreSQL server running and accepting connections there? check host and port in profiles.yml (or the target in project.yml)",
		Err:    err}
}

// quoteIdentIfNeeded is name as an SQL identifier: as it is when it is a
// lower-case plain name, else double-quoted.
func quoteIdentIfNeeded(name string) string {
	for i, r := range name {
		if !(r == '_' || r >= 'a' && r <= 'z' || i > 0 && (r >= '0' && r <= '9' || r == '$')) {
			return quoteIdent(name)
		}
	}
	return name
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
