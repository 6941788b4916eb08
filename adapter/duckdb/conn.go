package duckdb

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"strings"

	"github.com/kiln-build/kiln/adapter"
	"github.com/kiln-build/kiln/adapter/sqlstore"
	"github.com/kiln-build/kiln/internal/duck"
	"github.com/kiln-build/kiln/internal/load"
	"github.com/kiln-build/kiln/internal/sqlq"
)

// Conn is a dedicated DuckDB connection; see adapter.Conn. The queries
// it runs read <database>.information_schema.<view> as that database's
// rows of system.information_schema.<view> (catalogInfoSchema).
type Conn struct {
	c *duck.Conn
}

var (
	_ adapter.Conn       = (*Conn)(nil)
	_ adapter.Pipeliner  = (*Conn)(nil)
	_ adapter.SoleWriter = (*Conn)(nil)
)

var dialect = Dialect{}

// Exec runs query and returns the rows the last statement changed.
func (c *Conn) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	return c.c.Exec(ctx, catalogInfoSchema(query), args...)
}

// Run runs s; with CountRows, it returns the count DuckDB answers.
func (c *Conn) Run(ctx context.Context, s adapter.Stmt) (int64, error) {
	q := catalogInfoSchema(s.SQL)
	if s.CountRows {
		return c.c.QueryInt(ctx, q)
	}
	_, err := c.c.Exec(ctx, q)
	return 0, err
}

// Query runs query and streams its rows.
func (c *Conn) Query(ctx context.Context, query string, args ...any) (adapter.Rows, error) {
	query = catalogInfoSchema(query)
	r, err := c.c.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	cols, err := r.Columns()
	if err != nil {
		r.Close()
		return nil, duck.WrapError(ctx, err, query)
	}
	return &rows{ctx: ctx, r: r, query: query, cols: cols}, nil
}

// QueryRows runs query and returns all its rows, as plain values.
func (c *Conn) QueryRows(ctx context.Context, query string, args ...any) ([]string, [][]any, error) {
	cols, rows, err := c.c.QueryRows(ctx, catalogInfoSchema(query), args...)
	if err != nil {
		return nil, nil, err
	}
	for _, r := range rows {
		for i, v := range r {
			r[i] = duck.Plain(v)
		}
	}
	return cols, rows, nil
}

// QueryInt returns the first value of query as an int64.
func (c *Conn) QueryInt(ctx context.Context, query string, args ...any) (int64, error) {
	return c.c.QueryInt(ctx, catalogInfoSchema(query), args...)
}

// Tx runs fn in a transaction; its BEGIN is sent with fn's first
// statement (see RunCommit).
func (c *Conn) Tx(ctx context.Context, fn func() error) error { return c.c.Tx(ctx, fn) }

// SoleWriter reports true: DuckDB locks its file for one process (see
// adapter.SoleWriter).
func (c *Conn) SoleWriter() bool { return true }

// ExecLater runs query at once: DuckDB runs in this process, a statement
// held back would save no round trip (see adapter.Pipeliner).
func (c *Conn) ExecLater(ctx context.Context, query string) error {
	_, err := c.c.Exec(ctx, catalogInfoSchema(query))
	return err
}

// RunCommit runs s as the last statement of the transaction Tx opened
// (see adapter.Pipeliner). When s is the transaction's only statement it
// runs without BEGIN and COMMIT, in DuckDB's autocommit, which makes one
// statement atomic on its own: about 1 ms less per node. Otherwise it runs
// s as Run does and Tx commits.
func (c *Conn) RunCommit(ctx context.Context, s adapter.Stmt) (int64, error) {
	if strings.IndexByte(s.SQL, ';') >= 0 && len(sqlq.StatementSpans(s.SQL)) > 1 {
		return c.Run(ctx, s) // several statements are atomic only together, in the transaction
	}
	var n int64
	err := c.c.CommitWith(func() error {
		var err error
		n, err = c.Run(ctx, s)
		return err
	})
	return n, err
}

// Once runs f once per connection.
func (c *Conn) Once(key string, f func() error) error { return c.c.Once(key, f) }

// Relations returns the user tables and views.
func (c *Conn) Relations(ctx context.Context, columns bool) ([]adapter.RelationInfo, error) {
	rels, err := c.c.Relations(ctx, columns)
	if err != nil {
		return nil, err
	}
	out := make([]adapter.RelationInfo, len(rels))
	for i, r := range rels {
		out[i] = adapter.RelationInfo{Relation: adapter.Relation{Database: r.Database, Schema: r.Schema, Name: r.Name},
			Kind: adapter.Kind(r.Kind), Rows: r.Rows, Columns: columnsOf(r.Columns)}
	}
	return out, nil
}

