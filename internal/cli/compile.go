package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/kiln-build/kiln/compiler/diag"
	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/engine"
	"github.com/kiln-build/kiln/internal/artifact"
)

func (a *app) compileCommand() *cobra.Command {
	rf := &runFlags{}
	var inline string
	cmd := &cobra.Command{
		Use:   "compile",
		Short: "Render every model and test to SQL under target/compiled and write manifest.json",
		Long: `compile renders the project without touching the database: compiled SQL
goes to <target>/compiled/ and the graph to <target>/manifest.json. With
--select, the compiled SQL of the selected models and tests is also printed
to stdout; a node whose template reads execute (run_query, statement...)
is rendered again with the database, as a run renders it, once the
database exists (execute is false while compiling, as in dbt's parse).
--inline compiles a query instead, with ref(), source(), var() and macros
as in a model, and prints its SQL alone, as dbt compile --inline does; it
writes nothing under the target folder (dbt writes there too).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cmd.Flags().Changed("inline") {
				return a.compileInline(rf, inline)
			}
			// Partial parsing: a compile of the whole project (no
			// --select) whose files did not change since the last one
			// rewrites manifest.json's metadata only.
			var pp *engine.Partial
			if len(rf.selected()) == 0 {
				pp = a.partial()
			}
			if pp.Valid() {
				abs, rel := pp.Target()
				release, err := engine.LockTarget(abs, "compile")
				if err != nil {
					return &exitError{ExitCannotStart, err.Error()}
				}
				n, ok := pp.CompileAgain("")
				release()
				if ok {
					a.warnVarsDifferAt(abs, "compile")
					a.ui.Printf("compiled %d nodes to %s", n, rel)
					return nil
				}
			}
			e, err := a.loadWith(pp)
			if err != nil {
				return err
			}
			a.warnVarsDiffer(e, "compile")
			// A run in progress holds the target folder: its manifest and
			// compiled SQL are its own.
			release, err := engine.LockTarget(e.Target, "compile")
			if err != nil {
				return &exitError{ExitCannotStart, err.Error()}
			}
			defer release()
			if len(rf.selected()) == 0 {
				e.ShowLogs(e.Graph().Order(), nil)
				n, err := e.CompileWithPartial(pp, "")
				if err != nil {
					return &exitError{ExitFailure, err.Error()}
				}
				a.ui.Printf("compiled %d nodes to %s", n, engine.Rel(e.Dir, e.Target))
				return nil
			}
			if err := e.WriteManifest(); err != nil {
				return &exitError{ExitFailure, err.Error()}
			}
			ids, err := e.Select(rf.selection())
			if err != nil {
				return a.startError(err)
			}
			return a.printCompiled(e, ids, false)
		},
	}
	rf.add(cmd)
	cmd.Flags().StringVar(&inline, "inline", "", "SQL to compile and print instead of the project's nodes, with ref(), source(), var() and macros as in a model (dbt compile --inline); nothing is written")
	return cmd
}

// compileInline is kiln compile --inline SQL: it compiles the project
// with SQL as the inline_query model (as kiln show --inline does) and
// prints SQL's compiled text, writing no manifest nor compiled file.
func (a *app) compileInline(rf *runFlags, sql string) error {
	if len(rf.selected()) > 0 || rf.selectorName != "" {
		return &exitError{ExitCannotStart, "kiln compile takes --inline or --select, not both"}
	}
	if strings.TrimSpace(sql) == "" {
		return &exitError{ExitCannotStart, "kiln compile --inline needs SQL: kiln compile --inline \"select * from {{ ref('orders') }}\""}
	}
	a.inline = sql
	e, err := a.load()
	if err != nil {
		return err
	}
	return a.printCompiled(e, []graph.ID{e.InlineID()}, true)
}

// printCompiled prints the compiled SQL of the nodes ids on stdout, each
// under a "-- id (path)" line (bare: the SQL alone, for --inline),
// rendered with the database for a node whose template reads execute
// when there is one.
func (a *app) printCompiled(e *engine.Project, ids []graph.ID, bare bool) error {
	// A node whose template reads execute renders again when it
	// runs (its compiled SQL may be empty): render it with the
	// database, as dbt compile does, once there is one.
	atRun, err := e.RenderNow(a.ctx, ids)
	noDB := ""
	switch {
	case errors.Is(err, engine.ErrNoDatabase) || engine.IsLocked(err):
		noDB = err.Error()
	case err != nil:
		return &exitError{ExitFailure, err.Error()}
	}
	e.ShowLogs(ids, atRun)
	skipped := 0
	defer func() {
		if skipped > 0 {
			a.ui.Printf("%d selected nodes have no SQL to print (sources, seeds, exports)", skipped)
		}
	}()
	emit := func(n *graph.Node, how, sql string) {
		if bare {
			fmt.Fprintf(a.stdout, "%s\n", strings.TrimSpace(sql))
			return
		}
		fmt.Fprintf(a.stdout, "-- %s (%s)%s\n%s\n\n", n.ID, n.Path, how, strings.TrimSpace(sql))
	}
	for _, id := range ids {
		n := e.Graph().Node(id)
		if !n.RenderAtRun {
			if n.CompiledCode == "" {
				skipped++
				continue
			}
			emit(n, "", n.CompiledCode)
			continue
		}
		if sql, ok := atRun[id]; ok {
			emit(n, ", rendered with the database: its template reads execute", sql)
			continue
		}
		// No database to render it with: its SQL while compiling
		// (execute false), and why.
		a.ui.Printf("%s %s reads execute, so it renders its SQL when it runs; it cannot be rendered now (%s): printing its SQL with execute false", n.Kind, n.DisplayName(), noDB)
		sql := strings.TrimSpace(n.CompiledCode)
		if sql == "" {
			sql = "-- (none: with execute false its template renders no SQL)"
		}
		emit(n, ", with execute false", sql)
	}
	return nil
}

func (a *app) lsCommand() *cobra.Command {
	rf := &runFlags{}
	var output string
	var keys []string
	cmd := &cobra.Command{
		Use:     "ls",
		Aliases: []string{"list"},
		Short:   "List the selected nodes, one per line",
		Long: `ls lists the selected nodes sorted by unique_id, one per line, as dbt ls:
--output selector (default: project.folder.name, source:project.source.table,
a form --select accepts), name, path (the file that defines the node), or
json (one object per line; --output-keys limits the keys). With json, a
microbatch model also has its interval state: "intervals", the batches
built ({"start", "end", "run_id", "built_at"}, UTC), read from the
project's database when it exists. As in dbt, -m/--models lists models
only (it implies --resource-type model, and cannot go with --select or
--resource-type).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) (err error) {
			// Partial parsing: the same ls over unchanged files prints
			// what it printed. Selections that read a previous run's
			// files (state:, result:, named selectors) are not cached.
			if err := checkLsKeys(keys); err != nil {
				return err
			}
			args := lsArgs(rf, output, keys)
			if a.warnError {
				args += " --warn-error" // a selection's warnings are errors
			}
			if a.warnErrorOptions != "" {
				args += " --warn-error-options " + a.warnErrorOptions
			}
			var pp *engine.Partial
			if lsCacheable(rf) {
				pp = a.partial()
			}
			if out, ok := pp.Output("ls", args); ok {
				abs, _ := pp.Target()
				a.warnVarsDifferAt(abs, "ls")
				_, err := a.stdout.Write(out)
				return err
			}
			sel, err := lsSelection(rf)
			if err != nil {
				return err
			}
			e, err := a.loadWith(pp)
			if err != nil {
				return err
			}
			extra := pp.Extra()
			a.warnVarsDiffer(e, "ls")
			e.StatSelectors(extra)
			ids, err := e.Select(sel)
			if err != nil {
				return a.startError(err)
			}
			// dbt's ListTask prints sorted(selected): by unique_id.
			ids = slices.Clone(ids)
			slices.Sort(ids)
			macroDeps := artifact.MacroDeps(e.Manifest)
			entry := artifact.Entries(e.Manifest)
			found := map[string]bool{} // the --output-keys some node has
			var wanted []string
			for _, k := range keys {
				wanted = append(wanted, strings.Fields(strings.ReplaceAll(k, ",", " "))...)
			}
			// The interval state of microbatch models, read from the
			// database when it exists and is free.
			var intervals map[graph.ID][]engine.Interval
			uncached := false
			if output == "json" && (len(wanted) == 0 || slices.Contains(wanted, "intervals")) {
				for _, id := range ids {
					if n := e.Graph().Node(id); n.Incremental != nil && n.Incremental.Batch != nil {
						uncached = true // the output depends on the database
					}
				}
				if intervals, err = e.Intervals(a.ctx, ids); err != nil {
					fmt.Fprintf(a.stderr, "kiln ls: the microbatch models' intervals are left out: %v\n", err)
				}
			}
			var out bytes.Buffer
			defer func() {
				_, werr := a.stdout.Write(out.Bytes())
				if err == nil && werr == nil && !uncached {
					pp.Save(e, "ls", args, extra, out.Bytes())
				}
			}()
			for _, id := range ids {
				n := e.Graph().Node(id)
				switch output {
				case "selector", "":
					fmt.Fprintln(&out, selectorName(n))
				case "name":
					name := n.Name
					if n.Version != "" {
						name = n.DisplayName() // dbt's search_name: customers.v2
					}
					fmt.Fprintln(&out, name)
				case "path":
					fmt.Fprintln(&out, n.Path)
				case "json":
					obj, err := lsObject(n, macroDeps(n), wanted, intervals, entry)
					if err != nil {
						return &exitError{ExitFailure, err.Error()}
					}
					for k := range obj {
						found[k] = true
					}
					b, err := json.Marshal(obj)
					if err != nil {
						return &exitError{ExitFailure, err.Error()}
					}
					out.Write(b)
					out.WriteByte('\n')
				default:
					return &exitError{ExitCannotStart, fmt.Sprintf("unknown --output %q; use selector, name, path or json", output)}
				}
			}
			if output == "json" && len(ids) > 0 {
				for _, k := range wanted {
					// intervals: the database's, none before a build.
					if !found[k] && k != "intervals" {
						// dbt leaves such a key out silently; say it (and
						// keep this output out of the cache, which would
						// print it without the warning).
						fmt.Fprintf(a.stderr, "kiln ls: no listed node has the key %q of --output-keys; the keys are those of a node's manifest.json entry (name, unique_id, config, depends_on, description, columns, ...)\n", k)
						uncached = true
					}
				}
			}
			return nil
		},
	}
	rf.add(cmd)
	cmd.Flags().StringVarP(&output, "output", "o", "selector", "selector, name, path or json")
	cmd.Flags().StringSliceVar(&keys, "output-keys", nil, "with --output json, the keys to print: any key of a node's manifest.json entry (name, unique_id, resource_type, package_name, original_file_path, fqn, alias, database, schema, tags, config, depends_on, description, columns, raw_code, ...), source_name, intervals")
	return cmd
}

