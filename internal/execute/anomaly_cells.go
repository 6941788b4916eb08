package execute

import (
	"context"
	"path/filepath"

	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/internal/anomaly"
	"github.com/kiln-build/kiln/internal/load"
)

// cellsOf returns the cells digest of src's workbook, whose bytes hash to
// sum (load.Result.Cells; "" for a CSV or Parquet file): the one the
// run's load of src computed; else, when the source was not loaded (up to
// date, or kiln test), the one recorded with an accepted file of the same
// bytes; else it reads the workbook for it (load.Cells: one more pass
// over its sheets, without a database).
func (g *gateRun) cellsOf(ctx context.Context, src *graph.Node, sum string, accepted []anomaly.File) (string, error) {
	if v, ok := g.e.cells.Load(src.ID); ok {
		return v.(string), nil
	}
	for _, a := range accepted {
		if a.SHA256 == sum && a.Cells != "" {
			return a.Cells, nil
		}
	}
	return load.Cells(ctx, SourceSpec(src.Source.External))
}

// migrate gives the accepted files that a kiln that did not compute
// cells digests recorded their digest, for every month the gate compares
// with (within TrainingMonths of the gate's month, as
// anomaly.CheckFreshness): read from the file, when it is still where it
// was read and its bytes are still the ones recorded (else it stays
// compared by its bytes). A workbook of any earlier month saved again, not
// only last month's, then fails as the same content. It costs one pass
// over each such file (a file recorded for several months is read once),
// once: the digests it reads are returned (sha256 -> cells digest), for
// the gate's record (fileDetail.Migrated), and a later run takes them
// from there (known: those of the accepted records). A file that cannot
// be read is left as it is, and read again by the next run.
func (g *gateRun) migrate(ctx context.Context, src *graph.Node, accepted []anomaly.File, known map[string]string) map[string]string {
	window := anomaly.Month(g.args.Freshness.TrainingMonths)
	read := map[string]string{} // sha256 -> cells ("" when unreadable)
	var out map[string]string
	for i := range accepted {
		a := &accepted[i]
		if a.Cells != "" || (window > 0 && (a.Month < g.month-window || a.Month > g.month+window)) {
			continue
		}
		if c := known[a.SHA256]; c != "" {
			a.Cells = c
			continue
		}
		cells, done := read[a.SHA256]
		if !done {
			cells = g.cellsAt(ctx, src, *a)
			read[a.SHA256] = cells
			if cells != "" {
				if out == nil {
					out = map[string]string{}
				}
				out[a.SHA256] = cells
			}
		}
		a.Cells = cells
	}
	return out
}

// cellsAt returns the cells digest of accepted file a, read from its path
// when the file there still has a's bytes; "" otherwise.
func (g *gateRun) cellsAt(ctx context.Context, src *graph.Node, a anomaly.File) string {
	path := filepath.FromSlash(a.Path)
	if !filepath.IsAbs(path) {
		path = filepath.Join(g.e.opts.ProjectDir, path)
	}
	if sum, err := fileSHA256(path); err != nil || sum != a.SHA256 {
		return ""
	}
	spec := SourceSpec(src.Source.External)
	spec.Path = path
	cells, err := load.Cells(ctx, spec)
	if err != nil {
		return ""
	}
	return cells
}
