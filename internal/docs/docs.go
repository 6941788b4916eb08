// Package docs writes kiln's lineage documentation: one self-contained HTML
// file (target/docs/index.html) with the project's nodes, the lineage
// graph, a page per node with its columns and their column-level lineage,
// and the last run's timeline and test results; beside it the column
// lineage as JSON (target/docs/lineage.json) and dbt's catalog.json in the
// target folder.
//
// The page makes no request: its CSS, script and data are inline, and a
// Content-Security-Policy meta forbids any load (default-src 'none'),
// allowing only its own script and style by their SHA-256. It is built with
// html/template; user text reaches the page as JSON data that the script
// writes with textContent, and descriptions as the HTML of a safe Markdown
// subset (Markdown), so that a description or a column name holding
// <script> shows as text.
//
// The graph's filter box takes kiln's --select grammar. The page is
// static, so the grammar is evaluated in the browser: assets/select.js
// ports compiler/selector's parser and methods (fqn, path, file, tag,
// package, source, resource_type, test_name, test_type, config, result;
// graph operators, unions, intersections, --exclude, eager indirect
// selection of tests) over facts embedded for each node (kind, name,
// package, path, fqn, tags, config, source name, test name, last status).
// state: needs a previous manifest and is refused. A browser test compares
// its answers with compiler/selector's on the BottleNeck project.
//
// A graph of more than 400 nodes is not drawn whole: the page asks for a
// node or a narrower filter, then draws the neighbourhood of the selection.
// A graph is first shown whole only when its node titles are then at least
// 11.5 px on the screen; otherwise it starts at that size from its roots,
// and the "fit" button shows it whole.
//
// The page names no node kind: the generator gives it, for each kind
// present, a title, a colour and whether it is a check (kinds.go), so that
// a kind the compiler adds (snapshot, exposure...) shows in the graph, the
// list and the overview without a change to the script. The search finds a
// node by its name, unique_id, column names and description: a column name
// lists the nodes that have the column.
package docs

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/kiln-build/kiln/adapter"
	"github.com/kiln-build/kiln/compiler"
	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/internal/artifact"
	"github.com/kiln-build/kiln/internal/lineage"
)

// Files written under the docs folder.
const (
	IndexFile   = "index.html"
	LineageFile = "lineage.json"
)

//go:embed assets
var assets embed.FS

// scriptFiles are concatenated, in order, into the page's one script.
var scriptFiles = []string{"util.js", "select.js", "layout.js", "graph.js", "pages.js", "gates.js", "run.js", "app.js"}

var page = template.Must(template.ParseFS(assets, "assets/index.html.tmpl"))

// Input is what the documentation is made of.
type Input struct {
	// Manifest is the compiled project (required).
	Manifest *compiler.Manifest
	// Catalog is what the database holds; nil or empty without a database.
	Catalog *Catalog
	// Lineage is the column lineage of the models; nil for none.
	Lineage *lineage.Project
	// Results are the last run's results; nil before any run.
	Results *artifact.RunResults
	// KilnVersion and GeneratedAt are shown on the page.
	KilnVersion string
	GeneratedAt time.Time
	// Intervals are the interval state of the microbatch models (the
	// batches built), by model; nil without a database.
	Intervals map[graph.ID][]adapter.Interval
	// Built is, by node, the run whose data its relation holds (the run
	// history's up-to-date state, adapter.Store.BuiltBy); nil without a
	// database.
	Built map[graph.ID]adapter.RunRecord
	// Inputs are the input files recorded by the last invocation that
	// compiled the project (ReadRunInputs); shown for the run that built
	// the relations when it is that invocation. nil when not known.
	Inputs *RunInputs
}

// Render writes the page (index.html) to w.
func Render(w io.Writer, in *Input) error {
	s := buildSite(in)
	data, err := jsonMarshal(s)
	if err != nil {
		return fmt.Errorf("cannot encode the docs data: %w", err)
	}
	js, css, err := scriptAndStyle()
	if err != nil {
		return err
	}
	css += kindCSS(s.Kinds)
	csp := "default-src 'none'; script-src '" + hash(js) + "'; style-src '" + hash(css) +
		"'; img-src data:; base-uri 'none'; form-action 'none'"
	return page.Execute(w, map[string]any{
		"Project": in.Manifest.Project.Config.Name,
		"CSP":     csp,
		"CSS":     template.CSS(css),
		"JS":      template.JS(js),
		"Data":    template.JS(data),
	})
}

func scriptAndStyle() (js, css string, err error) {
	var b strings.Builder
	b.WriteString("(function () {\n\"use strict\";\n")
	for _, f := range scriptFiles {
		src, err := assets.ReadFile("assets/" + f)
		if err != nil {
			return "", "", err
		}
		b.WriteString("// ---- " + f + "\n")
		b.Write(src)
	}
	b.WriteString("})();\n")
	style, err := assets.ReadFile("assets/style.css")
	if err != nil {
		return "", "", err
	}
	return b.String(), string(style), nil
}

// hash is a CSP source expression for an inline element's text.
func hash(text string) string {
	sum := sha256.Sum256([]byte(text))
	return "sha256-" + base64.StdEncoding.EncodeToString(sum[:])
}

// jsonMarshal encodes v with <, > and & escaped (\u003c...), so that the
// text can sit inside a <script> element.
func jsonMarshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(true)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}

// Write writes dir/index.html and dir/lineage.json atomically, creating
// dir.
func Write(dir string, in *Input) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var b bytes.Buffer
	if err := Render(&b, in); err != nil {
		return err
	}
	if err := artifact.WriteFileAtomic(filepath.Join(dir, IndexFile), b.Bytes(), 0o644); err != nil {
		return err
	}
	lj, err := LineageJSON(in)
	if err != nil {
		return err
	}
	return artifact.WriteFileAtomic(filepath.Join(dir, LineageFile), lj, 0o644)
}

// LineageJSON returns lineage.json, the column lineage for other tools:
//
//	{
//	  "metadata": {"kiln_version", "generated_at", "project_name", "catalog": true if columns came from the database},
//	  "nodes": {unique_id: {
//	    "columns": [{"name", "upstream": [{"node": unique_id, "column"}], "direct": bool}],
//	    "complete": bool, "notes": [...]}},
//	  "errors": {unique_id: "why the model's SQL could not be analysed"}
//	}
//
// Each model lists its output columns in order; upstream names the columns
// of the relations the model reads (one step: follow the nodes for the
// whole chain). "node" is a unique_id, or the relation's name as written
// when no node stands for it. direct is true when the column is one
// upstream column as it is (renamed or cast at most).
func LineageJSON(in *Input) ([]byte, error) {
	type file struct {
		Metadata map[string]any               `json:"metadata"`
		Nodes    map[graph.ID]*lineage.Result `json:"nodes"`
		Errors   map[graph.ID]string          `json:"errors"`
	}
	f := file{
		Metadata: map[string]any{
			"kiln_version": in.KilnVersion,
			"generated_at": in.GeneratedAt.UTC().Format(time.RFC3339),
			"project_name": in.Manifest.Project.Config.Name,
			"catalog":      in.Catalog != nil && len(in.Catalog.Nodes)+len(in.Catalog.Sources) > 0,
		},
		Nodes:  map[graph.ID]*lineage.Result{},
		Errors: map[graph.ID]string{},
	}
	if in.Lineage != nil {
		f.Nodes, f.Errors = in.Lineage.Models, in.Lineage.Errors
	}
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}
