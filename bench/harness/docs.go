package harness

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/kiln-build/kiln/bench/workload"
)

// DocsResult times kiln docs generate (issue 5's scale goal).
type DocsResult struct {
	Models int
	Docs   *Variant
	Others []*Variant // Config.Compare's kiln
}

// docsRows is the size of the sources of the docs workload: the docs cost
// the graph, the SQL and the catalog, not the rows.
const docsRows = 1000

// docsBench builds W1 with n models over small sources once, then times
// kiln docs generate on it: target/docs/index.html and catalog.json, with
// the column lineage of every model.
func (s *suite) docsBench(n int) error {
	label := fmt.Sprintf("docs-w1-%d", n)
	p, err := workload.W1(filepath.Join(s.cfg.Work, label), n, docsRows)
	if err != nil {
		return err
	}
	if err := os.RemoveAll(filepath.Join(p.Dir, "target")); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p.DBPath), 0o755); err != nil {
		return err
	}
	if err := setupDB(p.DBPath, p.Setup); err != nil {
		return err
	}
	s.logf("docs: W1 of %d models built once, docs generate x %d runs", n, s.cfg.Runs)
	if _, err := kilnVariant(s.kilns[0], "build", p, "build").measure(); err != nil {
		return err
	}
	var vs []*Variant
	for _, k := range s.kilns {
		vs = append(vs, kilnVariant(k, "docs generate", p, "docs", "generate"))
	}
	Alternate(s.logf, s.cfg.Runs, vs...)
	s.report.Docs = &DocsResult{Models: n, Docs: vs[0], Others: vs[1:]}
	return nil
}
