package execute

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/kiln-build/kiln/adapter"
	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/internal/anomaly"
	"github.com/kiln-build/kiln/internal/materialize"
	"github.com/kiln-build/kiln/internal/run"
)

// IsAnomalyTest reports whether a generic test is an anomaly test (package
// anomaly), which kiln evaluates against the run history.
func IsAnomalyTest(generic string) bool {
	_, ok := anomaly.Tests[generic]
	return ok
}

// IsDeviationTest reports whether --accept-deviations applies to a generic
// test: a change test or an anomaly test.
func IsDeviationTest(generic string) bool { return IsChangeTest(generic) || IsAnomalyTest(generic) }

// SeriesKey names the history of anomaly test n in the run history: the
// same across changes of its options (which change the test's unique_id)
// and different for another model or source, test, column, expression,
// dimensions, where, or baseline_key (a value that keeps separate
// histories, such as one for a sample and one for production data).
func SeriesKey(n *graph.Node) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00%v\x00%v\x00%v\x00%v", n.Test.Attached, n.Test.Generic, n.Test.ColumnName,
		n.Test.Args["expression"], n.Test.Args["dimensions"], n.Test.Args["baseline_key"], n.Config.Extra["where"])
	return "anomaly_" + hex.EncodeToString(h.Sum(nil))[:16]
}

// gateRun is the evaluation of one anomaly test.
type gateRun struct {
	e      *Executor
	n      *graph.Node
	kind   anomaly.Kind
	args   anomaly.Args
	month  anomaly.Month
	series string
	hist   []adapter.Observation
	// text writes a gate's numbers as its explanation does, by label.
	text map[string]func(float64) string
}

// anomalyTest evaluates an anomaly test: it computes this run's figures
// (or columns, or input file), checks them against the accepted months of
// the test's history, and explains the result. An anomaly fails the test
// (warns with severity warn, or with --accept-deviations, which makes the
// values part of the history); a history too short warns and says how many
// months it needs.
func (e *Executor) anomalyTest(ctx context.Context, conn adapter.Conn, n *graph.Node) run.Result {
	args, err := anomaly.ParseArgs(n.Test.Generic, n.Test.Args)
	if err != nil {
		return failed(fmt.Errorf("%s: test %q: %w", n.Pos, n.Name, err))
	}
	g := &gateRun{e: e, n: n, kind: anomaly.Tests[n.Test.Generic], args: args, series: SeriesKey(n), text: map[string]func(float64) string{}}
	g.month = e.month(args)
	if g.hist, err = conn.Store().Observations(ctx, g.series); err != nil {
		return failed(err)
	}
	var gates []run.Gate
	switch g.kind {
	case anomaly.Columns:
		gates, err = g.columns(ctx, conn)
	case anomaly.InputFile:
		gates, err = g.inputFile(ctx)
	default:
		gates, err = g.figures(ctx, conn)
	}
	if err != nil {
		return failed(err)
	}
	return g.result(gates)
}

// month is the month a test's data stands for: its period, else the
// run's month (Options.Month), else the month of the run's start in the
// project's time zone.
func (e *Executor) month(a anomaly.Args) anomaly.Month {
	if a.Period != nil {
		return *a.Period
	}
	if e.opts.Month != nil {
		return *e.opts.Month
	}
	t := e.opts.Clock
	loc := e.opts.Location
	if loc == nil {
		loc = time.Local
	}
	return anomaly.MonthOf(t.In(loc))
}