// lsSelection is ls's selection: dbt's ls takes -m/--models as --select
// with --resource-type model (ListTask.resource_types), and refuses it
// with --select or --resource-type.
func lsSelection(rf *runFlags) (engine.Selection, error) {
	sel := rf.selection()
	if len(rf.models) == 0 {
		return sel, nil
	}
	switch {
	case len(rf.selects) > 0:
		return sel, &exitError{ExitCannotStart, "kiln ls: --models and --select are mutually exclusive (as in dbt ls): -m lists models only; use --select with --resource-type to list other nodes"}
	case len(rf.resourceTypes) > 0:
		return sel, &exitError{ExitCannotStart, "kiln ls: --models and --resource-type are mutually exclusive (as in dbt ls): -m lists models only; use --select with --resource-type"}
	}
	sel.ResourceTypes = []string{string(graph.Model)}
	return sel, nil
}

// lsArgs are ls's options, as the key of its cached output.
func lsArgs(rf *runFlags, output string, keys []string) string {
	fields := []string{"output", output, "indirect", rf.indirect, "selector", rf.selectorName, "state", rf.state}
	for _, l := range [][]string{rf.selects, rf.models, rf.excludes, rf.resourceTypes, rf.excludeTypes, keys} {
		fields = append(fields, fmt.Sprint(len(l)))
		fields = append(fields, l...)
	}
	return fmt.Sprintf("%q", fields)
}

