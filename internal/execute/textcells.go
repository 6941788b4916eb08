package execute

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/kiln-build/kiln/adapter"
	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/internal/anomaly"
	"github.com/kiln-build/kiln/internal/load"
	"github.com/kiln-build/kiln/internal/run"
)

// A workbook's column that holds a few texts among numbers loads as
// VARCHAR; the mismatch then shows downstream, as a model's conversion
// error or schema_changes' "retyped ... -> VARCHAR", far from the cell
// that caused it. The load records, in its one pass, where the cells of
// each kind of such a column are (load.TextColumn); the executor keeps
// them by source for the run, and both messages name the workbook, the
// sheet and the cell.

// loadedText is what the run's load of a workbook source recorded of its
// text columns.
type loadedText struct {
	file   string // the workbook, as messages name it (project-relative when inside)
	source string // the source's name, "raw.erp"
	cols   []load.TextColumn
}

// keepText keeps the text columns of source n's load, res.
func (e *Executor) keepText(n *graph.Node, res load.Result) {
	if len(res.TextColumns) == 0 {
		return
	}
	e.texts.Store(n.ID, &loadedText{file: e.rel(n.Source.External.Path), source: n.DisplayName(), cols: res.TextColumns})
}

// textOf returns what the run's load of source id recorded, nil when the
// run did not load it (or it has no text column).
func (e *Executor) textOf(id graph.ID) *loadedText {
	if v, ok := e.texts.Load(id); ok {
		return v.(*loadedText)
	}
	return nil
}

func (t *loadedText) column(name string) (load.TextColumn, bool) {
	for _, c := range t.cols {
		if strings.EqualFold(c.Name, name) {
			return c, true
		}
	}
	return load.TextColumn{}, false
}

// conversion matches a database's error converting a text: DuckDB's
// "Could not convert string "x" to DECIMAL(12,2) when casting from source
// column price" (the value in double or single quotes), its "invalid
// date field format: "x", expected format is ...", and PostgreSQL's
// "invalid input syntax for type numeric: "x"". The submatches are the
// quoted value (with its quotes), and the source column when told.
var conversion = []*regexp.Regexp{
	regexp.MustCompile(`Could not convert string ("(?s:.*?)"|'(?s:.*?)') to \S+(?: when casting from source column (.+))?$`),
	regexp.MustCompile(`invalid \w+ field format: ("(?s:.*?)"), expected format is .*?(?: when casting from source column (.+))?$`),
	regexp.MustCompile(`invalid input syntax for type [\w ]+: ("(?s:.*)")$`),
}

// convertedValue returns the value of a conversion error's message, as
// quoted there (quoted), and unquoted (value), and the source column it
// names ("" when none).
func convertedValue(msg string) (quoted, value, column string, ok bool) {
	for _, re := range conversion {
		m := re.FindStringSubmatchIndex(msg)
		if m == nil {
			continue
		}
		quoted = msg[m[2]:m[3]]
		if len(m) > 4 && m[4] >= 0 {
			column = strings.TrimSpace(msg[m[4]:m[5]])
		}
		return quoted, quoted[1 : len(quoted)-1], column, true
	}
	return "", "", "", false
}

// locateConversion places the conversion error de of node n, a value
// that did not convert, in the workbook it came from, when a source
// upstream of n was loaded by the run and recorded that value in a text
// column: the message names the cell after the value (`"12,50 EUR"
// (erp.xlsx Sheet1!C10, source raw.erp)`), and the hint says what the
// column's other cells are and what to do. When the value is not among
// the cells recorded (the first of each kind) but the error names a text
// column of such a source that holds cells of several kinds, the hint
// lists them. ne is left as it is otherwise.
func (e *Executor) locateConversion(n *graph.Node, de *adapter.Error, ne *run.NodeError) {
	quoted, value, column, ok := convertedValue(de.Msg)
	if !ok {
		return
	}
	var loaded []*loadedText
	var unread []string // workbook sources upstream that the run neither loaded nor found up to date
	ids := e.g.Sorted(e.g.Ancestors(n.ID, -1))
	for _, id := range slices.Backward(ids) { // the nearest first
		if t := e.textOf(id); t != nil {
			loaded = append(loaded, t)
		} else if t, planned := e.readText(id); t != nil {
			loaded = append(loaded, t)
		} else if !planned {
			unread = append(unread, e.g.Node(id).DisplayName())
		}
	}
	if len(loaded) == 0 {
		if len(unread) > 0 {
			ne.Hint = fmt.Sprintf("if the value is a cell of %s, build it with %s to have its cell named (kiln build -s +%s): this run did not read the file", strings.Join(unread, ", "), n.Name, n.Name)
		}
		return
	}
	// The column the database names, when a loaded text column has its
	// name: the value is looked for there only.
	named := false
	for _, t := range loaded {
		if _, ok := t.column(column); ok && column != "" {
			named = true
		}
	}
	type found struct {
		t    *loadedText
		col  load.TextColumn
		cell load.Cell
	}
	var best *found
	for _, t := range loaded {
		for _, c := range t.cols {
			if named && !strings.EqualFold(c.Name, column) {
				continue
			}
			cell, _, ok := c.Find(value)
			if !ok {
				continue
			}
			// The nearest source first; a column of cells of several kinds
			// before one of text cells only.
			if f := (found{t, c, cell}); best == nil || len(c.Kinds) > 1 && len(best.col.Kinds) == 1 {
				best = &f
			}
		}
	}
	what := n.Name
	if best != nil {
		if i := strings.Index(ne.Msg, quoted); i >= 0 {
			at := fmt.Sprintf(" (%s %s, source %s)", best.t.file, best.cell.Where(), best.t.source)
			ne.Msg = ne.Msg[:i+len(quoted)] + at + ne.Msg[i+len(quoted):]
		}
		fix := "the cells"
		if others, n := best.col.Others(); n == 1 && others[0] == best.cell {
			fix = "the cell"
		}
		ne.Hint = textHint(best.t, best.col, fix, what)
		return
	}
	if column == "" {
		return
	}
	for _, t := range loaded {
		if c, ok := t.column(column); ok && len(c.Kinds) > 1 {
			ne.Hint = textHint(t, c, "the cells", what)
			return
		}
	}
}