// figures evaluates the tests that watch numbers: one series for volume
// and metric, one per segment for dimension, one per metric for column.
func (g *gateRun) figures(ctx context.Context, conn adapter.Conn) ([]run.Gate, error) {
	q := materialize.Body(g.n.CompiledCode)
	cols, rows, err := conn.QueryRows(ctx, q)
	if err != nil {
		return nil, g.e.testError(ctx, conn, g.n, err, adapter.Stmt{SQL: q})
	}
	type value struct {
		label string
		v     float64
		ok    bool
	}
	current := map[string]value{} // by segment
	switch g.kind {
	case anomaly.Volume, anomaly.Metric:
		if len(rows) != 1 || len(rows[0]) != 1 {
			return nil, fmt.Errorf("%s: the figure's query must return one value, it returned %d rows", g.n.Pos, len(rows))
		}
		v, _ := toFloat(rows[0][0]) // NULL (the sum of no rows) counts as 0
		current[""] = value{g.label(""), v, true}
	case anomaly.Rate:
		if len(rows) != 1 {
			return nil, fmt.Errorf("%s: the column's query must return one row, it returned %d", g.n.Pos, len(rows))
		}
		for i, c := range cols {
			v, ok := toFloat(rows[0][i]) // NULL: no row, no rate
			current[c] = value{c + " of " + g.n.Test.ColumnName, v, ok}
		}
	case anomaly.Dimension:
		for _, r := range rows {
			if len(r) != len(g.args.Dimensions)+1 {
				return nil, fmt.Errorf("%s: the dimensions' query must return %d columns, it returned %d", g.n.Pos, len(g.args.Dimensions)+1, len(r))
			}
			key := segmentKey(r[:len(r)-1])
			v, _ := toFloat(r[len(r)-1])
			current[key] = value{g.label(key), v, true}
		}
		// A segment of the accepted months that is missing now counts as 0:
		// a product family that vanished is the anomaly to find.
		for _, o := range g.hist {
			if _, ok := current[o.Segment]; !ok && o.Month >= int(g.month)-g.args.Options.TrainingMonths && o.Month < int(g.month) {
				current[o.Segment] = value{g.label(o.Segment), 0, true}
			}
		}
	}
	segments := make([]string, 0, len(current))
	for s := range current {
		segments = append(segments, s)
	}
	sort.Strings(segments)
	opts := g.args.Options
	opts.Comparisons = len(segments)
	out := make([]run.Gate, 0, len(segments))
	for _, s := range segments {
		c := current[s]
		gate := run.Gate{Series: g.series, Segment: s, Label: c.label, Month: int(g.month), Value: c.v, Observed: c.ok,
			Expected: math.NaN(), Lower: math.NaN(), Upper: math.NaN()}
		if !c.ok {
			gate.Verdict = string(anomaly.Pass)
			gate.Explain = []string{c.label + ": no row, no value this month"}
			out = append(out, gate)
			continue
		}
		res := anomaly.Detect(g.points(s), g.month, c.v, opts)
		g.text[c.label] = res.Num
		gate.Verdict, gate.Expected, gate.Lower, gate.Upper = string(res.Verdict), res.Expected, res.Lower, res.Upper
		gate.Explain = res.Explain()
		gate.Explain[0] = c.label + ": " + gate.Explain[0]
		for _, p := range res.Points {
			gate.History = append(gate.History, run.GatePoint{Month: int(p.Month), Value: p.Value})
		}
		gate.Accepted = g.e.opts.AcceptDeviations || res.Verdict == anomaly.Pass || (res.Verdict == anomaly.ColdStart && !deviates(res))
		out = append(out, gate)
	}
	return out, nil
}

// sameAs returns the month whose accepted input file has the content of
// a gate's file (Gate.SameAs), the first among gates; "" when none.
func sameAs(gates []run.Gate) string {
	for _, x := range gates {
		if x.SameAs != "" {
			return x.SameAs
		}
	}
	return ""
}

// deviates reports whether a cold-start result is beyond the change floors
// of every anchor: it would be an anomaly with a history.
func deviates(r anomaly.Result) bool {
	for _, a := range r.Anchors {
		if !a.Beyond {
			return false
		}
	}
	return len(r.Anchors) > 0
}

// points returns the accepted months of segment s.
func (g *gateRun) points(s string) []anomaly.Point {
	var out []anomaly.Point
	for _, o := range g.hist {
		if o.Segment == s {
			out = append(out, anomaly.Point{Month: anomaly.Month(o.Month), Value: o.Value, Run: o.RunID})
		}
	}
	return out
}

// months returns the number of distinct accepted months of the history
// that a check of g.month can use.
func (g *gateRun) months() int {
	seen := map[int]bool{}
	for _, o := range g.hist {
		if o.Month < int(g.month) && o.Month >= int(g.month)-g.args.Options.TrainingMonths {
			seen[o.Month] = true
		}
	}
	return len(seen)
}

// label says what segment s of the gate watches.
func (g *gateRun) label(s string) string {
	switch g.kind {
	case anomaly.Volume:
		return "row count"
	case anomaly.Metric:
		return fmt.Sprint(g.n.Test.Args["expression"])
	case anomaly.Dimension:
		var vals []any
		_ = json.Unmarshal([]byte(s), &vals)
		parts := make([]string, len(g.args.Dimensions))
		for i, d := range g.args.Dimensions {
			v := "null"
			if i < len(vals) && vals[i] != nil {
				v = "'" + fmt.Sprint(vals[i]) + "'"
			}
			parts[i] = d + " = " + v
		}
		what := "row count"
		if e, _ := g.n.Test.Args["expression"].(string); e != "" {
			what = e
		}
		return what + " of " + strings.Join(parts, ", ")
	}
	return s
}

// segmentKey writes a segment's dimension values as a JSON array.
func segmentKey(vals []any) string {
	out := make([]any, len(vals))
	for i, v := range vals {
		if v != nil {
			out[i] = fmt.Sprint(v)
		}
	}
	b, _ := json.Marshal(out)
	return string(b)
}

