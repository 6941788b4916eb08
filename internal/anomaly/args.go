package anomaly

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// The anomaly tests, as YAML names them, and the Kind each watches.
var Tests = map[string]Kind{
	"volume_anomalies":    Volume,
	"metric_anomalies":    Metric,
	"dimension_anomalies": Dimension,
	"column_anomalies":    Rate,
	"schema_changes":      Columns,
	"input_freshness":     InputFile,
}

// ColumnMetrics are the metrics column_anomalies can watch (Elementary's
// names): the percent of the rows whose column is null, or 0.
var ColumnMetrics = []string{"null_percent", "zero_percent"}

// Args are the arguments of an anomaly test, read and checked.
type Args struct {
	Options   Options
	Freshness FreshnessOptions
	// Period is the month the data stands for, when the test gives one
	// (period: "2024-03"); nil (no period, or an empty one) means the month
	// of the run.
	Period *Month
	// Dimensions are dimension_anomalies' columns; Metrics column_anomalies'
	// metrics (ColumnMetrics by default: null_percent).
	Dimensions []string
	Metrics    []string
}

// ArgError is an argument out of its range: Key names it, as the YAML does.
type ArgError struct {
	Key, Msg string
}

func (e *ArgError) Error() string { return e.Msg }

// ParseArgs reads the arguments of anomaly test test (a key of Tests) from
// the test's YAML arguments, rendered. A key the test does not take is
// left to the test's macro, which refuses it; a value out of range is an
// *ArgError naming its key and what to write.
func ParseArgs(test string, args map[string]any) (Args, error) {
	kind, ok := Tests[test]
	if !ok {
		return Args{}, fmt.Errorf("%q is not an anomaly test", test)
	}
	a := Args{Options: DefaultsFor(kind), Freshness: DefaultFreshness}
	o := &a.Options
	num := func(key string, set func(float64)) error {
		v, ok := args[key]
		if !ok || v == nil {
			return nil
		}
		f, ok := number(v)
		if !ok {
			return &ArgError{key, fmt.Sprintf("%s must be a number, not %v", key, quoted(v))}
		}
		set(f)
		return nil
	}
	whole := func(key string, set func(int)) error {
		return num(key, func(f float64) {
			set(int(f))
			if f != math.Trunc(f) {
				set(-1)
			}
		})
	}
	for _, err := range []error{
		num("anomaly_sensitivity", func(f float64) { o.Sensitivity = f }),
		num("min_change_pct", func(f float64) { o.MinChangePct = f }),
		num("min_change", func(f float64) { o.MinChange = f }),
		whole("min_training_set_size", func(n int) { o.MinPoints = n }),
		whole("training_months", func(n int) { o.TrainingMonths = n; a.Freshness.TrainingMonths = n }),
		num("max_age_days", func(f float64) { a.Freshness.MaxAge = time.Duration(f * 24 * float64(time.Hour)) }),
	} {
		if err != nil {
			return a, err
		}
	}
	if v, ok := args["max_age_days"]; ok && v != nil && a.Freshness.MaxAge < 0 {
		return a, &ArgError{"max_age_days", "max_age_days must be 0 (no limit) or more days"}
	}
	if s, ok := text(args, "anomaly_direction"); ok {
		d, err := ParseDirection(s)
		if err != nil {
			return a, &ArgError{"anomaly_direction", err.Error()}
		}
		o.Direction = d
	}
	if s, ok := text(args, "seasonality"); ok {
		d, err := ParseSeasonality(s)
		if err != nil {
			return a, &ArgError{"seasonality", err.Error()}
		}
		o.Seasonality = d
	}
	if v, ok := args["may_repeat"]; ok && v != nil {
		b, ok := boolean(v)
		if !ok {
			return a, &ArgError{"may_repeat", fmt.Sprintf("may_repeat must be true or false, not %v", quoted(v))}
		}
		a.Freshness.MayRepeat = b
	}
	for _, x := range []struct {
		key string
		set *string
	}{{"repeat_note", &a.Freshness.RepeatNote}, {"repeat_hint", &a.Freshness.RepeatHint}} {
		key, set := x.key, x.set
		if v, ok := args[key]; ok && v != nil {
			s, ok := v.(string)
			if !ok {
				return a, &ArgError{key, fmt.Sprintf("%s is a sentence (text), not %v", key, quoted(v))}
			}
			*set = strings.TrimSpace(s)
		}
	}
	if v, ok := args["period"]; ok && v != nil && strings.TrimSpace(fmt.Sprint(v)) != "" {
		m, err := ParseMonth(fmt.Sprint(v))
		if err != nil {
			return a, &ArgError{"period", "period: " + err.Error() + ", such as period: \"{{ var('month') }}\""}
		}
		a.Period = &m
	}
	if err := o.Validate(); err != nil {
		key, _, _ := strings.Cut(err.Error(), " ")
		return a, &ArgError{key, err.Error()}
	}
	switch kind {
	case Metric:
		if s, _ := args["expression"].(string); strings.TrimSpace(s) == "" {
			return a, &ArgError{"expression", "expression is required, such as expression: \"sum(revenue)\""}
		}
	case Dimension:
		dims, err := stringList(args["dimensions"])
		if err != nil || len(dims) == 0 {
			return a, &ArgError{"dimensions", "dimensions is required: the columns to split the rows by, such as dimensions: [family]"}
		}
		a.Dimensions = dims
	case Rate:
		a.Metrics = []string{"null_percent"}
		if v, ok := args["column_anomalies"]; ok && v != nil {
			ms, err := stringList(v)
			if err != nil || len(ms) == 0 {
				return a, &ArgError{"column_anomalies", "column_anomalies is a list of " + strings.Join(ColumnMetrics, ", ")}
			}
			for _, m := range ms {
				if m != "null_percent" && m != "zero_percent" {
					return a, &ArgError{"column_anomalies", fmt.Sprintf("column_anomalies: %q is not supported yet; kiln watches %s", m, strings.Join(ColumnMetrics, ", "))}
				}
			}
			a.Metrics = ms
		}
	}
	return a, nil
}

