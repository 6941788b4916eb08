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

// migrate gives the file accepted for the last month before the gate's,
// when a kiln that did not compute cells digests recorded it, its digest:
// read from that file, if it is still where it was read and its bytes
// are still the ones recorded (else it stays compared by its bytes). The
// month after an upgrade then catches the last month's workbook saved
// again, as every later month does from the digests recorded since. It
// costs one pass over that file, once: the next months' last month has a
// digest. A file that cannot be read is left as it is.
func (g *gateRun) migrate(ctx context.Context, src *graph.Node, accepted []anomaly.File) {
	last := -1
	for i, a := range accepted {
		if a.Month < g.month && (last < 0 || a.Month > accepted[last].Month) {
			last = i
		}
	}
	if last < 0 || accepted[last].Cells != "" {
		return
	}
	a := &accepted[last]
	path := filepath.FromSlash(a.Path)
	if !filepath.IsAbs(path) {
		path = filepath.Join(g.e.opts.ProjectDir, path)
	}
	if sum, err := fileSHA256(path); err != nil || sum != a.SHA256 {
		return
	}
	spec := SourceSpec(src.Source.External)
	spec.Path = path
	if cells, err := load.Cells(ctx, spec); err == nil {
		a.Cells = cells
	}
}
