package lineage

import (
	"encoding/json"
	"fmt"
	"runtime"
	"sort"
	"sync"

	"github.com/kiln-build/kiln/compiler"
	"github.com/kiln-build/kiln/compiler/graph"
)

// ephemeralPrefix is how the compiler names the CTE of an inlined
// ephemeral model: __dbt__cte__<model>.
const ephemeralPrefix = compiler.EphemeralPrefix

// Project is the column lineage of the models of a project.
type Project struct {
	// Models holds each analysed model's lineage, by unique_id.
	Models map[graph.ID]*Result
	// Errors holds why a model could not be analysed, by unique_id.
	Errors map[graph.ID]string
}

// AnalyzeProject computes the lineage of every model of g that has
// compiled SQL and a tree in trees (json_serialize_sql output, by
// unique_id; see adapter/duckdb.ParseSQL), in topological order.
//
// catalog gives the columns of the relations as the database has them, by
// unique_id; a node it does not hold is known by the analysis of its own
// SQL (models), else by the columns declared in YAML (sources and seeds,
// taken as incomplete). A model in the catalog has exactly the catalog's
// columns: the analysis's output is matched to them by position when the
// counts agree, else by name, a `*` over unknown columns standing for the
// rest.
func AnalyzeProject(g *graph.Graph, trees map[graph.ID][]byte, catalog map[graph.ID][]string) *Project {
	p := &Project{Models: map[graph.ID]*Result{}, Errors: map[graph.ID]string{}}
	rels := map[string]graph.ID{}
	byName := map[string][]graph.ID{}
	for _, n := range g.Nodes() {
		if n.Relation.IsZero() || n.Kind == graph.Test || n.Kind == graph.Export || n.Kind == graph.UnitTest {
			continue
		}
		rels[lower(n.Relation.Schema)+"."+lower(n.Relation.Name)] = n.ID
		byName[lower(n.Relation.Name)] = append(byName[lower(n.Relation.Name)], n.ID)
	}
	tables := map[graph.ID]*Table{}
	tableOf := func(id graph.ID) *Table {
		if t, ok := tables[id]; ok {
			return t
		}
		t := &Table{Node: string(id)}
		if cols, ok := catalog[id]; ok {
			t.Columns, t.Complete = cols, true
		} else if r := p.Models[id]; r != nil {
			for _, c := range r.Columns {
				if c.Name != "*" {
					t.Columns = append(t.Columns, c.Name)
				}
			}
			t.Complete = r.Complete
		} else if n := g.Node(id); n != nil {
			for _, c := range n.Columns {
				t.Columns = append(t.Columns, c.Name)
			}
		}
		tables[id] = t
		return t
	}
	lookup := func(_, schema, name string) *Table {
		if schema == "" {
			schema = "main"
			if ids := byName[lower(name)]; len(ids) == 1 {
				if _, ok := rels[schema+"."+lower(name)]; !ok {
					return tableOf(ids[0])
				}
			}
		}
		if id, ok := rels[lower(schema)+"."+lower(name)]; ok {
			return tableOf(id)
		}
		return nil
	}
	docs := decodeAll(g, trees)
	for _, n := range g.Nodes() {
		doc, ok := docs[n.ID]
		if n.Kind != graph.Model || !ok {
			continue
		}
		env := Env{Table: lookup, CTETables: map[string]*Table{}}
		for _, pid := range g.Parents(n.ID) {
			if pn := g.Node(pid); pn.Kind == graph.Model && pn.Config.Materialized == graph.Ephemeral {
				env.CTETables[lower(ephemeralPrefix+pn.Name)] = tableOf(pid)
			}
		}
		var res *Result
		err := doc.err
		if err == nil {
			res, err = analyzeDoc(doc.tree, env)
		}
		if err != nil {
			p.Errors[n.ID] = err.Error()
			continue
		}
		if cols, ok := catalog[n.ID]; ok {
			align(res, cols)
		}
		p.Models[n.ID] = res
	}
	p.expandReferenced(g)
	return p
}

