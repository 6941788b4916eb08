// Package selector implements dbt's node selection syntax over kiln's
// lineage graph: --select and --exclude arguments, graph operators,
// selection methods, the indirect selection of tests, state comparison
// against a previous manifest, run results, and YAML selectors
// (selectors.yml).
//
// The grammar and its meaning follow dbt's documentation:
// https://docs.getdbt.com/reference/node-selection/syntax,
// .../graph-operators, .../set-operators, .../methods,
// .../test-selection-examples (indirect selection), .../yaml-selectors and
// .../state-comparison-caveats. The package is pure: it reads the graph and
// the fingerprints its caller computed, nothing else.
package selector

import (
	"fmt"
	"time"

	"github.com/kiln-build/kiln/compiler/graph"
)

// Indirect selection modes (--indirect-selection).
const (
	// Eager selects a test when any of its parents is selected.
	Eager = "eager"
	// Cautious selects a test when all of its parents are selected.
	Cautious = "cautious"
	// Buildable selects a test when each of its parents is selected or is
	// an ancestor of a selected node.
	Buildable = "buildable"
	// Empty selects no test indirectly.
	Empty = "empty"
)

// Fingerprint holds hashes of what a node is made of, for state:
// comparison. The caller computes them for the current graph and reads them
// back from the previous manifest; any string works as long as equal
// content gives equal strings.
type Fingerprint struct {
	Code     string // the SQL the node runs, as compiled (macros and vars rendered)
	Body     string // the node's code (file text, or a YAML test's definition)
	Config   string // its resolved configuration
	Contract string // its contract (enforced columns and types)
	Relation string // database, schema and identifier
	Inputs   string // the files feeding it: a source's file, a seed's CSV

	// What dbt's state:modified compares, independent of the target the
	// previous manifest was written for (Relation and Config above are
	// the built relation and the whole config, which the target changes).
	Configs   string // the config but database, schema, alias, tags, group (tests: their modifiers)
	Named     string // the database, schema and alias configs as configured
	Persisted string // the descriptions persist_docs writes, "" without it
	FQN       string // the fully qualified name
	Macros    string // the text of the macros the node calls
}

// SourceFreshness is one source's result in a sources.json (dbt source
// freshness): its newest load time, or Failed for a runtime error (no
// max_loaded_at).
type SourceFreshness struct {
	MaxLoadedAt time.Time
	Failed      bool
}

// Options are the inputs of a selection besides the expressions.
type Options struct {
	// Indirect is the indirect selection mode of tests: Eager (the
	// default, for ""), Cautious, Buildable or Empty.
	Indirect string
	// ResourceTypes keeps only nodes of these kinds in the result
	// (--resource-type); empty keeps all.
	ResourceTypes []graph.Kind
	// ExcludeResourceTypes drops nodes of these kinds from the result
	// (--exclude-resource-type).
	ExcludeResourceTypes []graph.Kind
	// Current are the fingerprints of the current graph's nodes.
	Current map[graph.ID]Fingerprint
	// Previous are the fingerprints from the --state manifest; nil means no
	// state was given, and state: selectors fail with ErrNoState. When
	// the previous manifest was written for another target, the caller
	// leaves Code "" on both sides: compiled SQL names the target's
	// relations, and dbt compares definitions, not compiled SQL.
	Previous map[graph.ID]Fingerprint
	// Results are the statuses ("success", "error", "fail", "warn",
	// "pass", "skipped") of the previous run_results.json; nil means none,
	// and result: selectors fail with ErrNoResults.
	Results map[graph.ID]string
	// Project is the root project's name, which package:this selects
	// (dbt's special package name); "" leaves "this" a plain name.
	Project string
	// Sources are the source freshness results of the target's
	// sources.json, PreviousSources those of the --state folder's, for
	// source_status:; nil means none, and source_status: fails with
	// ErrNoSources.
	Sources, PreviousSources map[graph.ID]SourceFreshness
	// Unmatched, when set, is called with each word of --select and
	// --exclude that selects no node, for the caller to warn as dbt does;
	// it is not an error.
	Unmatched func(word string)
}

