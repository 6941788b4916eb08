package execute

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/kiln-build/kiln/adapter"
	"github.com/kiln-build/kiln/compiler/graph"
)

// batchSQL returns the code of batch bt of microbatch model n, each
// event-time input written as its marker (graph.BatchMarker). When the
// model's template reads model.batch or execute (BatchInfo.ReadsBatch,
// Node.RenderAtRun) and a renderer is set, it is the model rendered for
// the batch, as dbt renders a microbatch model once per batch:
// model.batch the batch (its id, event_time_start and event_time_end, in
// the batches' zone), is_incremental() true when the table exists (exists:
// a batch built before it in this run, or a table kept from the last
// one), execute true with the node's connection; rendered is then true.
// Otherwise it is the parse-time code: IncrementalCode when the table
// exists, Code otherwise. An error is the rendering's (at file:line:col)
// or an input marked by the rendering that the parse-time one did not
// filter.
func (e *Executor) batchSQL(ctx context.Context, conn adapter.Conn, n *graph.Node, bt Batch, exists bool) (code string, rendered bool, err error) {
	b := n.Incremental.Batch
	code = b.IncrementalCode
	if !exists {
		code = b.Code
	}
	if !n.RenderAtRun && !b.ReadsBatch {
		return code, false, nil
	}
	// Its parse-time code holds its first batch's model.batch: never run
	// for another batch.
	noRender := fmt.Errorf("its template reads model.batch, and this run cannot render it for each batch (no renderer)")
	if e.opts.Render == nil {
		if b.ReadsBatch {
			return "", false, noRender
		}
		return code, false, nil
	}
	start, end := bt.Start.In(b.Location), bt.End.In(b.Location)
	s := adapter.Session{Conn: conn, Dialect: e.d, Type: e.typ, Incremental: exists,
		Batch: &adapter.Batch{ID: graph.BatchID(start, b.Size), Start: start, End: end}}
	sql, ok, err := e.opts.Render(ctx, n, s)
	if err != nil {
		return "", false, fmt.Errorf("rendering for the batch: %w", err)
	}
	if !ok {
		if b.ReadsBatch {
			return "", false, noRender
		}
		return code, false, nil
	}
	for rest := sql; ; {
		i := strings.Index(rest, graph.BatchMarkerPrefix)
		if i < 0 {
			break
		}
		rest = rest[i+len(graph.BatchMarkerPrefix):]
		j := strings.Index(rest, graph.BatchMarkerSuffix)
		if j < 0 {
			break
		}
		if id := graph.ID(rest[:j]); !slices.Contains(b.Inputs, id) {
			return "", false, fmt.Errorf("its rendering for the batch reads %s, which has an event_time, where its parse-time rendering (execute false) does not: filtering an input read only at run time is not supported yet; read it outside {%% if execute %%} too", id)
		}
		rest = rest[j:]
	}
	return sql, true, nil
}