// expandReferenced gives a model whose columns are partly unknown (a `*`
// over a relation without a catalog) the columns its children read from it,
// each computed through the `*`: the children's lineage then goes on
// upstream. Models are visited children first, so that chains of `*`
// resolve.
func (p *Project) expandReferenced(g *graph.Graph) {
	order := g.Order()
	for i := len(order) - 1; i >= 0; i-- {
		id := order[i]
		r := p.Models[id]
		if r == nil || r.Complete {
			continue
		}
		wild := r.Lookup("*")
		if wild == nil {
			continue
		}
		need := map[string]bool{}
		for _, child := range g.Children(id) {
			cr := p.Models[child]
			if cr == nil {
				continue
			}
			for _, c := range cr.Columns {
				for _, u := range c.Upstream {
					if u.Node == string(id) && u.Column != "*" && r.Lookup(u.Column) == nil {
						need[u.Column] = true
					}
				}
			}
		}
		names := make([]string, 0, len(need))
		for n := range need {
			names = append(names, n)
		}
		sort.Strings(names)
		star := *wild
		cols := make([]Column, 0, len(r.Columns)+len(names))
		for _, c := range r.Columns {
			if c.Name != "*" {
				cols = append(cols, c)
			}
		}
		for _, n := range names {
			cols = append(cols, throughStar(star, n))
		}
		r.Columns = append(cols, star)
	}
}

// throughStar is column name of a relation as a `*` column gives it: the
// same-named column of each relation the `*` reads.
func throughStar(star Column, name string) Column {
	c := Column{Name: name, Direct: star.Direct}
	for _, u := range star.Upstream {
		if u.Column == "*" {
			u.Column = name
		} else {
			c.Direct = false
		}
		c.Upstream = append(c.Upstream, u)
	}
	c.Direct = c.Direct && len(c.Upstream) == 1
	return c
}

type decoded struct {
	tree obj
	err  error
}

// decodeAll decodes the trees of g's models on all CPUs: decoding the JSON
// is most of the analysis's time.
func decodeAll(g *graph.Graph, trees map[graph.ID][]byte) map[graph.ID]*decoded {
	out := make(map[graph.ID]*decoded, len(trees))
	var ids []graph.ID
	for _, id := range g.Order() {
		if _, ok := trees[id]; ok && g.Node(id).Kind == graph.Model {
			ids = append(ids, id)
			out[id] = &decoded{}
		}
	}
	var wg sync.WaitGroup
	next := make(chan graph.ID)
	for range min(runtime.GOMAXPROCS(0), len(ids)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for id := range next {
				d := out[id]
				if err := json.Unmarshal(trees[id], &d.tree); err != nil {
					d.err = fmt.Errorf("lineage: not a json_serialize_sql tree: %w", err)
				}
			}
		}()
	}
	for _, id := range ids {
		next <- id
	}
	close(next)
	wg.Wait()
	return out
}

// align gives res exactly the columns names, in order (see
// AnalyzeProject).
func align(res *Result, names []string) {
	var known []Column
	var wild *Column
	byName := map[string]Column{}
	for i, c := range res.Columns {
		if c.Name == "*" {
			wild = &res.Columns[i]
			continue
		}
		known = append(known, c)
		if _, dup := byName[lower(c.Name)]; !dup {
			byName[lower(c.Name)] = c
		}
	}
	out := make([]Column, 0, len(names))
	positional := wild == nil && len(known) == len(names)
	for i, name := range names {
		var c Column
		if positional {
			c = known[i]
		} else if k, ok := byName[lower(name)]; ok {
			c = k
		} else if wild != nil {
			c = throughStar(*wild, name)
		} else {
			res.Notes = append(res.Notes, "column "+name+" of the database is not found in the query")
		}
		c.Name = name
		out = append(out, c)
	}
	res.Columns = out
	res.Complete = true
	sort.Strings(res.Notes)
}
