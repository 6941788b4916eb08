package engine

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/internal/run"
)

// Relations written outside their nodes' builds. A statement of a run's
// hooks, on-run-start, on-run-end or run_query, or of a run-operation,
// that names the relation of a node it does not build (stmtWrites, see
// writeWatch) no longer leaves the database unsealed: the seal records
// the relation as written (fileSeal.Written on DuckDB; on PostgreSQL, a
// print no relation has, see sealServer), and vouches for every other.
// The next build runs the nodes of the written relations, and so, by the
// parent rule, the nodes downstream of them; the others stay up to date.
// A statement that may write any relation (an unknown form, a call, a
// data-modifying CTE) still leaves the database unsealed: the next build
// runs every node.
//
// The written relations carry from seal to seal until their node is
// built without error in a run that commits (a build -s of other nodes
// keeps them). A run-operation on DuckDB reseals the database it found
// sealed once it has closed it (resealOperation); a kill before leaves
// the previous seal, which the changed file no longer matches: the next
// build runs every node. On PostgreSQL the statistics already tell which
// relations a run-operation wrote (sealpg.go).

// writtenBy is how the seal records what wrote a relation: what (the
// hook or run_query, of a run of command; or "run-operation <macro>",
// command ""), its run and its time.
func writtenBy(what, command, runID string, at time.Time) string {
	if command != "" {
		what += " of the " + command
	}
	return fmt.Sprintf("%s at %s, run %s", what, at.Local().Format("2006-01-02 15:04:05"), runID)
}

// readWritten reads, on DuckDB, the relations the seal the run found
// holds as written outside their nodes' builds (r.sealWritten), and marks
// their nodes changed (r.changed): they are not up to date, nor are the
// nodes downstream. Only when the seal holds (r.outside is "").
func (r *runner) readWritten() {
	path := SealFilePath(r.p.DBPath)
	if path == "" || r.p.OnServer() || r.outside != "" {
		return
	}
	b, err := os.ReadFile(path)
	var s fileSeal
	if err != nil || json.Unmarshal(b, &s) != nil || len(s.Written) == 0 {
		return
	}
	r.sealWritten = s.Written
	r.changed = map[graph.ID]string{}
	for _, n := range r.p.Graph().Nodes() {
		if n.Relation.IsZero() || n.Kind == graph.Test {
			continue
		}
		if _, ok := s.Written[sealKey(n)]; ok {
			r.changed[n.ID] = sealKey(n)
		}
	}
}

// writtenNote is a build's line on the relations the seal holds as
// written outside their nodes' builds, "" when there is none.
func (r *runner) writtenNote() string {
	if len(r.changed) == 0 || r.sealWritten == nil {
		return ""
	}
	return writtenLine(r.sealWritten, r.changed)
}

// writtenLine says which relations of changed (node -> "schema.name")
// were written, and by what (written: "schema.name" -> what).
func writtenLine(written map[string]string, changed map[graph.ID]string) string {
	seen := map[string]bool{}
	var parts []string
	for _, k := range changed {
		if w, ok := written[k]; ok && !seen[k] {
			seen[k] = true
			parts = append(parts, k+" (by the "+w+")")
		}
	}
	if len(parts) == 0 {
		return ""
	}
	sort.Strings(parts)
	if len(parts) > 5 {
		parts = append(parts[:5], "...")
	}
	if len(seen) == 1 {
		return fmt.Sprintf("%s was written outside its node's build: its node runs, and the nodes downstream", parts[0])
	}
	return fmt.Sprintf("%d relations were written outside their nodes' builds: %s: their nodes run, and the nodes downstream", len(seen), strings.Join(parts, ", "))
}

// carryWritten returns the relations the run's seal holds as written
// outside their nodes' builds: those of the seal it found (r.sealWritten)
// whose node did not succeed in results (the run's results, nil when it
// rolled back), and those its own statements wrote (r.writes), whenever
// they ran: a hook that wrote a node's relation before the node's
// incremental build changed what the build appended to. Nil when none.
func (r *runner) carryWritten(results []run.Result) map[string]string {
	out := map[string]string{}
	for k, v := range r.sealWritten {
		out[k] = v
	}
	g := r.p.Graph()
	for _, x := range results {
		if n := g.Node(x.ID); n != nil && x.Status == run.Success && !n.Relation.IsZero() {
			delete(out, sealKey(n))
		}
	}
	for k, what := range r.writes.wrote() {
		out[k] = writtenBy(what, r.opts.Command, r.p.InvocationID(), time.Now())
	}
	if len(out) == 0 {
		return nil
	}
	return out
}
