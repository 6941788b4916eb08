package postgres

import (
	"bufio"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/kiln-build/kiln/adapter"
)

// Bulk creates table rel with cols (or appends to it when cols is empty)
// and returns a writer of its rows through COPY ... FROM STDIN in CSV
// format: the rows stream to the server as they are written, on this
// connection (so in the caller's transaction, if any); use the connection
// for nothing else until the writer is closed.
func (c *Conn) Bulk(ctx context.Context, rel adapter.Relation, cols []adapter.Column) (adapter.RowWriter, error) {
	if len(cols) > 0 {
		if _, err := c.Exec(ctx, dialect.CreateTable(rel, cols).SQL); err != nil {
			return nil, err
		}
	}
	sql := "copy " + rel.String()
	if len(cols) > 0 {
		names := make([]string, len(cols))
		for i, col := range cols {
			names[i] = quoteIdent(col.Name)
		}
		sql += " (" + strings.Join(names, ", ") + ")"
	}
	sql += " from stdin with (format csv)"
	if err := c.flush(ctx); err != nil {
		return nil, err
	}
	pr, pw := io.Pipe()
	w := &writer{pw: pw, buf: bufio.NewWriterSize(pw, 256<<10), done: make(chan struct{})}
	go func() {
		tag, err := c.c.PgConn().CopyFrom(ctx, pr, sql)
		w.rows, w.err = tag.RowsAffected(), wrapError(ctx, err, sql)
		// A COPY that failed early stops the writer's next Write.
		pr.CloseWithError(errCopyEnded)
		close(w.done)
	}()
	return w, nil
}

var errCopyEnded = errors.New("the COPY ended")

// writer formats rows as CSV into the COPY's stream.
type writer struct {
	pw   *io.PipeWriter
	buf  *bufio.Writer
	line []byte
	done chan struct{}
	rows int64
	err  error
}

// Write formats one row: nil is NULL (an unquoted empty field), a string
// is always quoted (so "" stays an empty string), times carry their UTC
// offset (a timestamp column ignores it, a timestamptz one keeps the
// instant), []byte is bytea's hex form.
func (w *writer) Write(values ...any) error {
	b := w.line[:0]
	for i, v := range values {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendField(b, v)
	}
	b = append(b, '\n')
	w.line = b
	if _, err := w.buf.Write(b); err != nil {
		return w.failure(err)
	}
	return nil
}

// failure returns the COPY's own error when it ended the stream.
func (w *writer) failure(err error) error {
	if errors.Is(err, errCopyEnded) {
		<-w.done
		if w.err != nil {
			return w.err
		}
	}
	return err
}

// Close ends the COPY and returns the number of rows the server wrote.
func (w *writer) Close() (int64, error) {
	err := w.buf.Flush()
	w.pw.CloseWithError(err)
	<-w.done
	if w.err != nil {
		return 0, w.err
	}
	if err != nil {
		return 0, w.failure(err)
	}
	return w.rows, nil
}

func appendField(b []byte, v any) []byte {
	switch x := v.(type) {
	case nil:
		return b
	case string:
		return appendQuoted(b, x)
	case int64:
		return strconv.AppendInt(b, x, 10)
	case int:
		return strconv.AppendInt(b, int64(x), 10)
	case int32:
		return strconv.AppendInt(b, int64(x), 10)
	case float64:
		switch {
		case math.IsNaN(x):
			return append(b, "NaN"...)
		case math.IsInf(x, 1):
			return append(b, "Infinity"...)
		case math.IsInf(x, -1):
			return append(b, "-Infinity"...)
		}
		return strconv.AppendFloat(b, x, 'g', -1, 64)
	case float32:
		return appendField(b, float64(x))
	case bool:
		return strconv.AppendBool(b, x)
	case time.Time:
		return x.AppendFormat(b, "2006-01-02 15:04:05.999999999Z07:00")
	case []byte:
		return append(append(b, `\x`...), hex.EncodeToString(x)...)
	}
	return appendQuoted(b, fmt.Sprint(v))
}

func appendQuoted(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' {
			b = append(b, '"')
		}
		b = append(b, s[i])
	}
	return append(b, '"')
}

// ExportCSV writes the rows of query to path as CSV with a header line
// through COPY (query) TO STDOUT, and returns the number of rows written.
// Booleans are written true and false, as DuckDB writes them (COPY alone
// writes t and f), so that both adapters give the same bytes.
func (c *Conn) ExportCSV(ctx context.Context, query, path string) (int64, error) {
	cols, err := c.DescribeQuery(ctx, query)
	if err != nil {
		return 0, err
	}
	q := body(query)
	var casts bool
	sel := make([]string, len(cols))
	for i, col := range cols {
		sel[i] = "q." + quoteIdent(col.Name)
		if col.Type == "boolean" {
			sel[i] = "cast(" + sel[i] + " as text) as " + quoteIdent(col.Name)
			casts = true
		}
	}
	if casts {
		q = "select " + strings.Join(sel, ", ") + " from (\n" + q + "\n) as q"
	}
	s := dialect.CopyToCSV(q, "")
	if err := c.flush(ctx); err != nil {
		return 0, err
	}
	f, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	w := bufio.NewWriterSize(f, 256<<10)
	tag, err := c.c.PgConn().CopyTo(ctx, w, s.SQL)
	if err != nil {
		f.Close()
		return 0, wrapError(ctx, err, s.SQL)
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return 0, err
	}
	if err := f.Close(); err != nil {
		return 0, err
	}
	return tag.RowsAffected(), nil
}
