package engine

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/kiln-build/kiln/compiler/diag"
	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/compiler/selector"
	"github.com/kiln-build/kiln/compiler/yamljinja"
	"github.com/kiln-build/kiln/internal/artifact"
)

// The kinds of nodes each command runs.
var (
	BuildKinds = map[graph.Kind]bool{graph.Source: true, graph.Seed: true, graph.Model: true, graph.Snapshot: true, graph.Test: true, graph.UnitTest: true, graph.Export: true}
	RunKinds   = map[graph.Kind]bool{graph.Source: true, graph.Model: true}
	TestKinds  = map[graph.Kind]bool{graph.Test: true, graph.UnitTest: true}
	SeedKinds  = map[graph.Kind]bool{graph.Seed: true}
	// SnapshotKinds are what kiln snapshot runs (with the sources they read).
	SnapshotKinds = map[graph.Kind]bool{graph.Source: true, graph.Snapshot: true}
)

// CommandKinds returns the kinds of nodes command (build, run, test, seed)
// runs, or nil for another command.
func CommandKinds(command string) map[graph.Kind]bool {
	return map[string]map[graph.Kind]bool{"build": BuildKinds, "run": RunKinds, "test": TestKinds, "seed": SeedKinds, "snapshot": SnapshotKinds}[command]
}

// Selection is dbt's node selection: --select, --exclude, --selector,
// --resource-type, --indirect-selection and --state.
type Selection struct {
	Select, Exclude []string
	Selector        string   // a named selector of selectors.yml
	ResourceTypes   []string // model, source, seed, test, unit_test, export; all or default: every kind
	// ExcludeResourceTypes leaves nodes of these kinds out (dbt 1.8's
	// --exclude-resource-type), after ResourceTypes.
	ExcludeResourceTypes []string
	Indirect             string // eager (""), cautious, buildable or empty
	// StateDir is the folder holding a previous run's manifest.json (and
	// run_results.json) for state: and result: selectors, relative to the
	// project's directory; "" reads result: from the target path.
	StateDir string
	// Kinds keeps only nodes of these kinds (a command's, see BuildKinds);
	// nil keeps all.
	Kinds map[graph.Kind]bool
	// Strict makes a selection that matches no node a *UsageError that
	// says why (the words that match nothing, with the nearest names),
	// instead of warnings and no node: for commands that need a node
	// (kiln show).
	Strict bool
}

// Describe returns the selection as flags, for the run history.
func (s Selection) Describe() string {
	var parts []string
	for _, x := range s.Select {
		parts = append(parts, "--select "+x)
	}
	for _, x := range s.Exclude {
		parts = append(parts, "--exclude "+x)
	}
	if s.Selector != "" {
		parts = append(parts, "--selector "+s.Selector)
	}
	return strings.Join(parts, " ")
}

// IsEmpty reports whether the selection names nothing (it selects every
// node, or the default selector).
func (s Selection) IsEmpty() bool {
	return len(s.Select)+len(s.Exclude)+len(s.ResourceTypes)+len(s.ExcludeResourceTypes) == 0 && s.Selector == ""
}

// UsageError is a mistake in the command's flags (exit code 2).
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

var resourceTypes = map[graph.Kind]bool{graph.Model: true, graph.Snapshot: true, graph.Source: true, graph.Seed: true, graph.Test: true, graph.UnitTest: true, graph.Export: true, graph.Exposure: true, graph.Analysis: true}

