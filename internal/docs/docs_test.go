package docs

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"html"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"golang.org/x/tools/txtar"

	"github.com/kiln-build/kiln/adapter/duckdb/duckdbtest"
	"github.com/kiln-build/kiln/compiler"
	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/compiler/project"
	"github.com/kiln-build/kiln/internal/artifact"
	"github.com/kiln-build/kiln/internal/lineage"
)

var update = flag.Bool("update", false, "rewrite the want files of testdata/*.txtar")

var ctx = context.Background()

var when = time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)

// fixture is a compiled txtar project with its database and run results.
type fixture struct {
	ar      *txtar.Archive
	file    string
	m       *compiler.Manifest
	dbSQL   string
	results *artifact.RunResults
}

// loadFixture compiles the txtar project file, with the extra files added.
func loadFixture(t *testing.T, file string, extra ...txtar.File) *fixture {
	t.Helper()
	ar, err := txtar.ParseFile(file)
	if err != nil {
		t.Fatal(err)
	}
	ar.Files = append(ar.Files, extra...)
	f := &fixture{ar: ar, file: file}
	fsys := fstest.MapFS{}
	var rr []byte
	for _, x := range ar.Files {
		switch {
		case x.Name == "db.sql":
			f.dbSQL = string(x.Data)
		case x.Name == "run_results.json":
			rr = x.Data
		case strings.HasPrefix(x.Name, "want"):
		default:
			fsys[x.Name] = &fstest.MapFile{Data: x.Data}
		}
	}
	p, l := project.Load(fsys)
	if l.HasErrors() {
		t.Fatal(l)
	}
	m, errs := compiler.Compile(p, compiler.Options{})
	if errs != nil {
		t.Fatal(errs)
	}
	f.m = m
	if rr != nil {
		// Test IDs end in a hash: the fixture names them NAME.abc.
		for _, n := range m.Graph.Nodes() {
			if n.Kind == graph.Test {
				rr = bytes.ReplaceAll(rr, []byte("test.shop."+n.Name+".abc"), []byte(n.ID))
			}
		}
		path := filepath.Join(t.TempDir(), "run_results.json")
		os.WriteFile(path, rr, 0o644)
		if f.results, err = artifact.ReadRunResults(path); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

// input builds the docs input, with the fixture's database when withDB.
func (f *fixture) input(t *testing.T, withDB bool) *Input {
	t.Helper()
	c := duckdbtest.Conn(t)
	meta := CatalogMetadata{DbtVersion: "test", InvocationID: "inv", GeneratedAt: "2026-11-01T09:00:00.000000Z"}
	cat := EmptyCatalog(meta)
	var err error
	if withDB {
		if _, err := c.Exec(ctx, f.dbSQL); err != nil {
			t.Fatal(err)
		}
		if cat, err = ReadCatalog(ctx, c, f.m.Graph, meta); err != nil {
			t.Fatal(err)
		}
	}
	var ids []graph.ID
	var sqls []string
	for _, n := range f.m.Graph.Nodes() {
		if n.Kind == graph.Model && n.CompiledCode != "" {
			ids = append(ids, n.ID)
			sqls = append(sqls, n.CompiledCode)
		}
	}
	parsed, err := c.ParseSQL(ctx, sqls)
	if err != nil {
		t.Fatal(err)
	}
	trees := map[graph.ID][]byte{}
	for i, id := range ids {
		trees[id] = parsed[i]
	}
	return &Input{Manifest: f.m, Catalog: cat, Lineage: lineage.AnalyzeProject(f.m.Graph, trees, cat.Columns()),
		Results: f.results, KilnVersion: "test", GeneratedAt: when}
}

// dump prints the page's data readably, for the golden files.
func dump(s *site) string {
	var b strings.Builder
	label := func(i int) string {
		if i < 0 {
			return "?"
		}
		return s.Nodes[i].Label
	}
	for _, n := range s.Nodes {
		fmt.Fprintf(&b, "%s %s folder=%q", n.Kind, n.ID, n.Folder)
		if m, _ := n.Config["materialized"].(string); m != "" {
			fmt.Fprintf(&b, " %s", m)
		}
		if n.Relation != "" {
			fmt.Fprintf(&b, " relation=%s", n.Relation)
		}
		if n.Table != nil {
			fmt.Fprintf(&b, " table=%q rows=%d", n.Table.Type, n.Table.Rows)
		}
		var ps []string
		for _, p := range n.Parents {
			ps = append(ps, label(p))
		}
		fmt.Fprintf(&b, " parents=[%s]\n", strings.Join(ps, " "))
		if n.Description != "" {
			fmt.Fprintf(&b, "  description %s", n.Description)
		}
		if n.Source != nil && n.Source.Description != "" {
			fmt.Fprintf(&b, "  source description %s", n.Source.Description)
		}
		for _, c := range n.Columns {
			fmt.Fprintf(&b, "  column %s", c.Name)
			if c.Type != "" {
				fmt.Fprintf(&b, " %s", c.Type)
			}
			if c.Declared {
				b.WriteString(" declared")
			}
			if c.Upstream != nil {
				op := "<-"
				if c.Direct {
					op = "="
				}
				b.WriteString(" " + op)
				for _, u := range c.Upstream {
					if u.N < 0 {
						fmt.Fprintf(&b, " %s.%s", u.R, u.C)
					} else {
						fmt.Fprintf(&b, " %s.%s", label(u.N), u.C)
					}
				}
			}
			for _, x := range c.Tests {
				fmt.Fprintf(&b, " test:%s", s.Nodes[x].Name)
			}
			if c.Description != "" {
				fmt.Fprintf(&b, " description:%s", strings.TrimSpace(c.Description))
			}
			b.WriteByte('\n')
		}
		for _, note := range n.LineageNotes {
			fmt.Fprintf(&b, "  lineage note: %s\n", note)
		}
		if n.LineageError != "" {
			fmt.Fprintf(&b, "  lineage error: %s\n", n.LineageError)
		}
		if r := n.Result; r != nil {
			fmt.Fprintf(&b, "  result %s thread=%s %.0f-%.0fms expected=%q actual=%q\n", r.Status, r.Thread, r.Start, r.End, r.Expected, r.Actual)
		}
	}
	if s.Run != nil {
		fmt.Fprintf(&b, "run %s threads=%v span=%.0fms statuses=%v unknown=%d\n", s.Run.Command, s.Run.Threads, s.Run.Span, s.Run.Statuses, s.Run.Unknown)
	}
	return b.String()
}

// TestGolden compares the page's data of each testdata project with its
// want files, with and without the database.
func TestGolden(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.txtar")
	if len(files) == 0 {
		t.Fatal("no golden files")
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			f := loadFixture(t, file)
			got := map[string]string{
				"want":      dump(buildSite(f.input(t, true))),
				"want-nodb": dump(buildSite(f.input(t, false))),
			}
			changed := false
			for i, x := range f.ar.Files {
				g, ok := got[x.Name]
				if !ok || g == string(x.Data) {
					continue
				}
				if *update {
					f.ar.Files[i].Data = []byte(g)
					changed = true
					continue
				}
				t.Errorf("%s differs:\n--- got\n%s--- want\n%s", x.Name, g, x.Data)
			}
			if changed {
				if err := os.WriteFile(file, txtar.Format(f.ar), 0o644); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

var scriptRE = regexp.MustCompile(`(?s)<script>(.*?)</script>`)
var styleRE = regexp.MustCompile(`(?s)<style>(.*?)</style>`)
var cspRE = regexp.MustCompile(`<meta http-equiv="Content-Security-Policy" content="([^"]+)">`)

// TestPage checks the page itself: one self-contained file whose CSP
// allows exactly its own script and style, and user text only as data.
// A configuration value JSON cannot hold (a YAML .nan) is written as its
// text, as in the manifest, instead of failing the page.
func TestOddConfigValue(t *testing.T) {
	f := loadFixture(t, "testdata/shop.txtar")
	in := f.input(t, false)
	for _, n := range f.m.Graph.Nodes() {
		if n.Kind == graph.Model {
			n.Config.Extra = map[string]any{"threshold": math.NaN(), "limits": map[any]any{1: math.Inf(1)}}
			break
		}
	}
	var b bytes.Buffer
	if err := Render(&b, in); err != nil {
		t.Fatal(err)
	}
	if page := b.String(); !strings.Contains(page, `"threshold":"NaN"`) || !strings.Contains(page, `"limits":{"1":"+Inf"}`) {
		t.Error("the page does not hold the odd values as text")
	}
}

func TestPage(t *testing.T) {
	f := loadFixture(t, "testdata/shop.txtar")
	var b bytes.Buffer
	if err := Render(&b, f.input(t, true)); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	m := cspRE.FindStringSubmatch(page)
	if m == nil {
		t.Fatal("no Content-Security-Policy meta")
	}
	csp := html.UnescapeString(m[1])
	scripts := scriptRE.FindAllStringSubmatch(page, -1)
	styles := styleRE.FindAllStringSubmatch(page, -1)
	if len(scripts) != 1 || len(styles) != 1 {
		t.Fatalf("%d inline scripts and %d styles, want 1 and 1", len(scripts), len(styles))
	}
	for _, want := range []string{"default-src 'none'", "script-src '" + hash(scripts[0][1]) + "'", "style-src '" + hash(styles[0][1]) + "'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if n := strings.Count(page, "<script"); n != 2 {
		t.Errorf("%d <script elements, want the data and the code", n)
	}
	// The SVG namespace is a name, not an address.
	noNS := strings.ReplaceAll(page, `"http://www.w3.org/2000/svg"`, "")
	for _, bad := range []string{"<script>alert", " src=", "http://", "https://", "@import", "url("} {
		if strings.Contains(noNS, bad) {
			t.Errorf("the page holds %q", bad)
		}
	}
	// The data is valid JSON and keeps the user's text as it is.
	i := strings.Index(page, `<script id="kiln-data" type="application/json">`)
	j := strings.Index(page[i:], "</script>")
	var s site
	if err := json.Unmarshal([]byte(page[i+len(`<script id="kiln-data" type="application/json">`):i+j]), &s); err != nil {
		t.Fatal(err)
	}
	if len(s.Nodes) != f.m.Graph.Len() {
		t.Errorf("%d nodes in the data, want %d", len(s.Nodes), f.m.Graph.Len())
	}
	for _, n := range s.Nodes {
		if n.ID == "source.shop.raw.orders" && !strings.Contains(n.Description, "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;") {
			t.Errorf("source description %q", n.Description)
		}
	}
}

// TestWrite writes the site and checks lineage.json.
func TestWrite(t *testing.T) {
	f := loadFixture(t, "testdata/shop.txtar")
	dir := t.TempDir()
	if err := Write(dir, f.input(t, true)); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, LineageFile))
	if err != nil {
		t.Fatal(err)
	}
	var lj struct {
		Metadata map[string]any
		Nodes    map[string]struct {
			Columns []struct {
				Name     string
				Upstream []struct{ Node, Column string }
				Direct   bool
			}
			Complete bool
		}
	}
	if err := json.Unmarshal(data, &lj); err != nil {
		t.Fatal(err)
	}
	rev := lj.Nodes["model.shop.customer_revenue"]
	if !rev.Complete || len(rev.Columns) != 5 || rev.Columns[2].Name != "revenue" ||
		fmt.Sprint(rev.Columns[2].Upstream) != "[{model.shop.order_totals total}]" {
		t.Errorf("customer_revenue in lineage.json: %+v", rev)
	}
	if lj.Metadata["catalog"] != true {
		t.Errorf("metadata %v", lj.Metadata)
	}
	if _, err := os.Stat(filepath.Join(dir, IndexFile)); err != nil {
		t.Error(err)
	}
}

func TestNaturalLess(t *testing.T) {
	for _, c := range [][2]string{{"Thread-2", "Thread-10"}, {"Thread-1", "Thread-2"}, {"a", "b"}, {"Thread-9", "Thread-10"}, {"x1", "x1a"}} {
		if !naturalLess(c[0], c[1]) || naturalLess(c[1], c[0]) {
			t.Errorf("naturalLess(%q, %q) wrong", c[0], c[1])
		}
	}
}

// TestCatalogJSON checks catalog.json against the required keys of dbt's
// catalog v1 schema.
func TestCatalogJSON(t *testing.T) {
	f := loadFixture(t, "testdata/shop.txtar")
	in := f.input(t, true)
	data, err := json.Marshal(in.Catalog)
	if err != nil {
		t.Fatal(err)
	}
	var cat map[string]any
	json.Unmarshal(data, &cat)
	for _, k := range []string{"metadata", "nodes", "sources", "errors"} {
		if _, ok := cat[k]; !ok {
			t.Errorf("catalog lacks %q", k)
		}
	}
	if v := cat["metadata"].(map[string]any)["dbt_schema_version"]; v != CatalogSchema {
		t.Errorf("dbt_schema_version %v", v)
	}
	for _, group := range []string{"nodes", "sources"} {
		for id, x := range cat[group].(map[string]any) {
			tab := x.(map[string]any)
			meta := tab["metadata"].(map[string]any)
			for _, k := range []string{"type", "schema", "name"} {
				if s, _ := meta[k].(string); s == "" {
					t.Errorf("%s: metadata.%s is %v", id, k, meta[k])
				}
			}
			for name, c := range tab["columns"].(map[string]any) {
				col := c.(map[string]any)
				if col["name"] != name || col["type"] == "" || col["index"].(float64) < 1 {
					t.Errorf("%s.%s: %v", id, name, col)
				}
			}
			for sid, s := range tab["stats"].(map[string]any) {
				st := s.(map[string]any)
				if st["id"] != sid || st["label"] == "" || st["include"] == nil {
					t.Errorf("%s stat %s: %v", id, sid, st)
				}
			}
			if tab["unique_id"] != id {
				t.Errorf("%s: unique_id %v", id, tab["unique_id"])
			}
		}
	}
	if n := len(cat["nodes"].(map[string]any)); n != 3 {
		t.Errorf("%d nodes in the catalog, want the 3 relations of models", n)
	}
}
