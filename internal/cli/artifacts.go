package cli

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/internal/artifact"
	"github.com/kiln-build/kiln/internal/duck"
	"github.com/kiln-build/kiln/internal/execute"
	"github.com/kiln-build/kiln/internal/history"
	"github.com/kiln-build/kiln/internal/run"
)

// writeManifest writes manifest.json, with the checksums of the input
// files, and the compiled SQL tree.
func (a *app) writeManifest(e *env) error {
	wait, err := a.startArtifacts(e)
	if err != nil {
		return err
	}
	return wait()
}

// startArtifacts writes manifest.json and starts writing the compiled SQL
// tree on a goroutine: nothing in a run reads the tree (error messages
// name its files for the reader), so writing one file per node, 0.1 to
// 0.8 ms of system time each on this CI disk, overlaps the run instead
// of delaying it. wait blocks until the tree is written and returns its
// error. An unwritable target fails here, on manifest.json, before
// anything runs.
func (a *app) startArtifacts(e *env) (wait func() error, err error) {
	err = artifact.WriteManifest(e.target, e.manifest, artifact.Metadata{
		KilnVersion: version(), InvocationID: a.invocationID(), Inputs: a.inputs(e),
	})
	if err != nil {
		return nil, err
	}
	done := make(chan error, 1)
	go func() { done <- artifact.WriteCompiled(e.target, e.manifest) }()
	return func() error { return <-done }, nil
}

// inputs returns the size and sha256 of every file feeding a source or a
// seed; files that cannot be read are left out (the run reports them).
func (a *app) inputs(e *env) map[graph.ID]artifact.InputFile {
	if e.inputFiles != nil {
		return e.inputFiles
	}
	out := map[graph.ID]artifact.InputFile{}
	for _, n := range e.manifest.Graph.Nodes() {
		var p string
		switch {
		case n.Kind == graph.Source && n.Source.External != nil:
			p = n.Source.External.Path
		case n.Kind == graph.Seed:
			p = filepath.Join(e.dir, filepath.FromSlash(n.Path))
		default:
			continue
		}
		sum, size, err := e.hashInput(p)
		if err != nil {
			continue
		}
		out[n.ID] = artifact.InputFile{Path: rel(e.dir, p), SHA256: sum, Size: size}
	}
	e.inputFiles = out
	return out
}

// hashInput returns the sha256 (hex) and size of input file p, from the
// database's cache when p's history.Stamp is the cached one; a hash it
// computes is kept in e.newHashes for saveHashes. The stamp is taken
// before the file is read: a file written meanwhile is hashed again next
// time.
func (e *env) hashInput(p string) (string, int64, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", 0, err
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return "", 0, err
	}
	st := stampOf(fi)
	if h, ok := e.hashes[abs]; ok && h.Stamp == st {
		return h.SHA256, st.Size, nil
	}
	sum, size, err := hashFile(abs)
	if err != nil {
		return "", 0, err
	}
	if size == st.Size && settled(st, time.Now()) {
		if e.newHashes == nil {
			e.newHashes = map[string]history.Hashed{}
		}
		e.newHashes[abs] = history.Hashed{Stamp: st, SHA256: sum}
	}
	return sum, size, nil
}

// settled reports whether a file with stamp st was last written long
// enough before now that a later write moves its times: file systems
// update them from a coarse clock (a few ms), so a file rewritten in the
// same tick keeps its stamp. A hash of a file written within the last
// settleWindow is not cached (git's "racily clean" index entries).
func settled(st history.Stamp, now time.Time) bool {
	last := max(st.ModNs, st.ChangeNs)
	return now.UnixNano()-last > int64(settleWindow)
}

// settleWindow is how long ago a file must have been written for its hash
// to be cached; tests set it to 0.
var settleWindow = 2 * time.Second

// loadHashes reads the cache of input file hashes from db; without it,
// the files are hashed.
func (a *app) loadHashes(e *env, db *duck.DB) {
	conn, err := db.Conn(a.ctx)
	if err != nil {
		return
	}
	defer conn.Close()
	e.hashes, _ = history.LoadHashes(a.ctx, conn)
}

// saveHashes records the hashes computed in this run in the database.
func (a *app) saveHashes(e *env, ex *execute.Executor) {
	if err := history.SaveHashes(context.WithoutCancel(a.ctx), ex.Conn(0), e.newHashes); err != nil {
		a.ui.Printf("warning: could not record the input files' hashes: %v", err)
	}
}

func hashFile(p string) (string, int64, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// writeResults writes run_results.json; a failure to write is reported but
// does not change the exit code of the run.
func (a *app) writeResults(e *env, command string, rf *runFlags, results []run.Result, elapsed time.Duration) {
	args := map[string]any{"which": command, "threads": a.threadCount(e), "fail_fast": a.failFast}
	if rf != nil {
		args["select"] = rf.selects
		args["exclude"] = rf.excludes
		if rf.selectorName != "" {
			args["selector"] = rf.selectorName
		}
		args["indirect_selection"] = rf.indirect
		args["full_refresh"] = rf.fullRefresh
		args["no_rollback"] = rf.noRollback
		args["rolled_back"] = rf.rolledBack
	}
	if a.varsText != "" {
		args["vars"] = a.varsText
	}
	err := artifact.WriteRunResults(e.target, results, artifact.RunMeta{
		InvocationID: a.invocationID(), Elapsed: elapsed, Args: args, Graph: e.manifest.Graph,
	})
	if err != nil {
		a.ui.Printf("error: cannot write run_results.json: %v", err)
	}
}
