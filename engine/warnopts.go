package engine

import (
	"github.com/kiln-build/kiln/compiler/diag"
	"github.com/kiln-build/kiln/compiler/project"
)

// warnOptions returns the warnings this run makes errors or silences,
// and the words an error made so says it with: --warn-error (every
// warning of dbt's), else --warn-error-options, else the project file's
// flags: warn_error_options (a command-line flag wins over the project
// file's, as in dbt); nil when none.
func (cfg Config) warnOptions(proj *project.Project) (*diag.WarnOptions, string) {
	switch {
	case cfg.WarnError:
		return diag.AllWarnings(), "an error with --warn-error"
	case cfg.WarnOptions != nil:
		return cfg.WarnOptions, "an error with --warn-error-options"
	case proj != nil && proj.WarnOptions != nil:
		return proj.WarnOptions, "an error with the project file's warn_error_options"
	}
	return nil, ""
}

// promotes reports whether this run makes a warning of dbt's event an
// error (kiln's own notes aside).
func (p *Project) promotes(event string) bool { return p.warnOpts.Promotes(event, false) }

// silences reports whether this run hides a warning of dbt's event.
func (p *Project) silences(event string) bool { return p.warnOpts.Silences(event, false) }
