package cli

import (
	"gopkg.in/yaml.v3"

	"github.com/kiln-build/kiln/compiler/diag"
)

// parseWarnOptions reads --warn-error-options (YAML, of which JSON is a
// part) into a.warnOpts. It returns an *exitError (ExitCannotStart) when
// the text is not a mapping of dbt's keys and event names, and when
// --warn-error is given too: dbt refuses the two together.
func (a *app) parseWarnOptions() error {
	if a.warnErrorOptions == "" {
		return nil
	}
	if a.warnError {
		return &exitError{ExitCannotStart, "--warn-error and --warn-error-options cannot be given together, as in dbt; --warn-error is --warn-error-options '{\"error\": \"all\"}'"}
	}
	var raw any
	if err := yaml.Unmarshal([]byte(a.warnErrorOptions), &raw); err != nil {
		return &exitError{ExitCannotStart, "--warn-error-options is not YAML or JSON: " + err.Error() + `; write '{"error": ["NoNodesForSelectionCriteria"]}'`}
	}
	o, err := diag.ParseWarnOptions(raw)
	if err != nil {
		return &exitError{ExitCannotStart, "--warn-error-options: " + err.Error()}
	}
	a.warnOpts = o
	return nil
}
