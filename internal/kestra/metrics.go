package kestra

import (
	"encoding/json"
	"sort"
	"time"

	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/internal/run"
)

// metric is one entry of a Kestra metrics line: a counter (a number) or a
// timer (an ISO 8601 duration), with string tags
// (https://kestra.io/docs/scripts/outputs-metrics).
type metric struct {
	Name  string            `json:"name"`
	Type  string            `json:"type"`
	Value any               `json:"value"`
	Tags  map[string]string `json:"tags"`
}

// NodeMetrics returns the line a Kestra script task reads as metrics for
// one finished node: ::{"metrics": [...]}:: with a timer "duration" and,
// when known, a counter "rows" (rows written) or, for a test, "failures"
// (failing rows), each tagged with the node's unique_id, kind, name and
// status. Kestra matches the whole line, ^::({.*})::$ (TaskLogLineMatcher).
func NodeMetrics(n *graph.Node, r run.Result) string {
	tags := map[string]string{"unique_id": string(r.ID), "status": string(r.Status)}
	if n != nil {
		tags["kind"], tags["node"] = string(n.Kind), n.DisplayName()
	}
	ms := []metric{{Name: "duration", Type: "timer", Value: isoDuration(r.Duration()), Tags: tags}}
	switch {
	case n != nil && (n.Kind == graph.Test || n.Kind == graph.UnitTest):
		if r.Status == run.Pass || r.Status == run.Warn || r.Status == run.Fail {
			ms = append(ms, metric{Name: "failures", Type: "counter", Value: r.Failures, Tags: tags})
		}
	case r.Rows >= 0 && r.Status != run.Skipped:
		ms = append(ms, metric{Name: "rows", Type: "counter", Value: r.Rows, Tags: tags})
	}
	return line(map[string]any{"metrics": ms})
}

// RunOutputs returns the line a Kestra script task reads as outputs at the
// end of a run: the count of nodes per status, the total, and the run's
// duration in seconds: ::{"outputs": {"nodes": 12, "success": 10, ...}}::.
func RunOutputs(results []run.Result, elapsed time.Duration) string {
	counts := map[string]int{}
	for _, r := range results {
		counts[string(r.Status)]++
	}
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := map[string]any{"nodes": len(results), "seconds": elapsed.Seconds()}
	for _, k := range keys {
		out[k] = counts[k]
	}
	return line(map[string]any{"outputs": out})
}

func line(v any) string {
	b, err := json.Marshal(v)
	if err != nil { // only maps of strings and numbers: cannot happen
		panic(err)
	}
	return "::" + string(b) + "::"
}
