package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kiln-build/kiln/compiler/graph"
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
			if err := a.writeManifest(e); err != nil {
				return &exitError{ExitFailure, err.Error()}
			}
			if len(rf.selects) == 0 {
				a.ui.Printf("compiled %d nodes to %s", e.manifest.Graph.Len(), rel(e.dir, e.target))
				return nil
			}
			ids, err := a.selectNodes(e, rf, nil)
			if err != nil {
				return err
			}
			skipped := 0
			defer func() {
				if skipped > 0 {
					a.ui.Printf("%d selected nodes have no SQL to print (sources, seeds, exports)", skipped)
				}
			}()
			for _, id := range ids {
				n := e.manifest.Graph.Node(id)
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
	cmd := &cobra.Command{
		Use:     "ls",
		Aliases: []string{"list"},
		Short:   "List the selected nodes, one per line, in a form --select accepts (project.folder.name, source:project.source.table)",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			e, err := a.load()
			if err != nil {
				return err
			}
			ids, err := a.selectNodes(e, rf, nil)
			if err != nil {
				return err
			}
			for _, id := range ids {
				n := e.manifest.Graph.Node(id)
				fmt.Fprintln(a.stdout, selectorName(n))
			}
			return nil
		},
	}
	rf.add(cmd)
	return cmd
}

// selectorName is dbt ls' default output: the fqn joined with dots, with
// "source:" for sources.
func selectorName(n *graph.Node) string {
	if n.Kind == graph.Source && n.Source != nil {
		return "source:" + n.Package + "." + n.Source.SourceName + "." + n.Name
	}
	return strings.Join(n.FQN, ".")
}
