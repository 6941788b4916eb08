package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kiln-build/kiln/compiler/diag"
	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/compiler/selector"
)

// runFlags are the node selection flags, shared by the commands that
// select nodes.
type runFlags struct {
	selects       []string
	excludes      []string
	selectorName  string
	resourceTypes []string
	indirect      string
	state         string
	noRollback    bool
	fullRefresh   bool
	rolledBack    bool // set after the run: it failed and was undone
	junitXML      string
	retries       int
	acceptDev     bool
	transaction   string
	vars          string // --vars as given, for the run history
}

func (rf *runFlags) add(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringArrayVarP(&rf.selects, "select", "s", nil, "nodes to include, in dbt's selection syntax; repeat the flag or quote a space-separated list (default: all)")
	f.StringArrayVar(&rf.excludes, "exclude", nil, "nodes to leave out, in dbt's selection syntax")
	f.StringVar(&rf.selectorName, "selector", "", "a named selector of selectors.yml")
	f.StringSliceVar(&rf.resourceTypes, "resource-type", nil, "only these resource types: model, source, seed, test, unit_test, export")
	f.StringVar(&rf.indirect, "indirect-selection", "eager", "how tests of selected nodes are added: eager, cautious, buildable or empty")
	f.StringVar(&rf.state, "state", "", "folder holding the manifest.json (and run_results.json) of a previous run, for state: and result: selectors")
}

// addExec adds the flags of the commands that run nodes.
func (rf *runFlags) addExec(cmd *cobra.Command) {
	cmd.Flags().BoolVar(&rf.noRollback, "no-rollback", false, "when the run fails, keep the relations built before the failure (dbt's behaviour) instead of restoring the previous ones")
	cmd.Flags().BoolVar(&rf.fullRefresh, "full-refresh", false, "run every selected node, even those that are up to date")
	cmd.Flags().IntVar(&rf.retries, "retries", 0, "try a node again up to N times after a transient error (I/O, a lock or a transaction conflict), waiting 0.5s, 1s, 2s..., and wait for a locked database as long")
	cmd.Flags().StringVar(&rf.transaction, "transaction", "", "run inside flow transaction ID (one per orchestrated flow): what this run builds is published, or undone, by kiln transaction commit|rollback ID")
	cmd.Flags().BoolVar(&rf.acceptDev, "accept-deviations", false, "let volume_change and metric_change pass with a warning, so this run's values become their new baseline (after a real change of level)")
	cmd.Flags().StringVar(&rf.junitXML, "junit-xml", "", "also write a JUnit XML report of the run to PATH (one test case per node), for CI test reporters")
}

// selectNodes returns the selected nodes of the given kinds (nil: all
// kinds), in topological order.
func (a *app) selectNodes(e *env, rf *runFlags, kinds map[graph.Kind]bool) ([]graph.ID, error) {
	g := e.manifest.Graph
	opt := selector.Options{Indirect: rf.indirect}
	for _, k := range rf.resourceTypes {
		k = strings.TrimSpace(k)
		if !resourceTypes[graph.Kind(k)] {
			msg := fmt.Sprintf("unknown resource type %q; use model, source, seed, test, unit_test or export", k)
			if h := diag.DidYouMean(k, []string{"model", "source", "seed", "test", "unit_test", "export"}); h != "" {
				msg += "; " + h
			}
			return nil, &exitError{ExitCannotStart, msg}
		}
		opt.ResourceTypes = append(opt.ResourceTypes, graph.Kind(k))
	}
	opt.Unmatched = func(word string) {
		msg := fmt.Sprintf("warning: the selector %q matches no node", word)
		bare := strings.Trim(word, "+@0123456789")
		if !strings.Contains(bare, ":") {
			var names []string
			for _, n := range g.Nodes() {
				names = append(names, n.Name)
			}
			if h := diag.DidYouMean(bare, names); h != "" {
				msg += "; " + h
			}
		}
		a.ui.Printf("%s", msg)
	}
	if err := a.loadState(e, rf, &opt); err != nil {
		return nil, err
	}
	var ids []graph.ID
	var err error
	defs, err := a.selectors(e)
	if err != nil {
		return nil, err
	}
	if rf.selectorName != "" && (len(rf.selects) > 0 || len(rf.excludes) > 0) {
		return nil, &exitError{ExitCannotStart, "--selector cannot be combined with --select or --exclude; put the whole selection in the selector, or leave --selector out"}
	}
	switch {
	case rf.selectorName != "":
		def, ok := defs[rf.selectorName]
		if !ok && len(defs) == 0 {
			return nil, &exitError{ExitCannotStart, fmt.Sprintf("unknown selector %q: the project has no selectors.yml", rf.selectorName)}
		}
		if !ok {
			var names []string
			for n := range defs {
				names = append(names, n)
			}
			sort.Strings(names)
			msg := fmt.Sprintf("unknown selector %q; selectors.yml defines: %s", rf.selectorName, strings.Join(names, ", "))
			if h := diag.DidYouMean(rf.selectorName, names); h != "" {
				msg += "; " + h
			}
			return nil, &exitError{ExitCannotStart, msg}
		}
		ids, err = selector.SelectDefinition(g, def, opt)
	case len(rf.selects) == 0 && len(rf.excludes) == 0 && selector.Default(defs) != nil:
		ids, err = selector.SelectDefinition(g, selector.Default(defs), opt)
	default:
		ids, err = selector.Select(g, rf.selects, rf.excludes, opt)
	}
	if err != nil {
		return nil, &exitError{ExitCannotStart, err.Error()}
	}
	if len(ids) == 0 && (len(rf.selects) > 0 || len(rf.excludes) > 0 || rf.selectorName != "") {
		a.ui.Printf("warning: the selection matches no node")
	}
	if kinds == nil {
		return ids, nil
	}
	out := ids[:0]
	for _, id := range ids {
		if kinds[g.Node(id).Kind] {
			out = append(out, id)
		}
	}
	return out, nil
}

var resourceTypes = map[graph.Kind]bool{graph.Model: true, graph.Source: true, graph.Seed: true, graph.Test: true, graph.UnitTest: true, graph.Export: true}

// selectors reads selectors.yml at the project root, if there is one.
func (a *app) selectors(e *env) (map[string]*selector.Definition, error) {
	src, err := os.ReadFile(filepath.Join(e.dir, "selectors.yml"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, &exitError{ExitCannotStart, err.Error()}
	}
	defs, l := selector.ParseSelectors("selectors.yml", src)
	if l.HasErrors() {
		a.ui.Diagnostics(l)
		return nil, exit(ExitCannotStart)
	}
	return defs, nil
}

// describe returns the selection as flags, for the run history.
func (rf *runFlags) describe() string {
	var parts []string
	for _, s := range rf.selects {
		parts = append(parts, "--select "+s)
	}
	for _, s := range rf.excludes {
		parts = append(parts, "--exclude "+s)
	}
	if rf.selectorName != "" {
		parts = append(parts, "--selector "+rf.selectorName)
	}
	if rf.vars != "" {
		parts = append(parts, "--vars "+rf.vars)
	}
	for flag, on := range map[string]bool{"--full-refresh": rf.fullRefresh, "--accept-deviations": rf.acceptDev, "--no-rollback": rf.noRollback} {
		if on {
			parts = append(parts, flag)
		}
	}
	sort.Strings(parts[len(parts)-countTrue(rf.fullRefresh, rf.acceptDev, rf.noRollback):])
	return strings.Join(parts, " ")
}

func countTrue(bs ...bool) int {
	n := 0
	for _, b := range bs {
		if b {
			n++
		}
	}
	return n
}
