package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/compiler/project"
	"github.com/kiln-build/kiln/internal/duck"
	"github.com/kiln-build/kiln/internal/execute"
	"github.com/kiln-build/kiln/internal/load"
)

func relPath(dir, p string) (string, error) { return filepath.Rel(dir, p) }

func (a *app) versionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print kiln's version and DuckDB's",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fmt.Fprintf(a.stdout, "kiln %s (DuckDB %s, %s %s/%s)\n", version(), duck.Version(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
			return nil
		},
	}
}

func (a *app) cleanCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "clean",
		Short: "Delete the clean-targets of project.yml (by default the target path, with its database)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			dir, err := filepath.Abs(a.projectDir)
			if err != nil {
				return &exitError{ExitCannotStart, err.Error()}
			}
			p, l := project.Load(os.DirFS(dir))
			if l.HasErrors() {
				a.ui.Diagnostics(l)
				return exit(ExitCannotStart)
			}
			targets := p.Config.CleanTargets
			if a.targetPath != "" {
				targets = []string{a.targetPath}
			}
			for _, t := range targets {
				abs := absUnder(dir, t)
				r, err := filepath.Rel(dir, abs)
				if err != nil || r == "." || strings.HasPrefix(r, "..") {
					return &exitError{ExitCannotStart, fmt.Sprintf("refusing to delete %q: clean-targets must be folders inside the project", t)}
				}
				if !fileExists(abs) {
					continue
				}
				if err := os.RemoveAll(abs); err != nil {
					return &exitError{ExitFailure, err.Error()}
				}
				a.ui.Printf("removed %s", r)
			}
			return nil
		},
	}
}

func (a *app) debugCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "debug",
		Short: "Check the installation, the project, its input files and the database",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			out := a.stdout
			fmt.Fprintf(out, "kiln:        %s (%s %s/%s)\n", version(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
			fmt.Fprintf(out, "duckdb:      %s\n", duck.Version())
			dir, _ := filepath.Abs(a.projectDir)
			fmt.Fprintf(out, "project dir: %s\n", dir)
			e, err := a.load()
			if err != nil {
				fmt.Fprintf(out, "project:     INVALID (see the errors above)\n")
				return err
			}
			ok := true
			counts := map[graph.Kind]int{}
			for _, n := range e.manifest.Graph.Nodes() {
				counts[n.Kind]++
			}
			kinds := make([]string, 0, len(counts))
			for k, c := range counts {
				kinds = append(kinds, fmt.Sprintf("%d %ss", c, k))
			}
			sort.Strings(kinds)
			fmt.Fprintf(out, "project:     %s OK (%s)\n", e.project.Config.Name, strings.Join(kinds, ", "))
			fmt.Fprintf(out, "target path: %s\n", e.target)
			for _, n := range e.manifest.Graph.Nodes() {
				if n.Kind != graph.Source || n.Source.External == nil {
					continue
				}
				status := "OK"
				if err := load.Check(execute.SourceSpec(n.Source.External)); err != nil {
					status, ok = "ERROR: "+err.Error(), false
				}
				fmt.Fprintf(out, "input:       %s <- %s %s\n", n.DisplayName(), n.Source.External.Path, status)
			}
			if !fileExists(e.dbPath) {
				fmt.Fprintf(out, "database:    %s not created yet (the first build creates it)\n", e.dbPath)
			} else if db, err := duck.Open(a.ctx, e.dbPath); err != nil {
				fmt.Fprintf(out, "database:    %s ERROR: %v\n", e.dbPath, err)
				return exit(ExitFailure)
			} else {
				db.Close()
				fmt.Fprintf(out, "database:    %s OK\n", e.dbPath)
			}
			if !ok {
				return exit(ExitFailure)
			}
			fmt.Fprintln(out, "All checks passed.")
			return nil
		},
	}
}
