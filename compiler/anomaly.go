package compiler

import (
	"errors"
	"sort"
	"strings"

	"github.com/kiln-build/kiln/compiler/diag"
	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/compiler/project"
	"github.com/kiln-build/kiln/internal/anomaly"
)

// checkAnomalyTest checks an anomaly test (package anomaly) where it is
// declared and its arguments, rendered: it returns the argument at fault
// ("" for the test itself) and what to write, or "" when all is well.
func checkAnomalyTest(test string, on *graph.Node, column bool, args map[string]any) (key, msg string) {
	kind, ok := anomaly.Tests[test]
	if !ok {
		return "", ""
	}
	switch {
	case kind == anomaly.Rate && !column:
		return "", "column_anomalies watches a column: declare it under the column's data_tests"
	case kind != anomaly.Rate && column:
		return "", test + " watches a whole model or source: declare it under the model's data_tests, not a column's"
	case kind == anomaly.InputFile && (on.Kind != graph.Source || on.Source == nil || on.Source.External == nil):
		return "", "input_freshness watches the file of a source with external: {location: ...}; " + on.Name + " has none"
	}
	if _, err := anomaly.ParseArgs(test, args); err != nil {
		var ae *anomaly.ArgError
		if errors.As(err, &ae) {
			return ae.Key, ae.Msg
		}
		return "", err.Error()
	}
	return "", ""
}

// anomalyMonthAmbiguous returns the error of an anomaly test without a
// period in a project that declares more than one var of type month: the
// run's month (engine's runMonth) is the value of the project's one var
// of type month, so with two the test would record and check the month
// of the wall clock, which is wrong for a run of a past month (a
// backfill), and the history would keep it. ok is false when the test is
// not an anomaly test, has a period, or the project declares at most one
// month var.
func (c *compiler) anomalyMonthAmbiguous(test string, args map[string]any, pos diag.Pos, name string) (diag.Diagnostic, bool) {
	if _, ok := anomaly.Tests[test]; !ok {
		return diag.Diagnostic{}, false
	}
	if a, err := anomaly.ParseArgs(test, args); err != nil || a.Period != nil {
		return diag.Diagnostic{}, false
	}
	months := monthVars(c.root)
	if len(months) < 2 {
		return diag.Diagnostic{}, false
	}
	parts := make([]string, len(months))
	for i, t := range months {
		parts[i] = t.Name + " (" + t.At.Pos(c.root.File).String() + ")"
	}
	return diag.Errorf(pos, "test %q has no period, and the project declares %d vars of type month: %s; kiln cannot tell which month the run is for, and would record the month of the clock",
		name, len(months), strings.Join(parts, ", ")).
		WithHint("set the test's period (period: \"{{ var('%s') }}\"), or keep one var of type month", months[0].Name), true
}

// monthVars are the vars of type month that p declares (var-types:), in
// the order of the file.
func monthVars(p *project.Project) []*project.VarType {
	var out []*project.VarType
	for _, t := range p.VarTypes {
		if t != nil && t.Type == project.VarMonth {
			out = append(out, t)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].At.Line != out[j].At.Line {
			return out[i].At.Line < out[j].At.Line
		}
		return out[i].At.Col < out[j].At.Col
	})
	return out
}

// anomalyNameArgs returns the arguments a test's default name is made of: all of
// them (dbt's rule), but the options of an anomaly test, which say how to
// check and not what: volume_anomalies_orders_ (dbt's name of a test
// without arguments), not
// volume_anomalies_orders__3__25__var_month_.
func anomalyNameArgs(test string, args map[string]any) map[string]any {
	if _, ok := anomaly.Tests[test]; !ok {
		return args
	}
	out := map[string]any{}
	for _, k := range []string{"column_name", "expression", "dimensions", "column_anomalies"} {
		if v, ok := args[k]; ok {
			out[k] = v
		}
	}
	return out
}
