package cli

import (
	"encoding/json"
	"fmt"
	"path/filepath"

	"gopkg.in/yaml.v3"

	"github.com/kiln-build/kiln/compiler/project"
	"github.com/kiln-build/kiln/internal/artifact"
)

// docsVarsWarning returns the warning of kiln docs generate when its
// vars (ours, as --vars parsed them; nil for none) differ from those of
// the last run, whose results the docs show (<target>/run_results.json,
// args.vars): a project whose graph depends on its vars (BottleNeck's
// deviation gates) would be documented without the nodes that run built,
// as kiln test refuses to test tables built with other vars. "" when they
// match, or when there is no last run or its vars cannot be read.
func docsVarsWarning(target string, ours map[string]any) string {
	rr, err := artifact.ReadRunResults(filepath.Join(target, "run_results.json"))
	if err != nil {
		return ""
	}
	vars, _ := rr.Args["vars"].(string)
	whichArg, _ := rr.Args["which"].(string)
	var theirs project.VarMap
	if vars != "" && yaml.Unmarshal([]byte(vars), &theirs) != nil {
		return ""
	}
	if canonVars(theirs) == canonVars(ours) {
		return ""
	}
	last, these, fix := "no --vars", "none", "without --vars"
	if vars != "" {
		last = "--vars '" + vars + "'"
		fix = "with " + last
	}
	if s := canonVars(ours); s != "" {
		these = "--vars '" + s + "'"
	}
	which := "run"
	if whichArg != "" {
		which = "kiln " + whichArg
	}
	return fmt.Sprintf("warning: the last run (%s, whose results the docs show) had %s; these docs are made with %s, so their graph may leave out nodes that run built (or show some it did not) and their results as of nodes no longer in the project; generate them %s",
		which, last, these, fix)
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
