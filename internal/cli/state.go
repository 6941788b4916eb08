package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/compiler/selector"
	"github.com/kiln-build/kiln/internal/artifact"
)

// loadState fills the selector's fingerprints and previous results: from
// --state DIR when given, else from the target path's last run (for
// result: selectors and kiln retry).
func (a *app) loadState(e *env, rf *runFlags, opt *selector.Options) error {
	words := strings.Join(append(append([]string(nil), rf.selects...), rf.excludes...), " ")
	needState := strings.Contains(words, "state:") || rf.selectorName != ""
	needResults := strings.Contains(words, "result:") || rf.selectorName != ""
	dir := e.target
	if rf.state != "" {
		dir = absUnder(mustAbs(a.projectDir), rf.state)
		if _, err := os.Stat(filepath.Join(dir, "manifest.json")); err != nil {
			return &exitError{ExitCannotStart, fmt.Sprintf("--state %s: no manifest.json there; point it at the target folder of a previous run", rf.state)}
		}
	}
	if needState && rf.state != "" {
		prev, err := artifact.ReadManifestFingerprints(filepath.Join(dir, "manifest.json"))
		if err != nil {
			return &exitError{ExitCannotStart, fmt.Sprintf("--state: %v", err)}
		}
		opt.Previous = toSelector(prev)
		opt.Current = toSelector(artifact.Fingerprints(e.manifest, a.inputs(e)))
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
			return &exitError{ExitCannotStart, fmt.Sprintf("cannot read the previous run_results.json: %v", err)}
		}
	}
	return nil
}

func mustAbs(p string) string {
	abs, err := filepath.Abs(p)
	if err != nil {
		return p
	}
	return abs
}

func toSelector(m map[graph.ID]artifact.Fingerprint) map[graph.ID]selector.Fingerprint {
	out := make(map[graph.ID]selector.Fingerprint, len(m))
	for id, f := range m {
		out[id] = selector.Fingerprint(f)
	}
	return out
}