// lsCacheable reports whether ls's selection reads only the project:
// state:, result:, --state and named selectors read a previous run's
// files, which the cache does not stamp.
func lsCacheable(rf *runFlags) bool {
	if rf.state != "" || rf.selectorName != "" {
		return false
	}
	for _, l := range [][]string{rf.selects, rf.models, rf.excludes} {
		for _, w := range l {
			if strings.Contains(w, "state:") || strings.Contains(w, "result:") {
				return false
			}
		}
	}
	return true
}

// lsKeys are the keys lsObject prints (some nodes lack some of them:
// source_name is a source's, intervals a microbatch model's).
var lsKeys = []string{"name", "unique_id", "resource_type", "package_name", "original_file_path", "fqn", "alias",
	"database", "schema", "tags", "config", "depends_on", "source_name", "intervals"}

// checkLsKeys refuses an --output-keys key that kiln ls never prints:
// neither one of lsKeys nor a key of a manifest.json entry
// (artifact.EntryKeys). dbt drops such a key silently; dbt's node keys
// kiln's manifest lacks, such as unrendered_config, are not supported
// yet. The error names the nearest key.
func checkLsKeys(keys []string) error {
	known := append(slices.Clone(lsKeys), artifact.EntryKeys()...)
	for _, k := range keys {
		for _, f := range strings.Fields(strings.ReplaceAll(k, ",", " ")) {
			if slices.Contains(known, f) {
				continue
			}
			hint := "kiln ls prints " + strings.Join(lsKeys, ", ") + ", and any key of a node's manifest.json entry"
			if near := diag.Closest(f, known, 1); len(near) > 0 {
				hint = fmt.Sprintf("did you mean %q? %s", near[0], hint)
			}
			return fmt.Errorf("--output-keys: %q is not a key kiln ls prints (not supported yet); hint: %s", f, hint)
		}
	}
	return nil
}