func columnsOf(cols []duck.Column) []adapter.Column {
	if cols == nil {
		return nil
	}
	out := make([]adapter.Column, len(cols))
	for i, c := range cols {
		out[i] = adapter.Column{Name: c.Name, Type: c.Type}
	}
	return out
}

// RelationKind returns the kind of rel, "" when absent; names match
// case-insensitively, as DuckDB resolves them.
func (c *Conn) RelationKind(ctx context.Context, rel adapter.Relation) (adapter.Kind, error) {
	k, err := c.c.RelationKind(ctx, rel.Schema, rel.Name)
	return adapter.Kind(k), err
}

// Columns returns the columns of rel.
func (c *Conn) Columns(ctx context.Context, rel adapter.Relation) ([]adapter.Column, error) {
	cols, err := c.c.Columns(ctx, rel.Schema, rel.Name)
	if err != nil {
		return nil, err
	}
	return columnsOf(cols), nil
}

// DescribeQuery returns the columns query yields (DuckDB's DESCRIBE).
func (c *Conn) DescribeQuery(ctx context.Context, query string) ([]adapter.Column, error) {
	_, rows, err := c.c.QueryRows(ctx, dialect.Describe(catalogInfoSchema(query)).SQL)
	if err != nil {
		return nil, err
	}
	out := make([]adapter.Column, len(rows))
	for i, r := range rows {
		out[i] = adapter.Column{Name: fmt.Sprint(r[0]), Type: fmt.Sprint(r[1])}
	}
	return out, nil
}

// NormalizeTypes returns DuckDB's names of types.
func (c *Conn) NormalizeTypes(ctx context.Context, types []string) ([]string, error) {
	if len(types) == 0 {
		return nil, nil
	}
	_, rows, err := c.c.QueryRows(ctx, dialect.NormalizeTypes(types))
	if err != nil {
		return nil, err
	}
	out := make([]string, len(types))
	for i := range types {
		out[i] = fmt.Sprint(rows[0][i])
	}
	return out, nil
}

// Bulk creates table rel with cols (or appends to it when cols is
// empty) and returns a writer through DuckDB's appender.
func (c *Conn) Bulk(ctx context.Context, rel adapter.Relation, cols []adapter.Column) (adapter.RowWriter, error) {
	if len(cols) > 0 {
		if _, err := c.c.Exec(ctx, dialect.CreateTable(rel, cols).SQL); err != nil {
			return nil, err
		}
	}
	a, err := c.c.Appender(rel.Schema, rel.Name)
	if err != nil {
		return nil, err
	}
	return &writer{a: a}, nil
}

// ExportCSV writes the rows of query to path as CSV (DuckDB's COPY).
func (c *Conn) ExportCSV(ctx context.Context, query, path string) (int64, error) {
	return c.c.Exec(ctx, dialect.CopyToCSV(catalogInfoSchema(query), path).SQL)
}

// Store returns kiln's records in this database.
func (c *Conn) Store() adapter.Store { return sqlstore.New(c, dialect) }

// LoadFile replaces rel with the rows of the input file spec names
// (xlsx, csv, parquet), read by internal/load with DuckDB's own readers
// and appender, in the caller's transaction when one is open.
func (c *Conn) LoadFile(ctx context.Context, spec load.Spec, rel adapter.Relation) (load.Result, error) {
	return load.Load(ctx, c.c, spec, rel)
}

// LoadFileInto is LoadFile with place deciding, once the input is read,
// whether its rows replace rel or are loaded into the existing table in
// place, in the caller's transaction when one is open: the rows are
// loaded into a staging table beside rel (rel's name with
// __kiln_load_stage), whose columns place compares with rel's; in place,
// rel's rows are deleted and the staged ones inserted by column name, so
// rel keeps its definition (constraints, defaults, comments); otherwise
// rel is dropped and the staging table takes its name. Errors are those
// of LoadFile and place's.
func (c *Conn) LoadFileInto(ctx context.Context, spec load.Spec, rel adapter.Relation, place load.PlaceFunc) (load.Result, error) {
	var res load.Result
	err := c.Tx(ctx, func() error {
		stage := adapter.Relation{Database: rel.Database, Schema: rel.Schema, Name: rel.Name + "__kiln_load_stage"}
		if _, err := c.Run(ctx, dialect.DropRelation(stage, adapter.Table, true)); err != nil {
			return err
		}
		r, err := load.Load(ctx, c.c, spec, stage)
		if err != nil {
			return err
		}
		have, err := c.Columns(ctx, rel)
		if err != nil {
			return err
		}
		want, err := c.Columns(ctx, stage)
		if err != nil {
			return err
		}
		p, err := place(ctx, have, want)
		if err != nil {
			return err
		}
		if p == load.InPlace {
			names := make([]string, len(want))
			for i, col := range want {
				names[i] = dialect.Quote(col.Name)
			}
			cols := strings.Join(names, ", ")
			if _, err := c.c.Exec(ctx, "delete from "+dialect.QuoteRelation(rel)); err != nil {
				return err
			}
			n, err := c.c.Exec(ctx, "insert into "+dialect.QuoteRelation(rel)+" ("+cols+")\nselect "+cols+" from "+dialect.QuoteRelation(stage))
			if err != nil {
				return err
			}
			if _, err := c.Run(ctx, dialect.DropRelation(stage, adapter.Table, false)); err != nil {
				return err
			}
			r.Rows = n
			res = r
			return nil
		}
		if kind, err := c.RelationKind(ctx, rel); err != nil {
			return err
		} else if kind != "" {
			if _, err := c.Run(ctx, dialect.DropRelation(rel, kind, false)); err != nil {
				return err
			}
		}
		if _, err := c.Run(ctx, dialect.RenameRelation(stage, adapter.Table, rel.Name)); err != nil {
			return err
		}
		res = r
		return nil
	})
	return res, err
}

