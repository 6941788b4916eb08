package kestra

import (
	"path"
	"strings"
	"testing"
	"time"

	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/compiler/project"
)

// node makes a node of project "shop" from its file: models/a/x.sql is
// model x in folder a.
func node(kind graph.Kind, file, name string, parents ...string) *graph.Node {
	n := &graph.Node{Kind: kind, Name: name, Package: "shop", Path: file, Config: graph.Config{Enabled: true, Materialized: graph.Table}}
	dirs := strings.Split(path.Dir(file), "/")[1:]
	n.FQN = append(append([]string{"shop"}, dirs...), name)
	n.ID = graph.ID(string(kind) + ".shop." + name)
	for _, p := range parents {
		n.DependsOn = append(n.DependsOn, graph.ID(p))
	}
	if kind == graph.Test {
		n.Test = &graph.TestInfo{Generic: "not_null", Attached: n.DependsOn[0]}
	}
	return n
}

func mustGraph(t *testing.T, nodes ...*graph.Node) *graph.Graph {
	t.Helper()
	g, err := graph.New(nodes)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func config() *project.Config {
	return &project.Config{Name: "shop", Vars: map[string]any{"day": "2026-01-02", "limit": 3, "ratio": 0.5, "strict": true, "list": []any{"a", 1}, "unset": nil, "odd-name": "x"},
		Schedule: &project.Schedule{Cron: "0 6 2 * *", Timezone: "Europe/Paris"}}
}

func TestScheduleErrors(t *testing.T) {
	for _, c := range []struct {
		s    *project.Schedule
		want string
	}{
		{nil, "project.yml has no schedule"},
		{&project.Schedule{Timezone: "UTC"}, "project.yml has no schedule"},
		{&project.Schedule{Cron: "0 6 32 * *"}, "not a valid cron expression"},
		{&project.Schedule{Cron: "0 0 6 2 * *"}, "not a valid cron expression"},
		{&project.Schedule{Cron: "@every 1h"}, "not a cron expression Kestra reads"},
		{&project.Schedule{Cron: "TZ=Europe/Paris 0 6 * * *"}, "put the time zone in schedule.timezone"},
		{&project.Schedule{Cron: "0 6 2 * *", Timezone: "Europe/Pariss"}, "not an IANA time zone"},
		{&project.Schedule{Cron: "0 6 2 * *", Timezone: "Local"}, "IANA time zone"},
		{&project.Schedule{Cron: "@monthly"}, ""},
		{&project.Schedule{Cron: "0 6 2 * *", Timezone: "Europe/Paris"}, ""},
	} {
		err := ValidateSchedule(c.s, "project.yml")
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%+v: %v", c.s, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%+v: error %v, want %q", c.s, err, c.want)
		}
	}
	g := mustGraph(t, node(graph.Model, "models/a.sql", "a"))
	cfg := config()
	cfg.Schedule = nil
	if _, err := Flow(g, Options{Config: cfg, ProjectDir: "/p"}); err == nil || !strings.Contains(err.Error(), "schedule: {cron:") {
		t.Errorf("no schedule: %v", err)
	}
}

func TestOptionErrors(t *testing.T) {
	g := mustGraph(t, node(graph.Model, "models/a.sql", "a"), node(graph.Test, "models/a.yml", "t", "model.shop.a"))
	for _, c := range []struct {
		opt  Options
		want string
	}{
		{Options{ProjectDir: "/p", Namespace: "Company Team"}, "not a valid Kestra namespace"},
		{Options{ProjectDir: "/p", FlowID: "-x"}, "not a valid Kestra id"},
		{Options{ProjectDir: "/p", Retries: -1}, "retries must be 0 or more"},
		{Options{ProjectDir: "/p", GroupBy: "tags"}, "unknown grouping"},
		{Options{ProjectDir: "/p", GroupBy: GroupByTag}, "no node of the flow has a tag"},
		{Options{ProjectDir: "/p", GroupBy: GroupByTag, Stages: []string{"x"}}, "no node of the flow has tag \"x\""},
		{Options{ProjectDir: "/p", GroupBy: GroupBySelector}, "the project has no selectors.yml"},
		{Options{ProjectDir: "/p", TriggerDateVar: "limit"}, "var limit is declared as integer"},
		{Options{ProjectDir: "/p", TriggerDateVar: "nope"}, "the project has no var nope"},
		{Options{}, "directory on the Kestra worker"},
		{Options{ProjectDir: "/p", Select: []graph.ID{"test.shop.t"}}, "no model, file-backed source, seed or export"},
	} {
		c.opt.Config = config()
		c.opt.VarTypes = map[string]*project.VarType{"limit": {Name: "limit", Type: project.VarInteger}}
		if _, err := Flow(g, c.opt); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want %q", c.opt, err, c.want)
		}
	}
}

// TestGroupCycle: folder a feeds b which feeds a again.
func TestGroupCycle(t *testing.T) {
	g := mustGraph(t,
		node(graph.Model, "models/a/x.sql", "x"),
		node(graph.Model, "models/b/y.sql", "y", "model.shop.x"),
		node(graph.Model, "models/a/z.sql", "z", "model.shop.y"),
	)
	opt := Options{Config: config(), ProjectDir: "/p", GroupBy: GroupByFolder}
	_, err := Flow(g, opt)
	if err == nil || !strings.Contains(err.Error(), "cycle between tasks: models_a -> models_b -> models_a") || !strings.Contains(err.Error(), "waits for") {
		t.Fatalf("got %v", err)
	}
	opt.GroupBy = GroupByNode
	data, err := Flow(g, opt)
	if err != nil {
		t.Fatal(err)
	}
	checkFlow(t, g, nil, opt, parse(t, data))
}

