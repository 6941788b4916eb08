package kestra

import (
	"strings"
	"testing"
	"time"

	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/compiler/project"
)

// typedProject is a project with a var of each type, a month var filled
// from the trigger's date, and a var without a type.
func typedProject() (*project.Config, map[string]*project.VarType) {
	f := func(x float64) *float64 { return &x }
	cfg := &project.Config{Name: "shop", Schedule: &project.Schedule{Cron: "0 6 2 * *", Timezone: "Europe/Paris"},
		Vars: map[string]any{"z": 2, "n": 20, "flag": true, "day": "2026-01-31", "at": "2026-01-31 06:00:00", "note": "O'Brien {{ x }}",
			"dir": "data/sample", "schema_name": "marts", "region": "north", "month": "2026-01-01", "free": 3}}
	types := map[string]*project.VarType{
		"z":           {Name: "z", Type: project.VarNumber, Min: f(0), Max: f(10), Description: "A threshold."},
		"n":           {Name: "n", Type: project.VarInteger, Min: f(1), Max: f(1e12)},
		"flag":        {Name: "flag", Type: project.VarBoolean},
		"day":         {Name: "day", Type: project.VarDate},
		"at":          {Name: "at", Type: project.VarTimestamp},
		"note":        {Name: "note", Type: project.VarString},
		"dir":         {Name: "dir", Type: project.VarPath},
		"schema_name": {Name: "schema_name", Type: project.VarIdentifier},
		"region":      {Name: "region", Type: project.VarEnum, Values: []any{"north", "south", 3}},
		"month":       {Name: "month", Type: project.VarDate, Kestra: project.KestraTriggerDate},
		"required":    {Name: "required", Type: project.VarString},
	}
	return cfg, types
}

func typedOptions() []Options {
	var out []Options
	for _, g := range []string{GroupByAuto, GroupByNode, GroupByFolder, GroupByTag, GroupByOne} {
		cfg, types := typedProject()
		out = append(out, Options{Config: cfg, VarTypes: types, ProjectDir: "/srv/shop", GroupBy: g, Retries: 1, SLA: 90 * time.Minute})
	}
	cfg, types := typedProject()
	out = append(out, Options{Config: cfg, VarTypes: types, ProjectDir: "/srv/shop", Image: "registry.example/kiln:v1"})
	return out
}

