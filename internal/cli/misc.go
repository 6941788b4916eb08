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
	"github.com/kiln-build/kiln/engine"
)

func (a *app) versionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print kiln's version and DuckDB's",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fmt.Fprintf(a.stdout, "kiln %s (DuckDB %s, %s %s/%s)\n", version(), engine.DatabaseVersion(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
			return nil
		},
	}
}

func (a *app) cleanCommand() *cobra.Command {
	var all bool
	cmd := &cobra.Command{
		Use:   "clean",
		Short: "Delete the clean-targets of project.yml or dbt_project.yml (by default the target path), keeping the database unless --all",
		Long: `clean deletes the clean-targets of the project file, project.yml or
dbt_project.yml (by default the target path:
compiled SQL, artifacts, exports, docs, logs). The DuckDB database holds the
tables and the run history that the deviation gates (volume_change,
metric_change, the anomaly tests) compare with, so it is kept; --all
deletes it too.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			dir, err := filepath.Abs(a.projectDir)
			if err != nil {
				return &exitError{ExitCannotStart, err.Error()}
			}
			vars, err := a.parseVars()
			if err != nil {
				return &exitError{ExitCannotStart, err.Error()}
			}
			// As dbt clean, only the project file is read: a broken model
			// does not keep its target from being cleaned.
			cfg := a.engineConfig(vars)
			cfg.NoProfile = true // dbt clean needs no profile
			files, err := engine.ReadConfig(cfg)
			if err != nil {
				return &exitError{ExitCannotStart, err.Error()}
			}
			if files.Diags.HasErrors() {
				a.ui.Diagnostics(files.Diags.Errors())
				return exit(ExitCannotStart)
			}
			p := files.Project
			targets := p.Config.CleanTargets
			if a.targetPath != "" {
				targets = []string{a.targetPath}
			}
			// A run in progress holds its target folder: deleting it would
			// take its artifacts and exports away.
			if target := engine.AbsUnder(dir, orDefault(a.targetPath, p.Config.TargetPath)); fileExists(target) {
				release, err := engine.LockTarget(target, "clean")
				if err != nil {
					return &exitError{ExitCannotStart, err.Error()}
				}
				defer release()
				// The partial parse cache goes too, even when
				// clean-targets keep the target folder.
				engine.ClearPartial(target)
			}
			db := files.DBPath
			keep := map[string]bool{}
			if !all {
				keep = map[string]bool{db: true, db + ".wal": true, engine.RunsFilePath(db): true, engine.RunStartPath(db): true, engine.SealFilePath(db): true, engine.SealWALPath(db): true}
			}
			paths, err := cleanPaths(dir, p.File, targets, protectedPaths(p.Config))
			if err != nil {
				return &exitError{ExitCannotStart, err.Error()}
			}
			for _, abs := range paths {
				if err := a.clean(dir, abs, keep, db); err != nil {
					return &exitError{ExitFailure, err.Error()}
				}
			}
			if t := p.Target; all && t != nil && t.Type != "" && t.Type != "duckdb" {
				a.ui.Printf("kept the %s database %s of target %s: kiln clean --all deletes a DuckDB file only, never a server's database (its tables and run history are all still there). To start afresh, drop the schemas kiln built and %s (drop schema ... cascade), or create another database and name it in the target", t.Type, t.Database, t.Name, "kiln_history")
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&all, "all", false, "delete the DuckDB database file too (its tables and the run history); a PostgreSQL target's database is kept (kiln says so)")
	return cmd
}

func (a *app) debugCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "debug",
		Short: "Check the installation, the project, its input files and the database",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			out := a.stdout
			fmt.Fprintf(out, "kiln:        %s (%s %s/%s)\n", version(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
			fmt.Fprintf(out, "duckdb:      %s\n", engine.DatabaseVersion())
			dir, _ := filepath.Abs(a.projectDir)
			fmt.Fprintf(out, "project dir: %s\n", dir)
			e, err := a.load()
			if err != nil {
				// On stderr: the diagnostics before this line, another
				// error after it (when debug returns it).
				fmt.Fprintf(out, "project:     INVALID (see the error messages)\n")
				return err
			}
			ok := true
			counts := map[graph.Kind]int{}
			for _, n := range e.Graph().Nodes() {
				counts[n.Kind]++
			}
			kinds := make([]string, 0, len(counts))
			for k, c := range counts {
				kinds = append(kinds, fmt.Sprintf("%d %ss", c, k))
			}
			sort.Strings(kinds)
			fmt.Fprintf(out, "project:     %s OK (%s)\n", e.Project.Config.Name, strings.Join(kinds, ", "))
			a.warnVarsDiffer(e, "debug")
			fmt.Fprintf(out, "target path: %s\n", e.Target)
			for _, n := range e.Graph().Nodes() {
				if n.Kind != graph.Source || n.Source.External == nil {
					continue
				}
				status := "OK"
				if err := e.CheckInput(n); err != nil {
					status, ok = "ERROR: "+err.Error(), false
				}
				fmt.Fprintf(out, "input:       %s <- %s %s\n", n.DisplayName(), n.Source.External.Path, status)
			}
			if !e.DatabaseExists() {
				fmt.Fprintf(out, "database:    %s not created yet (the first build creates it)\n", e.DBPath)
			} else if db, err := e.OpenDatabase(a.ctx); err != nil {
				fmt.Fprintf(out, "database:    %s ERROR: %v\n", e.DatabaseName(), err)
				return exit(ExitFailure)
			} else {
				msg := db.Unfinished(a.ctx)
				db.Close()
				if msg != "" {
					fmt.Fprintf(out, "database:    %s WARNING: %s\n", e.DatabaseName(), msg)
					ok = false
				} else {
					fmt.Fprintf(out, "database:    %s OK\n", e.DatabaseName())
				}
			}
			if !ok {
				return exit(ExitFailure)
			}
			fmt.Fprintln(out, "All checks passed.")
			return nil
		},
	}
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func orDefault(s, def string) string {
	if s != "" {
		return s
	}
	return def
}
