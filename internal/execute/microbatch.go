package execute

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/kiln-build/kiln/adapter"
	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/internal/failpoint"
	"github.com/kiln-build/kiln/internal/materialize"
	"github.com/kiln-build/kiln/internal/run"
	"github.com/kiln-build/kiln/internal/sqlq"
)

// prevBatch returns the start of the batch before the one starting at t.
func prevBatch(t time.Time, size string) time.Time {
	switch size {
	case "hour":
		return t.Add(-time.Hour)
	case "day":
		return t.AddDate(0, 0, -1)
	case "month":
		return t.AddDate(0, -1, 0)
	}
	return t.AddDate(-1, 0, 0)
}

// Batch is one batch of a microbatch model: [Start, End).
type Batch struct{ Start, End time.Time }

// Batches returns the batches of b from its begin (or from start, when
// not zero) to the batch holding now (or up to end, when not zero), in
// b's time zone; the bounds are instants. dbt's microbatch: every batch
// from begin to now, the last one possibly partial.
func Batches(b *graph.BatchInfo, now, start, end time.Time) []Batch {
	from := b.Begin
	if !start.IsZero() {
		from = start
	}
	s := graph.BatchStart(from, b.Size, b.Location)
	last := graph.NextBatch(graph.BatchStart(now, b.Size, b.Location), b.Size)
	if !end.IsZero() {
		last = end
	}
	var out []Batch
	for ; s.Before(last); s = graph.NextBatch(s, b.Size) {
		out = append(out, Batch{s, graph.NextBatch(s, b.Size)})
	}
	return out
}

