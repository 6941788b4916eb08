package postgres

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/big"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kiln-build/kiln/adapter"
	"github.com/kiln-build/kiln/adapter/ansi"
	"github.com/kiln-build/kiln/adapter/sqlstore"
	"github.com/kiln-build/kiln/internal/failpoint"
	"github.com/kiln-build/kiln/internal/load"
	"github.com/kiln-build/kiln/internal/sqlq"
)

// Conn is a dedicated connection of the pool; see adapter.Conn.
type Conn struct {
	a     *Adapter
	pc    *pgxpool.Conn
	c     *pgx.Conn
	depth int // nesting of Tx; 0 outside a transaction
	// held are statements of the open transaction not sent yet ("begin"
	// first, until it is sent), sent with the next statement: a node's
	// begin, journal entry and statements are one round trip.
	held []string
	// begun says the open transaction's begin reached the server;
	// committed that RunCommit committed it.
	begun, committed bool
}

var (
	_ adapter.Conn      = (*Conn)(nil)
	_ adapter.Pipeliner = (*Conn)(nil)
)

var dialect = Dialect{}

// Exec runs query and returns the rows the last statement changed. With
// args, the statements before the last run first, without them (pgx sends
// a text of several statements only without arguments).
func (c *Conn) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	if len(args) == 0 && len(c.held) > 0 {
		return c.execHeld(ctx, query)
	}
	if err := c.flush(ctx); err != nil {
		return 0, err
	}
	if len(args) > 0 {
		if sp := sqlq.StatementSpans(query); len(sp) > 1 {
			last := sp[len(sp)-1]
			if _, err := c.Exec(ctx, query[:last[0]]); err != nil {
				return 0, err
			}
			query = query[last[0]:last[1]]
		}
	}
	tag, err := c.c.Exec(ctx, query, args...)
	if err != nil {
		return 0, wrapError(ctx, err, query)
	}
	return tag.RowsAffected(), nil
}

// Run runs s and returns the rows it wrote when s.CountRows is set:
// PostgreSQL's command tag counts them (SELECT n for create table as,
// INSERT 0 n, MERGE n, DELETE n, COPY n).
func (c *Conn) Run(ctx context.Context, s adapter.Stmt) (int64, error) {
	n, err := c.Exec(ctx, s.SQL)
	if !s.CountRows {
		n = 0
	}
	return n, err
}

// execHeld sends the held statements and query as one simple query (one
// round trip), and returns query's row count.
func (c *Conn) execHeld(ctx context.Context, query string) (int64, error) {
	parts := append(c.held, query)
	c.begun = c.begun || c.held[0] == "begin"
	c.held = nil
	tag, err := c.c.Exec(ctx, strings.Join(parts, ";\n"))
	if err != nil {
		return 0, partError(ctx, err, parts)
	}
	return tag.RowsAffected(), nil
}

// partError wraps the error of the statements parts sent joined by ";\n"
// with the text of the part its position falls in, the position made
// relative to it (the last part without a position).
func partError(ctx context.Context, err error, parts []string) error {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Position <= 0 {
		return wrapError(ctx, err, parts[len(parts)-1])
	}
	start := int32(0) // characters before the part
	for i, p := range parts {
		n := int32(utf8.RuneCountInString(p))
		if pe.Position <= start+n || i == len(parts)-1 {
			pe.Position -= start
			return wrapError(ctx, err, p)
		}
		start += n + 2 // ";\n"
	}
	return wrapError(ctx, err, parts[len(parts)-1])
}

// flush sends the held statements, before a statement that cannot go
// with them (one with arguments, a query, a COPY).
func (c *Conn) flush(ctx context.Context) error {
	if len(c.held) == 0 {
		return nil
	}
	parts := c.held
	c.begun = c.begun || c.held[0] == "begin"
	c.held = nil
	if _, err := c.c.Exec(ctx, strings.Join(parts, ";\n")); err != nil {
		return partError(ctx, err, parts)
	}
	return nil
}

// ExecLater holds query back, inside a transaction, until the next
// statement (see adapter.Pipeliner); outside one, or with failpoints set
// (whose steps must stay apart), it runs it at once.
func (c *Conn) ExecLater(ctx context.Context, query string) error {
	if c.depth == 0 || c.committed || failpoint.On() {
		_, err := c.Exec(ctx, query)
		return err
	}
	c.held = append(c.held, query)
	return nil
}

