package compiler

import (
	"errors"

	"github.com/kiln-build/kiln/compiler/graph"
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