// microbatch builds microbatch model n batch by batch, in one
// transaction. Each batch's SQL reads its event-time inputs limited to
// the batch ([start, end) in UTC, TimeRange: the same condition for the
// filter and for the delete), is checked to write rows of the batch only,
// then replaces the table's rows of the batch. The interval state
// (Store.Intervals) records each batch with the digest of its SQL and of
// its inputs' rows: a run builds the batches that are missing (a gap is
// filled, never skipped), those whose digest changed, and the one
// holding the run's clock with the lookback ones before it (those in the
// run's range); --full-refresh (or a missing table) builds them all. The
// journal keeps the rows of the batches it replaces (PrepareRows), not
// the whole table; when the batches are merged on unique_key
// (BatchInfo.Merge: PostgreSQL), which may update any row, it keeps the
// table's rows (keepTable).
func (e *Executor) microbatch(ctx context.Context, conn adapter.Conn, n *graph.Node, plan *batchPlan) run.Result {
	b := n.Incremental.Batch
	var built, rows, replaced int64
	var why []string
	ran := n.CompiledCode // the SQL of the last batch built, when rendered for it
	var batches []Batch
	var done []run.Batch   // the batches built, for batch_results
	var failing *run.Batch // the batch whose build failed
	err := conn.Tx(ctx, func() error {
		store := conn.Store()
		var err error
		if plan == nil {
			if plan, err = e.batchPlan(ctx, conn, n); err != nil {
				return err
			}
		}
		kind, whole, build, counts := plan.kind, plan.whole, plan.build, plan.counts
		inputTypes := plan.inputTypes
		batches = plan.batches
		if whole {
			if err = store.ForgetIntervals(ctx, string(n.ID)); err != nil {
				return err
			}
			if err = e.opts.Journal.Prepare(ctx, conn, e.d, n.Relation, kind); err != nil {
				return err
			}
			if e.opts.Journal == nil && kind == string(adapter.View) {
				if _, err := conn.Run(ctx, e.d.DropRelation(n.Relation, adapter.View, false)); err != nil {
					return err
				}
			}
			if !e.schemas {
				if _, err := conn.Run(ctx, e.d.CreateSchema(n.Relation.Schema)); err != nil {
					return err
				}
			}
		}
		if !whole && b.Merge && len(build) > 0 {
			// A merged batch may update a row of the same key anywhere
			// in the table: the journal keeps all its rows.
			if err := e.keepTable(ctx, conn, n, false, nil); err != nil {
				return err
			}
		} else if !whole && (len(build) > 0 || persistsDocs(n)) {
			// The journal keeps the rows of the batches to build, not the
			// table: a rollback puts those rows back. With persist_docs
			// and no batch to build, it keeps no row, only the comments.
			where := "1 = 0"
			for i, t := range build {
				w, err := e.batchesWhere(ctx, conn, n, b, t.bt)
				if err != nil {
					return err
				}
				if i == 0 {
					where = w
				} else {
					where += " or " + w
				}
			}
			if err := e.opts.Journal.PrepareRows(ctx, conn, e.d, n.Relation, where); err != nil {
				return err
			}
			if err := e.keepDocs(ctx, conn, n); err != nil {
				return err
			}
		}
		exists := !whole
		var record []adapter.Interval
		for _, t := range build {
			failing = &run.Batch{Start: t.bt.Start.UTC(), End: t.bt.End.UTC()}
			code, rendered, err := e.batchSQL(ctx, conn, n, t.bt, exists)
			if err != nil {
				return fmt.Errorf("model %q: batch %s: %w", n.Name, batchName(t.bt, b), err)
			}
			nr, nd, err := e.buildBatch(ctx, conn, n, b, inputTypes, t.bt, code, exists)
			if err != nil {
				return fmt.Errorf("model %q: batch %s: %w", n.Name, batchName(t.bt, b), err)
			}
			if rendered {
				ran = e.batchCode(code, b, inputTypes, t.bt)
			}
			exists = true
			built++
			rows += nr
			replaced += nd
			record = append(record, adapter.Interval{Start: t.bt.Start.UTC(), End: t.bt.End.UTC(), Digest: t.digest})
			done = append(done, *failing)
			failing = nil
		}
		if !exists {
			// No batch at all (begin is after now, or --event-time-end
			// before it): an empty table, of the columns of the first
			// batch's SQL, its inputs filtered as for that batch (their
			// markers are no SQL).
			first := Batch{}
			first.Start, first.End = b.FirstBatch()
			code, _, err := e.batchSQL(ctx, conn, n, first, false)
			if err != nil {
				return fmt.Errorf("model %q: batch %s: %w", n.Name, batchName(first, b), err)
			}
			s := materialize.Unlogged(e.d, n, e.d.CreateTableAs(n.Relation, e.batchCode(code, b, inputTypes, first)+"\nlimit 0"))
			if _, err := conn.Run(ctx, s); err != nil {
				return e.sqlError(n, err, s)
			}
		}
		for _, r := range []string{"full", "missing", "changed inputs", "lookback"} {
			if counts[r] > 0 {
				why = append(why, fmt.Sprintf("%d %s", counts[r], r))
			}
		}
		runID := ""
		if e.opts.Journal != nil {
			runID = e.opts.Journal.runID
		}
		if err := store.SaveIntervals(ctx, string(n.ID), runID, record); err != nil {
			return err
		}
		if whole {
			if err := e.createIndexes(ctx, conn, n); err != nil {
				return err
			}
		}
		if !e.grantsAfterHooks(n) {
			if err := e.applyGrants(ctx, conn, n, e.carried(n, kind)); err != nil {
				return err
			}
		}
		if err := persistDocs(ctx, conn, e.d, n); err != nil {
			return err
		}
		failpoint.Hit(failpoint.NodeBuilt)
		return nil
	})
	if err != nil {
		// The transaction is rolled back: no batch of this run is kept.
		// The failed batches are the one whose build failed, or, when
		// what failed came after the batches, all those built.
		r := failed(err)
		r.Batches = &run.Batches{Successful: []run.Batch{}, Failed: append([]run.Batch{}, done...)}
		if failing != nil {
			r.Batches.Failed = []run.Batch{*failing}
		}
		return r
	}
	failpoint.Hit(failpoint.NodeCommitted)
	e.cat.Set(n.Relation, string(adapter.Table))
	word := "batches"
	if len(batches) == 1 {
		word = "batch"
	}
	msg := fmt.Sprintf("microbatch: %d of %d %s built", built, len(batches), word)
	if len(why) > 0 {
		msg += " (" + strings.Join(why, ", ") + ")"
	}
	msg += fmt.Sprintf(", %s", plural(rows, "row"))
	if replaced > 0 {
		msg += fmt.Sprintf(", %d replaced", replaced)
	}
	return run.Result{Status: run.Success, Rows: rows, Message: msg, CompiledCode: ran,
		AdapterResponse: map[string]any{"_message": fmt.Sprintf("MICROBATCH %d", rows), "rows_affected": rows},
		Metrics:         map[string]float64{"rows": float64(rows), "batches": float64(built)},
		Batches:         &run.Batches{Successful: append([]run.Batch{}, done...), Failed: []run.Batch{}}}
}