// Select returns the IDs of the nodes selected by selects minus those
// selected by excludes, in topological order. Each argument is parsed with
// Parse; the arguments are a union. Empty selects means every node.
//
// As in dbt, tests are added indirectly to each selector's nodes following
// opt.Indirect, exclusion comes after indirect selection (with the same
// mode, so --exclude x also drops x's tests), and the resource type filters
// apply last. Errors: *SyntaxError for an invalid argument or a state: or
// result: selector without its input; an error for an unknown mode.
func Select(g *graph.Graph, selects, excludes []string, opt Options) ([]graph.ID, error) {
	mode, err := checkMode(opt.Indirect)
	if err != nil {
		return nil, err
	}
	inc, err := parseArgs(selects)
	if err != nil {
		return nil, err
	}
	exc, err := parseArgs(excludes)
	if err != nil {
		return nil, err
	}
	ev := &evaluator{ix: indexOf(g), opt: opt}
	var d, ind bitset
	if len(inc) == 0 {
		d = ev.all()
		ind = d
	} else if d, ind, err = ev.words(inc, mode); err != nil {
		return nil, err
	}
	if len(exc) > 0 {
		xd, xind, err := ev.words(exc, mode)
		if err != nil {
			return nil, err
		}
		d, ind = d.clone(), ind.clone()
		d.andNot(xd)
		ind.andNot(xind)
		d = ev.incorporate(d, ind, mode)
	}
	return ev.result(d), nil
}

// SelectDefinition returns the IDs of the nodes def selects, in
// topological order, with opt as in Select (an atom's indirect_selection
// overrides opt.Indirect). Errors as Select.
func SelectDefinition(g *graph.Graph, def *Definition, opt Options) ([]graph.ID, error) {
	mode, err := checkMode(opt.Indirect)
	if err != nil {
		return nil, err
	}
	if def == nil || def.Expr == nil {
		return nil, fmt.Errorf("selector definition is empty")
	}
	ev := &evaluator{ix: indexOf(g), opt: opt}
	d, _, err := ev.eval(def.Expr, mode)
	if err != nil {
		return nil, err
	}
	return ev.result(d), nil
}

func checkMode(m string) (string, error) {
	switch m {
	case "":
		return Eager, nil
	case Eager, Cautious, Buildable, Empty:
		return m, nil
	}
	return "", fmt.Errorf("unknown indirect selection %q; use eager, cautious, buildable or empty", m)
}

// parseArgs parses arguments into their words.
func parseArgs(args []string) ([]Expr, error) {
	var words []Expr
	for _, a := range args {
		e, err := Parse(a)
		if err != nil {
			return nil, err
		}
		if u, ok := e.(Union); ok {
			words = append(words, u...)
		} else {
			words = append(words, e)
		}
	}
	return words, nil
}

type evaluator struct {
	ix  *index
	opt Options
}

func (ev *evaluator) all() bitset {
	n := len(ev.ix.nodes)
	s := newBitset(n)
	for i := 0; i < n; i++ {
		s.add(i)
	}
	return s
}

// words evaluates the union of words, reporting those that select nothing.
func (ev *evaluator) words(ws []Expr, mode string) (d, ind bitset, err error) {
	d, ind = newBitset(len(ev.ix.nodes)), newBitset(len(ev.ix.nodes))
	for _, w := range ws {
		wd, wind, err := ev.eval(w, mode)
		if err != nil {
			return nil, nil, err
		}
		if ev.opt.Unmatched != nil && wd.empty() {
			ev.opt.Unmatched(w.String())
		}
		d.or(wd)
		ind.or(wind)
	}
	return ev.incorporate(d, ind, mode), ind, nil
}

// eval returns the nodes e selects (d) and, in ind, those with the tests
// held back for indirect selection, as dbt combines them: each
// atom adds its tests, set operators combine both sets, and tests held back
// by cautious or buildable mode join once their parents are all there.
func (ev *evaluator) eval(e Expr, mode string) (d, ind bitset, err error) {
	switch e := e.(type) {
	case *Atom:
		return ev.atom(e, mode)
	case *selectorRef:
		if e.def == nil {
			return nil, nil, fmt.Errorf("selector %q is not defined", e.name)
		}
		return ev.eval(e.def.Expr, mode)
	case Union:
		return ev.group(e, true, mode)
	case Intersection:
		return ev.group(e, false, mode)
	case *Difference:
		d, ind, err := ev.eval(e.Include, mode)
		if err != nil {
			return nil, nil, err
		}
		xd, xind, err := ev.eval(e.Exclude, mode)
		if err != nil {
			return nil, nil, err
		}
		d, ind = d.clone(), ind.clone()
		d.andNot(xd)
		ind.andNot(xind)
		return ev.incorporate(d, ind, mode), ind, nil
	}
	return nil, nil, fmt.Errorf("selector: unknown expression %T", e)
}

