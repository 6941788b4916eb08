package engine

import (
	"errors"
	"sync"

	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/compiler/selector"
	"github.com/kiln-build/kiln/internal/artifact"
	"github.com/kiln-build/kiln/internal/run"
)

// WriteManifest writes manifest.json, with the checksums of the input
// files, and the compiled SQL tree under the target path.
func (p *Project) WriteManifest() error {
	if err := artifact.WriteManifest(p.Target, p.Manifest, p.manifestMeta()); err != nil {
		return err
	}
	return artifact.WriteCompiled(p.Target, p.Manifest, compileWorkers)
}

// compileWorkers is the number of goroutines that write the compiled tree
// when that is the command's work (kiln compile): creating files blocks on
// the disk, so more than the cores.
const compileWorkers = 8

func (p *Project) manifestMeta() artifact.Metadata {
	meta := artifact.Metadata{KilnVersion: p.cfg.Version, InvocationID: p.InvocationID(), Inputs: p.Inputs()}
	if !p.OnServer() && p.DBPath != ":memory:" {
		meta.Database = p.DBPath
	}
	// Load read selectors.yml already: an error here is one it reported.
	if defs, err := p.selectors(); err == nil && defs != nil {
		meta.Selectors = selector.ManifestSelectors(defs)
	}
	return meta
}

// startArtifacts starts writing a run's manifest.json and compiled SQL
// tree on a goroutine: nothing in a run reads them (error messages name
// the compiled files for the reader), so building and syncing the
// manifest (20-30 ms for 1,000 models) and creating one file per node
// (0.1 to 0.8 ms of system time each on this CI disk, one file at a time:
// see artifact.WriteCompiled) overlap the run instead of delaying it.
// An unwritable target fails here, on manifest.json's temporary file,
// before anything runs. wait blocks until both are written and returns
// the first error (the same on every call).
//
// The compiled SQL tree is written once compiled(true) is called (or
// wait, which calls it): a run that on-run-start refuses calls
// compiled(false) and leaves the tree as it was, as dbt, whose nodes
// write their compiled SQL when they run, writes none for nodes skipped
// after on-run-start failed.
func (p *Project) startArtifacts() (wait func() error, compiled func(write bool), err error) {
	finish, err := artifact.StartManifest(p.Target, p.Manifest, p.manifestMeta())
	if err != nil {
		return nil, nil, err
	}
	m := p.Manifest
	done := make(chan error, 1)
	decided := make(chan bool, 1)
	var once sync.Once
	compiled = func(write bool) { once.Do(func() { decided <- write }) }
	go func() {
		err := finish()
		if <-decided {
			err = errors.Join(err, artifact.WriteCompiled(p.Target, m, 1))
		}
		done <- err
	}()
	return sync.OnceValue(func() error { compiled(true); return <-done }), compiled, nil
}

// executedSQL returns, for the nodes of results rendered again at run
// time (Node.RenderAtRun) and the incremental models, that ran, the SQL
// that ran when it is not their parse-time rendering (an incremental run
// applies the rendering with is_incremental() true); nil when there is
// none (most runs: the loop reads one field of each result's node).
func (p *Project) executedSQL(results []run.Result) map[graph.ID]string {
	var out map[graph.ID]string
	g := p.Graph()
	for _, r := range results {
		n := g.Node(r.ID)
		if n == nil || !n.RenderAtRun && n.Incremental == nil || r.CompiledCode == "" || r.CompiledCode == n.CompiledCode {
			continue
		}
		switch r.Status {
		case run.Skipped, run.UpToDate:
			continue
		}
		if out == nil {
			out = map[graph.ID]string{}
		}
		out[r.ID] = r.CompiledCode
	}
	return out
}

// writeExecuted writes manifest.json and the compiled SQL tree again with
// the SQL that ran of the nodes of executed (executedSQL), as dbt writes
// the executed rendering of a node that reads execute or run_query; the
// other nodes keep their parse-time SQL. It runs after the run, once the
// artifacts of its start are written, and only when executed is not
// empty.
func (p *Project) writeExecuted(executed map[graph.ID]string) error {
	meta := p.manifestMeta()
	meta.Executed = executed
	return errors.Join(artifact.WriteManifest(p.Target, p.Manifest, meta), artifact.WriteExecuted(p.Target, p.Manifest, 1, executed))
}
