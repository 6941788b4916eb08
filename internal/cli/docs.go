package cli

import (
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"sort"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/engine"
	"github.com/kiln-build/kiln/internal/docs"
)

func (a *app) docsCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "docs",
		Short: "Generate and serve the lineage documentation",
		Long: `docs writes the project's documentation as one static HTML file that
opens from disk with no server and no network: the lineage graph, a page
per node with its columns and their column-level lineage, and the last
run's timeline and test results.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(a.docsGenerateCommand(), a.docsServeCommand())
	return cmd
}

func (a *app) docsGenerateCommand() *cobra.Command {
	var emptyCatalog bool
	rf := &runFlags{}
	cmd := &cobra.Command{
		Use:   "generate",
		Short: "Write target/docs/index.html, target/docs/lineage.json and target/catalog.json",
		Long: `generate compiles the project, reads the columns, types and row counts of
the last build's database (when there is one), derives the column-level
lineage of every model from DuckDB's parser, and writes:

  <target>/docs/index.html    the documentation, one self-contained file
  <target>/docs/lineage.json  the column lineage, for other tools
  <target>/catalog.json       dbt's catalog of the database's relations

Without a database (or with --empty-catalog) the docs show no types or row
counts, and columns come from the models' SQL and the YAML files. While
another process (a build) holds the database, docs made with it are kept,
not replaced: generate says so and exits 1; run it again once the build
ends. The last run shown is <target>/run_results.json.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			e, err := a.load()
			if err != nil {
				return err
			}
			var sel map[graph.ID]bool
			if len(rf.selected())+len(rf.excludes) > 0 || rf.selectorName != "" || len(rf.resourceTypes)+len(rf.excludeTypes) > 0 {
				ids, err := e.Select(rf.selection())
				if err != nil {
					return a.startError(err)
				}
				sel = toSet(ids)
			}
			opts := docs.Options{
				TargetDir: e.Target, DBPath: e.DBPath, EmptyCatalog: emptyCatalog,
				KilnVersion: version(), InvocationID: e.InvocationID(), Select: sel,
			}
			if e.OnServer() {
				t := e.DatabaseTarget()
				opts.Database = &t
			}
			vars, _ := e.Vars()
			if w := docsVarsWarning(e.Target, vars); w != "" {
				a.ui.Printf("%s", w)
			}
			sum, err := docs.Generate(a.ctx, e.Manifest, opts)
			var kept *docs.KeptError
			if errors.As(err, &kept) {
				kept.Docs = engine.Rel(e.Dir, kept.Docs)
			}
			if err != nil {
				return &exitError{ExitFailure, err.Error()}
			}
			if sum.NoCatalog != "" {
				a.ui.Printf("warning: the docs are made without the database (%s): no column types or row counts", sum.NoCatalog)
			}
			ids := make([]graph.ID, 0, len(sum.LineageErrors))
			for id := range sum.LineageErrors {
				ids = append(ids, id)
			}
			sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
			for _, id := range ids {
				a.ui.Printf("warning: no column lineage for %s: %s", id, sum.LineageErrors[id])
			}
			a.ui.Printf("wrote %s: %d nodes, column lineage of %d columns in %d models; open it in a browser",
				engine.Rel(e.Dir, filepath.Join(sum.Dir, docs.IndexFile)), sum.Nodes, sum.Columns, sum.Models)
			return nil
		},
	}
	cmd.Flags().BoolVar(&emptyCatalog, "empty-catalog", false, "do not read the database: no column types or row counts")
	rf.add(cmd)
	return cmd
}

func (a *app) docsServeCommand() *cobra.Command {
	var host string
	var port int
	var allow []string
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve target/docs over HTTP until interrupted",
		Long: `serve serves the generated documentation (kiln docs generate) at
http://HOST:PORT/ until interrupted: at Ctrl-C or SIGTERM it says it stopped
serving and exits with 130, as every kiln command a signal ends. The
page needs no server: opening
target/docs/index.html from disk works as well.

What it exposes: the regular files under <target>/docs and nothing else,
read-only (GET and HEAD): index.html holds the project's SQL, YAML
descriptions, column names and types, row counts and the last run's
results and messages. A symbolic link is followed only when it stays
inside the folder; directories are not listed. By default it listens on
127.0.0.1, so only this machine can connect, and it answers only requests
whose Host header is the address it listens on (or localhost on that
port): a web page cannot reach it through DNS rebinding. To share the
docs on a network, listen with --host and name the host names browsers
will use with --allow-host.`,
		Example: `  kiln docs serve
  kiln docs serve --host 0.0.0.0 --port 8080 --allow-host docs.internal.example.com`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			e, err := a.load()
			if err != nil {
				return err
			}
			if port < 0 || port > 65535 {
				return &exitError{ExitCannotStart, fmt.Sprintf("--port %d is not a port number: use 0 to 65535 (0 picks a free one)", port)}
			}
			var served string
			err = docs.Serve(a.ctx, docs.ServeOptions{
				Dir:        filepath.Join(e.Target, "docs"),
				Addr:       net.JoinHostPort(host, strconv.Itoa(port)),
				AllowHosts: allow,
				Ready: func(url string) {
					served = url
					a.ui.Printf("serving the docs at %s (Ctrl-C to stop)", url)
				},
			})
			if err != nil {
				return &exitError{ExitCannotStart, err.Error()}
			}
			if a.ctx.Err() != nil && served != "" {
				// A server ends at a signal: that is its stop, not an
				// interruption of work; 130 as every command a
				// signal ends.
				return &exitError{ExitInterrupted, fmt.Sprintf("stopped serving the docs at %s: interrupted", served)}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&host, "host", "127.0.0.1", "address to listen on")
	cmd.Flags().IntVar(&port, "port", 8080, "port to listen on (0 picks a free one)")
	cmd.Flags().StringArrayVar(&allow, "allow-host", nil, "a host name (or name:port) that requests may name in their Host header, besides the address listened on")
	return cmd
}
