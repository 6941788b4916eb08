package cli

import (
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/kiln-build/kiln/internal/deps"

	"github.com/kiln-build/kiln/engine"
)

// depsCommand is kiln deps: dbt deps for local: and git: packages.
func (a *app) depsCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "deps",
		Short: "Install the packages of packages.yml (local: and git:) into dbt_packages/ and write package-lock.yml",
		Long: `deps installs the packages that packages.yml (or dependencies.yml) declares
into the packages-install-path (dbt_packages/ by default), replacing what was
there, and the packages those declare in turn; it writes package-lock.yml.
local: packages are linked, git: packages cloned (from any URL or path the
machine reaches) at their revision. dbt Hub, private and tarball packages
need the network: kiln deps says so and installs nothing.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			vars, err := a.parseVars()
			if err != nil {
				return &exitError{ExitCannotStart, err.Error()}
			}
			cfg := a.engineConfig(vars)
			cfg.Deps, cfg.NoProfile = true, true
			files, err := engine.ReadFiles(cfg)
			if err != nil {
				return &exitError{ExitCannotStart, err.Error()}
			}
			// Only the packages file's errors stop deps (as dbt deps, which
			// installs a project whose models do not compile yet).
			p := files.Project
			for _, d := range files.Diags.Errors() {
				if d.Pos.File == p.PackagesFile || p.PackagesFile == "" {
					a.ui.Diagnostics(files.Diags.Errors())
					return exit(ExitCannotStart)
				}
			}
			if p.PackagesFile == "" {
				a.ui.Printf("no packages.yml or dependencies.yml: nothing to install")
				return nil
			}
			dir := filepath.Join(files.Dir, filepath.FromSlash(p.PackagesPath()))
			lock, err := deps.Install(files.Dir, dir, p.PackageSpecs, p.Files[p.PackagesFile], func(s string) { a.ui.Printf("%s", s) })
			if err != nil {
				return &exitError{ExitCannotStart, err.Error()}
			}
			noun := "packages"
			if len(lock.Packages) == 1 {
				noun = "package"
			}
			a.ui.Printf("installed %d %s into %s; wrote %s", len(lock.Packages), noun, engine.Rel(files.Dir, dir), deps.LockFileName)
			return nil
		},
	}
}
