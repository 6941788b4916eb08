package kestra

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"

	"github.com/kiln-build/kiln/compiler/graph"
)

var (
	schemaOnce sync.Once
	schema     *jsonschema.Schema
	schemaErr  error
)

// flowSchema compiles testdata/kestra-flow.schema.json, the JSON schema of
// the flows kiln writes (the task, trigger, input, retry and SLA types it
// emits, from Kestra's documentation).
func flowSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	schemaOnce.Do(func() {
		f, err := os.Open(filepath.Join("testdata", "kestra-flow.schema.json"))
		if err != nil {
			schemaErr = err
			return
		}
		defer f.Close()
		doc, err := jsonschema.UnmarshalJSON(f)
		if err != nil {
			schemaErr = err
			return
		}
		c := jsonschema.NewCompiler()
		c.AssertFormat()
		if schemaErr = c.AddResource("kestra-flow.schema.json", doc); schemaErr != nil {
			return
		}
		schema, schemaErr = c.Compile("kestra-flow.schema.json")
	})
	if schemaErr != nil {
		t.Fatal(schemaErr)
	}
	return schema
}

// validate checks a flow's YAML against the schema.
func validate(t *testing.T, data []byte) error {
	t.Helper()
	var v any
	if err := yaml.Unmarshal(data, &v); err != nil {
		t.Fatalf("the flow is not YAML: %v", err)
	}
	return flowSchema(t).Validate(v)
}

// TestFlowsMatchSchema validates every flow the tests export: the golden
// BottleNeck flows, and flows of small graphs with every grouping, a
// trigger-date var, typed inputs and an SLA.
func TestFlowsMatchSchema(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.yml"))
	if len(files) < 4 {
		t.Fatalf("golden flows: %v", files)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := validate(t, data); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	for _, opt := range typedOptions() {
		data, err := Flow(typedGraph(t), opt)
		if err != nil {
			t.Fatal(err)
		}
		if err := validate(t, data); err != nil {
			t.Errorf("group-by %s: %v\n%s", opt.GroupBy, err, data)
		}
	}
}

// TestSchemaRefuses: the schema is not a formality; it refuses what Kestra
// refuses.
func TestSchemaRefuses(t *testing.T) {
	good, err := os.ReadFile(filepath.Join("testdata", "bottleneck.yml"))
	if err != nil {
		t.Fatal(err)
	}
	for name, edit := range map[string][2]string{
		"an unknown task property":          {"    concurrent: 1\n", "    concurrent: 1\n    parallel: true\n"},
		"a trigger without cron":            {"    cron: 0 6 2 * *\n", ""},
		"an unknown input type":             {"    type: FLOAT\n", "    type: DOUBLE\n"},
		"a bad recoverMissedSchedules":      {"recoverMissedSchedules: LAST", "recoverMissedSchedules: SOME"},
		"an SLA without duration":           {"    duration: PT8M\n", ""},
		"a validator on an INT input":       {"    defaults: 20\n", "    defaults: 20\n    validator: x\n"},
		"a task id with a dot":              {"id: models_staging", "id: models.staging"},
		"an ISO duration in the wrong form": {"interval: PT30S", "interval: 30s"},
	} {
		bad := strings.Replace(string(good), edit[0], edit[1], 1)
		if bad == string(good) {
			t.Fatalf("%s: the edit %q does not apply", name, edit[0])
		}
		if err := validate(t, []byte(bad)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// typedGraph is a small graph over a seed, with a tagged model and an
// export.
func typedGraph(t *testing.T) *graph.Graph {
	a := node(graph.Model, "models/a/a.sql", "a", "seed.shop.codes")
	a.Config.Tags = []string{"first"}
	b := node(graph.Model, "models/b/b.sql", "b", "model.shop.a")
	b.Config.Tags = []string{"second"}
	return mustGraph(t, node(graph.Seed, "seeds/codes.csv", "codes"), a, b,
		node(graph.Test, "models/b/_b.yml", "not_null_b", "model.shop.b"),
		node(graph.Export, "models/b/_b.yml", "b_csv", "model.shop.b"))
}