// upstreamIntervals returns, for each event-time input of b that is a
// microbatch model with the same batches (sameBatches), its interval
// state by batch start (UTC).
func (e *Executor) upstreamIntervals(ctx context.Context, conn adapter.Conn, b *graph.BatchInfo) (map[graph.ID]map[time.Time]adapter.Interval, error) {
	out := map[graph.ID]map[time.Time]adapter.Interval{}
	for _, id := range b.Inputs {
		if !sameBatches(e.g.Node(id), b) {
			continue
		}
		ivs, err := conn.Store().Intervals(ctx, string(id))
		if err != nil {
			return nil, err
		}
		m := map[time.Time]adapter.Interval{}
		for _, iv := range ivs {
			m[iv.Start.UTC()] = iv
		}
		out[id] = m
	}
	return out, nil
}

// sameBatches reports whether input in is a microbatch model whose
// batches are b's (the same size and time zone), filtered by its own
// batches' event_time: the rows of b's batch in it are exactly the rows
// of its batch of the same start, which its run wrote (a microbatch
// batch holds only rows of the batch, checked when it is built).
func sameBatches(in *graph.Node, b *graph.BatchInfo) bool {
	if in == nil || in.Kind != graph.Model || in.Incremental == nil || in.Incremental.Batch == nil {
		return false
	}
	ib := in.Incremental.Batch
	col, _ := in.Config.Extra["event_time"].(string)
	return strings.EqualFold(col, ib.EventTime) && ib.Size == b.Size && ib.TimeZone == b.TimeZone
}

func batchName(bt Batch, b *graph.BatchInfo) string {
	layout := map[string]string{"hour": "2006-01-02 15:00", "day": "2006-01-02", "month": "2006-01", "year": "2006"}[b.Size]
	return bt.Start.In(b.Location).Format(layout)
}

// inputTimeTypes returns the type of the event_time column of each
// event-time input of b.
func (e *Executor) inputTimeTypes(ctx context.Context, conn adapter.Conn, b *graph.BatchInfo) (map[graph.ID]string, error) {
	out := map[graph.ID]string{}
	for _, id := range b.Inputs {
		in := e.g.Node(id)
		col, _ := in.Config.Extra["event_time"].(string)
		cols, err := conn.Columns(ctx, in.Relation)
		if err != nil {
			return nil, err
		}
		found := false
		for _, c := range cols {
			if strings.EqualFold(c.Name, col) {
				out[id], found = c.Type, true
			}
		}
		if !found {
			return nil, fmt.Errorf("event_time %q of %s %q is not one of its columns", col, in.Kind, in.Name)
		}
	}
	return out, nil
}

// filter returns the rows of input id in batch bt.
func (e *Executor) filter(id graph.ID, types map[graph.ID]string, bt Batch) string {
	in := e.g.Node(id)
	col, _ := in.Config.Extra["event_time"].(string)
	return e.d.SelectAll(in.Relation, "") + " where " + e.d.TimeRange(col, types[id], bt.Start, bt.End)
}

