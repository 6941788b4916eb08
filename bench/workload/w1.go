package workload

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// W1 shape.
const (
	// W1Sources is the number of source tables.
	W1Sources = 10
	// W1Depth is the number of model layers.
	W1Depth = 10
	// W1Rows is the default number of rows of each source table.
	W1Rows = 100_000
)

// W1 writes into dir (emptied first) a project of n table models over
// W1Sources source tables of rows rows each, and returns it.
//
// The sources, raw.src_00 ... raw.src_09 (id, k, a, b, c), are declared
// without files: Project.Setup creates them with SQL. The models are laid
// out in W1Depth layers (fewer when n is not a multiple of W1Depth): a
// model of layer 0 reads one to three sources, a model of a later layer one
// to three models, one of them in the layer just above. A model with one
// upstream selects computed columns from it (filtering a tenth out) or
// aggregates it by k; a model with two or three joins them on id. Tables
// thus shrink down the DAG, as from staging to marts. Every model has a
// not_null test on id, and every other one a unique test too.
func W1(dir string, n, rows int) (*Project, error) {
	if n < 1 || rows < 1 {
		return nil, fmt.Errorf("w1: need at least one model and one row, got %d models of %d rows", n, rows)
	}
	p, err := newProject("w1", dir)
	if err != nil {
		return nil, err
	}
	width := (n + W1Depth - 1) / W1Depth
	arity := func(r *rand.Rand) int { return 1 + weighted(r, 50, 35, 15) }
	lay := newLayout(n, width, 1, arity)
	r := rand.New(rand.NewPCG(2, 0x77316d6f64656c73))
	f := files{}
	f.add("project.yml", projectYML(p.Name))
	f.add("models/sources.yml", w1SourcesYML())
	p.Setup = w1Setup(rows)

	props := map[int]*strings.Builder{}
	for i := range n {
		var ups []string
		if lay.layer(i) == 0 {
			for _, s := range r.Perm(W1Sources)[:arity(r)] {
				ups = append(ups, fmt.Sprintf("{{ source('raw', '%s') }}", w1Source(s)))
			}
		} else {
			for _, par := range lay.parents[i] {
				ups = append(ups, fmt.Sprintf("{{ ref('%s') }}", w1Name(par)))
			}
		}
		folder := fmt.Sprintf("models/l%02d", lay.layer(i))
		f.add(folder+"/"+w1Name(i)+".sql", w1SQL(w1Name(i), ups, r.IntN(2) == 0))
		b := props[lay.layer(i)]
		if b == nil {
			b = &strings.Builder{}
			b.WriteString("version: 2\nmodels:\n")
			props[lay.layer(i)] = b
		}
		tests := []string{"not_null"}
		if i%2 == 0 {
			tests = append(tests, "unique")
		}
		fmt.Fprintf(b, "  - name: %s\n    columns:\n      - name: id\n        data_tests: %s\n", w1Name(i), yamlList(tests))
		p.Models++
		p.Tests += len(tests)
	}
	for layer, b := range props {
		f.add(fmt.Sprintf("models/l%02d/_models.yml", layer), b.String())
	}
	return p, f.write(p.Dir)
}

func w1Name(i int) string   { return fmt.Sprintf("m%04d", i) }
func w1Source(i int) string { return fmt.Sprintf("src_%02d", i) }

// weighted returns an index drawn with the given relative weights.
func weighted(r *rand.Rand, weights ...int) int {
	total := 0
	for _, w := range weights {
		total += w
	}
	x := r.IntN(total)
	for i, w := range weights {
		if x < w {
			return i
		}
		x -= w
	}
	return len(weights) - 1
}

func w1SourcesYML() string {
	var b strings.Builder
	b.WriteString("version: 2\nsources:\n  - name: raw\n    schema: raw\n    description: Made by the harness's setup statements.\n    tables:\n")
	for s := range W1Sources {
		fmt.Fprintf(&b, "      - name: %s\n", w1Source(s))
	}
	return b.String()
}

// w1Setup returns the statements that create the source tables: ids 0 to
// rows-1, k in 1,000 groups, pseudo-random a and b, and a 50-value text c.
func w1Setup(rows int) []string {
	stmts := []string{"create schema if not exists raw"}
	for s := range W1Sources {
		stmts = append(stmts, fmt.Sprintf(`create or replace table raw.%s as
select range as id, range %% 1000 as k,
    cast(hash(range * %[2]d + %[3]d) %% 100003 as bigint) as a,
    cast(hash(range * %[2]d + %[4]d) %% 1000000 as double) / 1000 as b,
    'c' || (range %% 50) as c
from range(%[5]d)`, w1Source(s), W1Sources, s, s+W1Sources*7, rows))
	}
	return stmts
}

// W1PostgresSetup is W1's set-up in PostgreSQL, for its benchmark on a
// PostgreSQL target: the same ten sources of rows rows, their numbers from
// PostgreSQL's hashint8 instead of DuckDB's hash (other values, the same
// shapes and distributions).
func W1PostgresSetup(rows int) []string {
	stmts := []string{"create schema if not exists raw"}
	for s := range W1Sources {
		stmts = append(stmts, fmt.Sprintf(`create table raw.%s as
select g as id, g %% 1000 as k,
    abs(hashint8(g * %[2]d + %[3]d)) %% 100003 as a,
    cast(abs(hashint8(g * %[2]d + %[4]d)) %% 1000000 as double precision) / 1000 as b,
    'c' || (g %% 50) as c
from generate_series(0, %[5]d) as g`, w1Source(s), W1Sources, s, s+W1Sources*7, rows-1))
	}
	return stmts
}

// w1SQL returns the SQL of a model reading the upstream relations ups (as
// template expressions); with one upstream, agg chooses aggregation over a
// plain select. Every model yields (id, k, a, b, c) with id unique: a
// select keeps about 90% of its upstream's rows, an aggregate one row per
// k (so at most 1,000, and the next aggregate 100), a join on id the rows
// whose id all its upstreams have.
func w1SQL(name string, ups []string, agg bool) string {
	var b strings.Builder
	switch {
	case len(ups) == 1 && !agg:
		fmt.Fprintf(&b, `-- %s: select
select id, k, (a * 3 + 7) %% 100003 as a, b * 0.5 + 1 as b,
    case when a %% 2 = 0 then c else upper(c) end as c
from %s
where a %% 10 <> 0
`, name, ups[0])
	case len(ups) == 1:
		fmt.Fprintf(&b, `-- %s: aggregate by k
select k as id, k %% 100 as k, sum(a) %% 100003 as a, avg(b) as b, min(c) as c
from %s
group by k
`, name, ups[0])
	default:
		sumA, sumB := []string{}, []string{}
		for j := range ups {
			sumA = append(sumA, fmt.Sprintf("p%d.a", j+1))
			sumB = append(sumB, fmt.Sprintf("p%d.b", j+1))
		}
		fmt.Fprintf(&b, "-- %s: join of %d\nselect p1.id, p1.k, (%s) %% 100003 as a, (%s) / %d as b, p%d.c\nfrom %s as p1\n",
			name, len(ups), strings.Join(sumA, " + "), strings.Join(sumB, " + "), len(ups), len(ups), ups[0])
		for j := 1; j < len(ups); j++ {
			fmt.Fprintf(&b, "join %s as p%d on p%d.id = p1.id\n", ups[j], j+1, j+1)
		}
	}
	return b.String()
}