// result turns the gates of a test into its result: fail (or warn) when a
// series is an anomaly, warn in the cold start, pass otherwise.
func (g *gateRun) result(gates []run.Gate) run.Result {
	n := g.n
	r := run.Result{Status: run.Pass, Rows: -1, CompiledCode: n.CompiledCode, Gates: gates, Metrics: map[string]float64{}}
	var bad, cold []run.Gate
	for _, x := range gates {
		switch x.Verdict {
		case string(anomaly.Anomaly):
			bad = append(bad, x)
		case string(anomaly.ColdStart):
			cold = append(cold, x)
		}
	}
	if len(gates) == 1 && gates[0].Observed {
		r.Metrics["value"] = gates[0].Value
	}
	r.Metrics["anomalies"] = float64(len(bad))
	r.Expected, r.Actual = g.describe(gates, bad)
	switch {
	case len(bad) > 0:
		r.Failures = int64(len(bad))
		r.Status = run.Fail
		if n.Config.Severity == "warn" {
			r.Status = run.Warn
		}
		r.Message = bad[0].Explain[0]
		if len(bad) > 1 {
			r.Message += fmt.Sprintf(" (and %d more)", len(bad)-1)
		}
		if g.e.opts.AcceptDeviations {
			if same := sameAs(bad); same != "" {
				// Not a deviation: the month's export was not delivered.
				r.Message += "; not accepted: --accept-deviations does not accept the file of another month (" + same + "), supply this month's export"
			} else {
				r.Status = run.Warn
				r.Message += acceptedLearns
			}
		}
	case len(cold) > 0 && (g.kind == anomaly.Volume || g.kind == anomaly.Metric || g.months() < g.args.Options.MinPoints):
		// A gate too young to fail warns; a new segment of an established
		// gate is noted in its explanation only.
		r.Status = run.Warn
		r.Message = cold[0].Explain[0]
	}
	return r
}

// describe says what the test expected and found, for the summary.
func (g *gateRun) describe(gates []run.Gate, bad []run.Gate) (expected, actual string) {
	if len(gates) == 1 {
		x := gates[0]
		switch {
		case g.kind == anomaly.Columns || g.kind == anomaly.InputFile:
			return x.Label, x.Explain[0]
		case !x.Observed:
			return x.Label, "no value"
		case x.Verdict == string(anomaly.ColdStart):
			return fmt.Sprintf("%s: %s before it can fail", x.Label, acceptedMonths(g.args.Options.MinPoints)), anomaly.Num(x.Value) + " (cold start)"
		}
		return fmt.Sprintf("%s in %s (expected %s)", x.Label, g.band(x), g.num(x, x.Expected)), anomaly.Num(x.Value)
	}
	what := map[anomaly.Kind]string{anomaly.Dimension: "segment", anomaly.Rate: "metric"}[g.kind]
	expected = fmt.Sprintf("every %s within its band (%d checked)", what, len(gates))
	if len(bad) == 0 {
		if m := g.months(); m < g.args.Options.MinPoints {
			return acceptedMonths(g.args.Options.MinPoints) + " before it can fail", acceptedMonths(m) + " (cold start)"
		}
		return expected, "none outside"
	}
	var parts []string
	for i, x := range bad {
		if i == 3 {
			parts = append(parts, fmt.Sprintf("%d more", len(bad)-3))
			break
		}
		parts = append(parts, fmt.Sprintf("%s %s (band %s)", x.Label, anomaly.Num(x.Value), g.band(x)))
	}
	return expected, fmt.Sprintf("%d outside: %s", len(bad), strings.Join(parts, "; "))
}

// num writes a number of gate x as its explanation does.
func (g *gateRun) num(x run.Gate, v float64) string {
	if f := g.text[x.Label]; f != nil {
		return f(v)
	}
	return anomaly.Num(v)
}

func (g *gateRun) band(x run.Gate) string {
	switch {
	case math.IsInf(x.Lower, -1):
		return "at most " + g.num(x, x.Upper)
	case math.IsInf(x.Upper, 1):
		return "at least " + g.num(x, x.Lower)
	}
	return g.num(x, x.Lower) + ".." + g.num(x, x.Upper)
}

// toFloat reads a number the adapter returned; false for NULL and values
// that are not numbers.
func toFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case nil:
		return 0, false
	case float64:
		return x, true
	case int64:
		return float64(x), true
	case *big.Int:
		f, _ := new(big.Float).SetInt(x).Float64()
		return f, true
	case bool:
		if x {
			return 1, true
		}
		return 0, true
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
		return f, err == nil
	}
	f, err := strconv.ParseFloat(fmt.Sprint(v), 64)
	return f, err == nil
}

// acceptedMonths is "1 accepted month", "6 accepted months".
func acceptedMonths(n int) string { return fmt.Sprintf("%d accepted %s", n, monthWord(n)) }

// monthWord is "month" for 1, else "months".
func monthWord(n int) string {
	if n == 1 {
		return "month"
	}
	return "months"
}
