// Package state decides which nodes are up to date: a node whose
// fingerprint equals the one recorded at its last successful build, and
// whose relation still exists, need not run again.
//
// A node's fingerprint chains its own (the digest of
// artifact.Fingerprint: its compiled SQL, config, contract, relation, and
// its input file; the fingerprint state:modified compares) with its
// parents' fingerprints, so a change anywhere upstream (a model's code, a
// macro or a var rendered into SQL, a config, an input file's bytes)
// changes the fingerprint of every descendant: the nodes the check runs
// are exactly those state:modified+ selects. A source that is not backed
// by a file can change behind kiln's back: it and its descendants have no
// fingerprint and always run. So does a node whose query reads the clock
// or a relation outside its refs and sources (the engine finds those with
// the adapter's adapter.ReadChecker and leaves them out of Own's result).
package state

import (
	"crypto/sha256"
	"encoding/hex"
	"sort"

	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/internal/artifact"
)

// Own returns each node's own fingerprint, the digest of fps[id] (see
// artifact.Fingerprints), or "" when the node's output cannot be known
// from the project: a source without a file, or a file-backed source or
// seed whose file could not be read (absent from inputs).
func Own(g *graph.Graph, fps map[graph.ID]artifact.Fingerprint, inputs map[graph.ID]artifact.InputFile) map[graph.ID]string {
	out := make(map[graph.ID]string, g.Len())
	for _, n := range g.Nodes() {
		fp, ok := fps[n.ID]
		switch {
		case !ok, n.Kind == graph.Exposure, n.Kind == graph.Analysis: // they build nothing
			continue
		case n.Kind == graph.Source && (n.Source == nil || n.Source.External == nil):
			continue
		case n.Kind == graph.Source || n.Kind == graph.Seed:
			if inputs[n.ID].SHA256 == "" {
				continue
			}
		}
		out[n.ID] = fp.Digest()
	}
	return out
}

// Salt folds a setting that applies to every node (such as the session
// time zone, which changes how TIMESTAMPTZ values load and turn into
// dates) into every fingerprint of fps that is not "", in place: a change
// of the setting makes every node run again.
func Salt(fps map[graph.ID]string, setting string) {
	for id, fp := range fps {
		if fp != "" {
			sum := sha256.Sum256([]byte(fp + "\x00" + setting))
			fps[id] = hex.EncodeToString(sum[:])
		}
	}
}

// Fingerprints returns the fingerprint of every node of g, as hex sha256:
// its own (see Own) chained with its parents', sorted by id; "" when its
// own or a parent's is "".
func Fingerprints(g *graph.Graph, own map[graph.ID]string) map[graph.ID]string {
	out := make(map[graph.ID]string, g.Len())
	for _, id := range g.Order() {
		out[id] = chain(g, g.Node(id), own[id], out)
	}
	return out
}

func chain(g *graph.Graph, n *graph.Node, own string, done map[graph.ID]string) string {
	if own == "" {
		return ""
	}
	h := sha256.New()
	write := func(parts ...string) {
		for _, p := range parts {
			h.Write([]byte(p))
			h.Write([]byte{0})
		}
	}
	write(string(n.ID), string(n.Kind), own)
	parents := append([]graph.ID(nil), g.Parents(n.ID)...)
	sort.Slice(parents, func(i, j int) bool { return parents[i] < parents[j] })
	for _, p := range parents {
		fp := done[p]
		if fp == "" {
			return ""
		}
		write(string(p), fp)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Decide returns the planned nodes that are up to date: their fingerprint
// is known and equals stored[id] (the fingerprint of their last successful
// build), and exists(id) reports that their output (relation or file) is
// still there. Tests are up to date only when they passed last time, which
// the caller expresses by storing their fingerprint only then.
func Decide(planned []graph.ID, current, stored map[graph.ID]string, exists func(graph.ID) bool) map[graph.ID]bool {
	out := map[graph.ID]bool{}
	for _, id := range planned {
		fp := current[id]
		if fp == "" || stored[id] != fp {
			continue
		}
		if exists != nil && !exists(id) {
			continue
		}
		out[id] = true
	}
	return out
}