// Select returns the selected nodes in topological order. Warnings (a
// selector word that matches nothing) are Message events, and the
// warnings of the nodes selected a Diagnostics event (NodeWarnings); a flag mistake
// is a *UsageError, and errors in selectors.yml are ErrInvalid after a
// Diagnostics event.
func (p *Project) Select(s Selection) ([]graph.ID, error) {
	g := p.Graph()
	opt := selector.Options{Indirect: s.Indirect, Project: p.Manifest.Project.Config.Name}
	if opt.Indirect == "" {
		opt.Indirect = "eager"
	}
	var err error
	if opt.ResourceTypes, err = resourceKinds(s.ResourceTypes, "--resource-type", true); err != nil {
		return nil, err
	}
	if opt.ExcludeResourceTypes, err = resourceKinds(s.ExcludeResourceTypes, "--exclude-resource-type", false); err != nil {
		return nil, err
	}
	var unmatched []string
	opt.Unmatched = func(word string) {
		unmatched = append(unmatched, selector.Unmatched(g, p.Manifest.Disabled, word))
	}
	if err := p.loadState(s, &opt); err != nil {
		return nil, err
	}
	defs, err := p.selectors()
	if err != nil {
		return nil, err
	}
	if s.Selector != "" && (len(s.Select) > 0 || len(s.Exclude) > 0) {
		return nil, &UsageError{"--selector cannot be combined with --select or --exclude; put the whole selection in the selector, or leave --selector out"}
	}
	var ids []graph.ID
	switch {
	case s.Selector != "":
		def, ok := defs[s.Selector]
		if !ok && len(defs) == 0 {
			return nil, &UsageError{fmt.Sprintf("unknown selector %q: the project has no selectors.yml", s.Selector)}
		}
		if !ok {
			var names []string
			for n := range defs {
				names = append(names, n)
			}
			sort.Strings(names)
			msg := fmt.Sprintf("unknown selector %q; selectors.yml defines: %s", s.Selector, strings.Join(names, ", "))
			if h := diag.DidYouMean(s.Selector, names); h != "" {
				msg += "; " + h
			}
			return nil, &UsageError{msg}
		}
		ids, err = selector.SelectDefinition(g, def, opt)
	case len(s.Select) == 0 && len(s.Exclude) == 0 && selector.Default(defs) != nil:
		ids, err = selector.SelectDefinition(g, selector.Default(defs), opt)
	default:
		ids, err = selector.Select(g, s.Select, s.Exclude, opt)
	}
	if err != nil {
		return nil, &UsageError{err.Error()}
	}
	if s.Strict && len(ids) == 0 {
		if len(unmatched) == 0 {
			unmatched = []string{"the selection matches no node"}
		}
		return nil, &UsageError{strings.Join(unmatched, "\n")}
	}
	// dbt's NoNodesForSelectionCriteria.
	if p.promotes(diag.EventNoNodes) && len(unmatched) > 0 {
		return nil, &UsageError{strings.Join(unmatched, "\n") + " (" + p.warnWhy + ")"}
	}
	for _, u := range unmatched {
		if !p.silences(diag.EventNoNodes) {
			p.printf(Warn, "warning: %s", u)
		}
	}
	if len(ids) == 0 && (len(s.Select) > 0 || len(s.Exclude) > 0 || s.Selector != "") {
		if p.promotes(diag.EventNoNodes) {
			return nil, &UsageError{"the selection matches no node (" + p.warnWhy + ")"}
		}
		if !p.silences(diag.EventNoNodes) {
			p.printf(Warn, "warning: the selection matches no node")
		}
	}
	p.NodeWarnings(ids)
	if s.Kinds == nil {
		return ids, nil
	}
	out := ids[:0]
	for _, id := range ids {
		if s.Kinds[g.Node(id).Kind] {
			out = append(out, id)
		}
	}
	return out, nil
}

// Selectors returns the named selectors of selectors.yml at the project
// root, by name (nil without the file); errors in it are ErrInvalid after
// a Diagnostics event.
func (p *Project) Selectors() (map[string]*selector.Definition, error) { return p.selectors() }