// RunCommit runs s and commits the open transaction in the same round
// trip (see adapter.Pipeliner); outside a transaction, in a Tx nested in
// another, or with failpoints set, it runs s as Run does and Tx commits.
func (c *Conn) RunCommit(ctx context.Context, s adapter.Stmt) (int64, error) {
	if c.depth != 1 || c.committed || failpoint.On() {
		return c.Run(ctx, s)
	}
	parts := append(c.held, s.SQL)
	c.begun = c.begun || parts[0] == "begin"
	c.held = nil
	mrr := c.c.PgConn().Exec(ctx, strings.Join(parts, ";\n")+";\ncommit")
	var tags []pgconn.CommandTag
	for mrr.NextResult() {
		tag, _ := mrr.ResultReader().Close()
		tags = append(tags, tag)
	}
	if err := mrr.Close(); err != nil {
		return 0, partError(ctx, err, parts)
	}
	// The results: the held statements', s's (one or more), the commit's.
	c.committed = true
	if !s.CountRows || len(tags) < 2 {
		return 0, nil
	}
	return tags[len(tags)-2].RowsAffected(), nil
}

// Query runs query and streams its rows. A query of several statements
// ("insert ...; update ...; select ...", which run_query and statement
// blocks may send, as psycopg2 sends it for dbt-postgres) runs the ones
// before the last as one simple query, in order, and streams the last
// one's rows, as psycopg2's cursor has the last result; an error's
// position stays relative to the whole text.
func (c *Conn) Query(ctx context.Context, query string, args ...any) (adapter.Rows, error) {
	if err := c.flush(ctx); err != nil {
		return nil, err
	}
	full, prefix := query, 0
	if sp := sqlq.StatementSpans(query); len(sp) > 1 {
		last := sp[len(sp)-1]
		if _, err := c.Exec(ctx, query[:last[0]]); err != nil {
			return nil, err
		}
		query, prefix = query[last[0]:last[1]], utf8.RuneCountInString(query[:last[0]])
	}
	r, err := c.c.Query(ctx, query, args...)
	if err != nil {
		var pe *pgconn.PgError
		if prefix > 0 && errors.As(err, &pe) && pe.Position > 0 {
			pe.Position += int32(prefix)
		}
		return nil, wrapError(ctx, err, full)
	}
	fds := r.FieldDescriptions()
	cols := make([]string, len(fds))
	for i, f := range fds {
		cols[i] = f.Name
	}
	return &rows{ctx: ctx, r: r, query: query, cols: cols}, nil
}

// QueryRows runs query and returns all its rows, as plain values.
func (c *Conn) QueryRows(ctx context.Context, query string, args ...any) ([]string, [][]any, error) {
	r, err := c.Query(ctx, query, args...)
	if err != nil {
		return nil, nil, err
	}
	defer r.Close()
	var out [][]any
	for r.Next() {
		vals, err := r.Values()
		if err != nil {
			return nil, nil, err
		}
		out = append(out, vals)
	}
	if err := r.Err(); err != nil {
		return nil, nil, err
	}
	return r.Columns(), out, nil
}