// Columns and InputFile are the kinds of schema_changes and
// input_freshness, which watch no number.
const (
	Columns Kind = iota + Rate + 1
	InputFile
)

func number(v any) (float64, bool) {
	switch x := v.(type) {
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case float64:
		return x, !math.IsNaN(x) && !math.IsInf(x, 0)
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
		return f, err == nil && !math.IsNaN(f) && !math.IsInf(f, 0)
	}
	return 0, false
}

// boolean reads a YAML boolean, or its text once rendered ("True" from
// a template's {{ true }}).
func boolean(v any) (bool, bool) {
	switch x := v.(type) {
	case bool:
		return x, true
	case string:
		switch strings.ToLower(strings.TrimSpace(x)) {
		case "true":
			return true, true
		case "false":
			return false, true
		}
	}
	return false, false
}

func text(args map[string]any, key string) (string, bool) {
	v, ok := args[key]
	if !ok || v == nil {
		return "", false
	}
	return strings.TrimSpace(fmt.Sprint(v)), true
}

// stringList reads a list of strings, or one string as a list of one.
func stringList(v any) ([]string, error) {
	switch x := v.(type) {
	case string:
		if strings.TrimSpace(x) == "" {
			return nil, nil
		}
		return []string{x}, nil
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			s, ok := e.(string)
			if !ok || strings.TrimSpace(s) == "" {
				return nil, fmt.Errorf("not a list of names")
			}
			out = append(out, s)
		}
		return out, nil
	case []string:
		return x, nil
	}
	return nil, fmt.Errorf("not a list of names")
}

func quoted(v any) string {
	if s, ok := v.(string); ok {
		return strconv.Quote(s)
	}
	return fmt.Sprint(v)
}