// textHint says what text column c of t's workbook holds and what to do
// in model what; fix is "the cell" or "the cells".
func textHint(t *loadedText, c load.TextColumn, fix, what string) string {
	return fmt.Sprintf("%s loaded %q as VARCHAR: %s; fix %s in the workbook, or make %s cast such values (try_cast gives NULL)",
		t.source, c.Name, c.Describe(t.file), fix, what)
}

// retypedCells names, for schema_changes on source src, the cells of
// the columns of d retyped to a text type that the run's load recorded:
// one clause per column (load.TextColumn.Describe), joined with "; ";
// and a hint. Both "" when the run did not load src or no retyped column
// is a text column of it.
func (e *Executor) retypedCells(src *graph.Node, d anomaly.SchemaDiff) (where, hint string) {
	if src == nil {
		return "", ""
	}
	t := e.textOf(src.ID)
	if t == nil {
		return "", ""
	}
	var clauses, was []string
	var fixes []int64 // the cells of each column that are not of its main kind
	for _, r := range d.Retyped {
		c, ok := t.column(r.Name)
		if !ok {
			continue
		}
		clauses = append(clauses, c.Describe(t.file))
		was = append(was, fmt.Sprintf("%q was %s", r.Name, r.From))
		_, n := c.Others()
		fixes = append(fixes, n)
	}
	if len(clauses) == 0 {
		return "", ""
	}
	var readers []string
	for _, id := range e.g.Children(src.ID) {
		if m := e.g.Node(id); m != nil && m.Kind == graph.Model {
			readers = append(readers, m.Name)
		}
	}
	cast := "the models that read " + t.source
	if len(readers) > 0 {
		cast = strings.Join(readers, ", ")
	}
	fix := "the cells"
	if len(fixes) == 1 && fixes[0] == 1 {
		fix = "the cell"
	}
	hint = fmt.Sprintf("%s in the last accepted run: fix %s in the workbook and build again", strings.Join(was, ", "), fix)
	if !e.opts.AcceptDeviations {
		hint += fmt.Sprintf("; if the column now holds text, cast it in %s and build with --accept-deviations to accept the new type", cast)
	}
	return strings.Join(clauses, "; "), hint
}

// warnDatesAsText warns, through Options.Warn, of each column of source
// n's workbook that loaded as VARCHAR only because dates were typed in
// it as text (load.TextColumn.DatesAsText): without a declared type,
// models would compare and sort them as text.
func (e *Executor) warnDatesAsText(n *graph.Node, res load.Result) {
	if e.opts.Warn == nil {
		return
	}
	for _, c := range res.TextColumns {
		if note := c.DatesAsTextNote(e.rel(n.Source.External.Path)); note != "" {
			e.opts.Warn(n, fmt.Sprintf("source %s: %s", n.DisplayName(), note))
		}
	}
}

// readText returns the text columns of the workbook of source id, a
// file-backed xlsx source upstream of a failing node that the run found
// up to date (its file is the one its table was loaded from), read again
// for them; nil when id is not such a source or its workbook has no text
// column. planned is false for a workbook source that the run did not
// plan: its file may have changed since its table was loaded, so it is
// not read.
func (e *Executor) readText(id graph.ID) (t *loadedText, planned bool) {
	src := e.g.Node(id)
	if src == nil || src.Kind != graph.Source || src.Source == nil || src.Source.External == nil {
		return nil, true
	}
	x := src.Source.External
	if f := strings.ToLower(x.Format); f != "xlsx" && f != "xlsm" && f != "" || f == "" && !strings.HasSuffix(strings.ToLower(x.Path), ".xlsx") {
		return nil, true
	}
	if _, loaded := e.cells.Load(id); loaded {
		return nil, true // loaded by the run, without a text column
	}
	if !e.opts.UpToDate[id] {
		return nil, false
	}
	cols, err := load.TextColumnsOf(context.Background(), SourceSpec(x))
	if err != nil || len(cols) == 0 {
		return nil, true
	}
	return &loadedText{file: e.rel(x.Path), source: src.DisplayName(), cols: cols}, true
}
