package docs

import (
	"path"
	"sort"
	"strings"
	"time"

	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/internal/artifact"
	"github.com/kiln-build/kiln/internal/lineage"
)

// site is the data the page runs on, embedded in it as JSON. Nodes are in
// topological order and refer to each other by position.
type site struct {
	Project     string     `json:"project"`
	GeneratedAt string     `json:"generated_at"`
	KilnVersion string     `json:"kiln_version"`
	HasCatalog  bool       `json:"has_catalog"`
	Kinds       []siteKind `json:"kinds"`
	// Overview is the project's {% docs __overview__ %} block, as HTML.
	Overview string      `json:"overview_html,omitempty"`
	Nodes    []*siteNode `json:"nodes"`
	Run      *siteRun    `json:"run"`
	// BuiltWith are the runs whose data the relations hold, with their
	// vars and input files (builtwith.go).
	BuiltWith []siteBuiltWith `json:"built_with"`
}

type siteNode struct {
	ID          graph.ID       `json:"id"`
	Kind        graph.Kind     `json:"kind"`
	Name        string         `json:"name"`
	Label       string         `json:"label"`
	Package     string         `json:"package"`
	Path        string         `json:"path"`
	Folder      string         `json:"folder"`
	FQN         []string       `json:"fqn"`
	Tags        []string       `json:"tags"`
	Config      map[string]any `json:"config"`
	Relation    string         `json:"relation,omitempty"`
	Description string         `json:"description_html,omitempty"`
	Raw         string         `json:"raw_code,omitempty"`
	Compiled    string         `json:"compiled_code,omitempty"`
	Parents     []int          `json:"parents"`
	Columns     []*siteColumn  `json:"columns"`
	Source      *siteSource    `json:"source,omitempty"`
	Test        *siteTest      `json:"test,omitempty"`
	Export      *siteExport    `json:"export,omitempty"`
	Exposure    *siteExposure  `json:"exposure,omitempty"`
	Table       *siteTable     `json:"table,omitempty"`
	Result      *siteResult    `json:"result,omitempty"`
	Batches     *siteBatches   `json:"batches,omitempty"`
	// Built is the run whose data the node's relation holds (the run
	// history's up-to-date state): not the last run when that one was
	// rolled back or found the node up to date.
	Built *siteBuilt `json:"built,omitempty"`
	// Hidden is docs.show false: the node is left out of the list and
	// drawn greyed in the graph, as dbt's docs site does.
	Hidden bool `json:"hidden,omitempty"`
	// Color is docs.node_color, a CSS colour name or hex code: the
	// node's box in the graph is filled with it.
	Color        string   `json:"node_color,omitempty"`
	Lineage      bool     `json:"lineage"`
	LineageNotes []string `json:"lineage_notes,omitempty"`
	LineageError string   `json:"lineage_error,omitempty"`
}

// siteBatches is a microbatch model's batching and its interval state:
// the batches built, oldest first.
type siteBatches struct {
	EventTime string         `json:"event_time"`
	Size      string         `json:"batch_size"`
	TimeZone  string         `json:"time_zone"`
	Built     []siteInterval `json:"built"`
}

// siteBuilt is the run that built a relation as it is.
type siteBuilt struct {
	RunID    string `json:"run_id"`
	Command  string `json:"command"`
	Finished string `json:"finished_at"` // RFC 3339, UTC
}

type siteInterval struct {
	Start   string `json:"start"` // RFC 3339, UTC
	End     string `json:"end"`
	RunID   string `json:"run_id"`
	BuiltAt string `json:"built_at"`
}

type siteColumn struct {
	Name        string    `json:"name"`
	Type        string    `json:"type,omitempty"`
	Description string    `json:"description_html,omitempty"`
	Declared    bool      `json:"declared,omitempty"`
	Tests       []int     `json:"tests,omitempty"`
	Upstream    []siteRef `json:"upstream,omitempty"`
	Direct      bool      `json:"direct,omitempty"`
}

// siteRef is an upstream column: node position N, or -1 and the relation's
// name R when no node stands for it.
type siteRef struct {
	N int    `json:"n"`
	R string `json:"r,omitempty"`
	C string `json:"c"`
}

type siteSource struct {
	SourceName  string `json:"source_name"`
	Description string `json:"source_description_html,omitempty"`
	Loader      string `json:"loader,omitempty"`
	Location    string `json:"location,omitempty"`
	Format      string `json:"format,omitempty"`
	Sheet       string `json:"sheet,omitempty"`
}

type siteTest struct {
	Generic  string         `json:"generic,omitempty"`
	Column   string         `json:"column,omitempty"`
	Attached int            `json:"attached"`
	Kwargs   map[string]any `json:"kwargs,omitempty"`
}

