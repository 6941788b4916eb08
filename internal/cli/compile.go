package cli

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/engine"
)

func (a *app) compileCommand() *cobra.Command {
	rf := &runFlags{}
	cmd := &cobra.Command{
		Use:   "compile",
		Short: "Render every model and test to SQL under target/compiled and write manifest.json",
		Long: `compile renders the project without touching the database: compiled SQL
goes to <target>/compiled/ and the graph to <target>/manifest.json. With
--select, the compiled SQL of the selected models and tests is also printed
to stdout.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			e, err := a.load()
			if err != nil {
				return err
			}
			// A run in progress holds the target folder: its manifest and
			// compiled SQL are its own.
			release, err := engine.LockTarget(e.Target, "compile")
			if err != nil {
				return &exitError{ExitCannotStart, err.Error()}
			}
			defer release()
			if err := e.WriteManifest(); err != nil {
				return &exitError{ExitFailure, err.Error()}
			}
			if len(rf.selected()) == 0 {
				a.ui.Printf("compiled %d nodes to %s", e.Graph().Len(), engine.Rel(e.Dir, e.Target))
				return nil
			}
			ids, err := e.Select(rf.selection())
			if err != nil {
				return a.startError(err)
			}
			skipped := 0
			defer func() {
				if skipped > 0 {
					a.ui.Printf("%d selected nodes have no SQL to print (sources, seeds, exports)", skipped)
				}
			}()
			for _, id := range ids {
				n := e.Graph().Node(id)
				if n.CompiledCode == "" {
					skipped++
					continue
				}
				fmt.Fprintf(a.stdout, "-- %s (%s)\n%s\n\n", n.ID, n.Path, strings.TrimSpace(n.CompiledCode))
			}
			return nil
		},
	}
	rf.add(cmd)
	return cmd
}

func (a *app) lsCommand() *cobra.Command {
	rf := &runFlags{}
	var output string
	var keys []string
	cmd := &cobra.Command{
		Use:     "ls",
		Aliases: []string{"list"},
		Short:   "List the selected nodes, one per line",
		Long: `ls lists the selected nodes in topological order, one per line, as dbt ls:
--output selector (default: project.folder.name, source:project.source.table,
a form --select accepts), name, path (the file that defines the node), or
json (one object per line; --output-keys limits the keys).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			e, err := a.load()
			if err != nil {
				return err
			}
			ids, err := e.Select(rf.selection())
			if err != nil {
				return a.startError(err)
			}
			var wanted []string
			for _, k := range keys {
				wanted = append(wanted, strings.Fields(strings.ReplaceAll(k, ",", " "))...)
			}
			for _, id := range ids {
				n := e.Graph().Node(id)
				switch output {
				case "selector", "":
					fmt.Fprintln(a.stdout, selectorName(n))
				case "name":
					fmt.Fprintln(a.stdout, n.Name)
				case "path":
					fmt.Fprintln(a.stdout, n.Path)
				case "json":
					b, err := json.Marshal(lsObject(n, wanted))
					if err != nil {
						return &exitError{ExitFailure, err.Error()}
					}
					fmt.Fprintln(a.stdout, string(b))
				default:
					return &exitError{ExitCannotStart, fmt.Sprintf("unknown --output %q; use selector, name, path or json", output)}
				}
			}
			return nil
		},
	}
	rf.add(cmd)
	cmd.Flags().StringVarP(&output, "output", "o", "selector", "selector, name, path or json")
	cmd.Flags().StringSliceVar(&keys, "output-keys", nil, "with --output json, the keys to print (name, unique_id, resource_type, package_name, original_file_path, fqn, alias, schema, tags, config, depends_on)")
	return cmd
}

// lsObject is a node as dbt ls --output json prints it, limited to keys
// when given.
func lsObject(n *graph.Node, keys []string) map[string]any {
	tags := n.Config.Tags
	if tags == nil {
		tags = []string{}
	}
	deps := make([]string, len(n.DependsOn))
	for i, d := range n.DependsOn {
		deps[i] = string(d)
	}
	all := map[string]any{
		"name": n.Name, "unique_id": string(n.ID), "resource_type": string(n.Kind), "package_name": n.Package,
		"original_file_path": n.Path, "fqn": n.FQN, "alias": n.Relation.Name, "schema": n.Relation.Schema,
		"tags": tags, "depends_on": map[string]any{"nodes": deps},
		"config": map[string]any{"enabled": n.Config.Enabled, "materialized": n.Config.Materialized, "tags": tags},
	}
	if n.Config.Severity != "" {
		all["config"].(map[string]any)["severity"] = n.Config.Severity
	}
	if n.Kind == graph.Source && n.Source != nil {
		all["source_name"] = n.Source.SourceName
	}
	if len(keys) == 0 {
		return all
	}
	out := map[string]any{}
	for _, k := range keys {
		if v, ok := all[k]; ok {
			out[k] = v
		}
	}
	return out
}

// selectorName is dbt ls' default output: the fqn joined with dots, with
// "source:" for sources.
func selectorName(n *graph.Node) string {
	if n.Kind == graph.Source && n.Source != nil {
		return "source:" + n.Package + "." + n.Source.SourceName + "." + n.Name
	}
	return strings.Join(n.FQN, ".")
}
