package cli

import (
	"encoding/json"
	"fmt"
	"path/filepath"

	"gopkg.in/yaml.v3"

	"github.com/kiln-build/kiln/compiler/project"
	"github.com/kiln-build/kiln/engine"
	"github.com/kiln-build/kiln/internal/artifact"
)

// varsDiff is how a command's vars differ from those of the last run
// (<target>/run_results.json, args.vars and args.which), in the words of
// its warnings.
type varsDiff struct {
	which string // "kiln build", or "run" when run_results.json does not say
	last  string // the last run's vars: "--vars '...'" or "no --vars"
	these string // this command's: "--vars '...'" or "none"
	fix   string // how to give this command the last run's: "with --vars '...'" or "without --vars"
}

// lastRunVars compares ours (the command's vars, as --vars parsed them;
// nil for none) with the last run's; ok is false when they match, or when
// there is no last run or its vars cannot be read.
func lastRunVars(target string, ours map[string]any) (d varsDiff, ok bool) {
	rr, err := artifact.ReadRunResults(filepath.Join(target, "run_results.json"))
	if err != nil {
		return d, false
	}
	vars, _ := rr.Args["vars"].(string)
	whichArg, _ := rr.Args["which"].(string)
	var theirs project.VarMap
	if vars != "" && yaml.Unmarshal([]byte(vars), &theirs) != nil {
		return d, false
	}
	if canonVars(theirs) == canonVars(ours) {
		return d, false
	}
	d = varsDiff{which: "run", last: "no --vars", these: "none", fix: "without --vars"}
	if vars != "" {
		d.last = "--vars '" + vars + "'"
		d.fix = "with " + d.last
	}
	if s := canonVars(ours); s != "" {
		d.these = "--vars '" + s + "'"
	}
	if whichArg != "" {
		d.which = "kiln " + whichArg
	}
	return d, true
}

// docsVarsWarning returns the warning of kiln docs generate when its
// vars differ from those of the last run, whose results the docs show: a
// project whose graph depends on its vars (BottleNeck's deviation gates)
// would be documented without the nodes that run built, as kiln test
// refuses to test tables built with other vars. "" when they match (see
// lastRunVars).
func docsVarsWarning(target string, ours map[string]any) string {
	d, ok := lastRunVars(target, ours)
	if !ok {
		return ""
	}
	return fmt.Sprintf("warning: the last run (%s, whose results the docs show) had %s; these docs are made with %s, so their graph may leave out nodes that run built (or show some it did not) and their results as of nodes no longer in the project; generate them %s",
		d.which, d.last, d.these, d.fix)
}

// lastRunVarsWarning returns the warning of a command that reads the
// project's graph without running it (kiln parse, compile, ls, debug)
// when its vars differ from the last run's: a project whose nodes depend
// on vars (BottleNeck's deviation gates, enabled outside the sample) has
// another graph under the last run's vars, and a manifest.json written
// with other vars makes a later state:modified compare another graph.
// "" when they match (see lastRunVars).
func lastRunVarsWarning(target string, ours map[string]any, command string) string {
	d, ok := lastRunVars(target, ours)
	if !ok {
		return ""
	}
	return fmt.Sprintf("warning: the last run (%s) had %s; this kiln %s has %s, so the graph it reads may have other nodes than that run's; run it %s to see that run's graph",
		d.which, d.last, command, d.these, d.fix)
}

// warnVarsDiffer prints lastRunVarsWarning for the project e, loaded
// with this command's --vars.
func (a *app) warnVarsDiffer(e *engine.Project, command string) {
	vars, _ := e.Vars()
	if w := lastRunVarsWarning(e.Target, vars, command); w != "" {
		a.ui.Printf("%s", w)
	}
}

// warnVarsDifferAt is warnVarsDiffer for a command served by partial
// parsing (no project loaded): target is the target folder.
func (a *app) warnVarsDifferAt(target, command string) {
	vars, err := a.parseVars()
	if err != nil {
		return // the load reports it
	}
	if w := lastRunVarsWarning(target, vars, command); w != "" {
		a.ui.Printf("%s", w)
	}
}

// canonVars is vars as one JSON object with sorted keys, "" for none.
func canonVars(v map[string]any) string {
	if len(v) == 0 {
		return ""
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