// ParseSQL returns DuckDB's parse trees of sqls as JSON, in one query:
// out[i] is json_serialize_sql(sqls[i]), DuckDB's {"error": true, ...}
// object for a text it cannot parse or serialize (only SELECT statements
// serialize). It takes about 40 ms for 1,000 models.
func (c *Conn) ParseSQL(ctx context.Context, sqls []string) ([][]byte, error) {
	if len(sqls) == 0 {
		return nil, nil
	}
	const q = `select json_serialize_sql(s, skip_null := true, skip_empty := true)::varchar
from unnest(?::varchar[]) with ordinality as t(s, i)
order by i`
	_, rows, err := c.c.QueryRows(ctx, q, sqls)
	if err != nil {
		return nil, fmt.Errorf("cannot parse the models' SQL: %w", err)
	}
	if len(rows) != len(sqls) {
		return nil, fmt.Errorf("cannot parse the models' SQL: %d trees for %d statements", len(rows), len(sqls))
	}
	out := make([][]byte, len(rows))
	for i, r := range rows {
		s, _ := r[0].(string)
		out[i] = []byte(s)
	}
	return out, nil
}

// Close gives the connection back.
func (c *Conn) Close() error { return c.c.Close() }

// rows streams a query's rows as plain values.
type rows struct {
	ctx   context.Context
	r     *sql.Rows
	query string
	cols  []string
	types []string
	vals  []any
	ptrs  []any
}

func (r *rows) Columns() []string { return r.cols }

// ColumnTypes implements adapter.Rows: DuckDB's type names.
func (r *rows) ColumnTypes() []string {
	if r.types == nil {
		r.types = duck.ColumnTypes(r.r)
	}
	return r.types
}
func (r *rows) Next() bool   { return r.r.Next() }
func (r *rows) Close() error { return r.r.Close() }

func (r *rows) Values() ([]any, error) { return r.values(duck.Plain) }

// ExactValues implements adapter.Rows: DECIMAL exact, INTERVAL a Duration.
func (r *rows) ExactValues() ([]any, error) { return r.values(duck.Exact) }

func (r *rows) values(conv func(any) any) ([]any, error) {
	if r.vals == nil {
		r.vals = make([]any, len(r.cols))
		r.ptrs = make([]any, len(r.cols))
		for i := range r.vals {
			r.ptrs[i] = &r.vals[i]
		}
	}
	if err := r.r.Scan(r.ptrs...); err != nil {
		return nil, duck.WrapError(r.ctx, err, r.query)
	}
	duck.Typed(r.vals, r.ColumnTypes())
	out := make([]any, len(r.vals))
	for i, v := range r.vals {
		out[i] = conv(v)
	}
	return out, nil
}

func (r *rows) Err() error {
	if err := r.r.Err(); err != nil {
		return duck.WrapError(r.ctx, err, r.query)
	}
	return nil
}

// writer is a RowWriter on DuckDB's appender.
type writer struct {
	a *duck.Appender
	n int64
}

func (w *writer) Write(values ...any) error {
	if err := w.a.AppendRow(toDriver(values)...); err != nil {
		return err
	}
	w.n++
	return nil
}

func (w *writer) Close() (int64, error) {
	if err := w.a.Close(); err != nil {
		return 0, err
	}
	return w.n, nil
}

func toDriver(vals []any) []driver.Value {
	out := make([]driver.Value, len(vals))
	for i, v := range vals {
		out[i] = v
	}
	return out
}

// ParseSQL returns DuckDB's parse trees of sqls (see Conn.ParseSQL) from
// a private in-memory database, for a command that has no database open
// (kiln docs generate).
func ParseSQL(ctx context.Context, sqls []string) ([][]byte, error) {
	a, err := Open(ctx, "")
	if err != nil {
		return nil, err
	}
	defer a.Close()
	c, err := a.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	return c.(*Conn).ParseSQL(ctx, sqls)
}