// lsObject is a node as dbt ls --output json prints it, limited to keys
// when given: depends_on holds macros (the unique_ids of the macros it
// calls) and nodes (a seed's macros only, as dbt's); database (null when
// none), schema and alias are manifest.json's (artifact.Names: for a
// test or an ephemeral model, those the project's generate_*_name macros
// give), a source has no alias (dbt's sources have an identifier); config
// is the node's whole config as manifest.json writes it (artifact.Config).
// A key of keys outside those is taken from the node's manifest.json
// entry (entry: artifact.Entries; nil leaves such keys out). A microbatch
// model has its interval state (intervals, by model: the batches built)
// under "intervals". The error is entry's.
func lsObject(n *graph.Node, macros []string, keys []string, intervals map[graph.ID][]engine.Interval, entry func(*graph.Node) (map[string]any, error)) (map[string]any, error) {
	tags := n.Config.Tags
	if tags == nil {
		tags = []string{}
	}
	deps := make([]string, len(n.DependsOn))
	for i, d := range n.DependsOn {
		deps[i] = string(d)
	}
	// config is the node's whole config, as manifest.json writes it (dbt
	// ls prints node.to_dict()'s).
	config := artifact.Config(n)
	all := map[string]any{
		"name": n.Name, "unique_id": string(n.ID), "resource_type": string(n.Kind), "package_name": n.Package,
		"original_file_path": n.Path, "fqn": n.FQN, "tags": tags, "config": config,
		"depends_on": map[string]any{"macros": macros, "nodes": deps},
	}
	switch n.Kind {
	case graph.Source:
		all["database"], all["schema"] = nullableName(n.Relation.Database), n.Relation.Schema
	case graph.Export, graph.UnitTest, graph.Exposure:
		all["database"], all["schema"], all["alias"] = nil, n.Relation.Schema, n.Name
	default:
		// manifest.json's names: a test's and an ephemeral model's are
		// those the project's generate_*_name macros give.
		all["database"], all["schema"], all["alias"] = artifact.Names(n)
	}
	if n.Kind == graph.Seed {
		all["depends_on"] = map[string]any{"macros": macros} // dbt's seeds depend on macros only
	}
	if n.Kind == graph.Source && n.Source != nil {
		all["source_name"] = n.Source.SourceName
	}
	if ivs, ok := intervals[n.ID]; ok {
		list := make([]map[string]string, len(ivs))
		for i, iv := range ivs {
			list[i] = map[string]string{"start": iv.Start.UTC().Format(time.RFC3339), "end": iv.End.UTC().Format(time.RFC3339),
				"run_id": iv.RunID, "built_at": iv.Built.UTC().Format(time.RFC3339)}
		}
		all["intervals"] = list
	}
	if len(keys) == 0 {
		return all, nil
	}
	out := map[string]any{}
	var e map[string]any
	for _, k := range keys {
		if v, ok := all[k]; ok {
			out[k] = v
			continue
		}
		// Any other key of the node's manifest.json entry (description,
		// columns, raw_code, ...), as dbt ls selects any key of
		// node.to_dict().
		if e == nil && entry != nil {
			var err error
			if e, err = entry(n); err != nil {
				return nil, err
			}
		}
		if v, ok := e[k]; ok {
			out[k] = v
		}
	}
	return out, nil
}

// selectorName is dbt ls' default output: the fqn joined with dots, with
// "source:" for sources.
func selectorName(n *graph.Node) string {
	if n.Kind == graph.Source && n.Source != nil {
		return "source:" + n.Package + "." + n.Source.SourceName + "." + n.Name
	}
	return strings.Join(n.FQN, ".")
}

// nullableName is s, or nil (JSON null) when empty.
func nullableName(s string) any {
	if s == "" {
		return nil
	}
	return s
}