// batchCode returns code with each event-time input replaced by its rows
// in batch bt: a subquery, named as the input's relation (`as "sales"`)
// unless the model names it (`from {{ ref('sales') }} s`). PostgreSQL
// before 16 refuses a subquery in FROM without a name, and the name keeps
// `sales.amount` meaning what it meant on the table.
func (e *Executor) batchCode(code string, b *graph.BatchInfo, types map[graph.ID]string, bt Batch) string {
	for _, id := range b.Inputs {
		marker := graph.BatchMarker(id)
		sub := "(" + e.filter(id, types, bt) + ")"
		var out strings.Builder
		for {
			i := strings.Index(code, marker)
			if i < 0 {
				break
			}
			out.WriteString(code[:i])
			out.WriteString(sub)
			code = code[i+len(marker):]
			if !aliased(code) {
				out.WriteString(" as " + e.d.Quote(e.g.Node(id).Relation.Name))
			}
		}
		out.WriteString(code)
		code = out.String()
	}
	return code
}

// aliased reports whether the SQL after a relation, rest, starts with a
// name for it: `as`, or an identifier (bare and not a keyword, or
// double-quoted), after blanks and comments. A keyword (where, group,
// join, on...), a comma, a parenthesis or the end is no name.
func aliased(rest string) bool {
	i := 0
	for i < len(rest) {
		switch {
		case rest[i] == ' ' || rest[i] == '\t' || rest[i] == '\n' || rest[i] == '\r':
			i++
		case strings.HasPrefix(rest[i:], "--"):
			end := strings.IndexByte(rest[i:], '\n')
			if end < 0 {
				return false
			}
			i += end + 1
		case strings.HasPrefix(rest[i:], "/*"):
			end := sqlq.BlockCommentEnd(rest, i)
			if end < 0 {
				return false
			}
			i = end
		case rest[i] == '"':
			return true
		default:
			j := i
			for j < len(rest) && sqlq.IsIdentByte(rest[j]) {
				j++
			}
			word := rest[i:j]
			if word == "" || word[0] >= '0' && word[0] <= '9' {
				return false
			}
			return strings.EqualFold(word, "as") || !sqlq.IsKeyword(word)
		}
	}
	return false
}

