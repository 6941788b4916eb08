package compiler

import (
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/kiln-build/kiln/adapter"
	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/compiler/template"
)

// withBatch returns model m (modelVar's) of node n with dbt's model.batch
// (template.BatchValue) when n renders for a batch: at run time the
// batch of mode.batchOf; otherwise, for a microbatch model, its first
// batch (the one holding begin), which its compiled code holds (dbt
// renders such a model only for a batch, and kiln's compile needs SQL
// without one). The first rendering, before the node's config() calls
// are read, sees a batch whatever the model (its output is rendered
// again: it read model). Reading model.batch of a final rendering marks
// r (readsBatch): the model renders again for each batch it builds. m
// is copied, never changed.
func (c *compiler) withBatch(m map[string]any, n *graph.Node, mode renderMode, r *rendered) map[string]any {
	if m == nil {
		return nil
	}
	b := mode.batchOf
	if b == nil {
		b = firstBatch(n)
	}
	if b == nil && !mode.final {
		start := time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)
		b = &adapter.Batch{ID: graph.BatchID(start, "day"), Start: start, End: graph.NextBatch(start, "day")}
	}
	if b == nil {
		return m
	}
	var onRead func()
	if mode.final {
		onRead = func() { r.readsBatch = true }
	}
	m = maps.Clone(m)
	m["batch"] = template.BatchValue(b.ID, b.Start, b.End, onRead)
	return m
}

// firstBatch returns the first batch of model n when its final config
// makes it a microbatch model with a batch_size and a begin kiln reads
// (batchInfo reports what is missing or wrong); nil otherwise.
func firstBatch(n *graph.Node) *adapter.Batch {
	if n.Kind != graph.Model || n.Config.Materialized != graph.Incremental {
		return nil
	}
	x := n.Config.Extra
	if s, _ := x["incremental_strategy"].(string); !strings.EqualFold(strings.TrimSpace(s), "microbatch") {
		return nil
	}
	size, _ := x["batch_size"].(string)
	if !slices.Contains(batchSizes, size) {
		return nil
	}
	loc := time.UTC
	if tz, _ := x["batch_timezone"].(string); tz != "" {
		if l, err := time.LoadLocation(tz); err == nil {
			loc = l
		}
	}
	begin, err := parseBegin(x["begin"], loc)
	if err != nil {
		return nil
	}
	start := graph.BatchStart(begin, size, loc)
	return &adapter.Batch{ID: graph.BatchID(start, size), Start: start, End: graph.NextBatch(start, size)}
}