type siteExport struct {
	Format string      `json:"format"`
	Path   string      `json:"path"`
	Sheets []siteSheet `json:"sheets"`
}

type siteSheet struct {
	Name  string `json:"name,omitempty"`
	Model int    `json:"model"`
}

// siteExposure is what an exposure declares (dbt's exposure properties).
type siteExposure struct {
	Type     string `json:"type"`
	Label    string `json:"label,omitempty"`
	Maturity string `json:"maturity,omitempty"`
	URL      string `json:"url,omitempty"`
	Owner    string `json:"owner,omitempty"` // name <email, ...>
}

type siteTable struct {
	Type string `json:"type"`
	Rows int64  `json:"rows"`
}

// buildSite assembles the page's data from the inputs.
func buildSite(in *Input) *site {
	g := in.Manifest.Graph
	order := g.Order()
	pos := make(map[graph.ID]int, len(order))
	for i, id := range order {
		pos[id] = i
	}
	at := func(id graph.ID) int {
		if i, ok := pos[id]; ok {
			return i
		}
		return -1
	}
	s := &site{
		Project:     in.Manifest.Project.Config.Name,
		GeneratedAt: in.GeneratedAt.UTC().Format("2006-01-02T15:04:05Z"),
		KilnVersion: in.KilnVersion,
		HasCatalog:  in.Catalog != nil && len(in.Catalog.Nodes)+len(in.Catalog.Sources) > 0,
		Nodes:       make([]*siteNode, len(order)),
	}
	if d := in.Manifest.Docs[s.Project+".__overview__"]; d != nil {
		s.Overview = Markdown(d.Contents)
	}
	colTests := map[graph.ID]map[string][]int{}
	for i, id := range order {
		n := g.Node(id)
		if n.Kind == graph.Test && n.Test != nil && n.Test.ColumnName != "" {
			m := colTests[n.Test.Attached]
			if m == nil {
				m = map[string][]int{}
				colTests[n.Test.Attached] = m
			}
			k := strings.ToLower(n.Test.ColumnName)
			m[k] = append(m[k], i)
		}
	}
	// Columns that models read from each node: a source without a catalog
	// is known by them.
	referenced := map[graph.ID][]string{}
	if in.Lineage != nil {
		seen := map[lineage.ColumnRef]bool{}
		for _, id := range order {
			if r := in.Lineage.Models[id]; r != nil {
				for _, c := range r.Columns {
					for _, u := range c.Upstream {
						if !seen[u] && u.Column != "*" {
							seen[u] = true
							referenced[graph.ID(u.Node)] = append(referenced[graph.ID(u.Node)], u.Column)
						}
					}
				}
			}
		}
	}
	for i, id := range order {
		n := g.Node(id)
		sn := &siteNode{
			ID: n.ID, Kind: n.Kind, Name: n.Name, Label: n.DisplayName(), Package: n.Package,
			Path: n.Path, Folder: folder(n), FQN: nonNil(n.FQN), Tags: nonNil(n.Config.Tags),
			Config: artifact.Config(n), Description: Markdown(n.Description),
			Raw: n.RawCode, Compiled: n.CompiledCode, Parents: []int{},
		}
		show, color := n.DocsShown()
		sn.Hidden, sn.Color = !show, color
		if !n.Relation.IsZero() && n.Kind != graph.Test {
			sn.Relation = n.Relation.Display()
		}
		for _, p := range g.Parents(id) {
			sn.Parents = append(sn.Parents, at(p))
		}
		switch {
		case n.Source != nil:
			sn.Source = &siteSource{SourceName: n.Source.SourceName, Description: Markdown(n.Source.Description), Loader: n.Source.Loader}
			if x := n.Source.External; x != nil {
				sn.Source.Location, sn.Source.Format, sn.Source.Sheet = x.Location, x.Format, x.Sheet
			}
		case n.Test != nil:
			sn.Test = &siteTest{Generic: n.Test.Generic, Column: n.Test.ColumnName, Attached: at(n.Test.Attached), Kwargs: artifact.PlainMap(n.Test.Kwargs)}
		case n.Exposure != nil:
			x := n.Exposure
			sn.Exposure = &siteExposure{Type: x.Type, Label: x.Label, Maturity: x.Maturity, URL: x.URL, Owner: ownerText(x.Owner)}
		case n.Export != nil:
			sn.Export = &siteExport{Format: n.Export.Format, Path: n.Export.Path, Sheets: []siteSheet{}}
			for _, sh := range n.Export.Sheets {
				sn.Export.Sheets = append(sn.Export.Sheets, siteSheet{Name: sh.Name, Model: at(sh.Model)})
			}
		}
		if t := in.Catalog.Table(id); t != nil {
			sn.Table = &siteTable{Type: t.Metadata.Type, Rows: t.RowCount()}
		}
		if n.Incremental != nil && n.Incremental.Batch != nil {
			b := n.Incremental.Batch
			sn.Batches = &siteBatches{EventTime: b.EventTime, Size: b.Size, TimeZone: b.TimeZone, Built: []siteInterval{}}
			for _, iv := range in.Intervals[id] {
				sn.Batches.Built = append(sn.Batches.Built, siteInterval{Start: iv.Start.UTC().Format(time.RFC3339), End: iv.End.UTC().Format(time.RFC3339),
					RunID: iv.RunID, BuiltAt: iv.Built.UTC().Format(time.RFC3339)})
			}
		}
		if r, ok := in.Built[id]; ok {
			sn.Built = &siteBuilt{RunID: r.ID, Command: r.Command, Finished: r.Finished.UTC().Format(time.RFC3339)}
		}
		var res *lineage.Result
		if in.Lineage != nil {
			res = in.Lineage.Models[id]
			sn.LineageError = in.Lineage.Errors[id]
		}
		if res != nil {
			sn.Lineage = true
			sn.LineageNotes = res.Notes
		}
		sn.Columns = columns(n, in.Catalog.Table(id), res, colTests[id], referenced[id], at)
		s.Nodes[i] = sn
	}
	s.Kinds = kindsOf(s.Nodes)
	s.Run = buildRun(in.Results, s.Nodes, at)
	s.BuiltWith = builtWith(in, at)
	return s
}

