// Package state decides which nodes are up to date: a node whose
// fingerprint (its compiled SQL and config, its input file, and its
// parents' fingerprints) equals the one recorded at its last successful
// build, and whose relation still exists, need not run again.
//
// Fingerprints chain through the graph, so a change anywhere upstream (a
// model's code, a config, a var rendered into SQL, an input file's bytes)
// changes the fingerprint of every descendant. A source that is not backed
// by a file can change behind kiln's back: it and its descendants have no
// fingerprint and always run.
package state

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"sort"

	"github.com/kiln-build/kiln/compiler/graph"
)

// Fingerprints returns the fingerprint of every node of g, as hex sha256,
// or "" when the node's output cannot be known from the project alone.
// inputs holds the sha256 of the file behind each file-backed source and
// seed; a missing entry means the file could not be read ("").
func Fingerprints(g *graph.Graph, inputs map[graph.ID]string) map[graph.ID]string {
	out := make(map[graph.ID]string, g.Len())
	for _, id := range g.Order() {
		n := g.Node(id)
		out[id] = fingerprint(g, n, inputs, out)
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

func fingerprint(g *graph.Graph, n *graph.Node, inputs map[graph.ID]string, done map[graph.ID]string) string {
	h := sha256.New()
	write := func(parts ...string) {
		for _, p := range parts {
			h.Write([]byte(p))
			h.Write([]byte{0})
		}
	}
	write(string(n.ID), string(n.Kind), n.Relation.String(), n.CompiledCode)
	cfg, _ := json.Marshal(n.Config) // maps are marshalled with sorted keys
	write(string(cfg))
	switch n.Kind {
	case graph.Source:
		if n.Source == nil || n.Source.External == nil {
			return "" // a table filled outside kiln: unknowable
		}
		// The file as the project names it, not its absolute path: moving
		// the project does not change its fingerprints.
		x := *n.Source.External
		x.Path = ""
		b, _ := json.Marshal(x)
		write(string(b))
		if inputs[n.ID] == "" {
			return ""
		}
		write(inputs[n.ID])
	case graph.Seed:
		if inputs[n.ID] == "" {
			return ""
		}
		write(inputs[n.ID], n.Checksum)
	case graph.Export:
		x, _ := json.Marshal(n.Export)
		write(string(x))
	case graph.UnitTest:
		x, _ := json.Marshal(n.UnitTest)
		write(string(x))
	case graph.Test:
		x, _ := json.Marshal(n.Test)
		write(string(x))
	}
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