// selectors reads selectors.yml at the project root, if there is one,
// its Jinja rendered as dbt renders it (DbtProjectYamlRenderer.
// render_selectors, dbt-core core/dbt/config/renderer.py): natively, with
// target, env_var (no secret one) and var over the --vars only, as the
// project file's values.
func (p *Project) selectors() (map[string]*selector.Definition, error) {
	src, err := os.ReadFile(filepath.Join(p.Dir, "selectors.yml"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	names := yamljinja.Names{Vars: p.cfg.Vars, LookupEnv: p.cfg.lookupEnv()}
	if p.Project != nil && p.Project.Target != nil {
		names.Target = p.Project.Target.Context
	}
	render := func(file string, root *yaml.Node) diag.List {
		return yamljinja.NewNative(names.Globals()).Tree(file, root, nil)
	}
	defs, l := selector.ParseSelectorsWith("selectors.yml", src, render)
	if l.HasErrors() {
		p.emit(Diagnostics{List: l})
		return nil, ErrInvalid
	}
	return defs, nil
}

// loadState fills the selector's fingerprints and previous results: from
// s.StateDir when given, else from the target path's last run (for
// result: selectors and kiln retry).
func (p *Project) loadState(s Selection, opt *selector.Options) error {
	words := strings.Join(append(append([]string(nil), s.Select...), s.Exclude...), " ")
	needState := strings.Contains(words, "state:") || s.Selector != ""
	needResults := strings.Contains(words, "result:") || s.Selector != ""
	dir := p.Target
	if s.StateDir != "" {
		dir = AbsUnder(p.Dir, s.StateDir)
		if _, err := os.Stat(filepath.Join(dir, "manifest.json")); err != nil {
			return &UsageError{fmt.Sprintf("--state %s: no manifest.json there; point it at the target folder of a previous run", s.StateDir)}
		}
	}
	if needState && s.StateDir != "" {
		prev, target, err := artifact.ReadManifestState(filepath.Join(dir, "manifest.json"))
		if err != nil {
			return &UsageError{fmt.Sprintf("--state: %v", err)}
		}
		opt.Previous = toSelector(prev)
		opt.Current = toSelector(p.Fingerprints())
		if cur := artifact.Target(p.Manifest); target == nil || cur == nil || *target != *cur {
			// Written for another target (or by dbt, or a kiln that did
			// not record it): the compiled SQL names other relations; the
			// definitions alone are compared, as dbt compares them.
			forgetCode(opt.Previous)
			forgetCode(opt.Current)
		}
	}
	if strings.Contains(words, "source_status:") || s.Selector != "" {
		// dbt's source_status: compares the target's sources.json (the
		// last kiln source freshness) with the --state folder's.
		cur, err := readSourcesJSON(filepath.Join(p.Target, "sources.json"))
		if err != nil {
			return &UsageError{fmt.Sprintf("cannot read the current sources.json: %v", err)}
		}
		opt.Sources = cur
		if s.StateDir != "" {
			prev, err := readSourcesJSON(filepath.Join(dir, "sources.json"))
			if err != nil {
				return &UsageError{fmt.Sprintf("--state: cannot read sources.json: %v", err)}
			}
			opt.PreviousSources = prev
		}
	}
	if needResults {
		rr, err := artifact.ReadRunResults(filepath.Join(dir, "run_results.json"))
		switch {
		case err == nil:
			opt.Results = map[graph.ID]string{}
			for id, st := range rr.Status {
				opt.Results[id] = string(st)
			}
		case errors.Is(err, os.ErrNotExist):
		default:
			return &UsageError{fmt.Sprintf("cannot read the previous run_results.json: %v", err)}
		}
	}
	return nil
}

// forgetCode sets Code to "" in every fingerprint of fps.
func forgetCode(fps map[graph.ID]selector.Fingerprint) {
	for id, fp := range fps {
		fp.Code = ""
		fps[id] = fp
	}
}

func toSelector(m map[graph.ID]artifact.Fingerprint) map[graph.ID]selector.Fingerprint {
	out := make(map[graph.ID]selector.Fingerprint, len(m))
	for id, f := range m {
		out[id] = selector.Fingerprint(f)
	}
	return out
}

// resourceKinds returns the node kinds of the values of flag (dbt's
// --resource-type or --exclude-resource-type, each value possibly a
// comma-separated list). With withAll, "all" and "default" (dbt's names of
// every kind a command runs) give nil: no filter. An unknown type is a
// *UsageError with the known ones.
// dbtOnlyResourceTypes are dbt's resource types that --resource-type does
// not select in kiln yet.
var dbtOnlyResourceTypes = map[string]bool{"metric": true, "semantic_model": true, "saved_query": true}

func resourceKinds(values []string, flag string, withAll bool) ([]graph.Kind, error) {
	known := []string{"model", "snapshot", "source", "seed", "test", "unit_test", "export", "exposure", "analysis"}
	var kinds []graph.Kind
	all := false
	for _, v := range values {
		for _, k := range strings.Split(v, ",") {
			k = strings.TrimSpace(k)
			switch {
			case k == "":
				continue
			case withAll && (k == "all" || k == "default"):
				all = true
				continue
			case resourceTypes[graph.Kind(k)]:
				kinds = append(kinds, graph.Kind(k))
				continue
			}
			list := strings.Join(known, ", ")
			if withAll {
				list += ", all or default"
			}
			msg := fmt.Sprintf("unknown resource type %q for %s; use %s", k, flag, list)
			if dbtOnlyResourceTypes[k] {
				msg = fmt.Sprintf("resource type %q for %s is not supported yet: kiln selects %s", k, flag, list)
			}
			if h := diag.DidYouMean(k, known); h != "" {
				msg += "; " + h
			}
			return nil, &UsageError{msg}
		}
	}
	if all {
		return nil, nil
	}
	return kinds, nil
}