// columns merges what is known of a node's columns: the catalog's (names,
// order, types), else the lineage's output, else the YAML's; then the
// YAML's descriptions, the tests on each column and its lineage.
//
// Without a catalog, a source or seed also has the columns that models
// read from it, and a model whose `*` could not be expanded a column "*"
// standing for the rest.
func columns(n *graph.Node, t *CatalogTable, res *lineage.Result, tests map[string][]int, referenced []string, at func(graph.ID) int) []*siteColumn {
	var out []*siteColumn
	byName := map[string]*siteColumn{}
	add := func(name string) *siteColumn {
		k := strings.ToLower(name)
		if c := byName[k]; c != nil {
			return c
		}
		c := &siteColumn{Name: name}
		byName[k] = c
		out = append(out, c)
		return c
	}
	if t != nil {
		for _, c := range t.OrderedColumns() {
			add(c.Name).Type = c.Type
		}
	}
	if res != nil {
		for _, lc := range res.Columns {
			if t != nil && byName[strings.ToLower(lc.Name)] == nil {
				continue
			}
			c := add(lc.Name)
			c.Direct = lc.Direct
			c.Upstream = []siteRef{}
			for _, u := range lc.Upstream {
				r := siteRef{N: at(graph.ID(u.Node)), C: u.Column}
				if r.N < 0 {
					r.R = u.Node
				}
				c.Upstream = append(c.Upstream, r)
			}
		}
	}
	for _, dc := range n.Columns {
		c := add(dc.Name)
		c.Declared = true
		c.Description = Markdown(dc.Description)
		if c.Type == "" {
			c.Type = dc.DataType
		}
	}
	if t == nil && res == nil {
		sorted := append([]string(nil), referenced...)
		sort.Strings(sorted)
		for _, name := range sorted {
			add(name)
		}
	}
	if star := byName["*"]; star != nil && out[len(out)-1] != star {
		// Keep "*" last, after the declared columns.
		for i, c := range out {
			if c == star {
				out = append(append(out[:i:i], out[i+1:]...), star)
				break
			}
		}
	}
	for _, c := range out {
		c.Tests = tests[strings.ToLower(c.Name)]
	}
	if out == nil {
		out = []*siteColumn{}
	}
	return out
}

// folder groups a node in the page's list: its file's folder, the source
// name for sources.
func folder(n *graph.Node) string {
	if n.Kind == graph.Source && n.Source != nil {
		return n.Source.SourceName
	}
	d := path.Dir(n.Path)
	if d == "." {
		return ""
	}
	return d
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// ownerText is an owner as "name <email>" (emails joined by ", ").
func ownerText(o map[string]any) string {
	name, _ := o["name"].(string)
	var emails []string
	switch e := o["email"].(type) {
	case string:
		emails = []string{e}
	case []any:
		for _, x := range e {
			if s, ok := x.(string); ok {
				emails = append(emails, s)
			}
		}
	}
	switch {
	case len(emails) == 0:
		return name
	case name == "":
		return strings.Join(emails, ", ")
	}
	return name + " <" + strings.Join(emails, ", ") + ">"
}
