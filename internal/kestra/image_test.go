package kestra

import (
	"reflect"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// commandsTasks returns every Commands task of a flow by id, wherever it
// sits (the Dag's tasks, the commit task, the errors branch).
func commandsTasks(t *testing.T, data []byte) map[string]map[string]any {
	t.Helper()
	var doc any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]any{}
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if x["type"] == TypeCommands {
				out[x["id"].(string)] = x
			}
			for _, c := range x {
				walk(c)
			}
		case []any:
			for _, c := range x {
				walk(c)
			}
		}
	}
	walk(doc)
	return out
}

// TestFlowImage checks that --image moves every task to the Docker task
// runner with the image and the worker directory mounted at its own path,
// and changes nothing else.
func TestFlowImage(t *testing.T) {
	m := bottleneck(t)
	opt := bottleneckOptions(m)
	plain, err := Flow(m.Graph, opt)
	if err != nil {
		t.Fatal(err)
	}
	opt.Image = "registry.example/kiln:v1"
	data, err := Flow(m.Graph, opt)
	if err != nil {
		t.Fatal(err)
	}
	tasks, before := commandsTasks(t, data), commandsTasks(t, plain)
	if len(tasks) != len(before) || len(tasks) < 3 {
		t.Fatalf("%d Commands tasks with the image, %d without", len(tasks), len(before))
	}
	wantRunner := map[string]any{"type": TypeDocker, "volumes": []any{"/srv/kiln/bottleneck:/srv/kiln/bottleneck"}}
	for i, task := range tasks {
		if before[i] == nil {
			t.Fatalf("task %s is only in the flow with an image", i)
		}
		if task["containerImage"] != opt.Image || !reflect.DeepEqual(task["taskRunner"], wantRunner) {
			t.Errorf("task %v: containerImage %v, taskRunner %v", task["id"], task["containerImage"], task["taskRunner"])
		}
		if !reflect.DeepEqual(before[i]["taskRunner"], map[string]any{"type": TypeProcess}) || before[i]["containerImage"] != nil {
			t.Errorf("without an image, task %v has %v and image %v", before[i]["id"], before[i]["taskRunner"], before[i]["containerImage"])
		}
		delete(task, "containerImage")
		task["taskRunner"] = before[i]["taskRunner"]
		if !reflect.DeepEqual(task, before[i]) {
			t.Errorf("task %v differs beyond its runner:\n%v\n%v", task["id"], task, before[i])
		}
	}
	if !strings.Contains(string(data), "volume-enabled: true") {
		t.Error("the description does not say that Kestra must allow the volume")
	}

	for _, c := range []struct{ image, dir, err string }{
		{"kiln v1", "/srv/kiln", "is not a container image reference"},
		{"kiln:v1", "srv/kiln", "must be an absolute path"},
	} {
		opt.Image, opt.ProjectDir = c.image, c.dir
		if _, err := Flow(m.Graph, opt); err == nil || !strings.Contains(err.Error(), c.err) {
			t.Errorf("image %q, dir %q: %v, want %q", c.image, c.dir, err, c.err)
		}
	}
}
