package load

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
)

// DecodeStats counts what Decode read.
type DecodeStats struct {
	Rows  int64 // rows that hold a value, headers included
	Cells int64 // cells that hold a value
}

// Decode reads the sheets of the xlsx workbook of spec as a load does
// (shared strings, then the sheets in parallel, inflated and parsed into
// cell values) and drops the values: the floor under the time of loading
// the same workbook, for the benchmark harness. It returns *InputError.
func Decode(ctx context.Context, spec Spec) (DecodeStats, error) {
	if f, _, err := format(spec); err != nil {
		return DecodeStats{}, err
	} else if f != formatXLSX {
		return DecodeStats{}, &InputError{Path: spec.Path, Problem: "not an xlsx workbook", Hint: "Decode reads workbooks"}
	}
	if err := checkFile(spec); err != nil {
		return DecodeStats{}, err
	}
	in, err := openXLSX(spec, true)
	if err != nil {
		return DecodeStats{}, err
	}
	defer in.Close()
	var rows, cells atomic.Int64
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	errs := make([]error, len(in.refs))
	for i, ref := range in.refs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			r, err := in.wb.openSheet(ref)
			if err != nil {
				errs[i] = in.inputError(ref.name, err)
				return
			}
			defer r.Close()
			var n, c int64
			for {
				ok, err := r.next()
				if err != nil {
					errs[i] = in.inputError(ref.name, err)
					return
				}
				if !ok || ctx.Err() != nil {
					break
				}
				n++
				c += int64(len(r.cells))
			}
			rows.Add(n)
			cells.Add(c)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return DecodeStats{}, err
		}
	}
	return DecodeStats{Rows: rows.Load(), Cells: cells.Load()}, ctx.Err()
}
