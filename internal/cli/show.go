package cli

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/kiln-build/kiln/engine"
	"github.com/kiln-build/kiln/internal/run"
)

func (a *app) showCommand() *cobra.Command {
	rf := &runFlags{}
	var inline, output string
	var limit int
	cmd := &cobra.Command{
		Use:   "show",
		Short: "Preview the first rows of a model, seed, source or test, or of an inline query",
		Long: `show prints the first rows of one node, as dbt show does: --select names it
(a model, seed or source shows the rows of its relation in the database; a
model not built yet, an ephemeral model or a test shows the rows of its
compiled SQL, whose parents must be built), or --inline gives SQL in which
ref(), source(), var() and the project's macros work as in a model. As dbt
show, it renders the SQL it runs with execute true: run_query and
statement read the database.

--limit is the number of rows (default 5, -1 for all); --output table (the
default), json (dbt's {"node": ..., "show": [...]}) or csv, to stdout.
The database is only read (after restoring what a killed run left, as a
build does), as dbt show only previews: a statement that may write
(insert, update, delete, create, drop, alter, copy, attach, comment ...)
is refused before it runs, and the others run in a read-only
transaction, rolled back, in which the database refuses any write (a
function or a macro that writes); use kiln run-operation for statements
that change the database. It cannot be read while a build holds it.`,
		Example: `  kiln show -s fct_sales
  kiln show --inline "select product_id, sum(revenue) from {{ ref('fct_sales') }} group by 1" --limit 10
  kiln show -s stg_erp --output csv --limit -1 > stg_erp.csv`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			switch output {
			case "table", "text", "json", "csv":
			default:
				return &exitError{ExitCannotStart, fmt.Sprintf("unknown --output %q; use table, json or csv", output)}
			}
			if (inline == "") == (len(rf.selected()) == 0 && rf.selectorName == "") {
				return &exitError{ExitCannotStart, "kiln show needs either --select NODE or --inline SQL"}
			}
			a.inline = inline
			e, err := a.load()
			if err != nil {
				return err
			}
			id := e.InlineID()
			if inline == "" {
				sel := rf.selection()
				if !cmd.Flags().Changed("indirect-selection") {
					sel.Indirect = "empty" // the node itself, not its tests
				}
				sel.Strict = true
				ids, err := e.Select(sel)
				if err != nil {
					return a.startError(err)
				}
				switch len(ids) {
				case 0:
					return &exitError{ExitCannotStart, "the selection matches no node; kiln ls -s ... lists what it selects"}
				case 1:
					id = ids[0]
				default:
					names := make([]string, 0, 5)
					for _, x := range ids[:min(5, len(ids))] {
						names = append(names, e.Graph().Node(x).DisplayName())
					}
					more := ""
					if len(ids) > 5 {
						more = ", ..."
					}
					return &exitError{ExitCannotStart, fmt.Sprintf("the selection matches %d nodes (%s%s); kiln show previews one: select it by name", len(ids), strings.Join(names, ", "), more)}
				}
			}
			pv, err := e.Show(a.ctx, id, limit)
			if err != nil {
				if engine.IsLocked(err) || errors.Is(err, engine.ErrNoDatabase) {
					return &exitError{ExitCannotStart, err.Error()}
				}
				msg := err.Error()
				var ne *run.NodeError
				if errors.As(err, &ne) && ne.Hint != "" {
					msg += "\n  hint: " + ne.Hint
				}
				return &exitError{ExitFailure, msg}
			}
			typedTimes(pv)
			// Rows cut at --limit are said on stderr, with the heading:
			// stdout holds the rows only.
			cut := ""
			if pv.Cut {
				cut = fmt.Sprintf(", the first %s (--limit -1 shows all)", plural(len(pv.Rows), "row", "rows"))
			}
			name := pv.Node.Name
			if pv.NotBuilt {
				a.note("%s %q is not built in %s yet: showing the result of its compiled SQL, as dbt show does", pv.Node.Kind, name, engine.Rel(e.Dir, e.DBPath))
			}
			switch output {
			case "json", "csv":
				if pv.Cut {
					a.note("Showing the first %s (--limit -1 shows all)", plural(len(pv.Rows), "row", "rows"))
				}
				if output == "json" {
					return writePreviewJSON(a.stdout, name, pv)
				}
				return writePreviewCSV(a.stdout, pv)
			}
			if id == e.InlineID() {
				a.note("Previewing the inline query%s:", cut)
			} else {
				a.note("Previewing %s %q (%s)%s:", pv.Node.Kind, name, pv.From, cut)
			}
			return writePreviewTable(a.stdout, pv)
		},
	}
	rf.add(cmd)
	cmd.Flags().StringVar(&inline, "inline", "", "SQL to preview instead of a node, with ref(), source(), var() and macros as in a model")
	cmd.Flags().IntVar(&limit, "limit", 5, "the number of rows to show; -1 shows them all")
	cmd.Flags().StringVarP(&output, "output", "o", "table", "table, json or csv")
	return cmd
}

// decimal is an exact DECIMAL value of a preview (adapter.Decimal),
// printed with its scale.
type decimal interface {
	Rat() *big.Rat
	String() string
}

// typedTimes replaces the times of pv's rows by their text, as their
// column's type has them (timeText).
func typedTimes(pv *engine.Preview) {
	for _, row := range pv.Rows {
		for j, v := range row {
			if t, ok := v.(time.Time); ok && j < len(pv.Types) {
				row[j] = timeText(t, pv.Types[j])
			}
		}
	}
}

