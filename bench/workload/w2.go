package workload

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// W2Width is the number of W2 models per layer (and per folder).
const W2Width = 100

// W2 writes into dir (emptied first) a project of n trivial table models and
// returns it. The models are laid out in layers of W2Width, one folder per
// layer with a YAML file documenting each model and its columns (no tests).
// A model of the first layer selects three literals; a later one selects
// three values from one or two parents (one of them in the layer just
// above), so that each table has one row. Building it costs little more
// than kiln's per-node overhead; compiling it measures the compiler.
func W2(dir string, n int) (*Project, error) {
	if n < 1 {
		return nil, fmt.Errorf("w2: need at least one model, got %d", n)
	}
	p, err := newProject("w2", dir)
	if err != nil {
		return nil, err
	}
	lay := newLayout(n, min(n, W2Width), 3, func(r *rand.Rand) int { return 1 + r.IntN(2) })
	f := files{}
	f.add("project.yml", projectYML(p.Name))
	props := map[int]*strings.Builder{}
	for i := range n {
		folder := fmt.Sprintf("models/g%03d", lay.layer(i))
		f.add(folder+"/"+w2Name(i)+".sql", w2SQL(i, lay.parents[i]))
		b := props[lay.layer(i)]
		if b == nil {
			b = &strings.Builder{}
			b.WriteString("version: 2\nmodels:\n")
			props[lay.layer(i)] = b
		}
		fmt.Fprintf(b, "  - name: %s\n    description: Trivial model %d of the W2 workload.\n    columns:\n"+
			"      - name: a\n        description: Depth of the model.\n      - name: b\n      - name: c\n", w2Name(i), i)
		p.Models++
	}
	for layer, b := range props {
		f.add(fmt.Sprintf("models/g%03d/_models.yml", layer), b.String())
	}
	return p, f.write(p.Dir)
}

func w2Name(i int) string { return fmt.Sprintf("w%05d", i) }

func w2SQL(i int, parents []int) string {
	switch len(parents) {
	case 0:
		return fmt.Sprintf("-- %s\nselect 1 as a, 'w2' as b, 2.5 as c\n", w2Name(i))
	case 1:
		return fmt.Sprintf("-- %s\nselect p.a + 1 as a, 'w2' as b, 2.5 as c\nfrom {{ ref('%s') }} as p\n", w2Name(i), w2Name(parents[0]))
	}
	return fmt.Sprintf("-- %s\nselect greatest(p.a, q.a) + 1 as a, 'w2' as b, 2.5 as c\nfrom {{ ref('%s') }} as p\ncross join {{ ref('%s') }} as q\n",
		w2Name(i), w2Name(parents[0]), w2Name(parents[1]))
}