// batchDigest digests what batch bt is built from: the model's batch SQL
// and the rows of each event-time input in the batch. An input that is a
// microbatch model with the same batches (size and time zone), whose
// interval state records bt, is digested by that record instead (the
// digest it was built from and the run that built it), without reading
// its rows: its batch changes only when a run builds it again (see
// sameBatches).
func (e *Executor) batchDigest(ctx context.Context, conn adapter.Conn, b *graph.BatchInfo, types map[graph.ID]string, upstream map[graph.ID]map[time.Time]adapter.Interval, bt Batch) (string, error) {
	h := sha256.New()
	h.Write([]byte(b.Code + "\x00" + b.IncrementalCode + "\x00"))
	for _, id := range b.Inputs {
		if iv, ok := upstream[id][bt.Start.UTC()]; ok {
			h.Write([]byte(string(id) + "\x00interval " + iv.Digest + " " + iv.RunID + "\x00"))
			continue
		}
		_, rows, err := conn.QueryRows(ctx, e.d.RowsDigest(e.filter(id, types, bt)))
		if err != nil {
			return "", err
		}
		h.Write([]byte(string(id) + "\x00" + fmt.Sprint(rows[0][0]) + "\x00"))
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// batchesWhere returns the condition selecting the rows of batch bt in
// model n's table, in parentheses: the one buildBatch deletes them by.
func (e *Executor) batchesWhere(ctx context.Context, conn adapter.Conn, n *graph.Node, b *graph.BatchInfo, bt Batch) (string, error) {
	typ, err := e.tableTimeType(ctx, conn, n, b)
	if err != nil {
		return "", err
	}
	return "(" + e.d.TimeRange(b.EventTime, typ, bt.Start, bt.End) + ")", nil
}

// tableTimeType returns the type of the event_time column of model n's
// table, "" when the table has no such column (buildBatch then says so).
func (e *Executor) tableTimeType(ctx context.Context, conn adapter.Conn, n *graph.Node, b *graph.BatchInfo) (string, error) {
	tcols, err := conn.Columns(ctx, n.Relation)
	if err != nil {
		return "", err
	}
	for _, c := range tcols {
		if strings.EqualFold(c.Name, b.EventTime) {
			return c.Type, nil
		}
	}
	return "", fmt.Errorf("event_time %q is not a column of the table %s", b.EventTime, n.Relation)
}

// buildBatch writes batch bt of model n: its rows go to a temporary
// table, must all have an event_time in the batch, then replace the
// table's rows of the batch (or create the table, when it does not exist
// yet); incremental_predicates narrow both, as in dbt-duckdb: only the
// table's rows of the batch that meet them are deleted, only the new
// rows that meet them are inserted. When b.Merge (PostgreSQL, as
// dbt-postgres), the rows are checked against unique_key and merged on it
// instead (materialize.Merge, incremental_predicates in its condition).
// It returns the rows written and the rows deleted.
func (e *Executor) buildBatch(ctx context.Context, conn adapter.Conn, n *graph.Node, b *graph.BatchInfo, types map[graph.ID]string, bt Batch, code string, exists bool) (int64, int64, error) {
	sql := e.batchCode(code, b, types, bt)
	tmp, rows, err := e.newRows(ctx, conn, n, sql)
	if err != nil {
		return 0, 0, err
	}
	cols, err := conn.DescribeQuery(ctx, e.d.SelectAll(tmp, ""))
	if err != nil {
		return 0, 0, err
	}
	typ := ""
	var names []string
	for _, c := range cols {
		names = append(names, c.Name)
		if strings.EqualFold(c.Name, b.EventTime) {
			typ = c.Type
		}
	}
	if typ == "" {
		return 0, 0, fmt.Errorf("event_time %q is not a column of the model's rows (%s)", b.EventTime, strings.Join(names, ", "))
	}
	within := e.d.TimeRange(b.EventTime, typ, bt.Start, bt.End)
	if out, err := conn.QueryInt(ctx, e.d.CountRows(e.d.QuoteRelation(tmp))+" where not ("+within+") or "+e.d.Quote(b.EventTime)+" is null"); err != nil {
		return 0, 0, err
	} else if out > 0 {
		return 0, 0, fmt.Errorf("%d of its %d rows have an event_time (%s) outside the batch [%s, %s) or NULL; nothing was written: filter the model's rows by its inputs' event_time, or fix the column",
			out, rows, b.EventTime, bt.Start.UTC().Format(time.RFC3339), bt.End.UTC().Format(time.RFC3339))
	}
	if b.Merge {
		// The batch's rows are merged on unique_key: a key twice among
		// them, or NULL, is refused before anything is written.
		inc := n.Incremental
		if err := CheckKeyExprs(ctx, conn, e.d, "model", n.Name, tmp, inc.UniqueKey, inc.UniqueKeyAt, inc.UniqueKeyItemsAt); err != nil {
			return 0, 0, err
		}
	}
	var deleted int64
	if !exists {
		if _, err := conn.Run(ctx, materialize.Unlogged(e.d, n, e.d.CreateTableAs(n.Relation, e.d.SelectAll(tmp, "")))); err != nil {
			return 0, 0, err
		}
	} else if b.Merge {
		if _, err := conn.Run(ctx, materialize.Merge(e.d, n, n.Relation, tmp, names)); err != nil {
			return 0, 0, err
		}
	} else {
		tcols, err := conn.Columns(ctx, n.Relation)
		if err != nil {
			return 0, 0, err
		}
		ttyp := typ
		for _, c := range tcols {
			if strings.EqualFold(c.Name, b.EventTime) {
				ttyp = c.Type
			}
		}
		// incremental_predicates narrow both the delete and the insert,
		// each in parentheses after the batch's range, as dbt-duckdb's
		// duckdb__get_incremental_microbatch_sql writes them.
		var preds []string
		for _, p := range n.Incremental.Predicates {
			preds = append(preds, "("+p+")")
		}
		where := strings.Join(append([]string{e.d.TimeRange(b.EventTime, ttyp, bt.Start, bt.End)}, preds...), " and ")
		if deleted, err = conn.Run(ctx, e.d.DeleteWhere(n.Relation, where)); err != nil {
			return 0, 0, err
		}
		if _, err := conn.Run(ctx, e.d.InsertColumns(n.Relation, tmp, names, strings.Join(preds, " and "))); err != nil {
			return 0, 0, err
		}
	}
	_, err = conn.Run(ctx, e.d.DropRelation(tmp, adapter.Table, true))
	return rows, deleted, err
}

// batchTodo is a batch a run builds, with the digest of its inputs and
// why it is built (full, missing, changed inputs, lookback).
type batchTodo struct {
	bt             Batch
	digest, reason string
}

// batchPlan is what a run of microbatch model n does, decided from the
// database before anything is written: the batches of its range, those
// it builds (in order) and why.
type batchPlan struct {
	kind       string // the relation's kind as the run found it
	whole      bool   // the table is built anew (missing, or a full refresh)
	batches    []Batch
	inputTypes map[graph.ID]string
	build      []batchTodo
	counts     map[string]int // batches built, by reason
}

// hookBatch returns the batch of microbatch model n that its hooks of
// phase ("pre" or "post") run with, as dbt runs pre-hooks with the first
// batch and post-hooks with the last: the first (last) batch the run
// builds; nil when it builds none.
func (p *batchPlan) hookBatch(n *graph.Node, phase string) *adapter.Batch {
	if len(p.build) == 0 {
		return nil
	}
	bt := p.build[0].bt
	if phase == "post" {
		bt = p.build[len(p.build)-1].bt
	}
	b := n.Incremental.Batch
	start, end := bt.Start.In(b.Location), bt.End.In(b.Location)
	return &adapter.Batch{ID: graph.BatchID(start, b.Size), Start: start, End: end}
}

// batchPlan reads what a run of microbatch model n builds (see
// microbatch): the batches missing from its interval state, those whose
// inputs' digest changed, and those of the lookback; all of them when
// the table is missing or the run is a full refresh. It only reads.
func (e *Executor) batchPlan(ctx context.Context, conn adapter.Conn, n *graph.Node) (*batchPlan, error) {
	b := n.Incremental.Batch
	p := &batchPlan{kind: e.cat.Kind(n.Relation), counts: map[string]int{}}
	p.whole = p.kind != string(adapter.Table) || materialize.FullRefresh(n, e.opts.FullRefresh)
	p.batches = Batches(b, e.opts.Clock, e.opts.EventTimeStart, e.opts.EventTimeEnd)
	prev := map[time.Time]adapter.Interval{}
	if !p.whole {
		ivs, err := conn.Store().Intervals(ctx, string(n.ID))
		if err != nil {
			return nil, err
		}
		for _, iv := range ivs {
			prev[iv.Start] = iv
		}
	}
	var err error
	if p.inputTypes, err = e.inputTimeTypes(ctx, conn, b); err != nil {
		return nil, err
	}
	upstream, err := e.upstreamIntervals(ctx, conn, b)
	if err != nil {
		return nil, err
	}
	// The batch holding the run's clock and the lookback batches before
	// it are built again (when in range: an --event-time-end in the past
	// leaves them out).
	lookbackFrom := graph.BatchStart(e.opts.Clock, b.Size, b.Location)
	for range b.Lookback {
		lookbackFrom = prevBatch(lookbackFrom, b.Size)
	}
	for _, bt := range p.batches {
		digest, err := e.batchDigest(ctx, conn, b, p.inputTypes, upstream, bt)
		if err != nil {
			return nil, fmt.Errorf("model %q: batch %s: %w", n.Name, batchName(bt, b), err)
		}
		pv, seen := prev[bt.Start.UTC()]
		reason := ""
		switch {
		case p.whole:
			reason = "full"
		case !seen:
			reason = "missing"
		case pv.Digest != digest:
			reason = "changed inputs"
		case !bt.Start.Before(lookbackFrom):
			reason = "lookback"
		}
		if reason == "" {
			continue
		}
		p.counts[reason]++
		p.build = append(p.build, batchTodo{bt, digest, reason})
	}
	return p, nil
}
