package anomaly

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseArgs(t *testing.T) {
	a, err := ParseArgs("volume_anomalies", map[string]any{})
	if err != nil || a.Options != DefaultsFor(Volume) || a.Period != nil || a.Options.MinChange != 10 {
		t.Fatalf("defaults: %+v, %v", a, err)
	}
	a, err = ParseArgs("metric_anomalies", map[string]any{"expression": "sum(revenue)", "anomaly_sensitivity": "3.5", "min_change_pct": 10,
		"min_change": 500.0, "min_training_set_size": 8, "training_months": 24, "anomaly_direction": "drop", "seasonality": "none", "period": "2024-03"})
	if err != nil {
		t.Fatal(err)
	}
	o := a.Options
	if o.Sensitivity != 3.5 || o.MinChangePct != 10 || o.MinChange != 500 || o.MinPoints != 8 || o.TrainingMonths != 24 || o.Direction != Drop ||
		o.Seasonality != SeasonNone || a.Period == nil || a.Period.String() != "2024-03" {
		t.Errorf("options %+v, period %v", o, a.Period)
	}
	if a, err := ParseArgs("volume_anomalies", map[string]any{"period": " "}); err != nil || a.Period != nil {
		t.Errorf("an empty period is the run's month: %v %v", a.Period, err)
	}
	a, err = ParseArgs("dimension_anomalies", map[string]any{"dimensions": "family"})
	if err != nil || len(a.Dimensions) != 1 || a.Dimensions[0] != "family" {
		t.Errorf("one dimension as a string: %+v %v", a.Dimensions, err)
	}
	a, err = ParseArgs("column_anomalies", map[string]any{})
	if err != nil || len(a.Metrics) != 1 || a.Metrics[0] != "null_percent" || a.Options.MinChange != 5 {
		t.Errorf("column defaults: %+v %v", a, err)
	}
	a, err = ParseArgs("input_freshness", map[string]any{"max_age_days": 40})
	if err != nil || a.Freshness.MaxAge != 40*24*time.Hour {
		t.Errorf("max_age_days: %+v %v", a.Freshness, err)
	}
	for v, want := range map[any]bool{true: true, "True": true, false: false, "false": false} {
		if a, err = ParseArgs("input_freshness", map[string]any{"may_repeat": v}); err != nil || a.Freshness.MayRepeat != want {
			t.Errorf("may_repeat: %v: %+v %v", v, a.Freshness, err)
		}
	}
	for _, c := range []struct {
		test string
		args map[string]any
		key  string
		msg  string
	}{
		{"volume_anomalies", map[string]any{"anomaly_sensitivity": "high"}, "anomaly_sensitivity", `anomaly_sensitivity must be a number, not "high"`},
		{"volume_anomalies", map[string]any{"anomaly_sensitivity": 0}, "anomaly_sensitivity", "anomaly_sensitivity must be a number above 0"},
		{"volume_anomalies", map[string]any{"min_training_set_size": 2}, "min_training_set_size", "must be 3 or more"},
		{"volume_anomalies", map[string]any{"min_training_set_size": 6.5}, "min_training_set_size", "must be 3 or more, not -1"},
		{"volume_anomalies", map[string]any{"training_months": 4}, "training_months", "training_months (4) must be at least"},
		{"volume_anomalies", map[string]any{"anomaly_direction": "down"}, "anomaly_direction", "write both, spike or drop"},
		{"volume_anomalies", map[string]any{"seasonality": "day_of_week"}, "seasonality", "write auto, none or month_of_year"},
		{"volume_anomalies", map[string]any{"period": "March"}, "period", `period: "March" is not a month`},
		{"metric_anomalies", map[string]any{}, "expression", "expression is required"},
		{"dimension_anomalies", map[string]any{}, "dimensions", "dimensions is required"},
		{"dimension_anomalies", map[string]any{"dimensions": []any{1}}, "dimensions", "dimensions is required"},
		{"column_anomalies", map[string]any{"column_anomalies": []any{"max"}}, "column_anomalies", `"max" is not supported yet`},
		{"input_freshness", map[string]any{"max_age_days": -1}, "max_age_days", "max_age_days must be 0"},
		{"input_freshness", map[string]any{"may_repeat": "yes"}, "may_repeat", `may_repeat must be true or false, not "yes"`},
		{"input_freshness", map[string]any{"repeat_hint": []any{"a"}, "repeat_note": true}, "repeat_note", "repeat_note is a sentence (text), not"},
		{"input_freshness", map[string]any{"repeat_hint": 3}, "repeat_hint", "repeat_hint is a sentence (text), not"},
	} {
		_, err := ParseArgs(c.test, c.args)
		var ae *ArgError
		if !errors.As(err, &ae) || ae.Key != c.key || !strings.Contains(ae.Msg, c.msg) {
			t.Errorf("%s %v: %v, want %s: %q", c.test, c.args, err, c.key, c.msg)
		}
	}
	if _, err := ParseArgs("unique", nil); err == nil {
		t.Error("unique is an anomaly test")
	}
}