// TestTypedInputs: each var type becomes the Kestra input type that
// refuses what kiln refuses, with its bounds, values or validator; the
// month var takes the trigger's date; the schedule recovers every missed
// date; the SLA is written.
func TestTypedInputs(t *testing.T) {
	opt := typedOptions()[1]
	data, err := Flow(typedGraph(t), opt)
	if err != nil {
		t.Fatal(err)
	}
	s := string(data)
	for _, want := range []string{
		"  - id: z\n    type: FLOAT\n    description: 'A threshold. The project var z (--vars). Its type: number from 0 to 10.'\n    defaults: 2\n    min: 0\n    max: 10\n",
		"  - id: \"n\"\n    type: INT\n", "    defaults: 20\n    min: 1\n", // 1e12 is beyond Kestra's INT: no max
		"  - id: flag\n    type: BOOLEAN\n",
		"  - id: day\n    type: DATE\n",
		"  - id: at\n    type: STRING\n",
		"    validator: ^\\d{4}-\\d{2}-\\d{2}([T ]\\d{2}:\\d{2}(:\\d{2}(\\.\\d{1,9})?)?(Z|[+-]\\d{2}:\\d{2})?)?$\n",
		"  - id: note\n    type: STRING\n", "    defaults: O'Brien {{ '{{' }} x }}\n",
		"  - id: dir\n    type: STRING\n", "    validator: ^[^'\"`\\x00-\\x1F\\x7F]+$\n",
		"  - id: schema_name\n    type: STRING\n", "    validator: ^[A-Za-z_][A-Za-z0-9_]*$\n",
		"  - id: region\n    type: SELECT\n", "    defaults: north\n    values:\n      - north\n      - south\n      - \"3\"\n",
		"  - id: month\n    type: DATE\n", "    required: false\n    defaults: \"2026-01-01\"\n",
		"  - id: required\n    type: STRING\n",
		`"month": {{ (trigger.date ?? inputs.month ?? execution.startDate) | date("yyyy-MM-dd", timeZone="Europe/Paris") | toJson }}`,
		`"z": {{ inputs.z | toJson }}`,
		"    recoverMissedSchedules: LAST\n",
		"sla:\n  - id: max_duration\n    type: MAX_DURATION\n    behavior: FAIL\n    duration: PT1H30M\n",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("the flow lacks %q:\n%s", want, s)
		}
	}
	f := parse(t, data)
	if f.Inputs[len(f.Inputs)-1].ID != "z" {
		t.Errorf("inputs not sorted: %+v", f.Inputs)
	}
	// A timestamp var takes the trigger's date and time, with its offset.
	cfg, types := typedProject()
	types["month"].Kestra = ""
	data, err = Flow(typedGraph(t), Options{Config: cfg, VarTypes: types, ProjectDir: "/p", TriggerDateVar: "at"})
	if err != nil {
		t.Fatal(err)
	}
	if s := string(data); !strings.Contains(s, `(trigger.date ?? inputs.at ?? execution.startDate) | date("yyyy-MM-dd''T''HH:mm:ssXXX", timeZone="Europe/Paris")`) ||
		!strings.Contains(s, "  - id: at\n    type: DATETIME\n") || !strings.Contains(s, "recoverMissedSchedules: LAST") || strings.Contains(s, "2026-01-31 06:00:00") {
		t.Errorf("timestamp trigger var:\n%s", s)
	}
	if err := validate(t, data); err != nil {
		t.Errorf("timestamp trigger var:\n%s", s)
	}
	// A month var (YYYY-MM) takes the trigger's month, as a string input
	// that refuses what kiln refuses; untyped as the trigger, it keeps
	// its validator.
	cfg, types = typedProject()
	cfg.Vars["period"] = "2020-08"
	types["month"].Kestra = ""
	types["period"] = &project.VarType{Name: "period", Type: project.VarMonth, Kestra: project.KestraTriggerDate}
	data, err = Flow(typedGraph(t), Options{Config: cfg, VarTypes: types, ProjectDir: "/p"})
	if err != nil {
		t.Fatal(err)
	}
	s = string(data)
	for _, want := range []string{
		// A manual run's input passes through unchanged: Kestra's date
		// filter parses a string with ZonedDateTime.parse, which refuses
		// "2020-10"; a scheduled run builds the month before the
		// trigger's date; no default, so a manual run without one builds
		// the month before its start (trial A, 6 and 7).
		`"period": {{ (inputs.period ?? ((trigger.date ?? execution.startDate) | dateAdd(-1, "MONTHS", format="yyyy-MM", timeZone="Europe/Paris"))) | toJson }}`,
		"  - id: period\n    type: STRING\n", "    required: false\n    validator: ^\\d{4}-(0[1-9]|1[0-2])$\n",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("month trigger var: the flow lacks %q:\n%s", want, s)
		}
	}
	if err := validate(t, data); err != nil {
		t.Errorf("month trigger var: %v", err)
	}
	cfg, types = typedProject()
	types["month"].Kestra = ""
	types["period"] = &project.VarType{Name: "period", Type: project.VarMonth}
	if _, err := Flow(typedGraph(t), Options{Config: cfg, VarTypes: types, ProjectDir: "/p", TriggerDateVar: "note"}); err == nil ||
		!strings.Contains(err.Error(), "the trigger's date needs a date, month or timestamp var") {
		t.Errorf("a string trigger var: %v", err)
	}
	cfg, types = typedProject()
	types["month"].Kestra = ""
	// Two vars claiming the trigger's date is an error.
	types["at"].Kestra, types["day"].Kestra = project.KestraTriggerDate, project.KestraTriggerDate
	if _, err := Flow(typedGraph(t), Options{Config: cfg, VarTypes: types, ProjectDir: "/p"}); err == nil || !strings.Contains(err.Error(), "vars at, day are all declared with kestra: trigger_date") {
		t.Errorf("two trigger vars: %v", err)
	}
}

// TestSizes: auto is one task per node up to the limit, then one per
// folder; tag and selector stages; one task.
func TestSizes(t *testing.T) {
	g := typedGraph(t)
	cfg, _ := typedProject()
	ids := func(opt Options) string {
		opt.Config, opt.ProjectDir = cfg, "/p"
		data, err := Flow(g, opt)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, e := range parse(t, data).Tasks[1].Tasks {
			out = append(out, e.Task.ID)
		}
		return strings.Join(out, " ")
	}
	for _, c := range []struct {
		opt  Options
		want string
	}{
		{Options{}, "seed_codes a b export_b_csv"},
		{Options{MaxNodeTasks: 3}, "seeds models_a models_b exports"},
		{Options{GroupBy: GroupByTag}, "untagged first second exports"},
		{Options{GroupBy: GroupByTag, Stages: []string{"second", "first"}}, "untagged first second exports"},
		{Options{GroupBy: GroupByOne}, "build_all"},
	} {
		if got := ids(c.opt); got != c.want {
			t.Errorf("%+v: tasks %s, want %s", c.opt, got, c.want)
		}
	}
	// Nodes of no stage on both sides of a stage make a cycle: an error
	// that says which edge.
	b := g.Node("model.shop.b")
	tags := b.Config.Tags
	b.Config.Tags = nil
	defer func() { b.Config.Tags = tags }()
	if _, err := Flow(g, Options{Config: cfg, ProjectDir: "/p", GroupBy: GroupByTag}); err == nil ||
		!strings.Contains(err.Error(), "cycle between tasks: first -> untagged -> first (model b waits for model a)") {
		t.Errorf("untagged on both sides: %v", err)
	}
	_ = graph.Model
}