// group evaluates a union or an intersection.
func (ev *evaluator) group(parts []Expr, union bool, mode string) (d, ind bitset, err error) {
	n := len(ev.ix.nodes)
	d, ind = newBitset(n), newBitset(n)
	for i, p := range parts {
		pd, pind, err := ev.eval(p, mode)
		if err != nil {
			return nil, nil, err
		}
		switch {
		case union || i == 0:
			d.or(pd)
			ind.or(pind)
		default:
			d.and(pd)
			ind.and(pind)
		}
	}
	return ev.incorporate(d, ind, mode), ind, nil
}

// atom evaluates one atom: its method, its graph operators, then the
// indirect selection of tests.
func (ev *evaluator) atom(a *Atom, mode string) (d, ind bitset, err error) {
	pred, err := ev.predicate(a)
	if err != nil {
		return nil, nil, err
	}
	ix := ev.ix
	m := newBitset(len(ix.nodes))
	for i, n := range ix.nodes {
		if pred(i, n) {
			m.add(i)
		}
	}
	d = m.clone()
	if a.ChildrensParents {
		d.or(ix.ancestors(ix.descendants(m, 0), 0))
	}
	if a.Parents {
		d.or(ix.ancestors(m, a.ParentsDepth))
	}
	if a.Children {
		d.or(ix.descendants(m, a.ChildrenDepth))
	}
	if a.Indirect != "" {
		mode = a.Indirect
	}
	d, ind = ev.expand(d, mode)
	return d, ind, nil
}

// expand adds to sel the tests of its nodes, following mode. It returns the
// selection and, in ind, the selection with the tests held back (those
// with a selected parent that cautious or buildable mode did not take).
func (ev *evaluator) expand(sel bitset, mode string) (d, ind bitset) {
	ix := ev.ix
	d, ind = sel, sel
	if mode == Empty {
		return d, ind
	}
	cloned := false
	var buildable bitset
	for _, t := range ix.tests {
		if sel.has(int(t)) || !ix.anyParentIn(t, sel) {
			continue
		}
		if !cloned {
			d, ind, cloned = sel.clone(), sel.clone(), true
		}
		switch {
		case mode == Eager || ix.parentsIn(t, sel):
			d.add(int(t))
		case mode == Buildable:
			if buildable == nil {
				buildable = ix.ancestors(sel, 0)
			}
			if ix.parentsIn(t, buildable) {
				d.add(int(t))
			}
		}
		ind.add(int(t))
	}
	return d, ind
}

// incorporate adds to d the held-back tests of ind whose parents are now
// all selected (cautious) or selected or upstream of the selection
// (buildable).
func (ev *evaluator) incorporate(d, ind bitset, mode string) bitset {
	if (mode != Cautious && mode != Buildable) || d.equal(ind) {
		return d
	}
	ix := ev.ix
	ok := d
	if mode == Buildable {
		ok = ix.ancestors(d, 0)
	}
	out, cloned := d, false
	for _, t := range ix.tests {
		if ind.has(int(t)) && !d.has(int(t)) && ix.parentsIn(t, ok) {
			if !cloned {
				out, cloned = d.clone(), true
			}
			out.add(int(t))
		}
	}
	return out
}

// result applies the resource type filters and returns IDs in
// topological order.
func (ev *evaluator) result(d bitset) []graph.ID {
	keep := map[graph.Kind]bool{}
	for _, k := range ev.opt.ResourceTypes {
		keep[k] = true
	}
	drop := map[graph.Kind]bool{}
	for _, k := range ev.opt.ExcludeResourceTypes {
		drop[k] = true
	}
	out := make([]graph.ID, 0, d.count())
	d.each(func(i int) {
		n := ev.ix.nodes[i]
		if (len(keep) == 0 || keep[n.Kind]) && !drop[n.Kind] {
			out = append(out, n.ID)
		}
	})
	return out
}