// TestFlowShapes checks flows of small graphs against the graph: a test
// over two unrelated models, nested folders, an ephemeral model in the
// middle, a seed, a source with a file and one without, names that are
// not Kestra ids, and a partial selection.
func TestFlowShapes(t *testing.T) {
	eph := node(graph.Model, "models/mid/eph.sql", "eph", "seed.shop.codes")
	eph.Config.Materialized = graph.Ephemeral
	src := node(graph.Source, "models/raw/_sources.yml", "orders")
	src.ID, src.Source = "source.shop.raw.orders", &graph.SourceInfo{SourceName: "raw", External: &graph.External{Path: "/data/orders.csv"}}
	db := node(graph.Source, "models/raw/_sources.yml", "customers")
	db.ID, db.Source = "source.shop.raw.customers", &graph.SourceInfo{SourceName: "raw"}
	g := mustGraph(t,
		node(graph.Seed, "seeds/codes.csv", "codes"),
		src, db, eph,
		node(graph.Model, "models/raw/stg.orders.sql", "stg_orders", "source.shop.raw.orders", "source.shop.raw.customers"),
		node(graph.Model, "models/mid/a.sql", "a", "model.shop.eph"),
		node(graph.Model, "models/mid/deep/b.sql", "b", "model.shop.stg_orders"),
		node(graph.Test, "models/mid/_mid.yml", "rel_a_b", "model.shop.a", "model.shop.b"),
		node(graph.Test, "models/mid/_mid.yml", "not_null_a", "model.shop.a"),
		node(graph.Model, "models/marts/c.sql", "c", "model.shop.a", "model.shop.b"),
		node(graph.Export, "models/marts/_marts.yml", "c_csv", "model.shop.c"),
	)
	for _, groupBy := range []string{GroupByNode, GroupByFolder, GroupByOne} {
		for _, sel := range [][]graph.ID{nil, {"model.shop.a", "model.shop.b", "model.shop.c", "test.shop.rel_a_b"}} {
			opt := Options{Config: config(), ProjectDir: "/srv/my shop", Kiln: "/usr/local/bin/kiln", GroupBy: groupBy, Select: sel, Retries: 1, RetryInterval: 90 * time.Second}
			opt.Vars = opt.Config.Vars
			data, err := Flow(g, opt)
			if err != nil {
				t.Fatalf("group=%q select=%v: %v", groupBy, sel, err)
			}
			f := parse(t, data)
			checkFlow(t, g, sel, opt, f)
			cmd := f.Tasks[1].Tasks[0].Task.Commands[0]
			if !strings.HasPrefix(cmd, "rc=0; /usr/local/bin/kiln --project-dir '/srv/my shop' --log-format kestra build ") {
				t.Errorf("command %q", cmd)
			}
			if !strings.Contains(string(data), "interval: PT1M30S") {
				t.Errorf("retry interval missing:\n%s", data)
			}
		}
	}
	data, err := Flow(g, Options{Config: config(), ProjectDir: "/p"})
	if err != nil {
		t.Fatal(err)
	}
	f := parse(t, data)
	var ids []string
	for _, e := range f.Tasks[1].Tasks {
		ids = append(ids, e.Task.ID)
		if e.Task.Retry != nil {
			t.Errorf("retry without --retries: %+v", e.Task.Retry)
		}
	}
	want := "seed_codes a source_raw_orders stg_orders b c export_c_csv" // the graph's topological order
	if strings.Join(ids, " ") != want {
		t.Errorf("task ids %v, want %s", ids, want)
	}
	types := map[string]string{}
	for _, in := range f.Inputs {
		types[in.ID] = in.Type
	}
	wantTypes := map[string]string{"day": "STRING", "limit": "INT", "ratio": "FLOAT", "strict": "BOOLEAN", "list": "JSON", "unset": "STRING", "odd-name": "STRING"}
	for k, v := range wantTypes {
		if types[k] != v {
			t.Errorf("input %s: type %q, want %q", k, types[k], v)
		}
	}
	if !strings.Contains(string(data), `"odd-name": {{ inputs["odd-name"] | toJson }}`) {
		t.Errorf("odd-name is not passed with brackets:\n%s", data)
	}
}

func TestHelpers(t *testing.T) {
	for in, want := range map[string]string{"stg.orders": "stg_orders", "__x": "x", "models/a b": "models_a_b", "...": "node", "Été": "t"} {
		if got := sanitize(in, "node"); got != want || !validID.MatchString(got) {
			t.Errorf("sanitize(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[time.Duration]string{30 * time.Second: "PT30S", 90 * time.Second: "PT1M30S", 2 * time.Hour: "PT2H", 1500 * time.Millisecond: "PT1.5S", 0: "PT0S"} {
		if got := isoDuration(in); got != want {
			t.Errorf("isoDuration(%v) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{"path:models/a": "path:models/a", "a b": "'a b'", "it's": `'it'\''s'`, "": "''", "$HOME": "'$HOME'"} {
		if got := shellQuote(in); got != want {
			t.Errorf("shellQuote(%q) = %q, want %q", in, got, want)
		}
	}
}
