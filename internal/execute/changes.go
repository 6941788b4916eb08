package execute

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/kiln-build/kiln/adapter"
	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/internal/materialize"
	"github.com/kiln-build/kiln/internal/run"
)

// IsChangeTest reports whether a generic test compares with the last
// successful run (volume_change, metric_change).
func IsChangeTest(generic string) bool {
	return generic == "volume_change" || generic == "metric_change"
}

// Limits are the thresholds of a deviation test: percentages of the
// baseline (MaxIncreasePct, MaxDecreasePct, both set by max_change_pct) and
// an absolute tolerance. A nil limit is not checked.
type Limits struct {
	MaxIncreasePct, MaxDecreasePct, Tolerance *float64
}

// LimitsOf reads the thresholds from a test's arguments.
func LimitsOf(args map[string]any) Limits {
	var l Limits
	if v, ok := number(args["max_change_pct"]); ok {
		l.MaxIncreasePct, l.MaxDecreasePct = &v, &v
	}
	if v, ok := number(args["max_increase_pct"]); ok {
		l.MaxIncreasePct = &v
	}
	if v, ok := number(args["max_decrease_pct"]); ok {
		l.MaxDecreasePct = &v
	}
	if v, ok := number(args["tolerance"]); ok {
		l.Tolerance = &v
	}
	return l
}

func number(v any) (float64, bool) {
	switch x := v.(type) {
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case float64:
		return x, true
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
		return f, err == nil
	}
	return 0, false
}

// ChangePct returns the change from baseline to current in percent of
// |baseline|; ±Inf when the baseline is 0 and current is not.
func ChangePct(baseline, current float64) float64 {
	if baseline == current {
		return 0
	}
	if baseline == 0 {
		return math.Copysign(math.Inf(1), current)
	}
	return (current - baseline) / math.Abs(baseline) * 100
}

// Violation returns why current deviates too far from baseline under l, or
// "" when it is within the limits. Every given limit must hold.
func (l Limits) Violation(baseline, current float64) string {
	pct := ChangePct(baseline, current)
	var why []string
	if l.MaxIncreasePct != nil && pct > *l.MaxIncreasePct {
		why = append(why, fmt.Sprintf("an increase of more than %s%%", fmtNum(*l.MaxIncreasePct)))
	}
	if l.MaxDecreasePct != nil && -pct > *l.MaxDecreasePct {
		why = append(why, fmt.Sprintf("a decrease of more than %s%%", fmtNum(*l.MaxDecreasePct)))
	}
	if l.Tolerance != nil && math.Abs(current-baseline) > *l.Tolerance {
		why = append(why, fmt.Sprintf("a change of more than %s", fmtNum(*l.Tolerance)))
	}
	return strings.Join(why, " and ")
}

func (l Limits) String() string {
	var parts []string
	switch {
	case l.MaxIncreasePct != nil && l.MaxDecreasePct != nil && *l.MaxIncreasePct == *l.MaxDecreasePct:
		parts = append(parts, "±"+fmtNum(*l.MaxIncreasePct)+"%")
	default:
		if l.MaxDecreasePct != nil {
			parts = append(parts, "-"+fmtNum(*l.MaxDecreasePct)+"%")
		}
		if l.MaxIncreasePct != nil {
			parts = append(parts, "+"+fmtNum(*l.MaxIncreasePct)+"%")
		}
	}
	if l.Tolerance != nil {
		parts = append(parts, "±"+fmtNum(*l.Tolerance))
	}
	return strings.Join(parts, " / ")
}

func fmtNum(f float64) string {
	if f == math.Trunc(f) && math.Abs(f) < 1e15 {
		return strconv.FormatInt(int64(f), 10)
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

func fmtPct(p float64) string {
	if math.IsInf(p, 0) {
		return "from zero"
	}
	return fmt.Sprintf("%+.1f%%", p)
}

// changeTest evaluates volume_change and metric_change: the test's query
// computes today's value, compared with the value recorded for this test
// in the last successful run. The first run has no baseline and passes.
func (e *Executor) changeTest(ctx context.Context, conn adapter.Conn, n *graph.Node) run.Result {
	q := materialize.Body(n.CompiledCode)
	_, rows, err := conn.QueryRows(ctx, q)
	if err != nil {
		return failed(e.testError(ctx, conn, n, err, adapter.Stmt{SQL: q}))
	}
	if len(rows) != 1 || len(rows[0]) != 1 {
		return failed(fmt.Errorf("%s: the metric query must return one value, it returned %d rows", n.Pos, len(rows)))
	}
	current, ok := number(fmt.Sprint(rows[0][0]))
	if !ok {
		current = 0 // NULL (e.g. the sum of no rows) counts as 0
	}
	what := "row count"
	if n.Test.Generic == "metric_change" {
		what = fmt.Sprint(n.Test.Args["expression"])
	}
	key := BaselineMetric(n)
	r := run.Result{Status: run.Pass, Rows: -1, CompiledCode: n.CompiledCode,
		Metrics: map[string]float64{"value": current, key: current}}
	base, err := conn.Store().LastMetric(ctx, "", key)
	if err != nil {
		return failed(err)
	}
	limits := LimitsOf(n.Test.Args)
	if !base.Exists {
		r.Expected = fmt.Sprintf("%s within %s of the last successful run", what, limits)
		r.Actual = fmt.Sprintf("%s (no baseline yet: this is the first run, it passes)", fmtNum(current))
		r.Message = "no baseline: first run"
		return r
	}
	pct := ChangePct(base.Value, current)
	r.Metrics["baseline"] = base.Value
	r.Metrics["change_pct"] = pct
	r.Expected = fmt.Sprintf("%s within %s of %s (run %s of %s)", what, limits, fmtNum(base.Value), short(base.RunID), base.At.Format("2006-01-02 15:04"))
	r.Actual = fmt.Sprintf("%s (%s)", fmtNum(current), fmtPct(pct))
	if why := limits.Violation(base.Value, current); why != "" {
		r.Failures = 1
		r.Status = run.Fail
		if n.Config.Severity == "warn" {
			r.Status = run.Warn
		}
		r.Message = fmt.Sprintf("%s went from %s to %s (%s): %s", what, fmtNum(base.Value), fmtNum(current), fmtPct(pct), why)
		if e.opts.AcceptDeviations {
			r.Status = run.Warn
			r.Message += acceptedBaseline
		}
	}
	return r
}

// BaselineMetric names the metric a deviation test records and compares:
// it is the same across changes of the thresholds (which change the test's
// unique_id) and differs for another node, another test, another
// expression, or another baseline_key (a test argument that keeps separate
// baselines, such as one for a sample and one for production data).
func BaselineMetric(n *graph.Node) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%v\x00%v\x00%v", n.Test.Attached, n.Test.Generic, n.Test.Args["expression"], n.Test.Args["baseline_key"], n.Config.Extra["where"])
	return "baseline_" + hex.EncodeToString(h.Sum(nil))[:16]
}