// QueryInt returns the first value of query as an int64.
func (c *Conn) QueryInt(ctx context.Context, query string, args ...any) (int64, error) {
	_, rows, err := c.QueryRows(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	if len(rows) == 0 || len(rows[0]) == 0 {
		return 0, fmt.Errorf("%s: no row", oneLine(query))
	}
	switch v := rows[0][0].(type) {
	case nil:
		return 0, nil
	case int64:
		return v, nil
	case float64:
		if v == math.Trunc(v) && math.Abs(v) <= 1<<63-1 {
			return int64(v), nil
		}
	case *big.Int:
		if v.IsInt64() {
			return v.Int64(), nil
		}
	}
	return 0, fmt.Errorf("%s: %v (%T) is not a whole number", oneLine(query), rows[0][0], rows[0][0])
}

// Tx runs fn in a transaction (begin, then commit or rollback). The
// begin is held back and sent with fn's first statement, and a statement
// held back at the end goes with the commit (see adapter.Pipeliner); a
// transaction that sent nothing sends no begin nor commit. The commit and
// the rollback are not interrupted by ctx: a transaction whose statements
// were cancelled is rolled back all the same.
func (c *Conn) Tx(ctx context.Context, fn func() error) (err error) {
	if c.depth > 0 {
		c.depth++
		defer func() { c.depth-- }()
		return fn()
	}
	c.held, c.begun, c.committed = []string{"begin"}, false, false
	if failpoint.On() {
		// Each step its own round trip, as failpoints expect.
		if err := c.flush(ctx); err != nil {
			c.held = nil
			return err
		}
	}
	c.depth = 1
	end := context.WithoutCancel(ctx)
	defer func() {
		c.depth = 0
		held, begun, committed := c.held, c.begun, c.committed
		c.held, c.begun, c.committed = nil, false, false
		if p := recover(); p != nil {
			if begun && !committed {
				_, _ = c.c.Exec(end, "rollback")
			}
			panic(p)
		}
		if err != nil {
			if !begun || committed {
				return
			}
			if _, rerr := c.c.Exec(end, "rollback"); rerr != nil && !c.c.IsClosed() {
				err = errors.Join(err, wrapError(end, rerr, "rollback"))
			}
			return
		}
		if committed || !begun && len(held) <= 1 {
			return
		}
		parts := append(held, "commit")
		if _, cerr := c.c.Exec(end, strings.Join(parts, ";\n")); cerr != nil {
			err = partError(end, cerr, parts)
			if !begun {
				return
			}
			_, _ = c.c.Exec(end, "rollback")
		}
	}()
	return fn()
}

// Once runs f unless it succeeded on this connection outside a
// transaction. Set-up statements of all the adapter's connections run one
// at a time: PostgreSQL fails concurrent creations of one schema or table
// with a unique violation, even with "if not exists".
func (c *Conn) Once(key string, f func() error) error {
	pg := c.c.PgConn()
	if c.a.onceDone(pg, key) {
		return nil
	}
	c.a.ddl.Lock()
	defer c.a.ddl.Unlock()
	if err := f(); err != nil {
		return err
	}
	if c.depth == 0 {
		c.a.setOnce(pg, key)
	}
	return nil
}

// Store returns kiln's records in this database.
func (c *Conn) Store() adapter.Store { return sqlstore.New(c, dialect) }

// LoadFile replaces rel with the rows of the input file spec names (xlsx
// and CSV with kiln's readers, staged through COPY), in the caller's
// transaction when one is open.
func (c *Conn) LoadFile(ctx context.Context, spec load.Spec, rel adapter.Relation) (load.Result, error) {
	return load.LoadAdapter(ctx, c, dialect, spec, rel)
}

// LoadFileInto is LoadFile with place deciding, once the input is read,
// whether its rows replace rel or are loaded into the existing table in
// place (truncated, then inserted: the views that read it stay valid).
func (c *Conn) LoadFileInto(ctx context.Context, spec load.Spec, rel adapter.Relation, place load.PlaceFunc) (load.Result, error) {
	return load.LoadAdapterInto(ctx, c, dialect, spec, rel, place)
}

// Close gives the connection back to the pool; one left inside a
// transaction (a panic past Tx) is rolled back first.
func (c *Conn) Close() error {
	if c.pc == nil {
		return nil
	}
	c.held = nil
	if c.depth > 0 || c.c.PgConn().TxStatus() != 'I' {
		_, _ = c.c.Exec(context.Background(), "rollback")
	}
	c.pc.Release()
	c.pc, c.c = nil, nil
	return nil
}

// rows streams a query's rows as plain values.
type rows struct {
	ctx   context.Context
	r     pgx.Rows
	query string
	cols  []string
}

func (r *rows) Columns() []string { return r.cols }

// ColumnTypes implements adapter.Rows: PostgreSQL's type names ("date",
// "timestamptz", "numeric", "uuid"), "" for a type pgx does not know.
func (r *rows) ColumnTypes() []string {
	fds := r.r.FieldDescriptions()
	out := make([]string, len(fds))
	var m *pgtype.Map
	if c := r.r.Conn(); c != nil {
		m = c.TypeMap()
	}
	for i, fd := range fds {
		if m == nil {
			continue
		}
		if t, ok := m.TypeForOID(fd.DataTypeOID); ok {
			out[i] = t.Name
		}
	}
	return out
}

// ExactValues implements adapter.Rows: numeric exact, interval a Duration.
func (r *rows) ExactValues() ([]any, error) {
	vals, err := r.r.Values()
	if err != nil {
		return nil, wrapError(r.ctx, err, r.query)
	}
	for i, v := range vals {
		vals[i] = exact(v)
	}
	return vals, nil
}

func (r *rows) Next() bool { return r.r.Next() }
func (r *rows) Close() error {
	r.r.Close()
	return nil
}

func (r *rows) Values() ([]any, error) {
	vals, err := r.r.Values()
	if err != nil {
		return nil, wrapError(r.ctx, err, r.query)
	}
	for i, v := range vals {
		vals[i] = plain(v)
	}
	return vals, nil
}

func (r *rows) Err() error { return wrapError(r.ctx, r.r.Err(), r.query) }

// body is ansi.Body: a query without its trailing semicolons.
func body(q string) string { return ansi.Body(q) }