// timeText writes a time as its database type has it: a DATE as
// 2006-01-02, a TIMESTAMP as 2006-01-02 15:04:05[.fraction] (at midnight
// too), a TIMESTAMPTZ with its offset (+00:00), a TIME as 15:04:05; of an
// unknown type, a time at midnight as a date.
func timeText(t time.Time, typ string) string {
	typ = strings.ToLower(typ)
	switch {
	case typ == "date":
		return t.Format(time.DateOnly)
	case typ == "timestamptz" || strings.HasPrefix(typ, "timestamp with time zone"):
		return t.Format("2006-01-02 15:04:05.999999-07:00")
	case strings.HasPrefix(typ, "time") && !strings.HasPrefix(typ, "timestamp"):
		return t.Format("15:04:05.999999")
	case strings.HasPrefix(typ, "timestamp"):
		return t.Format("2006-01-02 15:04:05.999999")
	}
	return cellText(t, "")
}

// cellText returns a value as text: times of unknown type as dates at
// midnight (see timeText), else as 2006-01-02 15:04:05[.fraction],
// numbers in full (a DECIMAL with its scale), UUIDs in their canonical
// form, intervals as Python's timedelta prints them, lists and structs as
// JSON; NULL is nullText.
func cellText(v any, nullText string) string {
	switch x := v.(type) {
	case nil:
		return nullText
	case string:
		return x
	case []byte:
		return string(x)
	case bool:
		return strconv.FormatBool(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case *big.Int:
		return x.String()
	case time.Time:
		if x.Hour() == 0 && x.Minute() == 0 && x.Second() == 0 && x.Nanosecond() == 0 {
			return x.Format(time.DateOnly)
		}
		return x.Format("2006-01-02 15:04:05.999999")
	case fmt.Stringer: // DECIMAL exact (decimal), INTERVAL as a timedelta
		return x.String()
	}
	if b, err := json.Marshal(v); err == nil {
		return string(b)
	}
	return fmt.Sprint(v)
}

// writePreviewTable prints the rows as dbt show's text output does (a
// Markdown-style table), numbers right-aligned, NULL written NULL.
func writePreviewTable(w io.Writer, pv *engine.Preview) error {
	cells := make([][]string, len(pv.Rows))
	width := make([]int, len(pv.Columns))
	numeric := make([]bool, len(pv.Columns))
	for j, c := range pv.Columns {
		width[j] = utf8.RuneCountInString(c)
		numeric[j] = len(pv.Rows) > 0
	}
	for i, row := range pv.Rows {
		cells[i] = make([]string, len(row))
		for j, v := range row {
			cells[i][j] = strings.ReplaceAll(cellText(v, "NULL"), "\n", `\n`)
			width[j] = max(width[j], utf8.RuneCountInString(cells[i][j]))
			switch v.(type) {
			case int64, float64, *big.Int, decimal, nil:
			default:
				numeric[j] = false
			}
		}
	}
	var b bytes.Buffer
	line := func(vals []string, right func(int) bool) {
		b.WriteString("|")
		for j, v := range vals {
			pad := strings.Repeat(" ", width[j]-utf8.RuneCountInString(v))
			if right(j) {
				b.WriteString(" " + pad + v + " |")
			} else {
				b.WriteString(" " + v + pad + " |")
			}
		}
		b.WriteString("\n")
	}
	line(pv.Columns, func(int) bool { return false })
	dashes := make([]string, len(width))
	for j, n := range width {
		dashes[j] = strings.Repeat("-", n)
	}
	line(dashes, func(int) bool { return false })
	for _, row := range cells {
		line(row, func(j int) bool { return numeric[j] })
	}
	_, err := w.Write(b.Bytes())
	return err
}

// writePreviewJSON prints {"node": name, "show": [{column: value}...]} as
// dbt show --output json does, the columns in their order: numbers and
// booleans as JSON's, NULL as null, other values as text.
func writePreviewJSON(w io.Writer, name string, pv *engine.Preview) error {
	var b bytes.Buffer
	nameJSON, _ := json.Marshal(name)
	fmt.Fprintf(&b, "{\n  \"node\": %s,\n  \"show\": [", nameJSON)
	for i, row := range pv.Rows {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString("\n    {")
		for j, v := range row {
			if j > 0 {
				b.WriteString(", ")
			}
			k, _ := json.Marshal(pv.Columns[j])
			b.Write(k)
			b.WriteString(": ")
			b.WriteString(jsonValue(v))
		}
		b.WriteString("}")
	}
	if len(pv.Rows) > 0 {
		b.WriteString("\n  ")
	}
	b.WriteString("]\n}\n")
	_, err := w.Write(b.Bytes())
	return err
}

func jsonValue(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case bool, int64:
		return fmt.Sprint(x)
	case *big.Int:
		return x.String()
	case decimal:
		return x.String()
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			b, _ := json.Marshal(cellText(x, ""))
			return string(b)
		}
		return strconv.FormatFloat(x, 'g', -1, 64)
	case []any, map[string]any:
		if b, err := json.Marshal(x); err == nil {
			return string(b)
		}
	}
	b, _ := json.Marshal(cellText(v, ""))
	return string(b)
}

// writePreviewCSV prints the rows as CSV with a header line (RFC 4180,
// NULL as an empty field), as kiln's exports write CSV.
func writePreviewCSV(w io.Writer, pv *engine.Preview) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(pv.Columns); err != nil {
		return err
	}
	rec := make([]string, len(pv.Columns))
	for _, row := range pv.Rows {
		for j, v := range row {
			rec[j] = cellText(v, "")
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
